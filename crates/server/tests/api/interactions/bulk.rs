//! `POST /api/v1/interactions/bulk`.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_core::principal::Role;
use serde_json::{Value, json};

use super::{call, category, rule, send};
use crate::support::{TestApp, customer, division};

fn with_external(mut body: Value, external_id: &str) -> Value {
    body["external_source"] = json!("pbx");
    body["external_id"] = json!(external_id);
    body
}

#[actix_web::test]
async fn a_mixed_batch_stores_the_good_items_and_reports_each_one() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let service = category(&app, "service", "Service").await;
    rule(&app, &service, &["service"]).await;
    let stored = app.post("/api/v1/interactions", with_external(call(&ada, &motors), "c-0")).await.id();
    let mut categorised = with_external(call(&ada, &motors), "c-1");
    categorised["summary"] = json!("Booked a service.");
    let mut future = call(&ada, &motors);
    future["occurred_at"] = json!("2999-01-01T00:00:00Z");
    let mut fax = call(&ada, &motors);
    fax["channel"] = json!("fax");
    let mut ghost_lead = call(&ada, &motors);
    ghost_lead["lead_id"] = json!("0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12");
    let mut ghost_ticket = call(&ada, &motors);
    ghost_ticket["ticket_id"] = json!("0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a13");
    let items = json!([
        categorised,                                  // 0 created, by rule
        with_external(call(&ada, &motors), "c-0"),    // 1 duplicate of the stored one
        future,                                       // 2 invalid
        fax,                                          // 3 invalid (unknown value)
        with_external(call(&ada, &motors), "c-1"),    // 4 duplicate of item 0
        call("0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11", &motors), // 5 invalid reference
        {"channel": "sms", "direction": "outbound", "occurred_at": "2026-11-20T10:00:00Z", "colour": 1}, // 6 unknown field
        42,                                           // 7 not an object
        call(&ada, &motors),                          // 8 created
        ghost_lead,                                   // 9 invalid: no such lead
        ghost_ticket,                                 // 10 invalid: no such ticket
    ]);

    let reply = app.post("/api/v1/interactions/bulk", json!({"items": items})).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"].as_array().expect("results").clone();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        statuses,
        [
            "created",
            "duplicate",
            "invalid",
            "invalid",
            "duplicate",
            "invalid",
            "invalid",
            "invalid",
            "created",
            "invalid",
            "invalid"
        ]
    );
    let indexes: Vec<u64> = results.iter().map(|r| r["index"].as_u64().unwrap_or(99)).collect();
    assert_eq!(indexes, (0..11).collect::<Vec<u64>>());
    assert_eq!(
        (reply.body["created"].clone(), reply.body["duplicates"].clone(), reply.body["invalid"].clone()),
        (json!(2), json!(2), json!(7))
    );
    assert_eq!(results[1]["id"], stored.as_str());
    assert_eq!(results[4]["id"], results[0]["id"]);
    let error = |i: usize| (results[i]["errors"][0]["field"].clone(), results[i]["errors"][0]["code"].clone());
    assert_eq!(error(2), (json!("occurred_at"), json!("in_the_future")));
    assert_eq!(error(3), (json!("channel"), json!("unknown_value")));
    assert_eq!(error(5), (json!("customer_id"), json!("not_found")));
    assert_eq!(error(6), (json!("colour"), json!("unknown_field")));
    assert_eq!(error(7).1, json!("invalid_type"));
    assert_eq!(error(9), (json!("lead_id"), json!("not_found")));
    assert_eq!(error(10), (json!("ticket_id"), json!("not_found")));
    assert!(results[0].get("errors").is_none());

    assert_eq!(app.count("interactions"), 3);
    let first = app.get(&format!("/api/v1/interactions/{}", results[0]["id"].as_str().expect("id"))).await;
    assert_eq!(
        (first.body["category_id"].as_str(), first.body["category_origin"].as_str()),
        (Some(service.as_str()), Some("rule"))
    );
    assert_eq!(first.body["user_id"], app.admin_id.as_str());
    for i in [0, 8] {
        let id = results[i]["id"].as_str().expect("id");
        let audit = app.audit_of("interaction", id);
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].0.as_str(), audit[0].1.as_str()), ("created", "user"));
        // The change event carries the record as a read returns it (its
        // rows are built while the batch is checked, before the write).
        let events = app.events_of("interaction", id);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, "created");
        let read = app.get(&format!("/api/v1/interactions/{id}")).await;
        assert_eq!(events[0].1, read.body);
    }

    // A retry of the same batch creates nothing new.
    let retry =
        app.post("/api/v1/interactions/bulk", json!({"items": [with_external(call(&ada, &motors), "c-1")]})).await;
    assert_eq!(retry.body["results"][0]["status"], "duplicate");
    assert_eq!(retry.body["results"][0]["id"], results[0]["id"]);
    assert_eq!(app.count("interactions"), 3);
}

