//! Follow-up tasks: created about a record or alone, listed as mine, my
//! team's and overdue, handed over, completed (a follow-up on a lead logs
//! the contact and moves the lead's next follow-up) and cancelled.

use actix_web::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::pipeline;
use crate::support::{TestApp, branch, customer, division};

fn at(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339()
}

async fn lead(app: &TestApp, division_id: &str, pipeline_id: &str, customer_id: Option<&str>) -> String {
    let mut body = json!({"prospect_name": "Bola Ade", "prospect_phone": "0803 111 2222", "source": "phone",
        "division_id": division_id, "pipeline_id": pipeline_id});
    if let Some(c) = customer_id {
        body["customer_id"] = json!(c);
    }
    let reply = app.post("/api/v1/leads", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

fn task(title: &str, due: Duration) -> Value {
    json!({"title": title, "kind": "other", "due_at": at(due)})
}

#[actix_web::test]
async fn a_task_about_a_lead_takes_its_division_branch_and_customer_and_tells_the_assignee() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ikeja = branch(&app, &motors, "IKJ", "Ikeja", "Lagos").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let ada = customer(&app, &motors, "Ada").await;
    let lead_id = lead(&app, &motors, &p.id, Some(&ada)).await;
    app.patch(&format!("/api/v1/leads/{lead_id}"), Some(1), json!({"branch_id": ikeja})).await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);

    let body = json!({"title": "Call back about the Hilux quotation", "kind": "follow_up_call", "priority": "high",
        "related_type": "lead", "related_id": lead_id, "assignee_id": rep,
        "due_at": at(Duration::hours(2)), "remind_at": at(Duration::hours(1)), "notes": "Prefers mornings"});
    let created = app.post("/api/v1/tasks", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let t = &created.body;
    assert_eq!(created.header("location"), Some(format!("/api/v1/tasks/{id}").as_str()));
    assert_eq!((t["division_id"].as_str(), t["branch_id"].as_str()), (Some(motors.as_str()), Some(ikeja.as_str())));
    assert_eq!(t["customer_id"], json!(ada));
    assert_eq!((t["status"].as_str(), t["priority"].as_str()), (Some("open"), Some("high")));
    assert_eq!(t["overdue"], json!(false));
    assert_eq!(t["created_by"], json!(app.admin_id));
    assert_eq!(t["rule_id"], Value::Null);
    let actions: Vec<String> = app.audit_of("task", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created"]);
    assert_eq!(app.events_of("task", &id).len(), 1);

    // The rep is told, and sees it as theirs.
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await;
    assert_eq!(inbox.body["data"][0]["kind"], json!("task_assigned"));
    assert_eq!(inbox.body["data"][0]["entity_id"], json!(id));
    let mine = app.get_as("/api/v1/tasks?assignee=me", &rep_token).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(1), "{:?}", mine.body);
    let by_lead = app.get(&format!("/api/v1/tasks?related_type=lead&related_id={lead_id}")).await;
    assert_eq!(by_lead.body["data"][0]["id"], json!(id));
    let by_customer = app.get(&format!("/api/v1/tasks?customer_id={ada}")).await;
    assert_eq!(by_customer.body["data"][0]["id"], json!(id));
    let got = app.get(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(got.header("etag"), Some("\"1\""));
}

#[actix_web::test]
async fn bad_tasks_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let parts = division(&app, "PRT", "Parts").await;
    let parts_branch = branch(&app, &parts, "PB", "Parts branch", "Lagos").await;
    let (parts_agent, _) = app.user_with_token(Role::ServiceAgent, Some(&parts), None);
    let ghost = "01900000-0000-7000-8000-000000000000";
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"title": " ", "kind": "other", "division_id": motors, "due_at": at(Duration::hours(1))}),
            vec!["title"],
        ),
        (
            json!({"title": "T", "kind": "other", "division_id": motors, "due_at": at(Duration::hours(1)),
                "remind_at": at(Duration::hours(2))}),
            vec!["remind_at"],
        ),
        (
            json!({"title": "T", "kind": "other", "related_type": "lead", "related_id": ghost, "due_at": at(Duration::hours(1))}),
            vec!["related_id", "division_id"],
        ),
        (
            json!({"title": "T", "kind": "other", "related_id": ghost, "division_id": motors, "due_at": at(Duration::hours(1))}),
            vec!["related_type"],
        ),
        (
            json!({"title": "T", "kind": "other", "division_id": motors, "assignee_id": parts_agent,
                "due_at": at(Duration::hours(1))}),
            vec!["assignee_id"],
        ),
        (
            json!({"title": "T", "kind": "other", "division_id": motors, "branch_id": parts_branch,
                "due_at": at(Duration::hours(1))}),
            vec!["branch_id"],
        ),
        (json!({"title": "T", "kind": "other", "due_at": at(Duration::hours(1))}), vec!["division_id"]),
    ];
    for (body, fields) in cases {
        let reply = app.post("/api/v1/tasks", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    for body in [
        json!({"title": "T", "kind": "chore", "division_id": motors, "due_at": at(Duration::hours(1))}),
        json!({"title": "T", "kind": "other", "division_id": motors, "due_at": "tomorrow"}),
        json!({"title": "T", "kind": "other", "division_id": motors, "due_at": at(Duration::hours(1)), "colour": "red"}),
    ] {
        let reply = app.post("/api/v1/tasks", body.clone()).await;
        assert!(reply.status.is_client_error(), "{body}: {:?}", reply.body);
    }
    let malformed = app.post_raw("/api/v1/tasks", "application/json", "{\"title\": ").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("tasks"), 0);
    assert_eq!(app.count("notifications"), 0);

    for query in ["status=later", "due=someday", "sort=title", "related_id=x", "limit=0", "owner=me"] {
        let reply = app.get(&format!("/api/v1/tasks?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
    }
    let anonymous = app.call_as(actix_web::test::TestRequest::get().uri("/api/v1/tasks"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn lists_show_mine_my_teams_and_the_overdue_in_scope() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let parts = division(&app, "PRT", "Parts").await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (other_rep, other_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let (_, parts_manager) = app.user_with_token(Role::Manager, Some(&parts), None);

    let mut ids = Vec::new();
    for (title, due, assignee) in [
        ("overdue", Duration::hours(-3), &rep),
        ("soon", Duration::minutes(30), &rep),
        ("next week", Duration::days(7), &rep),
        ("theirs", Duration::hours(-1), &other_rep),
    ] {
        let mut body = task(title, due);
        body["division_id"] = json!(motors);
        body["assignee_id"] = json!(assignee);
        let reply = app.post("/api/v1/tasks", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        ids.push(reply.id());
    }
    let titles = |reply: &crate::support::Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|t| t["title"].as_str().unwrap_or("?").to_owned())
            .collect()
    };

    let mine = app.get_as("/api/v1/tasks", &rep_token).await;
    assert_eq!(titles(&mine), ["overdue", "soon", "next week"], "soonest due first, only the rep's own");
    let overdue = app.get_as("/api/v1/tasks?due=overdue", &rep_token).await;
    assert_eq!(titles(&overdue), ["overdue"]);
    assert_eq!(overdue.body["data"][0]["overdue"], json!(true));
    let upcoming = app.get_as("/api/v1/tasks?due=upcoming&sort=-due_at", &rep_token).await;
    assert!(titles(&upcoming).first().is_some_and(|t| t == "next week"), "{:?}", upcoming.body);

    // The manager sees the team; another division's manager sees none of it.
    let team = app.get_as("/api/v1/tasks?due=overdue", &manager).await;
    assert_eq!(titles(&team), ["overdue", "theirs"]);
    assert_eq!(app.get_as("/api/v1/tasks", &parts_manager).await.body["data"], json!([]));
    let foreign = app.get_as(&format!("/api/v1/tasks/{}", ids[0]), &parts_manager).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let not_mine = app.get_as(&format!("/api/v1/tasks/{}", ids[3]), &rep_token).await;
    assert_eq!(not_mine.status, StatusCode::NOT_FOUND);
    let refused = app
        .call_as(
            actix_web::test::TestRequest::patch()
                .uri(&format!("/api/v1/tasks/{}", ids[3]))
                .set_json(json!({"title": "Mine now", "version": 1})),
            Some(&rep_token),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // Keyset pages: two by two, nothing repeated or lost.
    let mut seen = Vec::new();
    let mut url = "/api/v1/tasks?limit=2".to_owned();
    loop {
        let page = app.get(&url).await;
        seen.extend(titles(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/tasks?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["overdue", "theirs", "soon", "next week"]);

    // The other rep hands their task to the first: audited, notified.
    let handed = app
        .call_as(
            actix_web::test::TestRequest::patch()
                .uri(&format!("/api/v1/tasks/{}", ids[3]))
                .insert_header(("if-match", "\"1\""))
                .set_json(json!({"assignee_id": rep, "due_at": at(Duration::hours(4))})),
            Some(&other_token),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{:?}", handed.body);
    assert_eq!(handed.body["assignee_id"], json!(rep));
    assert_eq!(handed.body["overdue"], json!(false));
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await;
    assert_eq!(inbox.body["data"][0]["kind"], json!("task_reassigned"));
    // Neither its assignee nor its creator any more, the other rep no longer
    // sees it; a stale version is refused.
    let gone = app.get_as(&format!("/api/v1/tasks/{}", ids[3]), &other_token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let stale = app.patch(&format!("/api/v1/tasks/{}", ids[3]), Some(1), json!({"title": "Late"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
}

#[actix_web::test]
async fn completing_a_follow_up_on_a_lead_logs_the_call_and_moves_the_lead() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let ada = customer(&app, &motors, "Ada").await;
    let lead_id = lead(&app, &motors, &p.id, Some(&ada)).await;
    let (_, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let body = json!({"title": "Follow up on the quotation", "kind": "follow_up_call", "related_type": "lead",
        "related_id": lead_id, "due_at": at(Duration::hours(-1))});
    let created =
        app.call_as(actix_web::test::TestRequest::post().uri("/api/v1/tasks").set_json(body), Some(&rep_token)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let before = Utc::now();

    let complete =
        |body: Value| actix_web::test::TestRequest::post().uri(&format!("/api/v1/tasks/{id}/complete")).set_json(body);
    let blank = app.call_as(complete(json!({"outcome": "", "version": 1})), Some(&rep_token)).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("interactions"), 0);

    let done = app
        .call_as(
            complete(json!({"outcome": "test_drive_booked", "notes": "Saturday 10:00", "duration_seconds": 240, "version": 1})),
            Some(&rep_token),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["status"], json!("done"));
    assert_eq!(done.body["outcome"], json!("test_drive_booked"));
    assert!(done.body["completed_at"].is_string());
    let interaction_id = done.body["interaction_id"].as_str().expect("an interaction was logged").to_owned();

    let call = app.get(&format!("/api/v1/interactions/{interaction_id}")).await;
    assert_eq!(call.status, StatusCode::OK, "{:?}", call.body);
    assert_eq!((call.body["channel"].as_str(), call.body["direction"].as_str()), (Some("call"), Some("outbound")));
    assert_eq!((call.body["lead_id"].as_str(), call.body["customer_id"].as_str()), (Some(&*lead_id), Some(&*ada)));
    assert_eq!(call.body["duration_seconds"], json!(240));
    assert_eq!(call.body["summary"], json!("Saturday 10:00"));

    // The stage's 240-minute cadence runs from the call.
    let lead = app.get(&format!("/api/v1/leads/{lead_id}")).await;
    let next: chrono::DateTime<Utc> = lead.body["next_follow_up_at"].as_str().expect("due").parse().expect("instant");
    assert!(next >= before + Duration::minutes(239), "{next}");

    // Done is final.
    let again = app.call_as(complete(json!({"outcome": "again", "version": 2})), Some(&rep_token)).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "not_open"));
    assert_eq!(app.count("interactions"), 1);
    let actions: Vec<String> = app.audit_of("task", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated"]);
}

#[actix_web::test]
async fn cancelling_keeps_the_reason_and_a_task_about_nothing_logs_nothing() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let mut alone = task("Tidy the showroom", Duration::hours(1));
    alone["kind"] = json!("callback");
    alone["division_id"] = json!(motors);
    let alone = app.post("/api/v1/tasks", alone).await.id();
    let done = app.post(&format!("/api/v1/tasks/{alone}/complete"), json!({"outcome": "done", "version": 1})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["interaction_id"], Value::Null);

    let about_ada = json!({"title": "Service reminder", "kind": "service_reminder", "related_type": "customer",
        "related_id": ada, "due_at": at(Duration::days(1))});
    let reminder = app.post("/api/v1/tasks", about_ada.clone()).await;
    assert_eq!(reminder.status, StatusCode::CREATED, "{:?}", reminder.body);
    assert_eq!(reminder.body["division_id"], json!(motors), "the customer's only division");
    let id = reminder.id();
    let no_log = app
        .post(
            &format!("/api/v1/tasks/{id}/complete"),
            json!({"outcome": "reached", "log_interaction": false, "version": 1}),
        )
        .await;
    assert_eq!(no_log.body["interaction_id"], Value::Null);
    assert_eq!(app.count("interactions"), 0);

    let other = app.post("/api/v1/tasks", about_ada).await.id();
    let cancelled =
        app.post(&format!("/api/v1/tasks/{other}/cancel"), json!({"reason": "Sold the car", "version": 1})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(
        (cancelled.body["status"].as_str(), cancelled.body["outcome"].as_str()),
        (Some("cancelled"), Some("Sold the car"))
    );
    let twice = app.post(&format!("/api/v1/tasks/{other}/cancel"), json!({"version": 2})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let edit = app.patch(&format!("/api/v1/tasks/{other}"), Some(2), json!({"title": "Revive"})).await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    let open = app.get("/api/v1/tasks?status=open").await;
    assert_eq!(open.body["data"], json!([]));
    let closed = app.get("/api/v1/tasks?status=done,cancelled").await;
    assert_eq!(closed.body["data"].as_array().map(Vec::len), Some(3));
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Read, Update};
    use Resource::Tasks;
    let new =
        |title: String| json!({"title": title, "kind": "other", "division_id": home, "due_at": at(Duration::days(1))});
    let mut ids = Vec::new();
    for i in 0..4 {
        let reply = app.post("/api/v1/tasks", new(format!("Matrix {n}.{i}"))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        ids.push(reply.id());
    }
    vec![
        endpoint(Method::GET, "/api/v1/tasks".into(), None, Tasks, Read),
        endpoint(Method::GET, format!("/api/v1/tasks/{}", ids[0]), None, Tasks, Read),
        endpoint(Method::POST, "/api/v1/tasks".into(), Some(new(format!("New {n}"))), Tasks, Create),
        endpoint(
            Method::PATCH,
            format!("/api/v1/tasks/{}", ids[1]),
            Some(json!({"title": "Edited", "version": 1})),
            Tasks,
            Update,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/tasks/{}/complete", ids[2]),
            Some(json!({"outcome": "done", "version": 1})),
            Tasks,
            Update,
        ),
        endpoint(Method::POST, format!("/api/v1/tasks/{}/cancel", ids[3]), Some(json!({"version": 1})), Tasks, Update),
    ]
}
