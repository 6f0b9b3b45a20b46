//! Custom fields: definitions, and their values on customers.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::json;

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, division};

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, _home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    let field = |key: String| json!({"entity": "asset", "key": key, "label": "L", "field_type": "text"});
    let target = app.post("/api/v1/custom-fields", field(format!("matrix_{n}"))).await.id();
    let spare = app.post("/api/v1/custom-fields", field(format!("spare_{n}"))).await.id();
    vec![
        endpoint(Method::GET, "/api/v1/custom-fields".into(), None, Resource::CustomFields, Read),
        endpoint(Method::GET, format!("/api/v1/custom-fields/{target}"), None, Resource::CustomFields, Read),
        endpoint(
            Method::POST,
            "/api/v1/custom-fields".into(),
            Some(field(format!("new_{n}"))),
            Resource::CustomFields,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/custom-fields/{target}"),
            Some(json!({"label": "Renamed", "version": 1})),
            Resource::CustomFields,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/custom-fields/{spare}"), None, Resource::CustomFields, Delete),
    ]
}

#[actix_web::test]
async fn definitions_are_validated_versioned_and_audited() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/api/v1/custom-fields",
            json!({"entity": "customer", "key": "segment", "label": "Segment", "field_type": "single_select", "options": ["retail", "fleet"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["options"], json!(["retail", "fleet"]));
    let id = created.id();

    for (body, fields) in [
        (json!({"entity": "customer", "key": "Bad Key", "label": "x", "field_type": "text"}), vec!["key"]),
        (
            json!({"entity": "customer", "key": "k", "label": " ", "field_type": "text", "options": ["a"]}),
            vec!["label", "options"],
        ),
        (json!({"entity": "customer", "key": "k", "label": "K", "field_type": "multi_select"}), vec!["options"]),
        (
            json!({"entity": "customer", "key": "k", "label": "K", "field_type": "single_select", "options": ["a", "a"]}),
            vec!["options[1]"],
        ),
    ] {
        let reply = app.post("/api/v1/custom-fields", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    let dup = app
        .post(
            "/api/v1/custom-fields",
            json!({"entity": "customer", "key": "segment", "label": "Again", "field_type": "text"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.code(), "duplicate");
    let other_entity = app
        .post(
            "/api/v1/custom-fields",
            json!({"entity": "asset", "key": "segment", "label": "Asset segment", "field_type": "text"}),
        )
        .await;
    assert_eq!(other_entity.status, StatusCode::CREATED, "keys are unique per entity");
    let bad_type = app
        .post("/api/v1/custom-fields", json!({"entity": "customer", "key": "x", "label": "X", "field_type": "colour"}))
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("custom_fields"), 2);

    let renamed =
        app.patch(&format!("/api/v1/custom-fields/{id}"), Some(1), json!({"label": "Customer segment"})).await;
    assert_eq!(renamed.status, StatusCode::OK);
    let stale = app.patch(&format!("/api/v1/custom-fields/{id}"), Some(1), json!({"label": "Lost"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let listed = app.list_all("/api/v1/custom-fields?entity=customer").await;
    assert_eq!(listed.len(), 1);
    let actions: Vec<String> = app.audit_of("custom_field", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated"]);
    assert_eq!(app.delete(&format!("/api/v1/custom-fields/{id}")).await.status, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn customer_values_are_checked_returned_and_filterable() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let define = |body: serde_json::Value| async { app.post("/api/v1/custom-fields", body).await };
    define(json!({"entity": "customer", "key": "fleet_size", "label": "Fleet size", "field_type": "number", "required": true})).await;
    define(json!({"entity": "customer", "key": "credit_limit", "label": "Credit limit", "field_type": "money"})).await;
    define(json!({"entity": "customer", "key": "interests", "label": "Interests", "field_type": "multi_select", "options": ["suv", "truck", "bus"]})).await;
    define(json!({"entity": "customer", "key": "since", "label": "Customer since", "field_type": "date"})).await;
    // Applies to Power's customers only.
    define(json!({"entity": "customer", "key": "kva", "label": "Generator size", "field_type": "number", "division_id": power})).await;

    let missing =
        app.post("/api/v1/customers", json!({"kind": "company", "company_name": "A", "division_ids": [motors]})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.error_fields(), ["custom_fields.fleet_size"]);
    let wrong = app
        .post(
            "/api/v1/customers",
            json!({"kind": "company", "company_name": "A", "division_ids": [motors], "custom_fields": {
                "fleet_size": "many", "credit_limit": {"amount": "1.001", "currency": "NGN"},
                "interests": ["suv", "plane"], "since": "2026-13-01", "kva": 20, "colour": "red"
            }}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = wrong.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "custom_fields.colour",
            "custom_fields.credit_limit",
            "custom_fields.fleet_size",
            "custom_fields.interests",
            "custom_fields.kva",
            "custom_fields.since"
        ]
    );
    assert_eq!(app.count("customers"), 0);
    assert_eq!(app.count("custom_field_values"), 0);

    let created = app
        .post(
            "/api/v1/customers",
            json!({"kind": "company", "company_name": "Fleet Co", "division_ids": [motors], "custom_fields": {
                "fleet_size": 12, "credit_limit": {"amount": "5000000", "currency": "ngn"},
                "interests": ["truck", "suv"], "since": "2019-05-01"
            }}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(
        created.body["custom_fields"],
        json!({
            "fleet_size": "12",
            "credit_limit": {"amount": "5000000.00", "currency": "NGN"},
            "interests": ["truck", "suv"],
            "since": "2019-05-01"
        })
    );
    let id = created.id();
    app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Small Co", "division_ids": [motors], "custom_fields": {"fleet_size": 2}})).await;

    assert_eq!(names(&app, "/api/v1/customers?cf.fleet_size=12.0").await, ["Fleet Co"]);
    assert_eq!(names(&app, "/api/v1/customers?cf.interests=suv").await, ["Fleet Co"]);
    assert_eq!(names(&app, "/api/v1/customers?cf.credit_limit=NGN%205000000").await, ["Fleet Co"]);
    assert_eq!(names(&app, "/api/v1/customers?cf.fleet_size=2&kind=company").await, ["Small Co"]);
    for bad in ["cf.colour=red", "cf.fleet_size=many", "cf.since=soon", "cf.fleet_size=1&cf.fleet_size=2"] {
        let reply = app.get(&format!("/api/v1/customers?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", reply.body);
    }

    // Clearing a required value is refused; clearing an optional one works.
    let cleared =
        app.patch(&format!("/api/v1/customers/{id}"), Some(1), json!({"custom_fields": {"fleet_size": null}})).await;
    assert_eq!(cleared.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cleared =
        app.patch(&format!("/api/v1/customers/{id}"), Some(1), json!({"custom_fields": {"since": null}})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert!(cleared.body["custom_fields"].get("since").is_none());

    // An option in use cannot be withdrawn.
    let interests = app.list_all("/api/v1/custom-fields?entity=customer").await;
    let interests = interests.iter().find(|f| f["key"] == "interests").expect("interests");
    let field_path = format!("/api/v1/custom-fields/{}", interests["id"].as_str().unwrap_or_default());
    let withdrawn = app.patch(&field_path, Some(1), json!({"options": ["suv", "bus"]})).await;
    assert_eq!(withdrawn.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(withdrawn.code(), "validation_failed");
    // A field in use is archived rather than deleted, and disappears from records.
    let removed = app.delete(&field_path).await;
    assert_eq!(removed.status, StatusCode::OK);
    let read = app.get(&format!("/api/v1/customers/{id}")).await;
    assert!(read.body["custom_fields"].get("interests").is_none());
}

#[actix_web::test]
async fn only_admins_define_fields() {
    let app = TestApp::new().await;
    let (_, supervisor) = app.user_with_token(Role::Supervisor, None, None);
    let req = TestRequest::post()
        .uri("/api/v1/custom-fields")
        .set_json(json!({"entity": "customer", "key": "k", "label": "K", "field_type": "text"}));
    let reply = app.call_as(req, Some(&supervisor)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as("/api/v1/custom-fields", &supervisor).await.status, StatusCode::OK);
}

async fn names(app: &TestApp, path: &str) -> Vec<String> {
    let items = app.list_all(path).await;
    items.iter().map(|c| c["display_name"].as_str().unwrap_or_default().to_owned()).collect()
}
