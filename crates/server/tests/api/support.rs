//! The test harness: a fresh database per test and a client for the real app.
//!
//! SQLite (a temp file) by default; with `TEST_DATABASE_URL=postgres://…`
//! every test gets its own freshly created PostgreSQL database instead, so
//! the same suite runs on both backends and tests run in parallel.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test as atest;
use diesel::Connection as _;
use diesel::{PgConnection, RunQueryDsl as _};
use rapport_auth::tokens::TokenKeys;
use rapport_auth::users::api::CreateUser;
use rapport_auth::users::store as users;
use rapport_core::audit::WriteContext;
use rapport_core::db::{DatabaseUrl, Db, PoolOptions};
use rapport_core::principal::Role;
use rapport_server::config::HttpConfig;
use rapport_server::{AppState, build_app};
use serde_json::Value;

/// The token signing secret of every test app.
pub const TEST_SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem `code`, for error replies.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("reply has an id").to_owned()
    }
}

pub struct TestApp {
    /// An access token of an admin, sent by the plain helpers.
    pub admin_token: String,
    /// The admin's user id.
    pub admin_id: String,
    state: Option<AppState>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
    url: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(HttpConfig::default()).await
    }

    pub async fn with_config(config: HttpConfig) -> Self {
        let (url, dir, pg) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("rapport_t_{}", uuid::Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&admin).expect("TEST_DATABASE_URL reachable");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create test database");
                let url = replace_db_name(&admin, &name);
                (url, None, Some((admin, name)))
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                (url, Some(dir), None)
            }
        };
        let raw_url = url.clone();
        let url = DatabaseUrl::parse(&url).expect("valid url");
        let db = Db::open(&url, &PoolOptions { max_connections: 4, ..PoolOptions::default() }).expect("open db");
        db.migrate().expect("migrate");
        {
            let mut conn = db.write().expect("write connection");
            rapport_metrics::rollups::prepare(&mut conn, config.company_time_zone).expect("metric counts");
        }
        let keys =
            TokenKeys::new(TEST_SECRET, chrono::Duration::minutes(15), chrono::Duration::days(30)).expect("keys");
        let state = AppState::new(db, config, keys);
        let mut app = Self {
            admin_token: String::new(),
            admin_id: String::new(),
            state: Some(state),
            _dir: dir,
            pg,
            url: raw_url,
        };
        let (admin_id, admin_token) = app.user_with_token(Role::Admin, None, None);
        // Each test starts with an empty audit log and change feed.
        let mut conn = app.db().write().expect("conn");
        diesel::sql_query("DELETE FROM audit_log").execute(&mut *conn).expect("clear audit");
        diesel::sql_query("DELETE FROM change_events").execute(&mut *conn).expect("clear events");
        drop(conn);
        (app.admin_id, app.admin_token) = (admin_id, admin_token);
        app
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.state().keys
    }

    /// Creates a user with `role` (without a password) straight in the
    /// database and returns its id and an access token.
    pub fn user_with_token(&self, role: Role, division_id: Option<&str>, branch_id: Option<&str>) -> (String, String) {
        let input = CreateUser {
            email: format!("{}-{}@test.rapport", role.as_str(), uuid::Uuid::now_v7().simple()),
            name: format!("Test {}", role.as_str()),
            phone: None,
            role,
            division_id: division_id.map(str::to_owned),
            branch_id: branch_id.map(str::to_owned),
            password: None,
        };
        let mut conn = self.db().write().expect("conn");
        let user = conn.transaction(|c| users::create(c, &WriteContext::system(), input, None)).expect("create user");
        let (token, _) = self.keys().issue(&user.id, chrono::Utc::now()).expect("token");
        (user.id, token)
    }

    /// Creates a user with a real password, for sign-in tests.
    pub fn user_with_password(&self, email: &str, password: &str, role: Role, division_id: Option<&str>) -> String {
        let input = CreateUser {
            email: email.to_owned(),
            name: "Signing In".to_owned(),
            phone: None,
            role,
            division_id: division_id.map(str::to_owned),
            branch_id: None,
            password: None,
        };
        let hash = rapport_auth::password::hash(password).expect("hash");
        let mut conn = self.db().write().expect("conn");
        conn.transaction(|c| users::create(c, &WriteContext::system(), input, Some(hash))).expect("create user").id
    }

    /// The test database's URL, for other processes to open.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    pub fn db(&self) -> &Db {
        &self.state().db
    }

    fn state(&self) -> &AppState {
        self.state.as_ref().expect("state present until drop")
    }

    /// Sends `req` as the admin.
    pub async fn call(&self, req: atest::TestRequest) -> Reply {
        self.call_as(req, Some(&self.admin_token.clone())).await
    }

    /// Sends `req` with `token` as bearer credential (or none).
    pub async fn call_as(&self, req: atest::TestRequest, token: Option<&str>) -> Reply {
        let req = match token {
            Some(token) => req.insert_header(("authorization", format!("Bearer {token}"))),
            None => req,
        };
        let app = atest::init_service(build_app(self.state().clone())).await;
        let res = atest::call_service(&app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = atest::read_body(res).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(atest::TestRequest::get().uri(path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(atest::TestRequest::post().uri(path).set_json(body)).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let req =
            atest::TestRequest::post().uri(path).insert_header(("content-type", content_type)).set_payload(body.into());
        self.call(req).await
    }

    pub async fn patch(&self, path: &str, if_match: Option<i64>, body: Value) -> Reply {
        let mut req = atest::TestRequest::patch().uri(path).set_json(body);
        if let Some(v) = if_match {
            req = req.insert_header(("if-match", format!("\"{v}\"")));
        }
        self.call(req).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(atest::TestRequest::put().uri(path).set_json(body)).await
    }

    /// Sends `req` as the holder of `token`.
    pub async fn get_as(&self, path: &str, token: &str) -> Reply {
        self.call_as(atest::TestRequest::get().uri(path), Some(token)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(atest::TestRequest::delete().uri(path)).await
    }

    /// Every item of a list, following cursors.
    pub async fn list_all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next: Option<String> = None;
        loop {
            let url = match &next {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_owned(),
            };
            let reply = self.get(&url).await;
            assert_eq!(reply.status, StatusCode::OK, "{url}: {:?}", reply.body);
            items.extend(reply.body["data"].as_array().cloned().unwrap_or_default());
            match reply.body["next_cursor"].as_str() {
                Some(c) => next = Some(c.to_owned()),
                None => return items,
            }
        }
    }

    /// Audit entries recorded for a record, oldest first: (action, actor_kind, request_id).
    pub fn audit_of(&self, entity_type: &str, id: &str) -> Vec<(String, String, Option<String>)> {
        let mut conn = self.db().read().expect("conn");
        rapport_core::audit::entries_for(&mut conn, entity_type, id)
            .expect("audit")
            .into_iter()
            .map(|e| (e.action, e.actor_kind, e.request_id))
            .collect()
    }

    /// Change events recorded for a record, in feed order: (action, payload).
    pub fn events_of(&self, entity_type: &str, id: &str) -> Vec<(String, Value)> {
        let mut conn = self.db().read().expect("conn");
        rapport_core::audit::events_for(&mut conn, entity_type, id)
            .expect("events")
            .into_iter()
            .map(|e| (e.action, serde_json::from_str(&e.payload).expect("json payload")))
            .collect()
    }

    /// Rows in a table, counted directly.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db().read().expect("conn");
        diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.state.take());
        if let Some((admin, name)) = self.pg.take()
            && let Ok(mut conn) = PgConnection::establish(&admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].rfind('/') {
        Some(i) => format!("{}/{name}", &base[..host_start + i]),
        None => format!("{base}/{name}"),
    };
    match query {
        Some(q) => format!("{base}?{q}"),
        None => base,
    }
}

/// Creates a division and returns its id.
pub async fn division(app: &TestApp, code: &str, name: &str) -> String {
    let reply = app.post("/api/v1/divisions", serde_json::json!({"code": code, "name": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// Creates a branch and returns its id.
pub async fn branch(app: &TestApp, division_id: &str, code: &str, name: &str, city: &str) -> String {
    let body = serde_json::json!({"division_id": division_id, "code": code, "name": name, "city": city});
    let reply = app.post("/api/v1/branches", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// Creates a person customer dealing with `division_id` and returns its id.
pub async fn customer(app: &TestApp, division_id: &str, last_name: &str) -> String {
    let body = serde_json::json!({"kind": "person", "first_name": "Test", "last_name": last_name, "division_ids": [division_id]});
    let reply = app.post("/api/v1/customers", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}