#[actix_web::test]
async fn batches_over_the_limit_or_malformed_are_refused_whole() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let one = call(&ada, &motors);
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"channel": "sms", "direction": "inbound", "occurred_at": "2026-11-20T10:00:00Z", "customer_id": ada})).collect();
    let reply = app.post("/api/v1/interactions/bulk", json!({"items": too_many})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["items"]);
    let empty = app.post("/api/v1/interactions/bulk", json!({"items": []})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for body in [json!({"items": [one], "dry_run": true}), json!({"items": "all"}), json!([one])] {
        let reply = app.post("/api/v1/interactions/bulk", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    }
    let huge = json!({"items": [{"channel": "sms", "direction": "inbound", "occurred_at": "2026-11-20T10:00:00Z", "summary": "x".repeat(1_100_000)}]});
    assert_eq!(app.post("/api/v1/interactions/bulk", huge).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let anonymous =
        app.call_as(TestRequest::post().uri("/api/v1/interactions/bulk").set_json(json!({"items": [one]})), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    let forbidden =
        send(&app, Method::POST, "/api/v1/interactions/bulk", Some(json!({"items": [one]})), &analyst).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("interactions"), 0);
}

#[actix_web::test]
async fn a_division_scoped_caller_only_ingests_into_reach() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Ada").await;
    let bisi = customer(&app, &power, "Bisi").await;
    let (rep, token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let mut defaulted = call(&ada, &motors);
    defaulted.as_object_mut().expect("object").remove("division_id");
    let items = json!([defaulted, call(&ada, &power), call(&bisi, &motors)]);

    let reply = send(&app, Method::POST, "/api/v1/interactions/bulk", Some(json!({"items": items})), &token).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = &reply.body["results"];
    assert_eq!(results[0]["status"], "created");
    assert_eq!(
        (results[1]["errors"][0]["field"].as_str(), results[1]["errors"][0]["code"].as_str()),
        (Some("division_id"), Some("outside_scope"))
    );
    // A customer of another division is not visible to the rep.
    assert_eq!(
        (results[2]["errors"][0]["field"].as_str(), results[2]["errors"][0]["code"].as_str()),
        (Some("customer_id"), Some("not_found"))
    );
    let created = app.get(&format!("/api/v1/interactions/{}", results[0]["id"].as_str().expect("id"))).await;
    assert_eq!(
        (created.body["division_id"].as_str(), created.body["user_id"].as_str()),
        (Some(motors.as_str()), Some(rep.as_str()))
    );
    assert_eq!(app.count("interactions"), 1);
}

/// When the database refuses the batch after every check passed (in real
/// life: a concurrent request storing the same external id), each item is
/// written again on its own and only the refused one fails.
#[actix_web::test]
async fn a_refused_batch_falls_back_to_one_savepoint_per_item() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    category(&app, "taken", "Taken").await;
    // A trigger that breaks a unique index whenever an interaction with the
    // subject `clash` is inserted.
    let clash = "INSERT INTO interaction_categories (id, code, name, version, created_at, updated_at) \
        VALUES ('clash', 'taken', 'Clash', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')";
    let sql = match app.db().backend() {
        rapport_core::db::Backend::Sqlite => {
            vec![format!(
                "CREATE TRIGGER clash AFTER INSERT ON interactions WHEN NEW.subject = 'clash' BEGIN {clash}; END"
            )]
        }
        rapport_core::db::Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION clash() RETURNS trigger AS $$ BEGIN IF NEW.subject = 'clash' THEN {clash}; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER clash AFTER INSERT ON interactions FOR EACH ROW EXECUTE FUNCTION clash()".to_owned(),
        ],
    };
    let mut conn = app.db().write().expect("conn");
    for statement in sql {
        diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut *conn).expect("trigger");
    }
    drop(conn);
    let mut refused = call(&ada, &motors);
    refused["subject"] = json!("clash");
    let items = json!([with_external(call(&ada, &motors), "x-1"), refused, with_external(call(&ada, &motors), "x-2")]);

    let reply = app.post("/api/v1/interactions/bulk", json!({"items": items})).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let statuses: Vec<&str> =
        reply.body["results"].as_array().expect("results").iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["created", "invalid", "created"]);
    assert_eq!(reply.body["results"][1]["errors"][0]["code"], "conflict");
    assert_eq!(app.count("interactions"), 2);
    assert_eq!(app.count("audit_log WHERE entity_type = 'interaction'"), 2);
    assert_eq!(app.count("change_events WHERE entity_type = 'interaction'"), 2);
}
