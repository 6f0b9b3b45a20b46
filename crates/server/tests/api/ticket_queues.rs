//! Queues, routing rules and assignment within a queue.

use std::collections::HashMap;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, division};

async fn queue(app: &TestApp, body: Value) -> String {
    let reply = app.post("/api/v1/ticket-queues", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn category(app: &TestApp, name: &str, kind: &str) -> String {
    app.post("/api/v1/ticket-categories", json!({"name": name, "kind": kind})).await.id()
}

async fn rule(app: &TestApp, body: Value) -> String {
    let reply = app.post("/api/v1/ticket-routing-rules", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

fn ticket(division_id: &str, category_id: &str, channel: &str) -> Value {
    json!({"division_id": division_id, "category_id": category_id, "channel": channel, "subject": "Help"})
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::TicketQueues;
    let target = queue(app, json!({"division_id": home, "name": format!("Queue {n}"), "assignment": "manual"})).await;
    let spare = rule(app, json!({"division_id": home, "queue_id": target, "position": 9})).await;
    vec![
        endpoint(Method::GET, "/api/v1/ticket-queues".into(), None, TicketQueues, Read),
        endpoint(Method::GET, format!("/api/v1/ticket-queues/{target}"), None, TicketQueues, Read),
        endpoint(
            Method::POST,
            "/api/v1/ticket-queues".into(),
            Some(json!({"division_id": home, "name": format!("New queue {n}"), "assignment": "round_robin"})),
            TicketQueues,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/ticket-queues/{target}"),
            Some(json!({"assignment": "least_loaded", "version": 1})),
            TicketQueues,
            Update,
        ),
        endpoint(Method::GET, "/api/v1/ticket-routing-rules".into(), None, TicketQueues, Read),
        endpoint(
            Method::POST,
            "/api/v1/ticket-routing-rules".into(),
            Some(json!({"division_id": home, "queue_id": target, "channel": "sms"})),
            TicketQueues,
            Create,
        ),
        endpoint(Method::DELETE, format!("/api/v1/ticket-routing-rules/{spare}"), None, TicketQueues, Delete),
    ]
}

#[actix_web::test]
async fn queues_are_validated_and_scoped() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let (agent, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (outsider, _) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let url = "/api/v1/ticket-queues";
    let id = queue(
        &app,
        json!({"division_id": motors, "name": "After-sales", "assignment": "round_robin",
        "members": [{"user_id": agent}]}),
    )
    .await;
    let before = app.count("ticket_queues");
    for (body, field) in [
        (json!({"division_id": motors, "name": "after-SALES", "assignment": "manual"}), "name"),
        (
            json!({"division_id": motors, "name": "X", "assignment": "manual", "members": [{"user_id": outsider}]}),
            "members[0].user_id",
        ),
        (
            json!({"division_id": motors, "name": "Y", "assignment": "manual", "members": [{"user_id": agent}, {"user_id": agent}]}),
            "members[1].user_id",
        ),
        (json!({"division_id": motors, "name": " ", "assignment": "manual"}), "name"),
    ] {
        let reply = app.post(url, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{body}");
    }
    assert_eq!(
        app.post(url, json!({"division_id": motors, "name": "Z", "assignment": "lottery"})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("ticket_queues"), before);

    let (_, power_manager) = app.user_with_token(Role::Manager, Some(&power), None);
    assert_eq!(app.get_as(&format!("{url}/{id}"), &power_manager).await.status, StatusCode::NOT_FOUND);
    let other = queue(&app, json!({"division_id": power, "name": "Power desk", "assignment": "manual"})).await;
    let cross = app.post("/api/v1/ticket-routing-rules", json!({"division_id": motors, "queue_id": other})).await;
    assert_eq!(cross.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cross.error_fields(), ["queue_id"]);
    let changed =
        app.patch(&format!("{url}/{id}"), Some(1), json!({"assignment": "least_loaded", "archived": true})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert!(changed.body["archived_at"].is_string());
    let archived = app.post("/api/v1/ticket-routing-rules", json!({"division_id": motors, "queue_id": id})).await;
    assert_eq!(archived.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.call_as(TestRequest::get().uri(url), None).await.status, StatusCode::UNAUTHORIZED);
    let actions: Vec<String> = app.audit_of("ticket_queue", &id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["created", "archived"]);
}

#[actix_web::test]
async fn tickets_go_to_the_most_specific_rules_queue_and_agents_take_turns() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let general = category(&app, "General", "general").await;
    let complaint = category(&app, "Complaint", "complaint").await;
    let agents: Vec<String> = (0..3).map(|_| app.user_with_token(Role::ServiceAgent, Some(&motors), None).0).collect();
    let (away, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (boss, _) = app.user_with_token(Role::Manager, Some(&motors), None);
    let members: Vec<Value> = agents
        .iter()
        .map(|a| json!({"user_id": a}))
        .chain([json!({"user_id": away, "active": false}), json!({"user_id": boss, "role": "manager"})])
        .collect();
    let desk =
        queue(&app, json!({"division_id": motors, "name": "Desk", "assignment": "round_robin", "members": members}))
            .await;
    let complaints = queue(
        &app,
        json!({"division_id": motors, "name": "Complaints", "assignment": "least_loaded",
        "members": [{"user_id": agents[0]}, {"user_id": agents[1]}]}),
    )
    .await;
    let social = queue(&app, json!({"division_id": motors, "name": "Social", "assignment": "manual"})).await;
    rule(&app, json!({"division_id": motors, "queue_id": desk})).await;
    rule(&app, json!({"division_id": motors, "category_id": complaint, "queue_id": complaints})).await;
    rule(&app, json!({"division_id": motors, "category_id": complaint, "channel": "whatsapp", "queue_id": social}))
        .await;

    let mut owners = Vec::new();
    for _ in 0..9 {
        let t = app.post("/api/v1/tickets", ticket(&motors, &general, "call")).await;
        assert_eq!(t.body["queue_id"], desk.as_str());
        owners.push(t.body["assignee_id"].as_str().expect("assigned").to_owned());
    }
    let expected: Vec<String> = (0..9).map(|i| agents[i % 3].clone()).collect();
    assert_eq!(owners, expected, "active agents in turn; the one away and the manager get none");

    // Complaints: least loaded between agents 0 and 1, who hold 3 each from the desk.
    let mut loads: HashMap<String, usize> = HashMap::new();
    for _ in 0..4 {
        let t = app.post("/api/v1/tickets", ticket(&motors, &complaint, "call")).await;
        assert_eq!(t.body["queue_id"], complaints.as_str());
        *loads.entry(t.body["assignee_id"].as_str().expect("assigned").to_owned()).or_default() += 1;
    }
    assert_eq!(loads.get(&agents[0]), Some(&2));
    assert_eq!(loads.get(&agents[1]), Some(&2));
    let whatsapp = app.post("/api/v1/tickets", ticket(&motors, &complaint, "whatsapp")).await;
    assert_eq!(whatsapp.body["queue_id"], social.as_str(), "category and channel beat category alone");
    assert_eq!(whatsapp.body["assignee_id"], Value::Null, "a manual queue assigns nobody");

    // An explicit queue and assignee win; a ticket moves queue by PATCH.
    let mut explicit = ticket(&motors, &general, "call");
    explicit["queue_id"] = json!(social);
    explicit["assignee_id"] = json!(agents[2]);
    let t = app.post("/api/v1/tickets", explicit).await;
    assert_eq!(t.body["queue_id"], social.as_str());
    assert_eq!(t.body["assignee_id"], agents[2].as_str());
    let moved = app.patch(&format!("/api/v1/tickets/{}", t.id()), Some(1), json!({"queue_id": desk})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["queue_id"], desk.as_str());
    let queued = app.get(&format!("/api/v1/tickets?queue_id={desk}")).await.body["data"].clone();
    assert_eq!(queued.as_array().map(Vec::len), Some(10));
}
