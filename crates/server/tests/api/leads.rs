//! Leads: CRUD, validation, scope, stage moves and history, follow-up
//! lists at day boundaries, upsert by external id.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::{Pipeline, lost_reason, pipeline};
use crate::support::{Reply, TestApp, customer, division};

/// A prospect lead in `p`'s first stage.
fn prospect(division_id: &str, p: &Pipeline) -> Value {
    json!({
        "prospect_name": "Adaeze Okafor",
        "prospect_phone": "0803 123 4567",
        "prospect_email": "Ada@Example.com",
        "source": "walk_in",
        "division_id": division_id,
        "pipeline_id": p.id,
        "product_interest": "Toyota Hilux",
        "expected_value": {"amount": "38500000.00", "currency": "NGN"}
    })
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::Leads;
    let p = pipeline(app, home, &format!("Leads {n}")).await;
    let target = app.post("/api/v1/leads", prospect(home, &p)).await.id();
    let moved = app.post("/api/v1/leads", prospect(home, &p)).await.id();
    let spare = app.post("/api/v1/leads", prospect(home, &p)).await.id();
    let mut upsert = prospect(home, &p);
    upsert["prospect_name"] = json!(format!("Upserted {n}"));
    vec![
        endpoint(Method::GET, "/api/v1/leads".into(), None, Leads, Read),
        endpoint(Method::GET, format!("/api/v1/leads/{target}"), None, Leads, Read),
        endpoint(Method::GET, format!("/api/v1/leads/{target}/history"), None, Leads, Read),
        endpoint(Method::POST, "/api/v1/leads".into(), Some(prospect(home, &p)), Leads, Create),
        endpoint(
            Method::PATCH,
            format!("/api/v1/leads/{target}"),
            Some(json!({"score": 50, "version": 1})),
            Leads,
            Update,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/leads/{moved}/move"),
            Some(json!({"to_stage_id": p.qualified, "version": 1})),
            Leads,
            Update,
        ),
        endpoint(Method::PUT, format!("/api/v1/leads/by-external-id/matrix/L{n}"), Some(upsert), Leads, Update),
        endpoint(Method::DELETE, format!("/api/v1/leads/{spare}"), None, Leads, Delete),
    ]
}

async fn move_lead(app: &TestApp, id: &str, version: i64, body: Value) -> Reply {
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{id}/move"))
        .insert_header(("if-match", format!("\"{version}\"")))
        .set_json(body);
    app.call(req).await
}

