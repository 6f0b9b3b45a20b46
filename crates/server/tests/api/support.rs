//! The test harness: a fresh database per test and a client for the real app.
//!
//! SQLite (a temp file) by default; with `TEST_DATABASE_URL=postgres://…`
//! every test gets its own freshly created PostgreSQL database instead, so
//! the same suite runs on both backends and tests run in parallel.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test as atest;
use diesel::{Connection as _, PgConnection, RunQueryDsl as _};
use rapport_core::db::{DatabaseUrl, Db, PoolOptions};
use rapport_server::config::HttpConfig;
use rapport_server::{AppState, build_app};
use serde_json::Value;

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
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("reply has an id")
            .to_owned()
    }
}

pub struct TestApp {
    state: Option<AppState>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(HttpConfig::default()).await
    }

    pub async fn with_config(config: HttpConfig) -> Self {
        let (url, dir, pg) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("rapport_t_{}", uuid::Uuid::now_v7().simple());
                let mut conn =
                    PgConnection::establish(&admin).expect("TEST_DATABASE_URL reachable");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = replace_db_name(&admin, &name);
                (url, None, Some((admin, name)))
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                (url, Some(dir), None)
            }
        };
        let url = DatabaseUrl::parse(&url).expect("valid url");
        let db = Db::open(
            &url,
            &PoolOptions {
                max_connections: 4,
                ..PoolOptions::default()
            },
        )
        .expect("open db");
        db.migrate().expect("migrate");
        Self {
            state: Some(AppState {
                db,
                config: Arc::new(config),
            }),
            _dir: dir,
            pg,
        }
    }

    pub fn db(&self) -> &Db {
        &self.state().db
    }

    fn state(&self) -> &AppState {
        self.state.as_ref().expect("state present until drop")
    }

    pub async fn call(&self, req: atest::TestRequest) -> Reply {
        let app = atest::init_service(build_app(self.state().clone())).await;
        let res = atest::call_service(&app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = atest::read_body(res).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(atest::TestRequest::get().uri(path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(atest::TestRequest::post().uri(path).set_json(body))
            .await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        let req = atest::TestRequest::post()
            .uri(path)
            .insert_header(("content-type", content_type))
            .set_payload(body.into());
        self.call(req).await
    }

    pub async fn patch(&self, path: &str, if_match: Option<i64>, body: Value) -> Reply {
        let mut req = atest::TestRequest::patch().uri(path).set_json(body);
        if let Some(v) = if_match {
            req = req.insert_header(("if-match", format!("\"{v}\"")));
        }
        self.call(req).await
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
            .map(|e| {
                (
                    e.action,
                    serde_json::from_str(&e.payload).expect("json payload"),
                )
            })
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
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
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
    let reply = app
        .post(
            "/api/v1/divisions",
            serde_json::json!({"code": code, "name": name}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// Creates a branch and returns its id.
pub async fn branch(
    app: &TestApp,
    division_id: &str,
    code: &str,
    name: &str,
    city: &str,
) -> String {
    let body =
        serde_json::json!({"division_id": division_id, "code": code, "name": name, "city": city});
    let reply = app.post("/api/v1/branches", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}
