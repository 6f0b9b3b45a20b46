//! `/api/v1/divisions`: CRUD, versions, archive-on-delete, audit.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, branch, division};

#[actix_web::test]
async fn create_get_list_update_delete() {
    let app = TestApp::new().await;
    let created = app.post("/api/v1/divisions", json!({"code": "mot", "name": "  Motors "})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.body["code"], "MOT");
    assert_eq!(created.body["name"], "Motors");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.header("location"), Some(format!("/api/v1/divisions/{id}").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));

    let fetched = app.get(&format!("/api/v1/divisions/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, created.body);
    assert_eq!(fetched.header("etag"), Some("\"1\""));

    let listed = app.get("/api/v1/divisions").await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["next_cursor"], serde_json::Value::Null);

    let updated = app.patch(&format!("/api/v1/divisions/{id}"), Some(1), json!({"name": "Motors & Mobility"})).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["name"], "Motors & Mobility");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let deleted = app.delete(&format!("/api/v1/divisions/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/divisions/{id}")).await.status, StatusCode::NOT_FOUND);

    let audit: Vec<String> = app.audit_of("division", &id).into_iter().map(|(action, ..)| action).collect();
    assert_eq!(audit, ["created", "updated", "deleted"]);
    let events = app.events_of("division", &id);
    assert_eq!(events.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), ["created", "updated", "deleted"]);
    assert_eq!(events[1].1["name"], "Motors & Mobility");
    assert_eq!(events[2].1, json!({"id": id}));
}

#[actix_web::test]
async fn audit_entries_carry_the_request_id() {
    let app = TestApp::new().await;
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/divisions")
        .insert_header(("x-request-id", "req-audit-1"))
        .set_json(json!({"code": "MOT", "name": "Motors"}));
    let reply = app.call(req).await;
    assert_eq!(reply.header("x-request-id"), Some("req-audit-1"));
    let audit = app.audit_of("division", &reply.id());
    assert_eq!(audit, [("created".to_owned(), "user".to_owned(), Some("req-audit-1".to_owned()))]);
}

#[actix_web::test]
async fn stale_or_missing_versions_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let id = division(&app, "MOT", "Motors").await;
    let path = format!("/api/v1/divisions/{id}");
    assert_eq!(app.patch(&path, Some(1), json!({"name": "First"})).await.status, StatusCode::OK);

    let stale = app.patch(&path, Some(1), json!({"name": "Second"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.code(), "stale_version");
    let stale_body = app.patch(&path, None, json!({"name": "Second", "version": 1})).await;
    assert_eq!(stale_body.status, StatusCode::PRECONDITION_FAILED);
    let missing = app.patch(&path, None, json!({"name": "Second"})).await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(missing.code(), "precondition_required");
    let disagreeing = app.patch(&path, Some(2), json!({"name": "Second", "version": 1})).await;
    assert_eq!(disagreeing.status, StatusCode::BAD_REQUEST);

    let now = app.get(&path).await;
    assert_eq!((now.body["name"].as_str(), now.body["version"].as_i64()), (Some("First"), Some(2)));
    assert_eq!(app.audit_of("division", &id).len(), 2);

    let by_body = app.patch(&path, None, json!({"name": "Third", "version": 2})).await;
    assert_eq!(by_body.status, StatusCode::OK);
    let stale_delete =
        app.call(actix_web::test::TestRequest::delete().uri(&path).insert_header(("if-match", "\"2\""))).await;
    assert_eq!(stale_delete.status, StatusCode::PRECONDITION_FAILED);
}

#[actix_web::test]
async fn validation_errors_name_every_field_and_store_nothing() {
    let app = TestApp::new().await;
    let reply = app.post("/api/v1/divisions", json!({"code": "1", "name": "   ", "calendar_id": "nope"})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert_eq!(reply.error_fields(), ["code", "name", "calendar_id"]);
    let unknown_calendar = app
        .post("/api/v1/divisions", json!({"code": "MOT", "name": "Motors", "calendar_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(unknown_calendar.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_calendar.error_fields(), ["calendar_id"]);
    assert_eq!(app.count("divisions"), 0);
    assert_eq!(app.count("audit_log"), 0);
    assert_eq!(app.count("change_events"), 0);
}

#[actix_web::test]
async fn duplicate_codes_and_names_conflict() {
    let app = TestApp::new().await;
    let first = division(&app, "MOT", "Motors").await;
    let dup = app.post("/api/v1/divisions", json!({"code": "mot", "name": "MOTORS"})).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.code(), "duplicate");
    assert_eq!(dup.error_fields(), ["code", "name"]);
    let other = division(&app, "PWR", "Power").await;
    let rename = app.patch(&format!("/api/v1/divisions/{other}"), Some(1), json!({"code": "MOT"})).await;
    assert_eq!(rename.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("divisions"), 2);
    assert_ne!(first, other);
}

#[actix_web::test]
async fn a_referenced_division_is_archived_not_deleted() {
    let app = TestApp::new().await;
    let id = division(&app, "MOT", "Motors").await;
    branch(&app, &id, "MOT-VI", "Victoria Island", "Lagos").await;
    let reply = app.delete(&format!("/api/v1/divisions/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(reply.body["archived_at"].is_string());
    assert_eq!(reply.body["version"], 2);
    assert_eq!(app.count("divisions"), 1);

    assert_eq!(app.list_all("/api/v1/divisions").await.len(), 0);
    assert_eq!(app.list_all("/api/v1/divisions?include_archived=true").await.len(), 1);
    let actions: Vec<String> = app.audit_of("division", &id).into_iter().map(|(a, ..)| a).collect();
    assert_eq!(actions, ["created", "archived"]);

    let new_branch = app.post("/api/v1/branches", json!({"division_id": id, "code": "MOT-IK", "name": "Ikeja"})).await;
    assert_eq!(new_branch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(new_branch.error_fields(), ["division_id"]);

    let restored = app.patch(&format!("/api/v1/divisions/{id}"), Some(2), json!({"archived": false})).await;
    assert_eq!(restored.status, StatusCode::OK);
    assert!(restored.body["archived_at"].is_null());
}

#[actix_web::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::new().await;
    for id in [uuid::Uuid::now_v7().to_string(), "not-an-id".to_owned(), "%27%20OR%201=1".to_owned()] {
        let reply = app.get(&format!("/api/v1/divisions/{id}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(reply.code(), "not_found");
        let patch = app.patch(&format!("/api/v1/divisions/{id}"), Some(1), json!({"name": "x"})).await;
        assert_eq!(patch.status, StatusCode::NOT_FOUND);
        assert_eq!(app.delete(&format!("/api/v1/divisions/{id}")).await.status, StatusCode::NOT_FOUND);
    }
}
