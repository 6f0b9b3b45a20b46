//! Purchases: recording, validation, scope, status, ERP upsert.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, branch, customer, division};

fn purchase(customer_id: &str, division_id: &str, invoice: &str) -> Value {
    json!({
        "customer_id": customer_id,
        "division_id": division_id,
        "invoice_number": invoice,
        "purchased_on": "2026-11-02",
        "lines": [
            {"description": "Toyota Hilux 2.4", "sku": "HLX", "quantity": "1", "unit_price": {"amount": "38500000.00", "currency": "NGN"}},
            {"description": "Engine oil (litres)", "quantity": "4.5", "unit_price": {"amount": "3500", "currency": "NGN"}}
        ]
    })
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    let buyer = customer(app, home, &format!("Buyer {n}")).await;
    let target = app.post("/api/v1/purchases", purchase(&buyer, home, &format!("T-{n}"))).await.id();
    let spare = app.post("/api/v1/purchases", purchase(&buyer, home, &format!("S-{n}"))).await.id();
    vec![
        endpoint(Method::GET, "/api/v1/purchases".into(), None, Resource::Purchases, Read),
        endpoint(Method::GET, format!("/api/v1/purchases/{target}"), None, Resource::Purchases, Read),
        endpoint(
            Method::POST,
            "/api/v1/purchases".into(),
            Some(purchase(&buyer, home, &format!("N-{n}"))),
            Resource::Purchases,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/purchases/{target}"),
            Some(json!({"status": "paid", "version": 1})),
            Resource::Purchases,
            Update,
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/purchases/by-external-id/erp/U-{n}"),
            Some(json!({"customer_id": buyer, "division_id": home, "invoice_number": format!("U-{n}"),
                "purchased_on": "2026-11-01", "amount": {"amount": "10", "currency": "NGN"}})),
            Resource::Purchases,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/purchases/{spare}"), None, Resource::Purchases, Delete),
    ]
}

#[actix_web::test]
async fn a_purchase_is_recorded_with_exact_totals() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let vi = branch(&app, &motors, "VI", "Victoria Island", "Lagos").await;
    let buyer = app.post("/api/v1/customers", json!({"kind": "person", "last_name": "Buyer"})).await.id();
    let mut body = purchase(&buyer, &motors, "INV-1");
    body["branch_id"] = json!(vi);
    let created = app.post("/api/v1/purchases", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["amount"], json!({"amount": "38515750.00", "currency": "NGN"}));
    assert_eq!(created.body["lines"][1]["total"], json!({"amount": "15750.00", "currency": "NGN"}));
    assert_eq!(created.body["source"], "manual");
    assert_eq!(created.body["status"], "invoiced");
    // The buyer now deals with Motors.
    let buyer_now = app.get(&format!("/api/v1/customers/{buyer}")).await;
    assert_eq!(buyer_now.body["division_ids"], json!([motors]));

    let id = created.id();
    let paid = app.patch(&format!("/api/v1/purchases/{id}"), Some(1), json!({"status": "paid"})).await;
    assert_eq!(paid.status, StatusCode::OK);
    let cancelled = app.patch(&format!("/api/v1/purchases/{id}"), Some(2), json!({"status": "cancelled"})).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let reopened = app.patch(&format!("/api/v1/purchases/{id}"), Some(3), json!({"status": "paid"})).await;
    assert_eq!(reopened.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reopened.body["errors"][0]["code"], "cancelled_is_final");
    assert_eq!(
        app.patch(&format!("/api/v1/purchases/{id}"), Some(1), json!({"notes": "x"})).await.status,
        StatusCode::PRECONDITION_FAILED
    );

    let listed = app.list_all(&format!("/api/v1/purchases?customer_id={buyer}&status=cancelled")).await;
    assert_eq!(listed.len(), 1);
    let actions: Vec<String> = app.audit_of("purchase", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
}

#[actix_web::test]
async fn bad_purchases_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let other_branch = branch(&app, &power, "PB", "Power branch", "Abuja").await;
    let buyer = customer(&app, &motors, "Buyer").await;
    let mut body = purchase(&buyer, &motors, " ");
    body["purchased_on"] = json!("2999-01-01");
    body["amount"] = json!({"amount": "1.00", "currency": "NGN"});
    body["lines"][0]["quantity"] = json!("0");
    body["lines"][1]["unit_price"] = json!({"amount": "1.001", "currency": "USD"});
    let reply = app.post("/api/v1/purchases", body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    let fields = reply.error_fields();
    for f in [
        "invoice_number",
        "purchased_on",
        "lines[0].quantity",
        "lines[1].unit_price.amount",
        "lines[1].unit_price.currency",
        "amount",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} not in {fields:?}");
    }
    let mut wrong_branch = purchase(&buyer, &motors, "INV-B");
    wrong_branch["branch_id"] = json!(other_branch);
    let reply = app.post("/api/v1/purchases", wrong_branch).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["code"], "wrong_division");
    let no_amount =
        json!({"customer_id": buyer, "division_id": motors, "invoice_number": "X", "purchased_on": "2026-01-01"});
    assert_eq!(app.post("/api/v1/purchases", no_amount).await.error_fields(), ["amount"]);
    let mut bad_status = purchase(&buyer, &motors, "INV-S");
    bad_status["status"] = json!("refunded");
    assert_eq!(app.post("/api/v1/purchases", bad_status).await.status, StatusCode::BAD_REQUEST);
    let unknown_customer = purchase(&uuid::Uuid::now_v7().to_string(), &motors, "INV-C");
    assert_eq!(app.post("/api/v1/purchases", unknown_customer).await.error_fields(), ["customer_id"]);
    assert_eq!(app.count("purchases"), 0);
    assert_eq!(app.count("purchase_lines"), 0);

    assert_eq!(app.post("/api/v1/purchases", purchase(&buyer, &motors, "INV-1")).await.status, StatusCode::CREATED);
    let dup = app.post("/api/v1/purchases", purchase(&buyer, &motors, "INV-1")).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.code(), "duplicate");
    assert_eq!(dup.error_fields(), ["invoice_number"]);
    let mut from_erp = purchase(&buyer, &motors, "INV-1");
    from_erp["source"] = json!("oracle_erp");
    assert_eq!(app.post("/api/v1/purchases", from_erp).await.status, StatusCode::CREATED, "unique per source");
}

