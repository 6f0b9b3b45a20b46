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
}
