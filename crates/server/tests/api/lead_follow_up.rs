//! Contacts logged on a lead by every route — one interaction, a bulk
//! batch, a later link — move its next follow-up; a lead that does not
//! exist cannot be named.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::pipelines::pipeline;
use crate::support::{TestApp, division};

async fn overdue_lead(app: &TestApp, motors: &str, pipeline_id: &str) -> String {
    let body = json!({"prospect_name": "Bola Ade", "prospect_phone": "0803 111 2222", "source": "phone",
        "division_id": motors, "pipeline_id": pipeline_id, "next_follow_up_at": "2020-01-01T09:00:00Z"});
    let reply = app.post("/api/v1/leads", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn due_of(app: &TestApp, id: &str) -> DateTime<Utc> {
    let lead = app.get(&format!("/api/v1/leads/{id}")).await;
    lead.body["next_follow_up_at"].as_str().expect("due").parse().expect("instant")
}

#[actix_web::test]
async fn bulk_ingested_and_later_linked_contacts_move_the_follow_up() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let bulk_lead = overdue_lead(&app, &motors, &p.id).await;
    let linked_lead = overdue_lead(&app, &motors, &p.id).await;

    // Two contacts on one lead in a batch: the later one counts.
    let early = Utc::now() - Duration::hours(3);
    let late = Utc::now() - Duration::hours(1);
    let item = |at: DateTime<Utc>, n: u32| {
        json!({"channel": "whatsapp", "direction": "inbound", "division_id": motors, "lead_id": bulk_lead,
            "subject": "Price?", "occurred_at": at.to_rfc3339(), "external_source": "wa", "external_id": format!("m{n}")})
    };
    let reply = app.post("/api/v1/interactions/bulk", json!({"items": [item(late, 1), item(early, 2)]})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["created"], 2);
    let due = due_of(&app, &bulk_lead).await;
    let expected = late + Duration::minutes(240);
    assert!((due - expected).num_seconds().abs() <= 1, "{due} vs {expected}");
    // The retried batch creates nothing and moves nothing.
    let version = app.get(&format!("/api/v1/leads/{bulk_lead}")).await.body["version"].clone();
    let retry = app.post("/api/v1/interactions/bulk", json!({"items": [item(late, 1), item(early, 2)]})).await;
    assert_eq!(retry.body["duplicates"], 2);
    assert_eq!(app.get(&format!("/api/v1/leads/{bulk_lead}")).await.body["version"], version);

    // A contact logged first and linked to the lead afterwards.
    let call = json!({"channel": "call", "direction": "outbound", "division_id": motors, "subject": "Call back",
        "occurred_at": late.to_rfc3339()});
    let logged = app.post("/api/v1/interactions", call).await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    let linked =
        app.patch(&format!("/api/v1/interactions/{}", logged.id()), Some(1), json!({"lead_id": linked_lead})).await;
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    let due = due_of(&app, &linked_lead).await;
    assert!((due - expected).num_seconds().abs() <= 1, "{due} vs {expected}");
}

#[actix_web::test]
async fn a_contact_cannot_name_a_lead_that_does_not_exist() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ghost = "01900000-0000-7000-8000-000000000000";
    let before = app.count("interactions");
    let call = json!({"channel": "call", "direction": "outbound", "division_id": motors, "lead_id": ghost,
        "subject": "Who?", "occurred_at": Utc::now().to_rfc3339()});
    let reply = app.post("/api/v1/interactions", call.clone()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["lead_id"]);
    assert_eq!(app.count("interactions"), before);

    let mut fine = call;
    fine["lead_id"] = Value::Null;
    let id = app.post("/api/v1/interactions", fine).await.id();
    let reply = app.patch(&format!("/api/v1/interactions/{id}"), Some(1), json!({"lead_id": ghost})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(app.get(&format!("/api/v1/interactions/{id}")).await.body["version"], 1);
}
