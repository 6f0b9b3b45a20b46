//! The change feed: every change in one fixed order, resumable, never
//! skipping an event even while writers commit out of order.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::Connection as _;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, customer, division};

/// Reads the feed from `after` until `want` events have arrived or ten
/// seconds pass. On PostgreSQL an event shows once every transaction that
/// began writing before it has ended, in any database of the cluster (other
/// tests' included), so a read may briefly lag.
async fn read_until(app: &TestApp, query: &str, after: Option<&str>, want: usize) -> (Vec<Value>, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let mut url = format!("/api/v1/events?limit=3{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&after={c}"));
        }
        let reply = app.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {:?}", reply.body);
        let page = reply.body["data"].as_array().cloned().unwrap_or_default();
        if let Some(next) = reply.body["next_cursor"].as_str() {
            cursor = Some(next.to_owned());
        }
        let more = reply.body["has_more"] == json!(true);
        events.extend(page);
        if events.len() >= want || (!more && Instant::now() > deadline) {
            return (events, cursor);
        }
        if !more {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn summary(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| (e["entity_type"].as_str().unwrap_or("?").to_owned(), e["action"].as_str().unwrap_or("?").to_owned()))
        .collect()
}

#[actix_web::test]
async fn the_feed_lists_every_change_in_order_and_resumes_where_it_stopped() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let renamed = app.patch(&format!("/api/v1/customers/{ada}"), Some(1), json!({"last_name": "Lovelace"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);

    let (events, cursor) = read_until(&app, "", None, 3).await;
    assert_eq!(
        summary(&events),
        [
            ("division".into(), "created".into()),
            ("customer".into(), "created".into()),
            ("customer".into(), "updated".into())
        ]
    );
    assert_eq!(events[2]["entity_id"], json!(ada));
    assert_eq!(events[2]["payload"]["last_name"], json!("Lovelace"));
    assert!(events[1]["request_id"].is_string(), "{:?}", events[1]);
    let ids: std::collections::HashSet<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), 3);

    // Caught up: nothing new, and the cursor stays where it was.
    let cursor = cursor.expect("a cursor");
    let idle = app.get(&format!("/api/v1/events?after={cursor}")).await;
    assert_eq!(idle.body["data"], json!([]));
    assert_eq!(idle.body["next_cursor"], json!(cursor));
    assert_eq!(idle.body["has_more"], json!(false));

    // A new change (a customer with no history is deleted outright) arrives
    // after the cursor, alone.
    let archived = app.delete(&format!("/api/v1/customers/{ada}")).await;
    assert!(archived.status.is_success(), "{:?}", archived.body);
    let (next, _) = read_until(&app, "", Some(&cursor), 1).await;
    assert_eq!(summary(&next), [("customer".into(), "deleted".into())]);

    // Any event's own cursor resumes right behind it.
    let from_second = events[1]["cursor"].as_str().expect("cursor");
    let (rest, _) = read_until(&app, "", Some(from_second), 2).await;
    assert_eq!(rest[0]["id"], events[2]["id"]);

    // Narrowed to some entity types.
    let (customers_only, _) = read_until(&app, "&entity_type=customer,purchase", None, 3).await;
    assert_eq!(
        summary(&customers_only),
        [
            ("customer".into(), "created".into()),
            ("customer".into(), "updated".into()),
            ("customer".into(), "deleted".into())
        ]
    );
}

#[actix_web::test]
async fn bad_feed_requests_are_refused_and_need_the_right_role() {
    let app = TestApp::new().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=not-a-cursor", "after"),
        ("after=MTIz", "after"),
        ("entity_type=customer,planet", "entity_type"),
    ] {
        let reply = app.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    let unknown = app.get("/api/v1/events?since=1").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    let anonymous = app.call_as(actix_web::test::TestRequest::get().uri("/api/v1/events"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let motors = division(&app, "MOT", "Motors").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let refused = app.get_as("/api/v1/events", &manager).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a division manager may not read every division's changes");
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    assert_eq!(app.get_as("/api/v1/events", &analyst).await.status, StatusCode::OK);

    // An integration key needs `events:read`.
    let (erp, _) = app.user_with_token(Role::Integration, None, None);
    let key = app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "erp", "scopes": ["customers:read"]})).await;
    let secret = key.body["key"].as_str().expect("key secret").to_owned();
    let feed = || actix_web::test::TestRequest::get().uri("/api/v1/events");
    assert_eq!(app.call_as(feed(), Some(&secret)).await.status, StatusCode::FORBIDDEN);
    let key = app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "feed", "scopes": ["events:read"]})).await;
    let secret = key.body["key"].as_str().expect("key secret").to_owned();
    assert_eq!(app.call_as(feed(), Some(&secret)).await.status, StatusCode::OK);
}