#[actix_web::test]
async fn a_lead_is_created_read_updated_and_deleted() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let before = Utc::now();
    let created = app.post("/api/v1/leads", prospect(&motors, &p)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let lead = &created.body;
    assert_eq!(lead["prospect_phone"], "+2348031234567");
    assert_eq!(lead["prospect_email"], "ada@example.com");
    assert_eq!(lead["stage_id"], p.new.as_str(), "the first open stage by default");
    assert_eq!(lead["status"], "open");
    assert_eq!(lead["owner_id"], app.admin_id.as_str());
    assert_eq!(lead["created_by"], app.admin_id.as_str());
    assert_eq!(lead["expected_value"], json!({"amount": "38500000.00", "currency": "NGN"}));
    let due: DateTime<Utc> = lead["next_follow_up_at"].as_str().expect("due").parse().expect("instant");
    assert!(due >= before + Duration::minutes(240) && due <= Utc::now() + Duration::minutes(240), "stage interval");
    let id = created.id();
    let read = app.get(&format!("/api/v1/leads/{id}")).await;
    assert_eq!(read.body, created.body);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let changed = app
        .patch(
            &format!("/api/v1/leads/{id}"),
            Some(1),
            json!({"score": 80, "notes": "Wants a test drive", "expected_value": null}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["score"], 80);
    assert_eq!(changed.body["expected_value"], Value::Null);
    assert_eq!(changed.body["version"], 2);
    let stale = app.patch(&format!("/api/v1/leads/{id}"), Some(1), json!({"score": 10})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let no_version = app.patch(&format!("/api/v1/leads/{id}"), None, json!({"score": 10})).await;
    assert_eq!(no_version.status, StatusCode::PRECONDITION_REQUIRED);
    let actions: Vec<String> = app.audit_of("lead", &id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated"]);
    assert_eq!(app.events_of("lead", &id).len(), 2);

    let history = app.count("lead_stage_history");
    assert_eq!(app.delete(&format!("/api/v1/leads/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/leads/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("lead_stage_history"), history - 1, "its history goes with it");
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/leads"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn bad_leads_are_refused_with_every_problem_and_nothing_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let other = pipeline(&app, &power, "Power sales").await;
    let counts =
        || (app.count("leads"), app.count("lead_stage_history"), app.count("audit_log WHERE entity_type = 'lead'"));
    let start = counts();
    let mut bad = prospect(&motors, &p);
    bad["prospect_name"] = json!(" ");
    bad["prospect_phone"] = json!("12");
    bad["prospect_email"] = json!("nope");
    bad["score"] = json!(101);
    bad["expected_value"] = json!({"amount": "1.001", "currency": "NGN"});
    let reply = app.post("/api/v1/leads", bad).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(
        reply.error_fields(),
        ["prospect_phone", "prospect_email", "prospect_name", "expected_value.amount", "score"]
    );
    let mut nobody = prospect(&motors, &p);
    nobody.as_object_mut().expect("object").retain(|k, _| !k.starts_with("prospect_"));
    let reply = app.post("/api/v1/leads", nobody).await;
    assert_eq!(reply.error_fields(), ["prospect_name", "prospect_phone"]);

    // A pipeline of another division, a stage of another division, a stage of another pipeline.
    let mut wrong = prospect(&motors, &other);
    let reply = app.post("/api/v1/leads", wrong.clone()).await;
    assert_eq!(
        (reply.status, reply.body["errors"][0]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("wrong_division"))
    );
    wrong["pipeline_id"] = json!(p.id);
    wrong["stage_id"] = json!(other.new);
    let reply = app.post("/api/v1/leads", wrong.clone()).await;
    assert_eq!(reply.error_fields(), ["stage_id"]);
    assert_eq!(reply.body["errors"][0]["code"], "wrong_division");
    let second = pipeline(&app, &motors, "Second").await;
    wrong["stage_id"] = json!(second.new);
    let reply = app.post("/api/v1/leads", wrong).await;
    assert_eq!(reply.body["errors"][0]["code"], "wrong_pipeline");
    // Lost without a reason.
    let mut lost = prospect(&motors, &p);
    lost["stage_id"] = json!(p.lost);
    let reply = app.post("/api/v1/leads", lost).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["lost_reason_id"]);
    // A pipeline without all three kinds takes no leads.
    let draft = app
        .post(
            "/api/v1/pipelines",
            json!({"division_id": motors, "name": "Draft", "stages": [{"name": "New", "kind": "open"}]}),
        )
        .await
        .id();
    let mut incomplete = prospect(&motors, &p);
    incomplete["pipeline_id"] = json!(draft);
    let reply = app.post("/api/v1/leads", incomplete).await;
    assert_eq!(reply.body["errors"][0]["code"], "pipeline_incomplete");
    let unknown = app.post("/api/v1/leads", json!({"source": "carrier_pigeon"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(counts(), start, "nothing stored");
}

#[actix_web::test]
async fn moves_are_recorded_backwards_too_and_lost_needs_a_reason() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let other = pipeline(&app, &power, "Power sales").await;
    let price = lost_reason(&app, "Price too high").await;
    let id = app.post("/api/v1/leads", prospect(&motors, &p)).await.id();
    let forward = move_lead(&app, &id, 1, json!({"to_stage_id": p.qualified})).await;
    assert_eq!(forward.status, StatusCode::OK, "{:?}", forward.body);
    let due: DateTime<Utc> = forward.body["next_follow_up_at"].as_str().expect("due").parse().expect("instant");
    assert!(due > Utc::now() + Duration::minutes(1430), "the qualified stage's daily cadence");
    let stale = move_lead(&app, &id, 1, json!({"to_stage_id": p.new})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let back = move_lead(&app, &id, 2, json!({"to_stage_id": p.new})).await;
    assert_eq!(back.status, StatusCode::OK, "backwards moves are allowed");
    let elsewhere = move_lead(&app, &id, 3, json!({"to_stage_id": other.qualified})).await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.body["errors"][0]["code"], "wrong_division");
    let no_reason = move_lead(&app, &id, 3, json!({"to_stage_id": p.lost})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.error_fields(), ["lost_reason_id"]);
    let lost =
        move_lead(&app, &id, 3, json!({"to_stage_id": p.lost, "lost_reason_id": price, "lost_note": "Went elsewhere"}))
            .await;
    assert_eq!(lost.status, StatusCode::OK, "{:?}", lost.body);
    assert_eq!(lost.body["status"], "lost");
    assert_eq!(lost.body["lost_reason_id"], price.as_str());
    assert_eq!(lost.body["next_follow_up_at"], Value::Null, "closed leads have no follow-up");
    assert!(lost.body["closed_at"].is_string());
    let follow =
        app.patch(&format!("/api/v1/leads/{id}"), Some(4), json!({"next_follow_up_at": "2030-01-01T09:00:00Z"})).await;
    assert_eq!(follow.body["errors"][0]["code"], "not_open");
    let reopened = move_lead(&app, &id, 4, json!({"to_stage_id": p.qualified})).await;
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(reopened.body["lost_reason_id"], Value::Null);
    assert_eq!(reopened.body["closed_at"], Value::Null);

    let history = app.get(&format!("/api/v1/leads/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let entries = history.body["data"].as_array().expect("entries");
    let path: Vec<(Value, Value)> =
        entries.iter().map(|e| (e["from_stage_id"].clone(), e["to_stage_id"].clone())).collect();
    assert_eq!(
        path,
        [
            (Value::Null, json!(p.new)),
            (json!(p.new), json!(p.qualified)),
            (json!(p.qualified), json!(p.new)),
            (json!(p.new), json!(p.lost)),
            (json!(p.lost), json!(p.qualified)),
        ]
    );
    assert_eq!(entries[1]["to_stage_name"], "Qualified");
    assert_eq!(entries[0]["moved_by"], app.admin_id.as_str());
    for pair in entries.windows(2) {
        assert_eq!(pair[0]["left_at"], pair[1]["entered_at"], "each move closes the previous stay");
    }
    assert_eq!(entries[4]["left_at"], Value::Null);
    assert!(entries.iter().all(|e| e["seconds_in_stage"].as_i64().is_some_and(|s| s >= 0)));
    assert!(entries.iter().all(|e| e["business_seconds_in_stage"].is_null()), "no calendar, no business time");
}

#[actix_web::test]
async fn business_time_in_stage_is_measured_on_the_branch_calendar() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let always: Vec<Value> = days.iter().map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"})).collect();
    let never = app.post("/api/v1/calendars", json!({"name": "Closed", "time_zone": "Africa/Lagos"})).await.id();
    let open = app
        .post("/api/v1/calendars", json!({"name": "Always", "time_zone": "Africa/Lagos", "working_hours": always}))
        .await;
    assert_eq!(open.status, StatusCode::CREATED, "{:?}", open.body);
    let body = json!({"division_id": motors, "code": "VI", "name": "Victoria Island", "calendar_id": open.id()});
    let branch = app.post("/api/v1/branches", body).await.id();
    let p = pipeline(&app, &motors, "Sales").await;
    let mut lead = prospect(&motors, &p);
    lead["branch_id"] = json!(branch);
    let id = app.post("/api/v1/leads", lead).await.id();
    assert_eq!(move_lead(&app, &id, 1, json!({"to_stage_id": p.qualified})).await.status, StatusCode::OK);
    let history = app.get(&format!("/api/v1/leads/{id}/history")).await;
    for entry in history.body["data"].as_array().expect("entries") {
        assert_eq!(
            entry["business_seconds_in_stage"], entry["seconds_in_stage"],
            "a 24/7 calendar counts every second"
        );
    }
    // A branch without its own calendar uses the division's: one with no hours counts nothing.
    let closed = json!({"division_id": motors, "code": "IK", "name": "Ikeja"});
    let ikeja = app.post("/api/v1/branches", closed).await.id();
    let division = app.patch(&format!("/api/v1/divisions/{motors}"), Some(1), json!({"calendar_id": never})).await;
    assert_eq!(division.status, StatusCode::OK, "{:?}", division.body);
    let mut lead = prospect(&motors, &p);
    lead["branch_id"] = json!(ikeja);
    let id = app.post("/api/v1/leads", lead).await.id();
    let history = app.get(&format!("/api/v1/leads/{id}/history")).await;
    assert_eq!(history.body["data"][0]["business_seconds_in_stage"], 0);
}

#[actix_web::test]
async fn reps_see_their_own_leads_managers_their_division_agents_what_they_created() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let q = pipeline(&app, &power, "Power sales").await;
    let (rep_id, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, other_rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let (_, power_manager) = app.user_with_token(Role::Manager, Some(&power), None);
    let (_, agent) = app.user_with_token(Role::CallCenterAgent, None, None);
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    let post_as = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &app;
        async move { app.call_as(TestRequest::post().uri("/api/v1/leads").set_json(body), Some(&token)).await }
    };
    let rep_lead = post_as(&rep, prospect(&motors, &p)).await;
    assert_eq!(rep_lead.status, StatusCode::CREATED, "{:?}", rep_lead.body);
    let agent_lead = post_as(&agent, prospect(&power, &q)).await;
    assert_eq!(agent_lead.status, StatusCode::CREATED, "{:?}", agent_lead.body);
    assert_eq!(agent_lead.body["owner_id"], Value::Null, "an agent's inquiry waits for assignment");
    let mut assigned = prospect(&motors, &p);
    assigned["owner_id"] = json!(rep_id);
    let admin_lead = app.post("/api/v1/leads", assigned).await.id();
    let power_lead = app.post("/api/v1/leads", prospect(&power, &q)).await.id();
    let (rep_lead, agent_lead) = (rep_lead.id(), agent_lead.id());

    let visible = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            let reply = app.get_as("/api/v1/leads", &token).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            let mut ids: Vec<String> = reply.body["data"]
                .as_array()
                .expect("data")
                .iter()
                .filter_map(|l| l["id"].as_str().map(str::to_owned))
                .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    assert_eq!(visible(&rep).await, sorted(vec![&rep_lead, &admin_lead]), "created or owned");
    assert_eq!(visible(&other_rep).await, Vec::<String>::new());
    assert_eq!(visible(&manager).await, sorted(vec![&rep_lead, &admin_lead]), "the division's");
    assert_eq!(visible(&power_manager).await, sorted(vec![&agent_lead, &power_lead]));
    assert_eq!(visible(&agent).await, vec![agent_lead.clone()]);
    assert_eq!(visible(&analyst).await.len(), 4);
    assert_eq!(app.get_as(&format!("/api/v1/leads/{rep_lead}"), &other_rep).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&format!("/api/v1/leads/{power_lead}/history"), &manager).await.status,
        StatusCode::NOT_FOUND
    );
    let patch =
        TestRequest::patch().uri(&format!("/api/v1/leads/{rep_lead}")).set_json(json!({"score": 1, "version": 1}));
    assert_eq!(app.call_as(patch, Some(&other_rep)).await.status, StatusCode::NOT_FOUND);
    let by_analyst =
        TestRequest::patch().uri(&format!("/api/v1/leads/{rep_lead}")).set_json(json!({"score": 1, "version": 1}));
    assert_eq!(app.call_as(by_analyst, Some(&analyst)).await.status, StatusCode::FORBIDDEN);
    let mine = app.get_as("/api/v1/leads?owner=me", &rep).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(2));
    // A manager may not create leads in another division.
    let outside = post_as(&manager, prospect(&power, &q)).await;
    assert_eq!(outside.body["errors"][0]["code"], "outside_scope");
    // A customer linked to a lead must be within the caller's reach.
    let power_customer = customer(&app, &power, "Eze").await;
    let mut linked = prospect(&motors, &p);
    linked["customer_id"] = json!(power_customer);
    let refused = post_as(&rep, linked.clone()).await;
    assert_eq!(refused.error_fields(), ["customer_id"]);
    let accepted = app.post("/api/v1/leads", linked).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{:?}", accepted.body);
}

/// Midnight at the start of today in Lagos (UTC+1), as UTC.
fn lagos_midnight() -> DateTime<Utc> {
    let lagos = Utc::now() + Duration::hours(1);
    let midnight = lagos.date_naive().and_hms_opt(0, 0, 0).expect("midnight");
    Utc.from_utc_datetime(&midnight) - Duration::hours(1)
}

#[actix_web::test]
async fn follow_up_lists_split_at_midnight_in_the_company_time_zone() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let today = lagos_midnight();
    let tomorrow = today + Duration::days(1);
    let second = Duration::seconds(1);
    let mut ids = Vec::new();
    for at in [today - second, today, tomorrow - second, tomorrow] {
        let mut body = prospect(&motors, &p);
        body["next_follow_up_at"] = json!(at.to_rfc3339());
        let reply = app.post("/api/v1/leads", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        ids.push(reply.id());
    }
    // A won lead is never counted, whatever its follow-up was.
    let mut body = prospect(&motors, &p);
    body["next_follow_up_at"] = json!((today - Duration::days(3)).to_rfc3339());
    let won = app.post("/api/v1/leads", body).await.id();
    assert_eq!(move_lead(&app, &won, 1, json!({"to_stage_id": p.won})).await.status, StatusCode::OK);

    let list = |state: &str| {
        let path = format!("/api/v1/leads?follow_up={state}&owner=me&sort=next_follow_up_at");
        let app = &app;
        async move {
            let reply = app.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            reply.body["data"]
                .as_array()
                .expect("data")
                .iter()
                .filter_map(|l| l["id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("overdue").await, [ids[0].clone()]);
    assert_eq!(list("due_today").await, [ids[1].clone(), ids[2].clone()]);
    assert_eq!(list("upcoming").await, [ids[3].clone()]);
    assert_eq!(app.get("/api/v1/leads?follow_up=someday").await.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn an_interaction_on_a_lead_moves_its_follow_up_forward() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let mut body = prospect(&motors, &p);
    body["next_follow_up_at"] = json!("2020-01-01T09:00:00Z");
    let id = app.post("/api/v1/leads", body).await.id();
    let at = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let call = json!({"channel": "call", "direction": "outbound", "division_id": motors, "lead_id": id,
        "subject": "Follow-up", "occurred_at": at});
    let logged = app.post("/api/v1/interactions", call).await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    let occurred: DateTime<Utc> = logged.body["occurred_at"].as_str().expect("at").parse().expect("instant");
    let lead = app.get(&format!("/api/v1/leads/{id}")).await;
    let due: DateTime<Utc> = lead.body["next_follow_up_at"].as_str().expect("due").parse().expect("instant");
    assert_eq!(due, occurred + Duration::minutes(240), "the stage's interval after the contact");
    assert_eq!(lead.body["version"], 2);
    // An older contact never moves it back.
    let moved = {
        let mut conn = app.db().write().expect("conn");
        let ctx = rapport_core::audit::WriteContext::system();
        let everything = rapport_core::principal::Reach::everything();
        rapport_leads::lead::touch_follow_up(&mut conn, &ctx, &everything, &id, occurred - Duration::days(1))
            .expect("touch")
    };
    assert!(!moved);
    // A rep of another division naming the lead on a contact does not move it.
    let other = division(&app, "GEN", "Generators").await;
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&other), None);
    let later = json!({"channel": "call", "direction": "outbound", "division_id": other, "lead_id": id,
        "subject": "Not yours", "occurred_at": Utc::now().to_rfc3339()});
    let reply = app.call_as(TestRequest::post().uri("/api/v1/interactions").set_json(later), Some(&rep)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let lead = app.get(&format!("/api/v1/leads/{id}")).await;
    assert_eq!(lead.body["version"], 2, "out of reach: untouched");
}

#[actix_web::test]
async fn a_repeated_upsert_changes_nothing() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let mut body = prospect(&motors, &p);
    body["next_follow_up_at"] = json!("2030-01-01T09:00:00Z");
    let path = "/api/v1/leads/by-external-id/Oracle_ERP/L-1";
    let created = app.put(path, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["external_source"], "oracle_erp");
    let id = created.id();
    let again = app.put(path, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["version"], 1);
    assert_eq!(app.audit_of("lead", &id).len(), 1, "a repeat leaves no audit entry");
    body["stage_id"] = json!(p.qualified);
    body["score"] = json!(60);
    let moved = app.put(path, body).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["stage_id"], p.qualified.as_str());
    assert_eq!(moved.body["score"], 60);
    let history = app.get(&format!("/api/v1/leads/{id}/history")).await;
    assert_eq!(history.body["data"].as_array().map(Vec::len), Some(2));
}

#[actix_web::test]
async fn leads_filter_by_custom_fields_search_and_stage() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let field = json!({"entity": "lead", "key": "trade_in", "label": "Trade-in", "field_type": "boolean"});
    assert_eq!(app.post("/api/v1/custom-fields", field).await.status, StatusCode::CREATED);
    let mut with = prospect(&motors, &p);
    with["custom_fields"] = json!({"trade_in": true});
    with["prospect_name"] = json!("Chidi Obi");
    with["prospect_phone"] = json!("0809 111 2222");
    with["prospect_email"] = json!("chidi@example.com");
    let with = app.post("/api/v1/leads", with).await;
    assert_eq!(with.status, StatusCode::CREATED, "{:?}", with.body);
    assert_eq!(with.body["custom_fields"], json!({"trade_in": true}));
    let without = app.post("/api/v1/leads", prospect(&motors, &p)).await.id();
    let ids = |reply: Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|l| l["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(app.get("/api/v1/leads?cf.trade_in=true").await), [with.id()]);
    assert_eq!(ids(app.get("/api/v1/leads?q=chidi").await), [with.id()]);
    assert_eq!(ids(app.get("/api/v1/leads?q=08091112222").await), [with.id()]);
    assert_eq!(ids(app.get("/api/v1/leads?q=ada@example.com").await), [without]);
    assert_eq!(ids(app.get(&format!("/api/v1/leads?stage_id={}&status=won", p.new)).await), Vec::<String>::new());
    assert_eq!(app.get("/api/v1/leads?cf.unknown=1").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/v1/leads?colour=red").await.status, StatusCode::BAD_REQUEST);
    let page = app.get("/api/v1/leads?limit=1").await;
    assert!(page.body["next_cursor"].is_string());
    assert_eq!(app.list_all("/api/v1/leads?limit=1&sort=created_at").await.len(), 2);
}
