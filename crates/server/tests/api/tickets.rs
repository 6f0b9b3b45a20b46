//! Tickets: numbering per division, the status flow and its history,
//! comments and first response, first-contact resolution, validation,
//! scope, lists; ticket categories.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{Reply, TestApp, branch, customer, division};

async fn category(app: &TestApp, name: &str, kind: &str) -> String {
    let reply = app.post("/api/v1/ticket-categories", json!({"name": name, "kind": kind})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

fn ticket(division_id: &str, category_id: &str, subject: &str) -> Value {
    json!({"division_id": division_id, "category_id": category_id, "channel": "call", "subject": subject})
}

async fn set_status(app: &TestApp, id: &str, status: &str, version: i64) -> Reply {
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/status"))
        .set_json(json!({"status": status, "version": version}));
    app.call(req).await
}

async fn comment(app: &TestApp, id: &str, body: Value) -> Reply {
    app.post(&format!("/api/v1/tickets/{id}/comments"), body).await
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{TicketCategories, Tickets};
    let cat = category(app, &format!("Matrix {n}"), "general").await;
    let spare = category(app, &format!("Spare {n}"), "general").await;
    let target = app.post("/api/v1/tickets", ticket(home, &cat, "Matrix")).await.id();
    let moved = app.post("/api/v1/tickets", ticket(home, &cat, "Status")).await.id();
    crate::pipelines::pipeline(app, home, &format!("Tickets {n}")).await;
    let sales = category(app, &format!("Sales {n}"), "sales").await;
    let mut inquiry = ticket(home, &sales, "Quote");
    inquiry["customer_id"] = json!(customer(app, home, &format!("Matrix {n}")).await);
    let inquiry = app.post("/api/v1/tickets", inquiry).await.id();
    vec![
        // Governed by the right to create the lead (everyone who has it may update tickets).
        endpoint(
            Method::POST,
            format!("/api/v1/tickets/{inquiry}/convert-to-lead"),
            Some(json!({})),
            Resource::Leads,
            Create,
        ),
        endpoint(Method::GET, "/api/v1/ticket-categories".into(), None, TicketCategories, Read),
        endpoint(Method::GET, format!("/api/v1/ticket-categories/{cat}"), None, TicketCategories, Read),
        endpoint(
            Method::POST,
            "/api/v1/ticket-categories".into(),
            Some(json!({"name": format!("New {n}"), "kind": "billing"})),
            TicketCategories,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/ticket-categories/{cat}"),
            Some(json!({"position": 3, "version": 1})),
            TicketCategories,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/ticket-categories/{spare}"), None, TicketCategories, Delete),
        endpoint(Method::GET, "/api/v1/tickets".into(), None, Tickets, Read),
        endpoint(Method::GET, format!("/api/v1/tickets/{target}"), None, Tickets, Read),
        endpoint(Method::GET, format!("/api/v1/tickets/{target}/history"), None, Tickets, Read),
        endpoint(Method::GET, format!("/api/v1/tickets/{target}/comments"), None, Tickets, Read),
        endpoint(Method::POST, "/api/v1/tickets".into(), Some(ticket(home, &cat, "New")), Tickets, Create),
        endpoint(
            Method::PATCH,
            format!("/api/v1/tickets/{target}"),
            Some(json!({"priority": "high", "version": 1})),
            Tickets,
            Update,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/tickets/{moved}/status"),
            Some(json!({"status": "open", "version": 1})),
            Tickets,
            Update,
        ),
        endpoint(
            Method::POST,
            format!("/api/v1/tickets/{target}/comments"),
            Some(json!({"visibility": "internal", "body": "Checked"})),
            Tickets,
            Update,
        ),
    ]
}

#[actix_web::test]
async fn a_ticket_goes_through_its_flow_with_history_first_response_and_fcr() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "After-sales", "after_sales").await;
    let buyer = customer(&app, &motors, "Okafor").await;
    let (agent, agent_token) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);

    let mut body = ticket(&motors, &cat, "Warning light after service");
    body["customer_id"] = json!(buyer);
    body["priority"] = json!("high");
    let created = app.post("/api/v1/tickets", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["number"], "MOT-000001");
    assert_eq!(created.body["status"], "new");
    assert_eq!(created.body["priority"], "high");
    assert_eq!(created.body["created_by"], app.admin_id.as_str());
    let id = created.id();
    let second = app.post("/api/v1/tickets", ticket(&motors, &cat, "Second")).await;
    assert_eq!(second.body["number"], "MOT-000002");
    let other = app.post("/api/v1/tickets", ticket(&power, &cat, "Generator")).await;
    assert_eq!(other.body["number"], "PWR-000001", "numbered per division");

    // Assigning notifies the agent.
    let assigned = app.patch(&format!("/api/v1/tickets/{id}"), Some(1), json!({"assignee_id": agent})).await;
    assert_eq!(assigned.status, StatusCode::OK, "{:?}", assigned.body);
    let inbox = app.get_as("/api/v1/notifications", &agent_token).await.body["data"].clone();
    assert_eq!(inbox[0]["kind"], "ticket_assigned");
    assert_eq!(inbox[0]["payload"]["number"], "MOT-000001");
    let stale = app.patch(&format!("/api/v1/tickets/{id}"), Some(1), json!({"priority": "low"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    // An internal note is no response; the agent's public reply is, and opens the ticket.
    let note = comment(&app, &id, json!({"visibility": "internal", "body": "Check the ECU log"})).await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    assert_eq!(app.get(&format!("/api/v1/tickets/{id}")).await.body["first_responded_at"], Value::Null);
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/comments"))
        .set_json(json!({"visibility": "public", "body": "Please bring the car in on Thursday."}));
    let reply = app.call_as(req, Some(&agent_token)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["author_id"], agent.as_str());
    let opened = app.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert!(opened["first_responded_at"].is_string());
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["agent_touches"], 1);
    let customer_reply =
        comment(&app, &id, json!({"visibility": "public", "body": "Thursday works", "author_kind": "customer"})).await;
    assert_eq!(customer_reply.status, StatusCode::CREATED);
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}")).await.body["agent_touches"],
        1,
        "a customer is no agent touch"
    );
    let thread = app.get(&format!("/api/v1/tickets/{id}/comments")).await.body["data"].clone();
    assert_eq!(thread.as_array().map(Vec::len), Some(3));

    // pending → resolved at first contact; a reopen clears it and counts.
    let v = opened["version"].as_i64().expect("version");
    assert_eq!(set_status(&app, &id, "pending", v).await.status, StatusCode::OK);
    let resolved = set_status(&app, &id, "resolved", v + 1).await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    assert!(resolved.body["resolved_at"].is_string());
    assert_eq!(resolved.body["first_contact_resolution"], true);
    let reopened = set_status(&app, &id, "open", v + 2).await;
    assert_eq!(reopened.body["reopen_count"], 1);
    assert_eq!(reopened.body["resolved_at"], Value::Null);
    assert_eq!(reopened.body["first_contact_resolution"], Value::Null);
    let again = set_status(&app, &id, "resolved", v + 3).await;
    assert_eq!(again.body["first_contact_resolution"], false, "reopened: not at first contact");
    let closed = set_status(&app, &id, "closed", v + 4).await;
    assert!(closed.body["closed_at"].is_string());
    assert_eq!(closed.body["first_contact_resolution"], false);

    let history = app.get(&format!("/api/v1/tickets/{id}/history")).await.body["data"].clone();
    let path: Vec<(Value, Value)> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["from_status"].clone(), h["to_status"].clone()))
        .collect();
    assert_eq!(
        path,
        [
            (Value::Null, json!("new")),
            (json!("new"), json!("open")),
            (json!("open"), json!("pending")),
            (json!("pending"), json!("resolved")),
            (json!("resolved"), json!("open")),
            (json!("open"), json!("resolved")),
            (json!("resolved"), json!("closed")),
        ]
    );
    let actions: Vec<String> = app.audit_of("ticket", &id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions.first().map(String::as_str), Some("created"));
    assert_eq!(actions.len(), 8, "created, assigned, first response, five status changes: {actions:?}");
}

