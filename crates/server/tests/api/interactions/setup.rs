//! Interaction categories and categorisation rules.

use actix_web::http::{Method, StatusCode};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use super::{category, rule, send};
use crate::support::{TestApp, customer, division};

#[actix_web::test]
async fn categories_are_unique_archived_when_used_and_audited() {
    let app = TestApp::new().await;
    let created =
        app.post("/api/v1/interaction-categories", json!({"code": "Service_Booking", "name": "Service booking"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["code"], "service_booking");
    let id = created.id();

    let clash =
        app.post("/api/v1/interaction-categories", json!({"code": "service_booking", "name": "SERVICE BOOKING"})).await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(clash.code(), "duplicate");
    assert_eq!(clash.error_fields(), ["code", "name"]);
    let bad = app.post("/api/v1/interaction-categories", json!({"code": "9 lives", "name": " "})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["code", "name"]);
    let unknown = app.post("/api/v1/interaction-categories", json!({"code": "x1", "name": "X", "colour": "red"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("interaction_categories"), 1);

    let home = division(&app, "HOME", "Home").await;
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&home), None);
    let refused =
        send(&app, Method::POST, "/api/v1/interaction-categories", Some(json!({"code": "x1", "name": "X"})), &rep)
            .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&format!("/api/v1/interaction-categories/{id}"), &rep).await.status, StatusCode::OK);

    let path = format!("/api/v1/interaction-categories/{id}");
    assert_eq!(app.patch(&path, Some(9), json!({"name": "Bookings"})).await.status, StatusCode::PRECONDITION_FAILED);
    let renamed = app.patch(&path, Some(1), json!({"name": "Bookings"})).await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["version"], 2);

    // Used by a rule: archived, hidden from the list, refused for new use.
    rule(&app, &id, &["booking"]).await;
    let archived = app.delete(&path).await;
    assert_eq!(archived.status, StatusCode::OK, "{:?}", archived.body);
    assert!(archived.body["archived_at"].is_string());
    assert_eq!(app.list_all("/api/v1/interaction-categories").await, Vec::<Value>::new());
    assert_eq!(app.list_all("/api/v1/interaction-categories?include_archived=true").await.len(), 1);
    let ada = customer(&app, &home, "Ada").await;
    let mut body = super::call(&ada, &home);
    body["category_id"] = json!(id);
    let refused = app.post("/api/v1/interactions", body.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["code"], "archived");
    // Rules of an archived category no longer apply.
    body.as_object_mut().expect("object").remove("category_id");
    body["subject"] = json!("booking");
    assert_eq!(app.post("/api/v1/interactions", body).await.body["category_id"], Value::Null);

    let spare = category(&app, "spare", "Spare").await;
    assert_eq!(app.delete(&format!("/api/v1/interaction-categories/{spare}")).await.status, StatusCode::NO_CONTENT);
    let actions: Vec<String> = app.audit_of("interaction_category", &id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "archived"]);
    assert_eq!(app.audit_of("interaction_category", &spare).len(), 2);
}

#[actix_web::test]
async fn rules_keep_clean_keywords_and_list_in_priority_order() {
    let app = TestApp::new().await;
    let service = category(&app, "service", "Service").await;
    let created = app
        .post(
            "/api/v1/categorisation-rules",
            json!({"category_id": service, "channel": "whatsapp", "keywords": [" Oil  Change ", "oil change", "SERVICE"], "priority": 20}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["keywords"], json!(["oil change", "service"]));
    assert_eq!(created.body["channel"], "whatsapp");
    assert_eq!(created.body["active"], true);
    let id = created.id();
    let other = rule(&app, &service, &["tyre"]).await;

    let bad = app
        .post(
            "/api/v1/categorisation-rules",
            json!({"category_id": service, "keywords": ["ok", " ", "--"], "priority": 2_000_000}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["keywords[1]", "keywords[2]", "priority"]);
    let none = app.post("/api/v1/categorisation-rules", json!({"category_id": service, "keywords": []})).await;
    assert_eq!(none.error_fields(), ["keywords"]);
    let unknown = app
        .post(
            "/api/v1/categorisation-rules",
            json!({"category_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11", "keywords": ["a"]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["errors"][0]["code"], "not_found");
    let channel = app
        .post("/api/v1/categorisation-rules", json!({"category_id": service, "keywords": ["a"], "channel": "fax"}))
        .await;
    assert_eq!(channel.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("categorisation_rules"), 2);

    let ids = |items: Vec<Value>| -> Vec<String> {
        items.iter().map(|r| r["id"].as_str().unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(ids(app.list_all("/api/v1/categorisation-rules?limit=1").await), [id.clone(), other.clone()]);
    assert_eq!(
        ids(app.list_all("/api/v1/categorisation-rules?sort=-priority&limit=1").await),
        [other.clone(), id.clone()]
    );
    assert_eq!(ids(app.list_all("/api/v1/categorisation-rules?channel=whatsapp").await), std::slice::from_ref(&id));
    assert_eq!(app.get("/api/v1/categorisation-rules?active=maybe").await.status, StatusCode::BAD_REQUEST);

    let path = format!("/api/v1/categorisation-rules/{id}");
    let off = app.patch(&path, Some(1), json!({"active": false, "channel": null, "keywords": ["Brakes"]})).await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(
        (off.body["active"].clone(), off.body["channel"].clone(), off.body["keywords"].clone()),
        (json!(false), Value::Null, json!(["brakes"]))
    );
    assert_eq!(app.patch(&path, Some(1), json!({"priority": 1})).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(ids(app.list_all("/api/v1/categorisation-rules?active=true").await), [other]);
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = app.audit_of("categorisation_rule", &id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}
