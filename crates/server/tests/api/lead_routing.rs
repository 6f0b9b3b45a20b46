//! Qualification and routing: assignment rules, round-robin fairness,
//! fewest-open, hand-over to another division, notifications, the
//! call-centre desk's unassigned list.

use std::collections::HashMap;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::{Pipeline, pipeline};
use crate::support::{Reply, TestApp, branch, division};

/// An unassigned inquiry in `p`, logged by the call-centre agent `token`.
async fn inquiry(app: &TestApp, token: &str, division_id: &str, p: &Pipeline, name: &str) -> String {
    let body = json!({
        "prospect_name": name, "prospect_phone": "0803 555 0101", "source": "phone",
        "division_id": division_id, "pipeline_id": p.id
    });
    let reply = app.call_as(TestRequest::post().uri("/api/v1/leads").set_json(body), Some(token)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["owner_id"], Value::Null, "a call-centre inquiry waits for routing");
    reply.id()
}

async fn qualify_as(app: &TestApp, token: &str, id: &str, body: Value) -> Reply {
    let req = TestRequest::post().uri(&format!("/api/v1/leads/{id}/qualify")).set_json(body);
    app.call_as(req, Some(token)).await
}

async fn version_of(app: &TestApp, id: &str) -> i64 {
    app.get(&format!("/api/v1/leads/{id}")).await.body["version"].as_i64().expect("version")
}