#[actix_web::test]
async fn bad_tickets_and_moves_are_refused_and_nothing_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "General", "general").await;
    let power_branch = branch(&app, &power, "PWR-IK", "Ikeja", "Lagos").await;
    let buyer = customer(&app, &motors, "Okafor").await;
    let someone = customer(&app, &motors, "Eze").await;
    let vin = json!({"customer_id": someone, "division_id": motors, "kind": "vehicle", "serial": "JTDBR32E720012345"});
    let asset = app.post("/api/v1/assets", vin).await.id();
    let (outsider, _) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let before = app.count("tickets");

    let cases = [
        (json!({"category_id": "01900000-0000-7000-8000-000000000000"}), "category_id"),
        (json!({"branch_id": power_branch}), "branch_id"),
        (json!({"customer_id": buyer, "asset_id": asset}), "asset_id"),
        (json!({"asset_id": asset}), "customer_id"),
        (json!({"subject": "  "}), "subject"),
        (json!({"assignee_id": outsider}), "assignee_id"),
        (json!({"external_source": "erp"}), "external_id"),
    ];
    for (change, field) in cases {
        let mut body = ticket(&motors, &cat, "Bad");
        if let (Some(b), Some(c)) = (body.as_object_mut(), change.as_object()) {
            b.extend(c.clone());
        }
        let reply = app.post("/api/v1/tickets", body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{change}: {:?}", reply.body);
        assert!(reply.error_fields().contains(&field.to_owned()), "{change}: {:?}", reply.body);
    }
    let mut unknown = ticket(&motors, &cat, "Bad");
    unknown["priority"] = json!("whenever");
    assert_eq!(app.post("/api/v1/tickets", unknown).await.status, StatusCode::BAD_REQUEST);
    let malformed = app.post_raw("/api/v1/tickets", "application/json", "{\"subject\":").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("tickets"), before, "nothing stored");
    assert_eq!(app.count("ticket_counters"), 0, "no number used up");

    let id = app.post("/api/v1/tickets", ticket(&motors, &cat, "Good")).await.id();
    let skip = set_status(&app, &id, "closed", 1).await;
    assert_eq!(skip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(skip.body["errors"][0]["code"], "invalid_transition");
    let unknown = set_status(&app, &id, "archived", 1).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let internal_customer =
        comment(&app, &id, json!({"visibility": "internal", "body": "x", "author_kind": "customer"})).await;
    assert_eq!(internal_customer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = comment(&app, &id, json!({"visibility": "public", "body": ""})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after = app.get(&format!("/api/v1/tickets/{id}")).await.body;
    assert_eq!(after["version"], 1);
    assert_eq!(after["status"], "new");
    assert_eq!(app.count("ticket_comments"), 0);
}

#[actix_web::test]
async fn agents_see_their_divisions_tickets_and_lists_filter_strictly() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let cat = category(&app, "General", "general").await;
    let buyer = customer(&app, &motors, "Okafor").await;
    let (agent, agent_token) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (_, power_agent) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);

    let mut body = ticket(&motors, &cat, "Mine");
    body["assignee_id"] = json!(agent);
    body["customer_id"] = json!(buyer);
    let mine = app.post("/api/v1/tickets", body).await.id();
    let unassigned = app.post("/api/v1/tickets", ticket(&motors, &cat, "Nobody's")).await.id();
    let power_ticket = app.post("/api/v1/tickets", ticket(&power, &cat, "Power")).await.id();

    let ids = |reply: Reply| -> Vec<String> {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["data"].as_array().expect("data").iter().map(|t| t["id"].as_str().expect("id").to_owned()).collect()
    };
    assert_eq!(ids(app.get_as("/api/v1/tickets?assignee=me", &agent_token).await), vec![mine.clone()]);
    assert_eq!(
        ids(app.get_as("/api/v1/tickets?sort=created_at", &agent_token).await),
        [mine.clone(), unassigned.clone()]
    );
    assert_eq!(ids(app.get(&format!("/api/v1/tickets?customer_id={buyer}")).await), vec![mine.clone()]);
    assert_eq!(
        ids(app.get("/api/v1/tickets?assignee=none&sort=created_at").await),
        [unassigned.clone(), power_ticket.clone()]
    );
    assert_eq!(ids(app.get("/api/v1/tickets?number=pwr-000001").await), vec![power_ticket.clone()]);
    assert_eq!(ids(app.get("/api/v1/tickets?status=new,open").await).len(), 3);
    let bad = app.get("/api/v1/tickets?status=new,lost").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/v1/tickets?colour=red").await.status, StatusCode::BAD_REQUEST);

    // Another division's agent, a rep who logged none, an analyst, nobody.
    assert_eq!(app.get_as(&format!("/api/v1/tickets/{mine}"), &power_agent).await.status, StatusCode::NOT_FOUND);
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{mine}/comments"))
        .set_json(json!({"visibility": "public", "body": "Not mine"}));
    assert_eq!(app.call_as(req, Some(&power_agent)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ids(app.get_as("/api/v1/tickets", &rep).await).len(), 0);
    assert_eq!(app.get_as(&format!("/api/v1/tickets/{mine}"), &analyst).await.status, StatusCode::OK);
    let req = TestRequest::post().uri("/api/v1/tickets").set_json(ticket(&motors, &cat, "Analyst"));
    assert_eq!(app.call_as(req, Some(&analyst)).await.status, StatusCode::FORBIDDEN);
    let req = TestRequest::post().uri("/api/v1/tickets").set_json(ticket(&power, &cat, "Cross"));
    let cross = app.call_as(req, Some(&agent_token)).await;
    assert_eq!(cross.status, StatusCode::UNPROCESSABLE_ENTITY, "only their own division: {:?}", cross.body);
    assert_eq!(app.call_as(TestRequest::get().uri("/api/v1/tickets"), None).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn ticket_categories_are_unique_and_archived_once_used() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let cat = category(&app, "Billing", "billing").await;
    let twin = app.post("/api/v1/ticket-categories", json!({"name": "billing", "kind": "general"})).await;
    assert_eq!(twin.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", twin.body);
    assert_eq!(twin.code(), "duplicate");
    let bad_kind = app.post("/api/v1/ticket-categories", json!({"name": "X", "kind": "gossip"})).await;
    assert_eq!(bad_kind.status, StatusCode::BAD_REQUEST);
    app.post("/api/v1/tickets", ticket(&motors, &cat, "Invoice wrong")).await;
    let removed = app.delete(&format!("/api/v1/ticket-categories/{cat}")).await;
    assert_eq!(removed.status, StatusCode::OK, "used, so archived: {:?}", removed.body);
    assert!(removed.body["archived_at"].is_string());
    let refused = app.post("/api/v1/tickets", ticket(&motors, &cat, "Another")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["code"], "archived");
    let (_, agent) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let req = TestRequest::post().uri("/api/v1/ticket-categories").set_json(json!({"name": "Y", "kind": "general"}));
    assert_eq!(app.call_as(req, Some(&agent)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_sales_inquiry_is_handed_to_the_pipeline_once() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = crate::pipelines::pipeline(&app, &motors, "Sales").await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rule = json!({"division_id": motors, "mode": "named", "user_id": rep});
    assert_eq!(app.post("/api/v1/lead-assignment-rules", rule).await.status, StatusCode::CREATED);
    let sales = category(&app, "Sales inquiry", "sales").await;
    let general = category(&app, "General", "general").await;
    let buyer = customer(&app, &motors, "Okafor").await;
    let convert = |id: &str| format!("/api/v1/tickets/{id}/convert-to-lead");

    let not_sales = app.post("/api/v1/tickets", ticket(&motors, &general, "Question")).await.id();
    let refused = app.post(&convert(&not_sales), json!({})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["code"], "not_sales");
    let anonymous = app.post("/api/v1/tickets", ticket(&motors, &sales, "Who?")).await.id();
    let refused = app.post(&convert(&anonymous), json!({})).await;
    assert_eq!(refused.error_fields(), ["customer_id"]);
    assert_eq!(app.count("leads"), 0);

    let mut body = ticket(&motors, &sales, "Wants a quote");
    body["customer_id"] = json!(buyer);
    body["description"] = json!("Two Hilux for the farm");
    let id = app.post("/api/v1/tickets", body).await.id();
    let (_, agent) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let req = TestRequest::post().uri(&convert(&id)).set_json(json!({}));
    assert_eq!(app.call_as(req, Some(&agent)).await.status, StatusCode::FORBIDDEN, "agents create no leads");

    let handed = app.post(&convert(&id), json!({"notes": "Call before noon"})).await;
    assert_eq!(handed.status, StatusCode::CREATED, "{:?}", handed.body);
    let lead = &handed.body["lead"];
    assert_eq!(lead["customer_id"], buyer.as_str());
    assert_eq!(lead["pipeline_id"], p.id.as_str());
    assert_eq!(lead["source"], "phone");
    assert_eq!(lead["owner_id"], rep.as_str(), "routed by the division's rule");
    assert_eq!(lead["external_source"], "ticket");
    assert_eq!(lead["external_id"], handed.body["ticket"]["number"]);
    assert_eq!(lead["notes"], "From ticket MOT-000003: Wants a quote\n\nTwo Hilux for the farm\n\nCall before noon");
    assert_eq!(handed.body["ticket"]["lead_id"], lead["id"]);

    let again = app.post(&convert(&id), json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["lead"]["id"], lead["id"]);
    assert_eq!(app.count("leads"), 1);
}
