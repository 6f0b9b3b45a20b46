//! Sign-in, tokens, throttling, API keys, deactivation and the audit trail.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::support::{TEST_SECRET, TestApp, division};

const PASSWORD: &str = "a long and unusual sentence";

async fn login(app: &TestApp, email: &str, password: &str) -> crate::support::Reply {
    let req = TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr("10.1.2.3:5555".parse().expect("addr"))
        .set_json(json!({"email": email, "password": password}));
    app.call_as(req, None).await
}

async fn post_anon(app: &TestApp, path: &str, body: Value) -> crate::support::Reply {
    app.call_as(TestRequest::post().uri(path).set_json(body), None).await
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.call_as(TestRequest::get().uri("/api/v1/auth/me"), Some(token)).await.status
}

fn actions(app: &TestApp, entity_type: &str, id: &str) -> Vec<String> {
    app.audit_of(entity_type, id).into_iter().map(|(a, ..)| a).collect()
}

#[actix_web::test]
async fn login_refresh_rotation_reuse_and_logout() {
    let app = TestApp::new().await;
    let id = app.user_with_password("ada@example.com", PASSWORD, Role::Analyst, None);
    let signed_in = login(&app, " ADA@example.com ", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{:?}", signed_in.body);
    assert_eq!(signed_in.body["token_type"], "Bearer");
    assert_eq!(signed_in.body["expires_in"], 900);
    assert_eq!(signed_in.body["user"]["id"], id.as_str());
    assert!(signed_in.body["user"].get("password_hash").is_none());
    let access = signed_in.body["access_token"].as_str().expect("access").to_owned();
    let first_refresh = signed_in.body["refresh_token"].as_str().expect("refresh").to_owned();
    assert_eq!(me(&app, &access).await, StatusCode::OK);

    let rotated = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let second_refresh = rotated.body["refresh_token"].as_str().expect("refresh").to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(me(&app, rotated.body["access_token"].as_str().expect("access")).await, StatusCode::OK);

    // Presenting the spent token again revokes the whole family.
    let reused = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.code(), "invalid_token");
    let after_reuse = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": second_refresh})).await;
    assert_eq!(after_reuse.status, StatusCode::UNAUTHORIZED);

    // A new sign-in, then sign-out revokes its family.
    let again = login(&app, "ada@example.com", PASSWORD).await;
    let refresh = again.body["refresh_token"].as_str().expect("refresh").to_owned();
    let out = post_anon(&app, "/api/v1/auth/logout", json!({"refresh_token": refresh})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after_logout = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(after_logout.status, StatusCode::UNAUTHORIZED);
    let garbage = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": "rrt_nope"})).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);

    assert_eq!(actions(&app, "session", &id), ["logged_in", "refresh_token_reused", "logged_in", "logged_out"]);
    let entries = app.audit_of("session", &id);
    assert!(entries.iter().all(|(_, actor, request_id)| actor == "user" && request_id.is_some()));
}

#[actix_web::test]
async fn refusals_look_the_same_and_are_audited() {
    let app = TestApp::new().await;
    app.user_with_password("ada@example.com", PASSWORD, Role::Analyst, None);
    let wrong = login(&app, "ada@example.com", "not the password at all").await;
    let unknown = login(&app, "nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert!(wrong.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
    let failed = app.get("/api/v1/audit?action=login_failed").await;
    assert_eq!(failed.status, StatusCode::OK);
    let entries = failed.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["client_addr"] == "10.1.2.3"));
    let tried: Vec<&str> = entries.iter().filter_map(|e| e["entity_id"].as_str()).collect();
    assert_eq!(tried, ["nobody@example.com", "ada@example.com"]);
}