#[actix_web::test]
async fn purchases_are_seen_within_their_division() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let buyer = app
        .post("/api/v1/customers", json!({"kind": "person", "last_name": "Both", "division_ids": [motors, power]}))
        .await
        .id();
    let id = app.post("/api/v1/purchases", purchase(&buyer, &motors, "INV-1")).await.id();
    let (_, motors_rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, power_rep) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let path = format!("/api/v1/purchases/{id}");
    assert_eq!(app.get_as(&path, &motors_rep).await.status, StatusCode::OK);
    assert_eq!(app.get_as(&path, &power_rep).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as("/api/v1/purchases", &power_rep).await.body["data"], json!([]));
    // A rep records sales of their own division only.
    let req = TestRequest::post().uri("/api/v1/purchases").set_json(purchase(&buyer, &motors, "INV-2"));
    let refused = app.call_as(req, Some(&power_rep)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["code"], "outside_scope");
}

#[actix_web::test]
async fn erp_upsert_by_invoice_number_is_idempotent() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let buyer = customer(&app, &motors, "Buyer").await;
    let path = "/api/v1/purchases/by-external-id/oracle_erp/INV-77";
    let mut body = purchase(&buyer, &motors, "INV-77");
    let created = app.put(path, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["source"], "oracle_erp");
    let again = app.put(path, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, created.body);
    assert_eq!(app.audit_of("purchase", &created.id()).len(), 1);
    body["status"] = json!("paid");
    let paid = app.put(path, body.clone()).await;
    assert_eq!(paid.body["version"], 2);
    assert_eq!(app.put(path, body.clone()).await.body["version"], 2);
    body["invoice_number"] = json!("INV-78");
    assert_eq!(app.put(path, body).await.error_fields(), ["invoice_number"]);
    assert_eq!(app.count("purchases"), 1);
}
