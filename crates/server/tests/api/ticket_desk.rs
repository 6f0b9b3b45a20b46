//! The desk around a ticket: CSAT surveys (single use, expiry, bad tokens,
//! no login), handle time per ticket and per agent and the touches it adds
//! to first-contact resolution, attachments as metadata, and the sweep (SLA
//! warnings and breach notices to the queue's managers, once; closing
//! resolved tickets).

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::db::schema::{csat_surveys, ticket_slas};
use rapport_core::principal::Role;
use rapport_tickets::DeskSettings;
use rapport_tickets::sweep::{self, SweepReport};
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{Reply, TestApp, division};

async fn category(app: &TestApp, name: &str) -> String {
    let reply = app.post("/api/v1/ticket-categories", json!({"name": name, "kind": "after_sales"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn new_ticket(app: &TestApp, division_id: &str, category_id: &str) -> Value {
    let body = json!({"division_id": division_id, "category_id": category_id, "channel": "call",
        "subject": "Air conditioning blows warm"});
    let reply = app.post("/api/v1/tickets", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

async fn set_status(app: &TestApp, id: &str, status: &str) -> Reply {
    let version = app.get(&format!("/api/v1/tickets/{id}")).await.body["version"].clone();
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/status"))
        .set_json(json!({"status": status, "version": version}));
    app.call(req).await
}

async fn answer(app: &TestApp, token: &str, body: Value) -> Reply {
    app.call_as(TestRequest::post().uri(&format!("/api/v1/public/csat/{token}")).set_json(body), None).await
}

async fn show(app: &TestApp, token: &str) -> Reply {
    app.call_as(TestRequest::get().uri(&format!("/api/v1/public/csat/{token}")), None).await
}

/// (kind, target, ticket) of each notification in the inbox behind `token`.
async fn inbox(app: &TestApp, token: &str) -> Vec<(Value, Value, Value)> {
    let reply = app.get_as("/api/v1/notifications?limit=200", token).await;
    let items = reply.body["data"].as_array().cloned().unwrap_or_default();
    items.iter().map(|n| (n["kind"].clone(), n["payload"]["target"].clone(), n["entity_id"].clone())).collect()
}

fn sweep_at(app: &TestApp, settings: &DeskSettings, at: chrono::DateTime<Utc>) -> SweepReport {
    let mut conn = app.db().write().expect("conn");
    sweep::run(&mut conn, settings, at).expect("sweep")
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Read, Update};
    use Resource::Tickets;
    let cat = category(app, &format!("Desk {n}")).await;
    let target = new_ticket(app, home, &cat).await["id"].as_str().expect("id").to_owned();
    let resolved = new_ticket(app, home, &cat).await["id"].as_str().expect("id").to_owned();
    assert_eq!(set_status(app, &resolved, "resolved").await.status, StatusCode::OK);
    vec![
        endpoint(Method::GET, "/api/v1/tickets/handle-time".into(), None, Tickets, Read),
        endpoint(Method::GET, format!("/api/v1/tickets/{target}/attachments"), None, Tickets, Read),
        endpoint(
            Method::POST,
            format!("/api/v1/tickets/{target}/attachments"),
            Some(json!({"file_name": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 10,
                "storage_key": format!("matrix/{}", uuid::Uuid::now_v7())})),
            Tickets,
            Update,
        ),
        endpoint(Method::GET, format!("/api/v1/tickets/{resolved}/csat"), None, Tickets, Read),
        endpoint(Method::POST, format!("/api/v1/tickets/{resolved}/csat-survey"), None, Tickets, Update),
    ]
}

#[actix_web::test]
async fn resolving_issues_a_survey_the_customer_answers_once_without_logging_in() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let cat = category(&app, "Service").await;
    let id = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();

    let resolved = set_status(&app, &id, "resolved").await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    let survey = &resolved.body["csat_survey"];
    let token = survey["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("csat_") && token.len() > 40, "{token}");
    assert_eq!(survey["path"], format!("/api/v1/public/csat/{token}"));
    let expires: chrono::DateTime<Utc> = survey["expires_at"].as_str().expect("expiry").parse().expect("instant");
    assert!((expires - (Utc::now() + Duration::days(14))).num_seconds().abs() < 60);
    // Shown once: neither a later read nor the audit log holds the token.
    assert!(app.get(&format!("/api/v1/tickets/{id}")).await.body.get("csat_survey").is_none());
    let audit = app.get(&format!("/api/v1/audit?entity_type=ticket&entity_id={id}")).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert!(!audit.body["data"].as_array().expect("entries").is_empty());
    assert!(!audit.body.to_string().contains(&token), "the token reached the audit log");

    let page = show(&app, &token).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    assert_eq!(page.body["state"], "waiting");
    assert_eq!(page.body["subject"], "Air conditioning blows warm");
    assert!(page.body.get("customer_id").is_none());

    // Bad answers store nothing.
    for (body, status) in [
        (json!({"rating": 6}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rating": 0}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rating": "5"}), StatusCode::BAD_REQUEST),
        (json!({"rating": 4, "mood": "fine"}), StatusCode::BAD_REQUEST),
        (json!({"rating": 4, "comment": "x".repeat(2_001)}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let reply = answer(&app, &token, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.body);
    }
    let raw = TestRequest::post()
        .uri(&format!("/api/v1/public/csat/{token}"))
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"rating\": 4");
    assert_eq!(app.call_as(raw, None).await.status, StatusCode::BAD_REQUEST);
    let stored: i64 = {
        let mut conn = app.db().write().expect("conn");
        csat_surveys::table.filter(csat_surveys::responded_at.is_not_null()).count().get_result(&mut conn).expect("n")
    };
    assert_eq!(stored, 0);

    let answered = answer(&app, &token, json!({"rating": 4, "comment": "  Quick and friendly. "})).await;
    assert_eq!(answered.status, StatusCode::OK, "{:?}", answered.body);
    assert_eq!(answered.body["state"], "answered");
    assert_eq!(answered.body["rating"], 4);
    let again = answer(&app, &token, json!({"rating": 1})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_answered");

    let listed = app.get(&format!("/api/v1/tickets/{id}/csat")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.body["data"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["rating"], 4);
    assert_eq!(items[0]["comment"], "Quick and friendly.");
    assert!(items[0].get("token").is_none() && items[0].get("token_hash").is_none());

    // Tokens that are not one: unknown, malformed, or someone's guess.
    for bad in ["csat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nope", "csat_", &token[..token.len() - 1]] {
        assert_eq!(show(&app, bad).await.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(answer(&app, bad, json!({"rating": 5})).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[actix_web::test]
async fn surveys_expire_are_retired_by_a_new_one_and_stay_in_scope() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "Service").await;
    let id = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();

    let early = app.post(&format!("/api/v1/tickets/{id}/csat-survey"), json!({})).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.code(), "validation_failed");
    assert_eq!(app.count("csat_surveys"), 0);

    let first = set_status(&app, &id, "resolved").await.body["csat_survey"]["token"].as_str().expect("t").to_owned();
    let fresh = app.post(&format!("/api/v1/tickets/{id}/csat-survey"), json!({})).await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{:?}", fresh.body);
    let second = fresh.body["token"].as_str().expect("token").to_owned();
    let retired = answer(&app, &first, json!({"rating": 5})).await;
    assert_eq!(retired.status, StatusCode::GONE, "{:?}", retired.body);
    assert_eq!(retired.code(), "survey_expired");
    assert_eq!(show(&app, &first).await.body["state"], "expired");

    // Past its window.
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(csat_surveys::table.filter(csat_surveys::responded_at.is_null()))
            .set(csat_surveys::expires_at.eq((Utc::now() - Duration::minutes(1)).naive_utc()))
            .execute(&mut conn)
            .expect("expire");
    }
    assert_eq!(answer(&app, &second, json!({"rating": 5})).await.status, StatusCode::GONE);

    // A reopen and a second resolution: a second survey, answerable.
    assert_eq!(set_status(&app, &id, "open").await.status, StatusCode::OK);
    let third = set_status(&app, &id, "resolved").await.body["csat_survey"]["token"].as_str().expect("t").to_owned();
    assert_eq!(answer(&app, &third, json!({"rating": 2})).await.status, StatusCode::OK);
    let states: Vec<Value> = app.get(&format!("/api/v1/tickets/{id}/csat")).await.body["data"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["state"].clone())
        .collect();
    assert_eq!(states, [json!("answered"), json!("expired"), json!("expired")]);

    let (_, outsider) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let req = TestRequest::get().uri(&format!("/api/v1/tickets/{id}/csat"));
    assert_eq!(app.call_as(req, Some(&outsider)).await.status, StatusCode::NOT_FOUND);
    let req = TestRequest::post().uri(&format!("/api/v1/tickets/{id}/csat-survey"));
    assert_eq!(app.call_as(req, Some(&outsider)).await.status, StatusCode::NOT_FOUND);
    let req = TestRequest::get().uri(&format!("/api/v1/tickets/{id}/csat"));
    assert_eq!(app.call_as(req, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("csat_surveys"), 3);
}

#[actix_web::test]
async fn logged_calls_give_handle_time_per_ticket_and_agent_and_count_as_touches() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "Service").await;
    let (ada, ada_token) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (bola, bola_token) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let busy = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let quick = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let at = Utc::now() - Duration::hours(1);
    let call = |ticket: &str, seconds: Option<i64>| {
        json!({"channel": "call", "direction": "inbound", "division_id": motors, "ticket_id": ticket,
            "duration_seconds": seconds, "occurred_at": at.to_rfc3339()})
    };
    for (token, body) in [
        (&ada_token, call(&busy, Some(300))),
        (&bola_token, call(&busy, Some(601))),
        // A message without a duration is a contact, not handling.
        (&ada_token, call(&busy, None)),
        (&ada_token, call(&quick, Some(120))),
    ] {
        let reply = app.call_as(TestRequest::post().uri("/api/v1/interactions").set_json(body), Some(token)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let ghost = uuid::Uuid::now_v7().to_string();
    let before = app.count("interactions");
    let unknown = app.post("/api/v1/interactions", call(&ghost, Some(60))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", unknown.body);
    assert_eq!(unknown.error_fields(), ["ticket_id"]);
    assert_eq!(app.count("interactions"), before);

    let busy_now = app.get(&format!("/api/v1/tickets/{busy}")).await.body;
    assert_eq!(busy_now["handle_time"], json!({"interactions": 2, "total_seconds": 901, "average_seconds": 450}));
    assert_eq!(busy_now["agent_touches"], 2);
    let listed = app.get("/api/v1/tickets?assignee=none&limit=200").await.body;
    let in_list = listed["data"].as_array().expect("items").iter().find(|t| t["id"] == busy.as_str()).cloned();
    assert_eq!(in_list.expect("listed")["handle_time"]["total_seconds"], 901);

    // Two handled calls: not first-contact; one: first-contact.
    assert_eq!(set_status(&app, &busy, "resolved").await.body["first_contact_resolution"], false);
    assert_eq!(set_status(&app, &quick, "resolved").await.body["first_contact_resolution"], true);

    let report = app.get("/api/v1/tickets/handle-time").await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(
        report.body["data"],
        json!([
            {"user_id": bola, "tickets": 1, "interactions": 1, "total_seconds": 601,
                "average_seconds_per_interaction": 601, "average_seconds_per_ticket": 601},
            {"user_id": ada, "tickets": 2, "interactions": 2, "total_seconds": 420,
                "average_seconds_per_interaction": 210, "average_seconds_per_ticket": 210},
        ])
    );
    let only = app.get(&format!("/api/v1/tickets/handle-time?user_id={ada}")).await;
    assert_eq!(only.body["data"].as_array().expect("items").len(), 1);
    let later = (at + Duration::minutes(1)).to_rfc3339().replace('+', "%2B");
    assert_eq!(app.get(&format!("/api/v1/tickets/handle-time?from={later}")).await.body["data"], json!([]));
    let (_, outsider) = app.user_with_token(Role::Manager, Some(&power), None);
    assert_eq!(app.get_as("/api/v1/tickets/handle-time", &outsider).await.body["data"], json!([]));
    let earlier = (at - Duration::days(1)).to_rfc3339().replace('+', "%2B");
    let range = app.get(&format!("/api/v1/tickets/handle-time?from={later}&to={earlier}")).await;
    assert_eq!(range.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/v1/tickets/handle-time?agent=me").await.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn attachments_are_validated_metadata_within_scope() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "Service").await;
    let id = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let other = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let note = app
        .post(&format!("/api/v1/tickets/{other}/comments"), json!({"visibility": "internal", "body": "Photo"}))
        .await
        .id();
    let url = format!("/api/v1/tickets/{id}/attachments");
    let good = json!({"file_name": "job-card.pdf", "content_type": "Application/PDF; charset=binary",
        "size_bytes": 182_044, "storage_key": format!("tickets/{id}/job-card.pdf")});
    let created = app.post(&url, good.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["content_type"], "application/pdf");
    assert!(created.body["uploaded_by"].is_string());

    let before = app.count("ticket_attachments");
    let dup = app.post(&url, good.clone()).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.code(), "duplicate");
    let bad = app
        .post(
            &url,
            json!({"file_name": "../etc/passwd", "content_type": "pdf", "size_bytes": 26_214_401,
            "storage_key": " "}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["content_type", "file_name", "size_bytes", "storage_key"]);
    let mut elsewhere = good.clone();
    elsewhere["storage_key"] = json!("tickets/other");
    elsewhere["comment_id"] = json!(note);
    let reply = app.post(&url, elsewhere).await;
    assert_eq!(reply.error_fields(), ["comment_id"], "a comment of another ticket");
    assert_eq!(app.post(&url, json!({"file_name": "a"})).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("ticket_attachments"), before);

    let listed = app.get(&url).await;
    assert_eq!(listed.body["data"].as_array().expect("items").len(), 1);
    let (_, outsider) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    assert_eq!(app.get_as(&url, &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(TestRequest::get().uri(&url), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_of("ticket_attachment", &created.id()).len(), 1);
}

#[actix_web::test]
async fn the_sweep_warns_then_announces_breaches_once_and_closes_resolved_tickets() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let cat = category(&app, "Service").await;
    let (boss, boss_token) = app.user_with_token(Role::Manager, Some(&motors), None);
    let (agent, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (_, head_token) = app.user_with_token(Role::Manager, Some(&motors), None);
    let queue = app
        .post(
            "/api/v1/ticket-queues",
            json!({"division_id": motors, "name": "Desk", "assignment": "round_robin",
                "members": [{"user_id": agent}, {"user_id": boss, "role": "manager"}]}),
        )
        .await
        .id();
    let policy = json!({"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 240,
        "warn_percent": 80});
    assert_eq!(app.post("/api/v1/sla-policies", policy).await.status, StatusCode::CREATED);
    let routed = new_ticket(&app, &motors, &cat).await;
    let id = routed["id"].as_str().expect("id").to_owned();
    let mut moved = app.patch(&format!("/api/v1/tickets/{id}"), Some(1), json!({"queue_id": queue})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    // A ticket without a queue: its division's managers hear about it.
    let loose = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let created: chrono::DateTime<Utc> = routed["created_at"].as_str().expect("at").parse().expect("instant");
    let settings = DeskSettings::default();

    assert_eq!(sweep_at(&app, &settings, created + Duration::minutes(47)).warnings, 0, "before 80 % of an hour");
    let at_48 = sweep_at(&app, &settings, created + Duration::minutes(48) + Duration::seconds(5));
    assert_eq!((at_48.warnings, at_48.breaches), (2, 0));
    assert_eq!(sweep_at(&app, &settings, created + Duration::minutes(50)), SweepReport::default(), "once");
    let boss_heard = inbox(&app, &boss_token).await;
    assert!(boss_heard.contains(&(json!("ticket_sla_warning"), json!("first_response"), json!(id))), "{boss_heard:?}");
    let head_heard = inbox(&app, &head_token).await;
    assert!(!head_heard.iter().any(|n| n.2 == json!(id)), "a queued ticket: its queue's managers only");
    assert!(head_heard.contains(&(json!("ticket_sla_warning"), json!("first_response"), json!(loose))));

    // A reply meets the response target of one ticket: no breach for it.
    moved =
        app.post(&format!("/api/v1/tickets/{loose}/comments"), json!({"visibility": "public", "body": "On it"})).await;
    assert_eq!(moved.status, StatusCode::CREATED);
    let at_61 = sweep_at(&app, &settings, created + Duration::minutes(61));
    assert_eq!((at_61.warnings, at_61.breaches), (0, 1));
    let flagged: bool = {
        let mut conn = app.db().write().expect("conn");
        ticket_slas::table.find(&id).select(ticket_slas::response_breached).first(&mut conn).expect("sla")
    };
    assert!(flagged);
    assert!(inbox(&app, &boss_token).await.contains(&(
        json!("ticket_sla_breached"),
        json!("first_response"),
        json!(id)
    )));

    // Resolution: warned at 192 minutes, breached at 240; the paused one neither.
    assert_eq!(set_status(&app, &loose, "pending").await.status, StatusCode::OK);
    let at_193 = sweep_at(&app, &settings, created + Duration::minutes(193));
    assert_eq!((at_193.warnings, at_193.breaches), (1, 0));
    let at_241 = sweep_at(&app, &settings, created + Duration::minutes(241));
    assert_eq!((at_241.warnings, at_241.breaches), (0, 1));
    assert_eq!(sweep_at(&app, &settings, created + Duration::days(1)), SweepReport::default());

    // Resolved tickets close after the configured days, as the system.
    assert_eq!(set_status(&app, &id, "resolved").await.status, StatusCode::OK);
    assert_eq!(sweep_at(&app, &settings, Utc::now() + Duration::days(6)).closed, 0);
    assert_eq!(sweep_at(&app, &settings, Utc::now() + Duration::days(7) + Duration::minutes(1)).closed, 1);
    let closed = app.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert_eq!(closed["status"], "closed");
    assert!(closed["resolved_at"].is_string() && closed["closed_at"].is_string());
    let history = app.get(&format!("/api/v1/tickets/{id}/history")).await.body;
    let last = history["data"].as_array().expect("items").last().cloned().expect("last");
    assert_eq!((last["to_status"].clone(), last["changed_by"].clone()), (json!("closed"), Value::Null));
    let never = DeskSettings { auto_close_after: None, ..DeskSettings::default() };
    assert_eq!(set_status(&app, &loose, "resolved").await.status, StatusCode::OK);
    assert_eq!(sweep_at(&app, &never, Utc::now() + Duration::days(400)).closed, 0);
}

#[actix_web::test]
async fn sweepers_running_at_once_announce_each_breach_once() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let cat = category(&app, "Service").await;
    let (_, boss_token) = app.user_with_token(Role::Manager, Some(&motors), None);
    let policy = json!({"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 240});
    assert_eq!(app.post("/api/v1/sla-policies", policy).await.status, StatusCode::CREATED);
    for _ in 0..30 {
        new_ticket(&app, &motors, &cat).await;
    }
    // Every response deadline passed a minute ago.
    let past = (Utc::now() - Duration::minutes(1)).naive_utc();
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(ticket_slas::table)
            .set((ticket_slas::first_response_due_at.eq(past), ticket_slas::response_warn_at.eq(past)))
            .execute(&mut conn)
            .expect("backdate");
    }
    let settings = DeskSettings::default();
    let reports: Vec<SweepReport> = std::thread::scope(|s| {
        let sweeps: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    rapport_server::sweeper::sweep_all(app.db(), &settings, rapport_server::sweeper::Pace::Flat)
                        .expect("sweep")
                })
            })
            .collect();
        sweeps.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(reports.iter().map(|r| r.breaches).sum::<usize>(), 30, "{reports:?}");
    assert_eq!(reports.iter().map(|r| r.warnings).sum::<usize>(), 0, "a deadline already missed needs no warning");
    let heard = inbox(&app, &boss_token).await;
    assert_eq!(heard.len(), 30);
    let distinct: std::collections::HashSet<_> = heard.iter().map(|n| n.2.to_string()).collect();
    assert_eq!(distinct.len(), 30);
}

#[actix_web::test]
async fn a_customer_calling_about_an_answered_ticket_rearms_the_response_clock() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let cat = category(&app, "Service").await;
    let policy = json!({"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 2400});
    assert_eq!(app.post("/api/v1/sla-policies", policy).await.status, StatusCode::CREATED);
    let id = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    let reply =
        app.post(&format!("/api/v1/tickets/{id}/comments"), json!({"visibility": "public", "body": "Hi"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let sla = |body: &Value| body["sla"].clone();
    let answered = sla(&app.get(&format!("/api/v1/tickets/{id}")).await.body);
    assert!(answered["response_met_at"].is_string() && answered["first_response_due_at"].is_null(), "{answered}");

    // An outbound call changes nothing; an inbound one restarts the clock from the call.
    let at = Utc::now() - Duration::minutes(5);
    for direction in ["outbound", "inbound"] {
        let call = json!({"channel": "call", "direction": direction, "division_id": motors, "ticket_id": id,
            "occurred_at": at.to_rfc3339()});
        assert_eq!(app.post("/api/v1/interactions", call).await.status, StatusCode::CREATED);
        let now = sla(&app.get(&format!("/api/v1/tickets/{id}")).await.body);
        assert_eq!(now["response_met_at"].is_null(), direction == "inbound", "{direction}: {now}");
    }
    let rearmed = sla(&app.get(&format!("/api/v1/tickets/{id}")).await.body);
    let due: chrono::DateTime<Utc> = rearmed["first_response_due_at"].as_str().expect("due").parse().expect("instant");
    assert!((due - (at + Duration::minutes(60))).num_seconds().abs() <= 1, "{due}");
}

#[actix_web::test]
async fn a_held_ticket_on_a_lagos_calendar_explains_its_sla_and_resolving_answers_the_customer() {
    use rapport_core::db::schema::{ticket_status_history, tickets};
    let app = TestApp::new().await;
    let hours: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00", "end": "17:00"}))
        .collect();
    let cal = app
        .post("/api/v1/calendars", json!({"name": "Lagos", "time_zone": "Africa/Lagos", "working_hours": hours}))
        .await;
    assert_eq!(cal.status, StatusCode::CREATED, "{:?}", cal.body);
    let motors =
        app.post("/api/v1/divisions", json!({"code": "MOT", "name": "Motors", "calendar_id": cal.id()})).await.id();
    let power = division(&app, "PWR", "Power").await;
    let policy = json!({"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 2400});
    assert_eq!(app.post("/api/v1/sla-policies", policy).await.status, StatusCode::CREATED);
    let cat = category(&app, "Service").await;

    // On hold east of UTC: the open-ended pause has no end to add to.
    let held = new_ticket(&app, &motors, &cat).await["id"].as_str().expect("id").to_owned();
    assert_eq!(set_status(&app, &held, "pending").await.status, StatusCode::OK);
    let explained = app.get(&format!("/api/v1/tickets/{held}/sla")).await;
    assert_eq!(explained.status, StatusCode::OK, "{:?}", explained.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{held}")).await.body["sla"]["clock"], "paused");

    // Settled on the call that logged it, without a written reply: read hours
    // later, the response is not breached.
    let settled = new_ticket(&app, &power, &cat).await["id"].as_str().expect("id").to_owned();
    assert_eq!(set_status(&app, &settled, "resolved").await.status, StatusCode::OK);
    {
        let mut conn = app.db().write().expect("conn");
        let earlier = |t: chrono::NaiveDateTime| t - Duration::hours(3);
        let (created, resolved): (chrono::NaiveDateTime, Option<chrono::NaiveDateTime>) = tickets::table
            .find(&settled)
            .select((tickets::created_at, tickets::resolved_at))
            .first(&mut conn)
            .expect("ticket");
        diesel::update(tickets::table.find(&settled))
            .set((tickets::created_at.eq(earlier(created)), tickets::resolved_at.eq(resolved.map(earlier))))
            .execute(&mut conn)
            .expect("backdate");
        diesel::update(ticket_slas::table.find(&settled))
            .set(ticket_slas::response_started_at.eq(earlier(created)))
            .execute(&mut conn)
            .expect("backdate");
        let history: Vec<(String, chrono::NaiveDateTime)> = ticket_status_history::table
            .filter(ticket_status_history::ticket_id.eq(&settled))
            .select((ticket_status_history::id, ticket_status_history::changed_at))
            .load(&mut conn)
            .expect("history");
        for (id, at) in history {
            diesel::update(ticket_status_history::table.find(id))
                .set(ticket_status_history::changed_at.eq(earlier(at)))
                .execute(&mut conn)
                .expect("backdate");
        }
    }
    let closed = set_status(&app, &settled, "closed").await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    assert_eq!(closed.body["sla"]["response_breached"], false, "{}", closed.body["sla"]);
    assert_eq!(closed.body["sla"]["resolution_breached"], false);
}
