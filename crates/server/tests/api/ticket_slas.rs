//! SLAs: policies, due times in business time on the branch calendar with
//! pauses and holidays (hand-computed), breach flags, the response clock
//! re-armed by a customer's reply, and the explanation endpoint.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::db::schema::{ticket_slas, ticket_status_history, tickets};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{Reply, TestApp, division};

async fn policy(app: &TestApp, body: Value) -> Reply {
    app.post("/api/v1/sla-policies", body).await
}

async fn category(app: &TestApp) -> String {
    app.post("/api/v1/ticket-categories", json!({"name": "Service", "kind": "after_sales"})).await.id()
}

fn ticket(division_id: &str, category_id: &str, priority: &str) -> Value {
    json!({"division_id": division_id, "category_id": category_id, "channel": "call", "subject": "Noise",
        "priority": priority})
}

fn instant(raw: &str) -> DateTime<Utc> {
    raw.parse().expect("RFC 3339")
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{SlaPolicies, Tickets};
    let priorities = ["low", "normal", "high", "urgent"];
    let target =
        policy(app, json!({"division_id": home, "priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240, "active": false})).await.id();
    let spare =
        policy(app, json!({"division_id": home, "priority": "low", "first_response_minutes": 30, "resolution_minutes": 240, "active": false})).await.id();
    let cat = app.post("/api/v1/ticket-categories", json!({"name": format!("SLA {n}"), "kind": "general"})).await.id();
    let ticket = app.post("/api/v1/tickets", ticket(home, &cat, "normal")).await.id();
    vec![
        endpoint(Method::GET, "/api/v1/sla-policies".into(), None, SlaPolicies, Read),
        endpoint(Method::GET, format!("/api/v1/sla-policies/{target}"), None, SlaPolicies, Read),
        endpoint(
            Method::POST,
            "/api/v1/sla-policies".into(),
            Some(json!({"division_id": home, "priority": priorities[n % 4], "first_response_minutes": 60,
                "resolution_minutes": 600, "active": false})),
            SlaPolicies,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/sla-policies/{target}"),
            Some(json!({"warn_percent": 75, "version": 1})),
            SlaPolicies,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/sla-policies/{spare}"), None, SlaPolicies, Delete),
        // No policy applies to this ticket: 404 is an allowed answer.
        endpoint(Method::GET, format!("/api/v1/tickets/{ticket}/sla"), None, Tickets, Read),
    ]
}

#[actix_web::test]
async fn policies_are_validated_scoped_and_the_divisions_own_wins() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let company =
        policy(&app, json!({"priority": "high", "first_response_minutes": 240, "resolution_minutes": 2700})).await;
    assert_eq!(company.status, StatusCode::CREATED, "{:?}", company.body);
    assert_eq!(company.body["warn_percent"], 80);
    let own = policy(
        &app,
        json!({"division_id": motors, "priority": "high", "first_response_minutes": 60, "resolution_minutes": 1620}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);

    let before = app.count("sla_policies");
    for (body, field) in [
        (json!({"priority": "low", "first_response_minutes": 0, "resolution_minutes": 60}), "first_response_minutes"),
        (json!({"priority": "low", "first_response_minutes": 120, "resolution_minutes": 60}), "resolution_minutes"),
        (
            json!({"priority": "low", "first_response_minutes": 60, "resolution_minutes": 60, "warn_percent": 100}),
            "warn_percent",
        ),
        (json!({"priority": "high", "first_response_minutes": 60, "resolution_minutes": 600}), "priority"),
    ] {
        let reply = policy(&app, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{body}");
    }
    assert_eq!(
        policy(&app, json!({"priority": "asap", "first_response_minutes": 1, "resolution_minutes": 1})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("sla_policies"), before, "nothing stored");

    // A manager: their division's policies only, never company-wide ones.
    let (_, manager) = app.user_with_token(Role::Manager, Some(&power), None);
    let req = TestRequest::post()
        .uri("/api/v1/sla-policies")
        .set_json(json!({"priority": "low", "first_response_minutes": 60, "resolution_minutes": 600}));
    assert_eq!(app.call_as(req, Some(&manager)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let req = TestRequest::patch()
        .uri(&format!("/api/v1/sla-policies/{}", own.id()))
        .set_json(json!({"warn_percent": 50, "version": 1}));
    assert_eq!(app.call_as(req, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let (_, agent) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let req = TestRequest::post().uri("/api/v1/sla-policies").set_json(
        json!({"division_id": power, "priority": "low", "first_response_minutes": 60, "resolution_minutes": 600}),
    );
    assert_eq!(app.call_as(req, Some(&agent)).await.status, StatusCode::FORBIDDEN);

    // Motors gets its own targets, Power the company's; a policy-less priority none.
    let cat = category(&app).await;
    let m = app.post("/api/v1/tickets", ticket(&motors, &cat, "high")).await;
    assert_eq!(m.body["sla"]["policy_id"], own.body["id"]);
    let p = app.post("/api/v1/tickets", ticket(&power, &cat, "high")).await;
    assert_eq!(p.body["sla"]["policy_id"], company.body["id"]);
    let none = app.post("/api/v1/tickets", ticket(&power, &cat, "low")).await;
    assert_eq!(none.body["sla"], Value::Null);
    assert_eq!(app.get(&format!("/api/v1/tickets/{}/sla", none.id())).await.status, StatusCode::NOT_FOUND);

    // Editing a policy leaves running tickets alone; deleting a used one deactivates it.
    let changed =
        app.patch(&format!("/api/v1/sla-policies/{}", own.id()), Some(1), json!({"resolution_minutes": 3000})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let sla = app.get(&format!("/api/v1/tickets/{}/sla", m.id())).await.body;
    assert_eq!(sla["resolution"]["target_minutes"], 1620);
    let kept = app.delete(&format!("/api/v1/sla-policies/{}", own.id())).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert_eq!(kept.body["active"], false);
}

#[actix_web::test]
async fn due_times_follow_the_branch_calendar_pauses_and_holidays() {
    let app = TestApp::new().await;
    // Mon–Fri 08:00–17:00 Lagos (UTC+1), Thursday 19 November 2026 a holiday.
    let hours: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00", "end": "17:00"}))
        .collect();
    let cal = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Ikeja", "time_zone": "Africa/Lagos", "working_hours": hours,
            "holidays": [{"date": "2026-11-19", "name": "Branch day off"}]}),
        )
        .await;
    assert_eq!(cal.status, StatusCode::CREATED, "{:?}", cal.body);
    let motors =
        app.post("/api/v1/divisions", json!({"code": "MOT", "name": "Motors", "calendar_id": cal.id()})).await.id();
    policy(&app, json!({"priority": "high", "first_response_minutes": 120, "resolution_minutes": 1620})).await;
    let cat = category(&app).await;

    // Two tickets logged Monday 16 November 09:00 Lagos; first reply 10:30;
    // pending from 12:00 to Wednesday 09:00. One is resolved Friday 16:00.
    let at = |raw: &str| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").expect("instant");
    let mut ids = Vec::new();
    for resolved in [true, false] {
        let id = app.post("/api/v1/tickets", ticket(&motors, &cat, "high")).await.id();
        let mut steps = vec![
            (None, "new", "2026-11-16 08:00"),
            (Some("new"), "open", "2026-11-16 09:30"),
            (Some("open"), "pending", "2026-11-16 11:00"),
            (Some("pending"), "open", "2026-11-18 08:00"),
        ];
        if resolved {
            steps.push((Some("open"), "resolved", "2026-11-20 15:00"));
        }
        let mut conn = app.db().write().expect("conn");
        diesel::delete(ticket_status_history::table.filter(ticket_status_history::ticket_id.eq(&id)))
            .execute(&mut *conn)
            .expect("history");
        for (n, (from, to, when)) in steps.iter().enumerate() {
            diesel::insert_into(ticket_status_history::table)
                .values((
                    ticket_status_history::id
                        .eq(format!("01900000-0000-7000-8000-00000000000{n}{}", u8::from(resolved))),
                    ticket_status_history::ticket_id.eq(&id),
                    ticket_status_history::from_status.eq(from.map(str::to_owned)),
                    ticket_status_history::to_status.eq(*to),
                    ticket_status_history::changed_at.eq(at(when)),
                ))
                .execute(&mut *conn)
                .expect("step");
        }
        let last = steps.last().map(|s| s.1).unwrap_or("new");
        diesel::update(tickets::table.filter(tickets::id.eq(&id)))
            .set((
                tickets::created_at.eq(at("2026-11-16 08:00")),
                tickets::status.eq(last),
                tickets::resolved_at.eq(resolved.then(|| at("2026-11-20 15:00"))),
            ))
            .execute(&mut *conn)
            .expect("ticket");
        diesel::update(ticket_slas::table.filter(ticket_slas::ticket_id.eq(&id)))
            .set((
                ticket_slas::response_started_at.eq(at("2026-11-16 08:00")),
                ticket_slas::response_met_at.eq(Some(at("2026-11-16 09:30"))),
            ))
            .execute(&mut *conn)
            .expect("sla");
        rapport_tickets::sla::clock::refresh(&mut conn, &id).expect("refresh");
        ids.push(id);
    }

    let done = app.get(&format!("/api/v1/tickets/{}/sla", ids[0])).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let sla = &done.body;
    assert_eq!(sla["time_zone"], "Africa/Lagos");
    assert_eq!(sla["clock"], "stopped");
    // Response: 2 business hours from Monday 09:00 → 11:00 Lagos; met at 10:30.
    assert_eq!(instant(sla["first_response"]["due_at"].as_str().expect("due")), instant("2026-11-16T10:00:00Z"));
    assert_eq!(sla["first_response"]["breached"], false);
    assert_eq!(sla["first_response"]["business_seconds_used"], 90 * 60);
    // Resolution: 27 business hours. Monday 09–12 (3 h), paused to Wednesday
    // 09:00, Wednesday 09–17 (8 h), Thursday a holiday, Friday 08–17 (9 h),
    // weekend, Monday 23rd 08:00 + 7 h → 15:00 Lagos = 14:00 UTC.
    assert_eq!(instant(sla["resolution"]["due_at"].as_str().expect("due")), instant("2026-11-23T14:00:00Z"));
    // Resolved Friday 16:00 Lagos: 3 + 8 + 8 = 19 h used, 8 h to spare.
    assert_eq!(sla["resolution"]["business_seconds_used"], 19 * 3600);
    assert_eq!(sla["resolution"]["business_seconds_remaining"], 8 * 3600);
    assert_eq!(sla["resolution"]["breached"], false);
    let segments = sla["resolution"]["segments"].as_array().expect("segments");
    let counted: i64 = segments
        .iter()
        .filter(|s| s["counted"] == true)
        .map(|s| {
            (instant(s["end"].as_str().expect("end")) - instant(s["start"].as_str().expect("start"))).num_seconds()
        })
        .sum();
    assert_eq!(counted, 19 * 3600, "the counted segments add up");
    assert!(segments.iter().any(|s| s["reason"] == "paused"));
    assert!(segments.iter().any(|s| s["reason"] == "holiday" && s["holiday"] == "Branch day off"));
    assert!(segments.iter().any(|s| s["reason"] == "outside_hours"));

    // The other one is still open: the same deadline, long passed.
    let open = app.get(&format!("/api/v1/tickets/{}", ids[1])).await.body;
    assert_eq!(instant(open["sla"]["resolution_due_at"].as_str().expect("due")), instant("2026-11-23T14:00:00Z"));
    assert_eq!(open["sla"]["resolution_breached"], true);
    assert_eq!(open["sla"]["clock"], "running");
    let breached = app.get("/api/v1/tickets?sla=breached").await.body["data"].clone();
    let listed: Vec<&str> = breached.as_array().expect("data").iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(listed, [ids[1].as_str()], "the resolved one is done with");
}

#[actix_web::test]
async fn pending_pauses_the_clock_and_a_customer_reply_rearms_the_response() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    policy(&app, json!({"priority": "normal", "first_response_minutes": 120, "resolution_minutes": 1440})).await;
    let cat = category(&app).await;
    let created = app.post("/api/v1/tickets", ticket(&motors, &cat, "normal")).await;
    let id = created.id();
    // No calendar: round the clock.
    let logged = instant(created.body["created_at"].as_str().expect("created"));
    let due = instant(created.body["sla"]["first_response_due_at"].as_str().expect("due"));
    assert!((due - logged - Duration::minutes(120)).num_seconds().abs() <= 1);
    assert_eq!(created.body["sla"]["clock"], "running");

    for (window, expected) in [(180, 1), (60, 0)] {
        let reply = app.get(&format!("/api/v1/tickets?sla=at_risk&due_within_minutes={window}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(
            reply.body["data"].as_array().map_or(0, Vec::len),
            expected,
            "response due in two hours, window {window}"
        );
    }
    assert_eq!(app.get("/api/v1/tickets?sla=at_risk&due_within_minutes=0").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/v1/tickets?sla=late").await.status, StatusCode::BAD_REQUEST);

    let reply =
        app.post(&format!("/api/v1/tickets/{id}/comments"), json!({"visibility": "public", "body": "On it"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let met = app.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert!(met["sla"]["response_met_at"].is_string());
    assert_eq!(met["sla"]["first_response_due_at"], Value::Null, "nothing owed");
    assert_eq!(met["sla"]["response_breached"], false);

    let customer = app
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"visibility": "public", "body": "Still broken", "author_kind": "customer"}),
        )
        .await;
    assert_eq!(customer.status, StatusCode::CREATED);
    let owed = app.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert_eq!(owed["sla"]["response_met_at"], Value::Null);
    let again = instant(owed["sla"]["first_response_due_at"].as_str().expect("due again"));
    let replied = instant(customer.body["created_at"].as_str().expect("at"));
    assert!((again - replied - Duration::minutes(120)).num_seconds().abs() <= 1, "re-armed from the customer's reply");

    let version = owed["version"].as_i64().expect("version");
    let paused = app
        .call(
            TestRequest::post()
                .uri(&format!("/api/v1/tickets/{id}/status"))
                .set_json(json!({"status": "pending", "version": version})),
        )
        .await;
    assert_eq!(paused.body["sla"]["clock"], "paused");
    assert_eq!(paused.body["sla"]["resolution_due_at"], Value::Null, "no deadline while waiting on the customer");
    let resumed = app
        .call(
            TestRequest::post()
                .uri(&format!("/api/v1/tickets/{id}/status"))
                .set_json(json!({"status": "open", "version": version + 1})),
        )
        .await;
    assert_eq!(resumed.body["sla"]["clock"], "running");
    let due = instant(resumed.body["sla"]["resolution_due_at"].as_str().expect("due"));
    assert!(due >= logged + Duration::minutes(1440), "the pause only moves it later");
    assert!(due - (logged + Duration::minutes(1440)) < Duration::seconds(30));
}