/// The skip a feed ordered by `seq` alone suffers: a transaction takes an
/// earlier `seq`, a later one commits first, a reader passes it, and the
/// earlier event lands behind the reader. Here the early writer holds its
/// transaction open while the late one commits; the reader must not see the
/// late event before the early one, and once both are in, it gets both.
#[actix_web::test]
async fn an_event_committed_late_is_never_skipped() {
    let app = TestApp::new().await;
    let record = |db: rapport_core::db::Db,
                  id: &'static str,
                  started: Option<mpsc::Sender<()>>,
                  hold_until: Option<mpsc::Receiver<()>>| {
        std::thread::spawn(move || {
            let mut conn = db.write().expect("conn");
            conn.transaction(|c| {
                let body = json!({"id": id});
                audit::record(c, &WriteContext::system(), "division", id, Action::Created, None, Some(&body))?;
                if let Some(started) = started {
                    started.send(()).expect("signal");
                }
                if let Some(hold_until) = hold_until {
                    // Until the reader has read (or a generous timeout).
                    let _ = hold_until.recv_timeout(Duration::from_secs(30));
                }
                Ok::<_, rapport_core::Error>(())
            })
            .expect("write");
        })
    };
    let (started, early_wrote) = mpsc::channel();
    let (release, hold) = mpsc::channel();
    let early = record(app.db().clone(), "early", Some(started), Some(hold));
    early_wrote.recv().expect("early writer started");
    let late = record(app.db().clone(), "late", None, None);
    // On PostgreSQL the late writer commits now; on SQLite it waits for the
    // single writer. Either way, read while the early one is still open.
    std::thread::sleep(Duration::from_millis(200));
    let during = app.get("/api/v1/events").await;
    release.send(()).expect("release the early writer");
    let seen: Vec<&str> =
        during.body["data"].as_array().expect("data").iter().filter_map(|e| e["entity_id"].as_str()).collect();
    assert!(seen.is_empty(), "nothing may show while an earlier writer is open: {seen:?}");
    let cursor = during.body["next_cursor"].as_str().map(str::to_owned);

    early.join().expect("early");
    late.join().expect("late");
    let (after, _) = read_until(&app, "", cursor.as_deref(), 2).await;
    let ids: Vec<&str> = after.iter().filter_map(|e| e["entity_id"].as_str()).collect();
    assert_eq!(ids, ["early", "late"]);
}

/// Writers commit concurrently while a reader tails the feed; the reader
/// ends with every event exactly once, in the order a later full read gives.
#[actix_web::test]
async fn a_tailing_reader_gets_every_event_once_under_concurrent_writes() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let writers = (0..4).map(|w| {
        let app = &app;
        let motors = motors.clone();
        async move {
            for i in 0..10 {
                customer(app, &motors, &format!("W{w}-{i}")).await;
            }
        }
    });
    let tail = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        while seen.len() < 41 {
            let (page, next) = read_until(&app, "", cursor.as_deref(), 1).await;
            seen.extend(page);
            cursor = next;
        }
        seen
    };
    let (_, tailed) = futures_util::future::join(futures_util::future::join_all(writers), tail).await;
    let (full, _) = read_until(&app, "", None, 41).await;
    let ids = |events: &[Value]| events.iter().map(|e| e["id"].as_str().unwrap_or("?").to_owned()).collect::<Vec<_>>();
    assert_eq!(full.len(), 41, "1 division + 40 customers");
    assert_eq!(ids(&tailed), ids(&full), "the tail saw every event once, in the feed's order");
    assert_eq!(app.count("change_events"), 41);
}
