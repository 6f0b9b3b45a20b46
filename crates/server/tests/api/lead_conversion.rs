//! Winning a lead: customer, purchase and asset in one transaction, once.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::pipelines::{Pipeline, lost_reason, pipeline};
use crate::support::{Reply, TestApp, customer, division};

async fn prospect(app: &TestApp, motors: &str, p: &Pipeline, phone: &str) -> String {
    let body = json!({
        "prospect_name": "Chinedu Eze", "prospect_phone": phone, "prospect_email": "chinedu@example.com",
        "source": "website", "division_id": motors, "pipeline_id": p.id, "product_interest": "Hilux 2.4 GD-6",
        "expected_value": {"amount": "38500000.00", "currency": "NGN"}
    });
    let reply = app.post("/api/v1/leads", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

fn sale(invoice: &str, vin: &str) -> Value {
    json!({
        "purchase": {"invoice_number": invoice, "purchased_on": "2026-11-20"},
        "asset": {"kind": "vehicle", "make": "Toyota", "model_year": 2026, "serial": vin, "last_usage": 12}
    })
}

async fn convert(app: &TestApp, id: &str, body: Value) -> Reply {
    app.post(&format!("/api/v1/leads/{id}/convert"), body).await
}

/// Row counts of everything a conversion may write.
fn footprint(app: &TestApp) -> Vec<i64> {
    ["customers", "customer_phones", "customer_emails", "assets", "purchases", "lead_conversions", "lead_stage_history"]
        .iter()
        .map(|t| app.count(t))
        .collect()
}

#[actix_web::test]
async fn winning_a_prospect_makes_customer_purchase_and_asset_once() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let lead = prospect(&app, &motors, &p, "0803 777 1234").await;
    let customers = app.count("customers");

    let first = convert(&app, &lead, sale("INV-1", "AHTFR22G706012345")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let made = &first.body;
    assert_eq!(made["customer_created"], true);
    assert_eq!(made["lead"]["status"], "won");
    assert_eq!(made["lead"]["stage_id"], p.won.as_str());
    assert_eq!(made["lead"]["next_follow_up_at"], Value::Null);
    let customer_id = made["customer_id"].as_str().expect("customer").to_owned();
    assert_eq!(made["lead"]["customer_id"], customer_id.as_str());
    assert_eq!(app.count("customers"), customers + 1);

    let person = app.get(&format!("/api/v1/customers/{customer_id}")).await.body;
    assert_eq!(person["first_name"], "Chinedu");
    assert_eq!(person["last_name"], "Eze");
    assert_eq!(person["primary_phone"], "+2348037771234");
    assert_eq!(person["primary_email"], "chinedu@example.com");
    let purchase = app.get(&format!("/api/v1/purchases/{}", made["purchase_id"].as_str().expect("purchase"))).await;
    assert_eq!(purchase.body["customer_id"], customer_id.as_str());
    assert_eq!(purchase.body["division_id"], motors.as_str());
    assert_eq!(purchase.body["amount"], json!({"amount": "38500000.00", "currency": "NGN"}), "the expected value");
    assert_eq!(purchase.body["asset_id"], made["asset_id"]);
    let asset = app.get(&format!("/api/v1/assets/{}", made["asset_id"].as_str().expect("asset"))).await;
    assert_eq!(asset.body["customer_id"], customer_id.as_str());
    assert_eq!(asset.body["model"], "Hilux 2.4 GD-6", "the product interest");
    assert_eq!(asset.body["purchase_date"], "2026-11-20");

    // Again — with the same body or another — nothing new.
    let before = footprint(&app);
    let again = convert(&app, &lead, sale("INV-2", "OTHERVIN000000000")).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["customer_id"], made["customer_id"]);
    assert_eq!(again.body["purchase_id"], made["purchase_id"]);
    assert_eq!(again.body["asset_id"], made["asset_id"]);
    assert_eq!(again.body["customer_created"], false);
    assert_eq!(footprint(&app), before);
    let history = app.get(&format!("/api/v1/leads/{lead}/history")).await.body["data"].clone();
    assert_eq!(history.as_array().map(Vec::len), Some(2), "one move to the won stage");
}

#[actix_web::test]
async fn conversion_links_the_customer_who_already_exists() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    // A Power customer, typed differently from the lead's phone.
    let body = json!({"kind": "person", "first_name": "Chinedu", "last_name": "Eze", "division_ids": [power],
        "phones": [{"number": "+234 803 777 1234"}]});
    let existing = app.post("/api/v1/customers", body).await.id();
    let lead = prospect(&app, &motors, &p, "0803 777 1234").await;
    let customers = app.count("customers");

    let reply = convert(&app, &lead, json!({"purchase": {"invoice_number": "INV-9"}})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["customer_id"], existing.as_str());
    assert_eq!(reply.body["customer_created"], false);
    assert_eq!(reply.body["asset_id"], Value::Null);
    assert_eq!(app.count("customers"), customers, "no twin");
    let linked = app.get(&format!("/api/v1/customers/{existing}")).await.body;
    assert!(linked["division_ids"].as_array().expect("divisions").contains(&json!(motors)), "now deals with Motors");

    // A lead already linked to a customer keeps that one.
    let named = customer(&app, &motors, "Okafor").await;
    let body = json!({"customer_id": named, "source": "walk_in", "division_id": motors, "pipeline_id": p.id});
    let linked_lead = app.post("/api/v1/leads", body).await.id();
    let reply = convert(&app, &linked_lead, json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["customer_id"], named.as_str());
    assert_eq!(reply.body["purchase_id"], Value::Null);
}