async fn rule(app: &TestApp, body: Value) -> String {
    let reply = app.post("/api/v1/lead-assignment-rules", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{LeadAssignmentRules, LeadQualification, Leads};
    let p = pipeline(app, home, &format!("Routing {n}")).await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(home), None);
    let br = branch(app, home, &format!("R{n}X"), &format!("Routing branch {n}"), "Lagos").await;
    let spare_br = branch(app, home, &format!("Q{n}X"), &format!("Spare branch {n}"), "Lagos").await;
    let target = rule(app, json!({"division_id": home, "branch_id": br, "mode": "named", "user_id": rep})).await;
    let spare = rule(app, json!({"division_id": home, "branch_id": spare_br, "mode": "named", "user_id": rep})).await;
    let lead = |name: &str| {
        json!({"prospect_name": name, "prospect_email": "x@example.com", "source": "phone",
        "division_id": home, "pipeline_id": p.id})
    };
    let to_qualify = app.post("/api/v1/leads", lead("Qualify")).await.id();
    let to_convert = app.post("/api/v1/leads", lead("Convert")).await.id();
    vec![
        endpoint(Method::GET, "/api/v1/lead-assignment-rules".into(), None, LeadAssignmentRules, Read),
        endpoint(Method::GET, format!("/api/v1/lead-assignment-rules/{target}"), None, LeadAssignmentRules, Read),
        endpoint(
            Method::POST,
            "/api/v1/lead-assignment-rules".into(),
            Some(json!({"division_id": home, "mode": "round_robin", "member_ids": [rep], "active": false})),
            LeadAssignmentRules,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/lead-assignment-rules/{target}"),
            Some(json!({"active": true, "version": 1})),
            LeadAssignmentRules,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/lead-assignment-rules/{spare}"), None, LeadAssignmentRules, Delete),
        endpoint(Method::GET, "/api/v1/leads?owner=none".into(), None, LeadQualification, Read),
        endpoint(
            Method::POST,
            format!("/api/v1/leads/{to_qualify}/qualify"),
            Some(json!({"notes": "Confirmed", "version": 1})),
            LeadQualification,
            Update,
        ),
        endpoint(Method::POST, format!("/api/v1/leads/{to_convert}/convert"), Some(json!({})), Leads, Update),
    ]
}

#[actix_web::test]
async fn assignment_rules_are_validated_scoped_and_audited() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let (a, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (b, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (outsider, _) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let url = "/api/v1/lead-assignment-rules";

    let created = app.post(url, json!({"division_id": motors, "mode": "round_robin", "member_ids": [a, b]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["member_ids"], json!([a, b]));
    assert_eq!(created.body["active"], true);
    let id = created.id();
    assert_eq!(app.audit_of("lead_assignment_rule", &id)[0].0, "created");

    let rules_before = app.count("lead_assignment_rules");
    for (body, field, code) in [
        (json!({"division_id": motors, "mode": "named"}), "user_id", "required"),
        (json!({"division_id": motors, "mode": "named", "user_id": a, "member_ids": [b]}), "member_ids", "not_allowed"),
        (json!({"division_id": motors, "mode": "round_robin", "member_ids": []}), "member_ids", "out_of_range"),
        (json!({"division_id": motors, "mode": "round_robin", "member_ids": [a, a]}), "member_ids[1]", "duplicate"),
        (json!({"division_id": power, "mode": "named", "user_id": a}), "user_id", "wrong_division"),
        (
            json!({"division_id": motors, "mode": "fewest_open", "member_ids": [outsider]}),
            "member_ids[0]",
            "wrong_division",
        ),
    ] {
        let reply = app.post(url, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        let errors = reply.body["errors"].as_array().expect("errors").clone();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{body}: {errors:?}");
    }
    let unknown_mode = app.post(url, json!({"division_id": motors, "mode": "lottery", "member_ids": [a]})).await;
    assert_eq!(unknown_mode.status, StatusCode::BAD_REQUEST, "{:?}", unknown_mode.body);
    assert_eq!(unknown_mode.error_fields(), ["mode"]);
    let second = app.post(url, json!({"division_id": motors, "mode": "named", "user_id": a})).await;
    assert_eq!(
        second.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one active rule per division and branch: {:?}",
        second.body
    );
    assert_eq!(second.error_fields(), ["branch_id"]);
    assert_eq!(app.count("lead_assignment_rules"), rules_before, "nothing stored");

    // A Power manager neither sees nor edits Motors' rules; a Motors manager does.
    let (_, power_manager) = app.user_with_token(Role::Manager, Some(&power), None);
    let (_, motors_manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let hidden = app.get_as(&format!("{url}/{id}"), &power_manager).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert!(app.get_as(url, &power_manager).await.body["data"].as_array().expect("items").is_empty());
    let edit = TestRequest::patch().uri(&format!("{url}/{id}")).set_json(json!({"active": false, "version": 1}));
    assert_eq!(app.call_as(edit, Some(&power_manager)).await.status, StatusCode::NOT_FOUND);
    let edit =
        TestRequest::patch().uri(&format!("{url}/{id}")).set_json(json!({"mode": "named", "user_id": b, "version": 1}));
    let changed = app.call_as(edit, Some(&motors_manager)).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["mode"], "named");
    assert_eq!(changed.body["member_ids"], json!([]));
    let stale = app.patch(&format!("{url}/{id}"), Some(1), json!({"active": false})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let anonymous = app.call_as(TestRequest::get().uri(url), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.delete(&format!("{url}/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("{url}/{id}")).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = app.audit_of("lead_assignment_rule", &id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

#[actix_web::test]
async fn round_robin_hands_out_leads_in_turn_and_skips_deactivated_reps() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let reps: Vec<(String, String)> =
        (0..3).map(|_| app.user_with_token(Role::SalesRep, Some(&motors), None)).collect();
    let ids: Vec<&str> = reps.iter().map(|(id, _)| id.as_str()).collect();
    rule(&app, json!({"division_id": motors, "mode": "round_robin", "member_ids": ids})).await;
    let (_, desk) = app.user_with_token(Role::CallCenterAgent, None, None);

    let mut owners = Vec::new();
    for i in 0..30 {
        let lead = inquiry(&app, &desk, &motors, &p, &format!("Caller {i}")).await;
        let reply = qualify_as(&app, &desk, &lead, json!({"version": 1})).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        owners.push(reply.body["owner_id"].as_str().expect("assigned").to_owned());
    }
    let expected: Vec<String> = (0..30).map(|i| ids[i % 3].to_owned()).collect();
    assert_eq!(owners, expected, "strict turns in member order");

    // Every rep was told, once per lead.
    for (rep, token) in &reps {
        let inbox = app.get_as("/api/v1/notifications?limit=200", token).await;
        let items = inbox.body["data"].as_array().expect("items");
        assert_eq!(items.len(), 10, "{rep}");
        assert!(items.iter().all(|n| n["kind"] == "lead_assigned" && n["entity_type"] == "lead"));
    }

    // The middle rep leaves: the turn passes over them.
    let patch = json!({"active": false, "version": 1});
    let left = app.patch(&format!("/api/v1/users/{}", ids[1]), Some(1), patch).await;
    assert_eq!(left.status, StatusCode::OK, "{:?}", left.body);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in 0..10 {
        let lead = inquiry(&app, &desk, &motors, &p, &format!("Later {i}")).await;
        let reply = qualify_as(&app, &desk, &lead, json!({"version": 1})).await;
        *counts.entry(reply.body["owner_id"].as_str().expect("assigned").to_owned()).or_default() += 1;
    }
    assert_eq!(counts.get(ids[0]), Some(&5));
    assert_eq!(counts.get(ids[2]), Some(&5));
    assert_eq!(counts.get(ids[1]), None);
}

#[actix_web::test]
async fn concurrent_qualifications_never_share_a_turn() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let reps: Vec<String> = (0..4).map(|_| app.user_with_token(Role::SalesRep, Some(&motors), None).0).collect();
    rule(&app, json!({"division_id": motors, "mode": "round_robin", "member_ids": reps})).await;
    let (_, desk) = app.user_with_token(Role::CallCenterAgent, None, None);
    let mut leads = Vec::new();
    for i in 0..40 {
        leads.push(inquiry(&app, &desk, &motors, &p, &format!("Burst {i}")).await);
    }
    let replies =
        futures_util::future::join_all(leads.iter().map(|id| qualify_as(&app, &desk, id, json!({"version": 1})))).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for reply in replies {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        *counts.entry(reply.body["owner_id"].as_str().expect("assigned").to_owned()).or_default() += 1;
    }
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|&n| n == 10), "exactly fair: {counts:?}");
}

#[actix_web::test]
async fn fewest_open_and_branch_rules_pick_the_owner() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let vi = branch(&app, &motors, "MOT-VI", "Victoria Island", "Lagos").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (busy, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (idle, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (vi_rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    for name in ["One", "Two"] {
        let body = json!({"prospect_name": name, "prospect_email": "a@example.com", "source": "walk_in",
            "division_id": motors, "pipeline_id": p.id, "owner_id": busy});
        assert_eq!(app.post("/api/v1/leads", body).await.status, StatusCode::CREATED);
    }
    rule(&app, json!({"division_id": motors, "mode": "fewest_open", "member_ids": [busy, idle]})).await;
    rule(&app, json!({"division_id": motors, "branch_id": vi, "mode": "named", "user_id": vi_rep})).await;
    let (_, desk) = app.user_with_token(Role::CallCenterAgent, None, None);

    let mut owners = Vec::new();
    for i in 0..3 {
        let lead = inquiry(&app, &desk, &motors, &p, &format!("Caller {i}")).await;
        owners.push(qualify_as(&app, &desk, &lead, json!({"version": 1})).await.body["owner_id"].clone());
    }
    // idle: 0 → 1 → 2 open leads; at 2 all it ties with busy, and busy is listed first.
    assert_eq!(owners, [json!(idle), json!(idle), json!(busy)]);

    let lead = inquiry(&app, &desk, &motors, &p, "Branch caller").await;
    let reply = qualify_as(&app, &desk, &lead, json!({"branch_id": vi, "version": 1})).await;
    assert_eq!(reply.body["owner_id"], vi_rep.as_str(), "the branch's rule wins: {:?}", reply.body);
    assert_eq!(reply.body["branch_id"], vi.as_str());
}

#[actix_web::test]
async fn an_inquiry_for_another_division_is_handed_over_not_lost() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let vi = branch(&app, &motors, "MOT-VI", "Victoria Island", "Lagos").await;
    let motors_p = pipeline(&app, &motors, "Motors sales").await;
    let power_p = pipeline(&app, &power, "Power sales").await;
    let (power_rep, power_token) = app.user_with_token(Role::SalesRep, Some(&power), None);
    rule(&app, json!({"division_id": power, "mode": "named", "user_id": power_rep})).await;
    let (motors_rep, motors_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let body = json!({"prospect_name": "Generator buyer", "prospect_phone": "0803 555 0199", "source": "walk_in",
        "division_id": motors, "branch_id": vi, "pipeline_id": motors_p.id, "notes": "Asked about cars"});
    let req = TestRequest::post().uri("/api/v1/leads").set_json(body);
    let lead = app.call_as(req, Some(&motors_token)).await.id();

    let reply = qualify_as(
        &app,
        &motors_token,
        &lead,
        json!({"division_id": power, "notes": "Wants a 60 kVA generator", "version": 1}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let handed = &reply.body;
    assert_eq!(handed["division_id"], power.as_str());
    assert_eq!(handed["pipeline_id"], power_p.id.as_str());
    assert_eq!(handed["stage_id"], power_p.new.as_str());
    assert_eq!(handed["status"], "open", "handed over, not lost");
    assert_eq!(handed["branch_id"], Value::Null, "a Motors branch does not follow it");
    assert_eq!(handed["owner_id"], power_rep.as_str());
    assert_eq!(handed["notes"], "Asked about cars\n\nWants a 60 kVA generator");
    assert!(handed["next_follow_up_at"].is_string());

    // The hand-over is a move in the history, and audited.
    let history = app.get(&format!("/api/v1/leads/{lead}/history")).await.body["data"].clone();
    assert_eq!(history.as_array().map(Vec::len), Some(2));
    assert_eq!(history[1]["from_stage_id"], motors_p.new.as_str());
    assert_eq!(history[1]["to_stage_id"], power_p.new.as_str());
    assert_eq!(history[1]["moved_by"], motors_rep.as_str());
    assert_eq!(history[0]["left_at"], history[1]["entered_at"]);
    let actions: Vec<String> = app.audit_of("lead", &lead).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["created", "updated"]);

    let inbox = app.get_as("/api/v1/notifications", &power_token).await.body["data"].clone();
    assert_eq!(inbox[0]["kind"], "lead_handed_over");
    assert_eq!(inbox[0]["entity_id"], lead.as_str());
    assert_eq!(inbox[0]["payload"]["from_division_id"], motors.as_str());
    let notification = inbox[0]["id"].as_str().expect("id").to_owned();
    let req = TestRequest::post().uri(&format!("/api/v1/notifications/{notification}/read"));
    let read = app.call_as(req, Some(&power_token)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body["read_at"].is_string());
    let unread = app.get_as("/api/v1/notifications?unread=true", &power_token).await;
    assert_eq!(unread.body["data"], json!([]));
    let req = TestRequest::post().uri(&format!("/api/v1/notifications/{notification}/read"));
    assert_eq!(app.call_as(req, Some(&motors_token)).await.status, StatusCode::NOT_FOUND, "not theirs");

    // The Power rep now works it; the Motors rep still sees the lead they created.
    assert_eq!(app.get_as(&format!("/api/v1/leads/{lead}"), &power_token).await.status, StatusCode::OK);
    assert_eq!(app.get_as(&format!("/api/v1/leads/{lead}"), &motors_token).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn bad_qualifications_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let power_p = pipeline(&app, &power, "Power sales").await;
    let (outsider, _) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let (_, desk) = app.user_with_token(Role::CallCenterAgent, None, None);
    let lead = inquiry(&app, &desk, &motors, &p, "Caller").await;
    let history = app.count("lead_stage_history");

    for (body, field, code) in [
        (json!({"stage_id": power_p.new, "version": 1}), "stage_id", "wrong_division"),
        (json!({"stage_id": p.won, "version": 1}), "stage_id", "not_open"),
        (json!({"owner_id": outsider, "version": 1}), "owner_id", "wrong_division"),
        (json!({"division_id": power, "pipeline_id": p.id, "version": 1}), "pipeline_id", "wrong_division"),
        (json!({"division_id": "not-an-id", "version": 1}), "division_id", "invalid_id"),
    ] {
        let reply = qualify_as(&app, &desk, &lead, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert!(reply.error_fields().contains(&field.to_owned()), "{body}: {:?}", reply.body);
        assert!(reply.body["errors"].as_array().expect("errors").iter().any(|e| e["code"] == code), "{body}");
    }
    let unknown = qualify_as(&app, &desk, &lead, json!({"divison_id": power, "version": 1})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{:?}", unknown.body);
    let stale = qualify_as(&app, &desk, &lead, json!({"version": 7})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(version_of(&app, &lead).await, 1, "nothing changed");
    assert_eq!(app.count("lead_stage_history"), history);
    assert_eq!(app.count("notifications"), 0);

    // A closed lead is not qualified.
    let reason = crate::pipelines::lost_reason(&app, "No answer").await;
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{lead}/move"))
        .set_json(json!({"to_stage_id": p.lost, "lost_reason_id": reason, "version": 1}));
    assert_eq!(app.call(req).await.status, StatusCode::OK);
    let closed = qualify_as(&app, &desk, &lead, json!({"version": 2})).await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert_eq!(closed.code(), "not_open");

    // Scope: a rep qualifies only leads they own or created; a service agent none.
    let other = inquiry(&app, &desk, &motors, &p, "Someone else's").await;
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    assert_eq!(qualify_as(&app, &rep, &other, json!({"version": 1})).await.status, StatusCode::NOT_FOUND);
    let (_, service) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    assert_eq!(qualify_as(&app, &service, &other, json!({"version": 1})).await.status, StatusCode::FORBIDDEN);
    let req = TestRequest::post().uri(&format!("/api/v1/leads/{other}/qualify")).set_json(json!({"version": 1}));
    assert_eq!(app.call_as(req, None).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_desk_lists_unassigned_inquiries_and_reassignment_notifies() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (_, desk) = app.user_with_token(Role::CallCenterAgent, None, None);
    let (_, other_desk) = app.user_with_token(Role::CallCenterAgent, None, None);
    let mine = inquiry(&app, &desk, &motors, &p, "Mine").await;
    let theirs = inquiry(&app, &other_desk, &motors, &p, "Theirs").await;
    let assigned = app
        .post(
            "/api/v1/leads",
            json!({"prospect_name": "Owned", "prospect_email": "o@example.com", "source": "walk_in",
            "division_id": motors, "pipeline_id": p.id}),
        )
        .await
        .id();

    let ids = |reply: Reply| -> Vec<String> {
        let mut ids: Vec<String> = reply.body["data"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["id"].as_str().expect("id").to_owned())
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![mine.clone(), theirs.clone()];
    both.sort();
    assert_eq!(ids(app.get_as("/api/v1/leads?owner=none", &desk).await), both, "the desk sees every unassigned one");
    assert_eq!(ids(app.get_as("/api/v1/leads", &desk).await), vec![mine.clone()], "otherwise only their own");
    assert!(!ids(app.get("/api/v1/leads?owner=none").await).contains(&assigned));

    // A manual reassignment is audited and tells the new owner.
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let changed = app.patch(&format!("/api/v1/leads/{assigned}"), Some(1), json!({"owner_id": rep})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await.body["data"].clone();
    assert_eq!(inbox.as_array().map(Vec::len), Some(1));
    assert_eq!(inbox[0]["kind"], "lead_assigned");
    assert_eq!(inbox[0]["payload"]["from_owner_id"], app.admin_id.as_str());
    let actions: Vec<String> = app.audit_of("lead", &assigned).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["created", "updated"]);
    let no_token = app.call_as(TestRequest::get().uri("/api/v1/notifications"), None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_web_form_inquiry_is_routed_as_it_arrives_and_an_attachment_keeps_its_owner() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    pipeline(&app, &motors, "Sales").await;
    let reps: Vec<(String, String)> =
        (0..2).map(|_| app.user_with_token(Role::SalesRep, Some(&motors), None)).collect();
    let ids: Vec<&str> = reps.iter().map(|(id, _)| id.as_str()).collect();
    rule(&app, json!({"division_id": motors, "mode": "round_robin", "member_ids": ids})).await;
    let source = app
        .post("/api/v1/intake-sources", json!({"name": "Website", "division_id": motors, "lead_source": "website"}))
        .await;
    assert_eq!(source.status, StatusCode::CREATED, "{:?}", source.body);
    let key = source.body["key"].as_str().expect("key").to_owned();
    let inquire = |name: &str, phone: &str| {
        let body = json!({"name": name, "phone": phone, "message": "Price of a Hilux?"});
        TestRequest::post().uri("/api/v1/intake/leads").insert_header(("x-intake-key", key.clone())).set_json(body)
    };

    let first = app.call_as(inquire("Ada", "0803 100 0001"), None).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let second = app.call_as(inquire("Bayo", "0803 100 0002"), None).await;
    assert_eq!(owner_of(&app, &first).await, ids[0]);
    assert_eq!(owner_of(&app, &second).await, ids[1]);
    let inbox = app.get_as("/api/v1/notifications", &reps[0].1).await.body["data"].clone();
    assert_eq!(inbox[0]["kind"], "lead_assigned");
    assert_eq!(inbox[0]["payload"]["mode"], "round_robin");

    // The same person again: attached to their open lead, which keeps its owner.
    let again = app.call_as(inquire("Ada", "+234 803 100 0001"), None).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["lead_id"], first.body["lead_id"]);
    assert_eq!(owner_of(&app, &again).await, ids[0]);
    let third = app.call_as(inquire("Chi", "0803 100 0003"), None).await;
    assert_eq!(owner_of(&app, &third).await, ids[0], "the attachment took no turn");
}

/// The owner of the lead an intake reply names.
async fn owner_of(app: &TestApp, reply: &Reply) -> Value {
    let id = reply.body["lead_id"].as_str().expect("lead");
    app.get(&format!("/api/v1/leads/{id}")).await.body["owner_id"].clone()
}
