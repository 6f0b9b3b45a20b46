//! Health, readiness, the docs page and the demo data.

use actix_web::http::StatusCode;

use crate::support::TestApp;

#[actix_web::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let health = app.get("/healthz").await;
    assert_eq!((health.status, health.body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) { "postgres" } else { "sqlite" };
    assert_eq!(ready.body["database"], expected);
}

#[actix_web::test]
async fn readiness_fails_when_migrations_are_pending() {
    let app = TestApp::new().await;
    {
        let mut conn = app.db().write().expect("conn");
        rapport_core::db::revert_all_migrations(&mut conn).expect("revert");
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.code(), "unavailable");
    app.db().migrate().expect("migrate again");
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn docs_page_and_spec_are_served() {
    let app = TestApp::new().await;
    let redirect = app.get("/docs").await;
    assert!(redirect.status.is_redirection());
    assert_eq!(redirect.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.as_str().is_some_and(|html| html.contains("swagger")));
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(init.body.as_str().is_some_and(|js| js.contains("/api/v1/openapi.json") && js.contains("\"none\"")));
    let spec = app.get("/api/v1/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    assert_eq!(spec.body["info"]["title"], "Rapport API");
}

#[actix_web::test]
async fn demo_data_loads_once() {
    let app = TestApp::new().await;
    rapport_server::seed::demo(app.db()).expect("seed");
    rapport_server::seed::demo(app.db()).expect("seed again");
    let branches = app.list_all("/api/v1/branches").await;
    let names: Vec<&str> = branches.iter().filter_map(|b| b["name"].as_str()).collect();
    assert_eq!(names, ["Ikeja", "Victoria Island"]);
    let divisions = app.list_all("/api/v1/divisions").await;
    assert_eq!(divisions.len(), 1);
    assert_eq!(divisions[0]["code"], "MOT");
    let calendar_id = divisions[0]["calendar_id"].as_str().expect("Motors has a calendar");
    let calendar = app.get(&format!("/api/v1/calendars/{calendar_id}")).await;
    assert_eq!(calendar.body["time_zone"], "Africa/Lagos");
    assert_eq!(calendar.body["working_hours"].as_array().map(Vec::len), Some(6));
    let inherited = calendar.body["inherited_holidays"].as_array().cloned().unwrap_or_default();
    assert!(inherited.iter().any(|h| h["date"] == "2026-10-01" && h["name"] == "Independence Day"));
    assert_eq!(branches[0]["effective_calendar_id"], calendar_id);
    demo_pipeline_is_consistent(&app, divisions[0]["id"].as_str().expect("division id")).await;
    // Routing and the service desk, once each.
    let rules = app.get("/api/v1/lead-assignment-rules").await.body["data"].clone();
    assert_eq!(rules.as_array().map(Vec::len), Some(1));
    assert_eq!(rules[0]["mode"], "round_robin");
    assert_eq!(rules[0]["member_ids"].as_array().map(Vec::len), Some(3));
    assert_eq!(app.get("/api/v1/ticket-categories").await.body["data"].as_array().map(Vec::len), Some(6));
    assert_eq!(app.get("/api/v1/sla-policies").await.body["data"].as_array().map(Vec::len), Some(4));
    let queues = app.get("/api/v1/ticket-queues").await.body["data"].clone();
    assert_eq!(queues.as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/api/v1/ticket-routing-rules").await.body["data"].as_array().map(Vec::len), Some(1));
    let queue_id = queues[0]["id"].as_str().expect("queue id");
    crate::demo_tickets::demo_tickets_are_consistent(&app, divisions[0]["id"].as_str().expect("id"), queue_id).await;
    // A Motors ticket lands in the after-sales queue with an agent and an SLA.
    let category = app.get("/api/v1/ticket-categories").await.body["data"][1]["id"].clone();
    let body = serde_json::json!({"division_id": divisions[0]["id"], "category_id": category, "channel": "call",
        "subject": "Rattle from the dashboard", "priority": "high"});
    let ticket = app.post("/api/v1/tickets", body).await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    assert_eq!(ticket.body["queue_id"], queues[0]["id"]);
    assert!(ticket.body["assignee_id"].is_string());
    assert!(ticket.body["sla"]["resolution_due_at"].is_string());
}

/// The demo Motors pipeline after seeding twice: its stages in order, the
/// lost reasons, 3,000 leads with a realistic conversion, and gap-free
/// histories that end in each lead's current stage.
async fn demo_pipeline_is_consistent(app: &TestApp, motors: &str) {
    use diesel::prelude::*;
    use rapport_core::db::schema::{lead_stage_history as h, leads};

    let pipelines = app.list_all(&format!("/api/v1/pipelines?division_id={motors}")).await;
    assert_eq!(pipelines.len(), 1, "seeding twice makes one pipeline");
    let pipeline = &pipelines[0];
    assert_eq!(pipeline["name"], "Motors sales");
    assert_eq!(pipeline["accepts_leads"], true);
    let stages = pipeline["stages"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = stages.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        ["New inquiry", "Contacted", "Qualified", "Test drive / Quotation", "Negotiation", "Invoiced", "Lost"]
    );
    let kinds: Vec<&str> = stages.iter().filter_map(|s| s["kind"].as_str()).collect();
    assert_eq!(kinds, ["open", "open", "open", "open", "open", "won", "lost"]);
    let reasons = app.get("/api/v1/lost-reasons").await.body["data"].as_array().map(Vec::len);
    assert_eq!(reasons, Some(7), "the demo lost reasons, once");

    let pipeline_id = pipeline["id"].as_str().expect("pipeline id").to_owned();
    let mut conn = app.db().read().expect("conn");
    type LeadRow = (String, String, String, Option<String>, Option<chrono::NaiveDateTime>, Option<String>);
    let rows: Vec<LeadRow> = leads::table
        .filter(leads::pipeline_id.eq(&pipeline_id))
        .select((
            leads::id,
            leads::stage_id,
            leads::status,
            leads::lost_reason_id,
            leads::next_follow_up_at,
            leads::customer_id,
        ))
        .order(leads::id)
        .load(&mut *conn)
        .expect("leads");
    assert_eq!(rows.len(), 3000);
    let count = |status: &str| rows.iter().filter(|r| r.2 == status).count();
    let (won, lost, open) = (count("won"), count("lost"), count("open"));
    assert!((150..=240).contains(&won), "won {won} of 3000: the plan's 5-8 %");
    assert!(lost > 1000 && open > 50, "lost {lost}, open {open}");
    assert!(rows.iter().filter(|r| r.2 == "lost").all(|r| r.3.is_some()), "every lost lead has a reason");
    assert!(rows.iter().filter(|r| r.2 == "open").all(|r| r.4.is_some()), "every open lead has a follow-up");
    let linked = rows.iter().filter(|r| r.5.is_some()).count();
    assert!((300..=1200).contains(&linked), "{linked} leads linked to demo customers");

    type Stay = (String, Option<String>, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);
    let stays: Vec<Stay> = h::table
        .inner_join(leads::table)
        .filter(leads::pipeline_id.eq(&pipeline_id))
        .select((h::lead_id, h::from_stage_id, h::to_stage_id, h::entered_at, h::left_at))
        .order((h::lead_id, h::entered_at))
        .load(&mut *conn)
        .expect("history");
    drop(conn);
    let mut by_lead: std::collections::HashMap<&str, Vec<&Stay>> = std::collections::HashMap::new();
    for stay in &stays {
        by_lead.entry(stay.0.as_str()).or_default().push(stay);
    }
    let mut backwards = 0;
    for (id, stage, ..) in &rows {
        let history = by_lead.get(id.as_str()).expect("every lead has a history");
        assert_eq!(history[0].1, None, "the first stay has no from stage");
        for pair in history.windows(2) {
            assert_eq!(pair[0].4, Some(pair[1].3), "lead {id}: a stay ends when the next begins");
            assert_eq!(pair[1].1.as_deref(), Some(pair[0].2.as_str()), "lead {id}: moved from the previous stage");
            let position = |s: &str| stages.iter().position(|x| x["id"] == s);
            backwards += usize::from(position(&pair[1].2) < position(&pair[0].2));
        }
        let last = history[history.len() - 1];
        assert_eq!((last.2.as_str(), last.4), (stage.as_str(), None), "lead {id}: the last stay is the current stage");
    }
    assert!(backwards > 20, "some moves go backwards ({backwards})");
    for state in ["overdue", "due_today", "upcoming"] {
        let page = app.get(&format!("/api/v1/leads?pipeline_id={pipeline_id}&follow_up={state}&limit=1")).await;
        assert_eq!(page.body["data"].as_array().map(Vec::len), Some(1), "some leads are {state}");
    }
}