#[actix_web::test]
async fn a_failure_after_the_customer_insert_leaves_nothing_behind() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let buyer = customer(&app, &motors, "Earlier").await;
    let body = json!({"customer_id": buyer, "division_id": motors, "invoice_number": "INV-TAKEN", "purchased_on": "2026-11-01",
        "amount": {"amount": "25000.00", "currency": "NGN"}});
    let earlier = app.post("/api/v1/purchases", body).await;
    assert_eq!(earlier.status, StatusCode::CREATED, "{:?}", earlier.body);
    let lead = prospect(&app, &motors, &p, "0803 777 9999").await;
    let lead_before = app.get(&format!("/api/v1/leads/{lead}")).await.body;
    let before = footprint(&app);
    let audit_before = app.count("audit_log");

    // The customer and the asset are written, then the purchase hits a taken invoice number.
    let reply = convert(&app, &lead, sale("INV-TAKEN", "AHTFR22G706099999")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.code(), "duplicate");
    assert_eq!(footprint(&app), before, "no customer, asset, purchase, move or conversion");
    assert_eq!(app.count("audit_log"), audit_before);
    assert_eq!(app.get(&format!("/api/v1/leads/{lead}")).await.body, lead_before);

    // Fixed, it goes through.
    let reply = convert(&app, &lead, sale("INV-FREE", "AHTFR22G706099999")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["customer_created"], true);
}

#[actix_web::test]
async fn conversions_that_cannot_be_are_refused() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let lead = prospect(&app, &motors, &p, "0803 777 5555").await;
    let before = footprint(&app);

    let not_won = convert(&app, &lead, json!({"stage_id": p.qualified})).await;
    assert_eq!(not_won.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", not_won.body);
    assert_eq!(not_won.error_fields(), ["stage_id"]);
    let no_invoice = convert(&app, &lead, json!({"purchase": {"invoice_number": " "}})).await;
    assert_eq!(no_invoice.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", no_invoice.body);
    let bad_kind = convert(&app, &lead, json!({"asset": {"kind": "spaceship"}})).await;
    assert_eq!(bad_kind.status, StatusCode::BAD_REQUEST, "{:?}", bad_kind.body);
    assert_eq!(bad_kind.error_fields(), ["asset.kind"]);
    let malformed = app.post_raw(&format!("/api/v1/leads/{lead}/convert"), "application/json", "{\"purchase\":").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let stale = app
        .call(
            TestRequest::post()
                .uri(&format!("/api/v1/leads/{lead}/convert"))
                .insert_header(("if-match", "\"9\""))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(footprint(&app), before);

    // Scope and roles.
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let req = TestRequest::post().uri(&format!("/api/v1/leads/{lead}/convert")).set_json(json!({}));
    assert_eq!(app.call_as(req, Some(&rep)).await.status, StatusCode::NOT_FOUND, "not their lead");
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    let req = TestRequest::post().uri(&format!("/api/v1/leads/{lead}/convert")).set_json(json!({}));
    assert_eq!(app.call_as(req, Some(&analyst)).await.status, StatusCode::FORBIDDEN);
    let req = TestRequest::post().uri(&format!("/api/v1/leads/{lead}/convert")).set_json(json!({}));
    assert_eq!(app.call_as(req, None).await.status, StatusCode::UNAUTHORIZED);

    // A lost lead is not won by conversion.
    let reason = lost_reason(&app, "Price").await;
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{lead}/move"))
        .set_json(json!({"to_stage_id": p.lost, "lost_reason_id": reason, "version": 1}));
    assert_eq!(app.call(req).await.status, StatusCode::OK);
    let lost = convert(&app, &lead, json!({})).await;
    assert_eq!(lost.status, StatusCode::CONFLICT);
    assert_eq!(lost.code(), "lead_lost");
}