#[actix_web::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = TestApp::new().await;
    app.user_with_password("ada@example.com", PASSWORD, Role::Analyst, None);
    for _ in 0..5 {
        assert_eq!(login(&app, "ada@example.com", "wrong password here").await.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(blocked.code(), "rate_limited");
    let retry_after: i64 = blocked.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry_after));
    // Another account from another address is unaffected.
    app.user_with_password("bola@example.com", PASSWORD, Role::Analyst, None);
    let other = app
        .call_as(
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .peer_addr("10.9.9.9:1".parse().expect("addr"))
                .set_json(json!({"email": "bola@example.com", "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

#[actix_web::test]
async fn bad_tokens_are_refused() {
    let app = TestApp::new().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |iss: &str, aud: &str, exp: i64| json!({"sub": app.admin_id, "iat": now, "exp": exp, "iss": iss, "aud": aud, "jti": "x"});
    let good = sign(&claims("rapport", "rapport-api", now + 600), TEST_SECRET);
    assert_eq!(me(&app, &good).await, StatusCode::OK);
    let payload = good.split('.').nth(1).expect("payload");
    let unsigned = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
    for (name, token) in [
        ("expired", sign(&claims("rapport", "rapport-api", now - 3600), TEST_SECRET)),
        ("forged", sign(&claims("rapport", "rapport-api", now + 600), b"another-secret-another-secret-another!")),
        ("alg none", unsigned),
        ("wrong audience", sign(&claims("rapport", "someone-else", now + 600), TEST_SECRET)),
        ("wrong issuer", sign(&claims("evil", "rapport-api", now + 600), TEST_SECRET)),
        ("garbage", "not.a.token".to_owned()),
        ("unknown key", "rpk_00000000_secret".to_owned()),
    ] {
        let reply = app.call_as(TestRequest::get().uri("/api/v1/auth/me"), Some(&token)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{name}");
    }
    let none = app.call_as(TestRequest::get().uri("/api/v1/branches"), None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.code(), "unauthenticated");
    let basic = TestRequest::get().uri("/api/v1/branches").insert_header(("authorization", "Basic YTpi"));
    assert_eq!(app.call_as(basic, None).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn deactivation_and_role_changes_take_effect_at_once() {
    let app = TestApp::new().await;
    let div = division(&app, "MOT", "Motors").await;
    let branch = crate::support::branch(&app, &div, "MOT-VI", "Victoria Island", "Lagos").await;
    let (manager, token) = app.user_with_token(Role::Manager, Some(&div), None);
    let patch = |version: i64| {
        TestRequest::patch()
            .uri(&format!("/api/v1/branches/{branch}"))
            .insert_header(("if-match", format!("\"{version}\"")))
            .set_json(json!({"city": "Lekki"}))
    };
    assert_eq!(app.call_as(patch(1), Some(&token)).await.status, StatusCode::OK);

    let demoted =
        app.patch(&format!("/api/v1/users/{manager}"), Some(1), json!({"role": "analyst", "division_id": null})).await;
    assert_eq!(demoted.status, StatusCode::OK, "{:?}", demoted.body);
    let refused = app.call_as(patch(2), Some(&token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "forbidden");

    let deactivated = app.patch(&format!("/api/v1/users/{manager}"), Some(2), json!({"active": false})).await;
    assert_eq!(deactivated.status, StatusCode::OK);
    assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(actions(&app, "user", &manager), ["created", "updated", "updated"]);
}

#[actix_web::test]
async fn a_manager_only_reaches_their_own_division() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let foreign = crate::support::branch(&app, &power, "PWR-IK", "Ikeja", "Lagos").await;
    let own = crate::support::branch(&app, &motors, "MOT-VI", "Victoria Island", "Lagos").await;
    let (_, token) = app.user_with_token(Role::Manager, Some(&motors), None);
    let patch = |id: &str, body: Value| {
        TestRequest::patch().uri(&format!("/api/v1/branches/{id}")).insert_header(("if-match", "\"1\"")).set_json(body)
    };
    let out_of_scope = app.call_as(patch(&foreign, json!({"city": "Abuja"})), Some(&token)).await;
    assert_eq!(out_of_scope.status, StatusCode::NOT_FOUND);
    let moving = app.call_as(patch(&own, json!({"division_id": power})), Some(&token)).await;
    assert_eq!(moving.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/branches/{foreign}")).await.body["city"], "Lagos");

    // Users: a manager lists their division, a sales rep only themselves.
    let (colleague, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (stranger, _) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let listed = app.call_as(TestRequest::get().uri("/api/v1/users"), Some(&token)).await;
    let ids: Vec<&str> =
        listed.body["data"].as_array().into_iter().flatten().filter_map(|u| u["id"].as_str()).collect();
    assert!(ids.contains(&colleague.as_str()) && !ids.contains(&stranger.as_str()), "{ids:?}");
    let hidden = app.call_as(TestRequest::get().uri(&format!("/api/v1/users/{stranger}")), Some(&token)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let mine = app.call_as(TestRequest::get().uri("/api/v1/users"), Some(&rep_token)).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["data"][0]["id"], rep.as_str());
}

#[actix_web::test]
async fn api_keys_are_shown_once_scoped_and_revocable() {
    let app = TestApp::new().await;
    let erp =
        app.post("/api/v1/users", json!({"email": "erp@example.com", "name": "ERP", "role": "integration"})).await;
    assert_eq!(erp.status, StatusCode::CREATED, "{:?}", erp.body);
    let erp = erp.id();
    let bad = app
        .post("/api/v1/api-keys", json!({"user_id": app.admin_id, "name": "x", "scopes": ["org:read", "root"]}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["scopes[1]"]);
    let not_integration =
        app.post("/api/v1/api-keys", json!({"user_id": app.admin_id, "name": "x", "scopes": ["org:read"]})).await;
    assert_eq!(not_integration.error_fields(), ["user_id"]);

    let created =
        app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "Oracle sync", "scopes": ["org:read"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let key = created.body["key"].as_str().expect("key").to_owned();
    let prefix = created.body["api_key"]["prefix"].as_str().expect("prefix").to_owned();
    assert!(key.starts_with(&format!("{prefix}_")));
    let key_id = created.body["api_key"]["id"].as_str().expect("id").to_owned();
    let listed = app.get("/api/v1/api-keys").await;
    assert!(!listed.body.to_string().contains(&key), "the secret must never be listed");

    let as_key = |req: TestRequest| app.call_as(req, Some(&key));
    assert_eq!(as_key(TestRequest::get().uri("/api/v1/branches")).await.status, StatusCode::OK);
    let no_scope = as_key(TestRequest::get().uri("/api/v1/users")).await;
    assert_eq!(no_scope.status, StatusCode::FORBIDDEN);
    assert!(no_scope.body["detail"].as_str().is_some_and(|d| d.contains("users:read")));
    let role_forbids =
        as_key(TestRequest::post().uri("/api/v1/divisions").set_json(json!({"code": "X1", "name": "X"}))).await;
    assert_eq!(role_forbids.status, StatusCode::FORBIDDEN);
    let used = app.get("/api/v1/api-keys").await;
    assert!(used.body["data"][0]["last_used_at"].is_string());

    let revoked = app.delete(&format!("/api/v1/api-keys/{key_id}")).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    assert_eq!(as_key(TestRequest::get().uri("/api/v1/branches")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(actions(&app, "api_key", &key_id), ["created", "revoked"]);
}

#[actix_web::test]
async fn changing_ones_password() {
    let app = TestApp::new().await;
    app.user_with_password("ada@example.com", PASSWORD, Role::Analyst, None);
    let signed_in = login(&app, "ada@example.com", PASSWORD).await;
    let access = signed_in.body["access_token"].as_str().expect("access").to_owned();
    let refresh = signed_in.body["refresh_token"].as_str().expect("refresh").to_owned();
    let change = |current: &str, new: &str| {
        TestRequest::post()
            .uri("/api/v1/auth/password")
            .set_json(json!({"current_password": current, "new_password": new}))
    };
    let wrong = app.call_as(change("not my password!", "another long sentence here"), Some(&access)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let weak = app.call_as(change(PASSWORD, "password1234"), Some(&access)).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.body["errors"][0]["code"], "too_common");
    let ok = app.call_as(change(PASSWORD, "another long sentence here"), Some(&access)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    let old = post_anon(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "ada@example.com", "another long sentence here").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn creating_users_validates_everything() {
    let app = TestApp::new().await;
    let div = division(&app, "MOT", "Motors").await;
    let weak = app
        .post("/api/v1/users", json!({"email": "x@example.com", "name": "X", "role": "analyst", "password": "short"}))
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rep_without_division = app
        .post(
            "/api/v1/users",
            json!({"email": "x@example.com", "name": "X", "role": "sales_rep", "password": PASSWORD}),
        )
        .await;
    assert_eq!(rep_without_division.error_fields(), ["division_id"]);
    let bad = app
        .post(
            "/api/v1/users",
            json!({"email": "not-an-email", "name": "X", "role": "analyst", "phone": "12", "password": PASSWORD}),
        )
        .await;
    assert_eq!(bad.error_fields(), ["email", "phone"]);
    let unknown_role = app
        .post("/api/v1/users", json!({"email": "x@example.com", "name": "X", "role": "god", "password": PASSWORD}))
        .await;
    assert_eq!(unknown_role.status, StatusCode::BAD_REQUEST);
    let created = app
        .post(
            "/api/v1/users",
            json!({"email": "Ada@Example.com", "name": "Ada", "role": "sales_rep", "division_id": div,
                   "phone": "0803 123 4567", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "ada@example.com");
    assert_eq!(created.body["phone"], "+2348031234567");
    assert!(created.body.get("password").is_none());
    let dup = app
        .post(
            "/api/v1/users",
            json!({"email": "ADA@example.com", "name": "A", "role": "analyst", "password": PASSWORD}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn one_address_trying_many_accounts_is_throttled() {
    let app = TestApp::new().await;
    app.user_with_password("ada@example.com", PASSWORD, Role::Analyst, None);
    for i in 0..20 {
        let reply = login(&app, &format!("guess{i}@example.com"), "wrong password here").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Same address, right password for a real account: still refused.
    let blocked = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.header("retry-after").is_some());
}
