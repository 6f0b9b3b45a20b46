//! Conventions every endpoint shares: problem+json for bad input, body
//! limits, idempotent retries, request ids, security headers, CORS.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use rapport_server::config::HttpConfig;
use serde_json::json;

use crate::support::TestApp;

#[actix_web::test]
async fn bad_bodies_get_precise_problems_and_store_nothing() {
    let app = TestApp::new().await;
    let cases: [(&str, &str, StatusCode, &str); 7] = [
        ("application/json", "{\"code\": \"MOT\", ", StatusCode::BAD_REQUEST, "malformed_json"),
        ("application/json", "", StatusCode::BAD_REQUEST, "malformed_json"),
        ("application/json", "{\"code\": 7, \"name\": \"Motors\"}", StatusCode::BAD_REQUEST, "invalid_body"),
        (
            "application/json",
            "{\"code\": \"MOT\", \"name\": \"Motors\", \"colour\": 1}",
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "application/json",
            "{\"code\": \"MOT\", \"code\": \"PWR\", \"name\": \"M\"}",
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        ("application/json", "[1, 2]", StatusCode::BAD_REQUEST, "invalid_body"),
        (
            "text/plain",
            "{\"code\": \"MOT\", \"name\": \"Motors\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let reply = app.post_raw("/api/v1/divisions", content_type, body).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{body}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        assert_eq!(reply.body["status"], status.as_u16());
        assert_eq!(reply.body["type"], format!("urn:rapport:problem:{code}"));
    }
    let wrong_type = app.post_raw("/api/v1/divisions", "application/json", "{\"code\": 7, \"name\": \"M\"}").await;
    assert_eq!(wrong_type.error_fields(), ["code"]);
    let unknown = app
        .post_raw("/api/v1/divisions", "application/json", "{\"code\": \"A1\", \"name\": \"M\", \"colour\": 1}")
        .await;
    assert_eq!(unknown.error_fields(), ["colour"]);
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_field");
    assert_eq!(app.count("divisions"), 0);
    assert_eq!(app.count("audit_log"), 0);
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::with_config(HttpConfig { max_body_bytes: 1024, ..HttpConfig::default() }).await;
    let big = json!({"code": "MOT", "name": "x".repeat(2000)}).to_string();
    let reply = app.post_raw("/api/v1/divisions", "application/json", big.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "payload_too_large");
    // The same through the idempotency layer, which reads the body first.
    let req = TestRequest::post()
        .uri("/api/v1/divisions")
        .insert_header(("content-type", "application/json"))
        .insert_header(("idempotency-key", "big-1"))
        .set_payload(big);
    assert_eq!(app.call(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("divisions"), 0);
}

fn keyed(key: &str, body: serde_json::Value) -> TestRequest {
    TestRequest::post().uri("/api/v1/divisions").insert_header(("idempotency-key", key)).set_json(body)
}

#[actix_web::test]
async fn idempotency_keys_replay_the_first_response() {
    let app = TestApp::new().await;
    let body = json!({"code": "MOT", "name": "Motors"});
    let first = app.call(keyed("key-1", body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = app.call(keyed("key-1", body.clone())).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("divisions"), 1);
    assert_eq!(app.count("audit_log"), 1);

    let different = app.call(keyed("key-1", json!({"code": "PWR", "name": "Power"}))).await;
    assert_eq!(different.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(different.code(), "idempotency_key_reused");
    assert_eq!(app.count("divisions"), 1);

    // Errors are replayed too: the retry of a refused request is refused the same way.
    let dup = app.call(keyed("key-2", body.clone())).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.call(keyed("key-2", body)).await.body, dup.body);

    let blank = app.call(keyed("", json!({"code": "ZZ", "name": "Z"}))).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.code(), "invalid_header");
}

#[actix_web::test]
async fn unknown_routes_answer_problem_json() {
    let app = TestApp::new().await;
    let reply = app.get("/api/v1/no-such-thing").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "route_not_found");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = TestApp::new().await;
    let generated = app.get("/api/v1/divisions").await;
    assert!(generated.header("x-request-id").is_some_and(|id| uuid::Uuid::try_parse(id).is_ok()));
    let given = app.call(TestRequest::get().uri("/healthz").insert_header(("x-request-id", "abc-123"))).await;
    assert_eq!(given.header("x-request-id"), Some("abc-123"));
    let hostile = app.call(TestRequest::get().uri("/healthz").insert_header(("x-request-id", "a b\tc"))).await;
    assert_ne!(hostile.header("x-request-id"), Some("a b\tc"));
    for reply in [&generated, &given] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    }
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let config = HttpConfig { cors_origins: vec!["https://crm.example.com".to_owned()], ..HttpConfig::default() };
    let app = TestApp::with_config(config).await;
    let preflight = |origin: &str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/v1/divisions")
            .insert_header(("origin", origin.to_owned()))
            .insert_header(("access-control-request-method", "POST"))
    };
    let allowed = app.call(preflight("https://crm.example.com")).await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://crm.example.com"));
    let foreign = app.call(preflight("https://evil.example.net")).await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    let simple = app
        .call(TestRequest::get().uri("/api/v1/divisions").insert_header(("origin", "https://crm.example.com")))
        .await;
    assert_eq!(simple.status, StatusCode::OK);
    assert!(simple.header("access-control-expose-headers").is_some_and(|h| h.contains("etag")));
}
