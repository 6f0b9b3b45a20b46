//! Webhooks: a receiver started by the test verifies each delivery's
//! signature with `webhooks::verify`; changes reach subscribed receivers
//! once; failures retry with backoff, then die until an admin redelivers;
//! secret rotation keeps the old secret valid for the grace period; a
//! receiver that never answers does not slow the API.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::TimeDelta;
use diesel::RunQueryDsl as _;
use rapport_core::principal::Role;
use rapport_server::job_runner::{JobSettings, fan_out, run_batch};
use rapport_tasks::delivery::Channels;
use rapport_tasks::webhooks::{self, Client, verify};
use serde_json::{Value, json};

use crate::support::{TestApp, customer, division};

/// What the receiver answers to the next request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Read the request, then say nothing for this long.
    Hang(Duration),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    /// Whether `verify` accepted it with the receiver's secret.
    verified: bool,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("json body")
    }

    fn verifies_with(&self, secret: &str) -> bool {
        let now = chrono::Utc::now().timestamp();
        verify(secret, &self.id, &self.timestamp, &self.signature, self.body.as_bytes(), now, 300).is_ok()
    }
}

#[derive(Default)]
struct ReceiverState {
    secret: String,
    script: VecDeque<Answer>,
    received: Vec<Received>,
    /// Requests read so far (a hanging one included).
    arrived: usize,
}

/// A webhook receiver on 127.0.0.1: verifies, records, answers as scripted
/// (200 once the script is used up).
struct Receiver {
    port: u16,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("receiver port");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Receiver { port, state }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/rapport", self.port)
    }

    fn set_secret(&self, secret: &str) {
        self.state.lock().expect("lock").secret = secret.to_owned();
    }

    fn script(&self, answers: &[Answer]) {
        self.state.lock().expect("lock").script.extend(answers.iter().copied());
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }

    fn arrived(&self) -> usize {
        self.state.lock().expect("lock").arrived
    }
}

/// Just enough HTTP/1.1 for one request.
fn serve(stream: TcpStream, shared: &Mutex<ReceiverState>) {
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut headers = std::collections::HashMap::new();
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
    let (id, timestamp, signature) =
        (header("rapport-webhook-id"), header("rapport-webhook-timestamp"), header("rapport-webhook-signature"));
    let answer = {
        let mut state = shared.lock().expect("lock");
        state.arrived += 1;
        let now = chrono::Utc::now().timestamp();
        let verified = verify(&state.secret, &id, &timestamp, &signature, &body, now, 300).is_ok();
        let body = String::from_utf8_lossy(&body).into_owned();
        state.received.push(Received { id, timestamp, signature, body, verified });
        if verified { state.script.pop_front().unwrap_or(Answer::Status(200)) } else { Answer::Status(401) }
    };
    match answer {
        Answer::Hang(how_long) => std::thread::sleep(how_long),
        Answer::Status(status) => {
            let text = format!("{{\"answer\":{status}}}");
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = writer.write_all(reply.as_bytes());
        }
    }
}

fn settings() -> JobSettings {
    JobSettings { batch: 50, lease: TimeDelta::seconds(30), idle: Duration::from_millis(20) }
}

/// Channels with a webhook client that gives up after 2 s.
fn channels() -> Channels {
    Channels::with_email(None).with_webhook_client(Client::new(Duration::from_secs(1), Duration::from_secs(2)))
}

/// Job runner batches (fan-out included) until one runs something, for up
/// to 10 s: on PostgreSQL the change feed shows an event only once every
/// transaction older than it has ended, and transaction ids are shared by
/// every database of the server, so another test's open transaction can
/// hold an event back for a moment.
fn run(app: &TestApp) -> usize {
    run_on(app.db(), &channels())
}

fn run_on(db: &rapport_core::db::Db, channels: &Channels) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        fan_out(db).expect("fan-out");
        let ran = run_batch(db, "w", &settings(), channels).expect("batch");
        if ran > 0 || Instant::now() > deadline {
            return ran;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One batch, expected to find nothing to do.
fn run_idle(app: &TestApp) -> usize {
    fan_out(app.db()).expect("fan-out");
    run_batch(app.db(), "w", &settings(), &channels()).expect("batch")
}

/// Makes every queued retry due now, as if its backoff had passed.
fn backoff_passes(app: &TestApp) {
    let mut conn = app.db().write().expect("conn");
    diesel::sql_query("UPDATE jobs SET run_at = created_at WHERE status = 'queued'")
        .execute(&mut *conn)
        .expect("rewind");
}

/// Subscribes `receiver` to `event_types`; returns the id and the secret.
async fn subscribe(app: &TestApp, receiver: &Receiver, event_types: Value, extra: Value) -> (String, String) {
    let mut body = json!({"name": "ERP", "url": receiver.url(), "event_types": event_types});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let reply = app.post("/api/v1/webhooks", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let secret = reply.body["secret"].as_str().expect("secret").to_owned();
    receiver.set_secret(&secret);
    (reply.body["webhook"]["id"].as_str().expect("id").to_owned(), secret)
}

async fn deliveries(app: &TestApp, webhook: &str) -> Vec<Value> {
    app.list_all(&format!("/api/v1/webhooks/{webhook}/deliveries")).await
}

#[actix_web::test]
async fn a_change_reaches_a_subscribed_receiver_once_signed() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let receiver = Receiver::start();
    let (webhook, secret) = subscribe(&app, &receiver, json!(["customer.created", "lead.*"]), json!({})).await;
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 43, "{secret}");
    // Not shown again, and never in the audit trail or the change feed.
    let read = app.get(&format!("/api/v1/webhooks/{webhook}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.body.to_string().contains(&secret));
    assert_eq!(app.count(&format!("change_events WHERE payload LIKE '%{secret}%'")), 0);
    assert_eq!(app.count(&format!("audit_log WHERE changes LIKE '%{secret}%'")), 0);
    assert_eq!(app.audit_of("webhook_subscription", &webhook)[0].0, "created");

    let ada = customer(&app, &motors, "Lovelace").await;
    // Not subscribed: a division and a customer update.
    division(&app, "GEN", "Generators").await;
    let patched = app.patch(&format!("/api/v1/customers/{ada}"), Some(1), json!({"first_name": "Ada"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(run(&app), 1, "one delivery job");
    assert_eq!(run_idle(&app), 0, "and nothing more");

    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].verified && got[0].verifies_with(&secret));
    assert!(!got[0].verifies_with("whsec_someone-else"));
    let body = got[0].json();
    assert_eq!(body["type"], json!("customer.created"));
    assert_eq!(body["data"]["id"], json!(ada));
    assert!(body["id"].as_str().is_some() && body["occurred_at"].as_str().is_some(), "{body}");

    let listed = deliveries(&app, &webhook).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], json!(got[0].id), "Rapport-Webhook-Id is the delivery id");
    assert_eq!(listed[0]["status"], json!("delivered"));
    assert_eq!(listed[0]["attempts"], json!(1));
    assert_eq!(listed[0]["event_id"], body["id"]);
    let one = app.get(&format!("/api/v1/webhook-deliveries/{}", got[0].id)).await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body["attempt_log"][0]["status_code"], json!(200));
    assert_eq!(one.body["attempt_log"][0]["response_excerpt"], json!("{\"answer\":200}"));
    let delivered = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries?status=delivered")).await;
    assert_eq!(delivered.body["data"].as_array().map(Vec::len), Some(1));
    let dead = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries?status=dead")).await;
    assert_eq!(dead.body["data"], json!([]));

    // A subscription only gets events from after its creation.
    let late = Receiver::start();
    let (late_hook, _) = subscribe(&app, &late, json!(["*"]), json!({})).await;
    assert_eq!(run_idle(&app), 0);
    assert!(late.received().is_empty());
    assert!(deliveries(&app, &late_hook).await.is_empty());
}

#[actix_web::test]
async fn a_receiver_answering_500_then_200_gets_a_retry() {
    let app = TestApp::new().await;
    let receiver = Receiver::start();
    let (webhook, _) = subscribe(&app, &receiver, json!(["division.*"]), json!({})).await;
    receiver.script(&[Answer::Status(500)]);
    division(&app, "MOT", "Motors").await;

    assert_eq!(run(&app), 1);
    let first = deliveries(&app, &webhook).await;
    assert_eq!(first[0]["status"], json!("failed"));
    assert_eq!(first[0]["last_status_code"], json!(500));
    assert_eq!(run_idle(&app), 0, "not before its backoff");
    backoff_passes(&app);
    assert_eq!(run(&app), 1);

    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].id, got[1].id, "a retry keeps the delivery id");
    assert!(got.iter().all(|r| r.verified));
    let id = first[0]["id"].as_str().expect("id");
    let one = app.get(&format!("/api/v1/webhook-deliveries/{id}")).await;
    assert_eq!(one.body["status"], json!("delivered"));
    assert_eq!(one.body["attempts"], json!(2));
    let log = one.body["attempt_log"].as_array().expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!((log[0]["attempt"].clone(), log[0]["status_code"].clone()), (json!(1), json!(500)));
    assert_eq!(log[0]["error"], json!("HTTP 500"));
    assert_eq!((log[1]["attempt"].clone(), log[1]["status_code"].clone()), (json!(2), json!(200)));
    assert_eq!(log[1]["error"], Value::Null);
}

#[actix_web::test]
async fn a_receiver_that_always_fails_ends_dead_and_an_admin_redelivers() {
    let app = TestApp::new().await;
    let sales = division(&app, "SLS", "Sales").await;
    let receiver = Receiver::start();
    let (webhook, _) = subscribe(&app, &receiver, json!(["division.created"]), json!({"max_attempts": 2})).await;
    receiver.script(&[Answer::Status(500), Answer::Status(503)]);
    division(&app, "MOT", "Motors").await;
    assert_eq!(run(&app), 1);
    backoff_passes(&app);
    assert_eq!(run(&app), 1);
    let dead = deliveries(&app, &webhook).await;
    assert_eq!(dead[0]["status"], json!("dead"));
    assert_eq!(dead[0]["attempts"], json!(2));
    assert_eq!(app.count("jobs WHERE kind = 'deliver_webhook' AND status = 'dead'"), 1);
    backoff_passes(&app);
    assert_eq!(run_idle(&app), 0, "dead means no more tries");

    let id = dead[0]["id"].as_str().expect("id").to_owned();
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&sales), None);
    let refused =
        app.call_as(TestRequest::post().uri(&format!("/api/v1/webhook-deliveries/{id}/redeliver")), Some(&rep)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let again = app.post(&format!("/api/v1/webhook-deliveries/{id}/redeliver"), json!({})).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["status"], json!("pending"));
    let twice = app.post(&format!("/api/v1/webhook-deliveries/{id}/redeliver"), json!({})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.code(), "delivery_in_progress");
    assert_eq!(run(&app), 1);
    let got = receiver.received();
    assert_eq!(got.len(), 3, "the redelivery was sent");
    assert_eq!(got[2].id, id);
    let one = app.get(&format!("/api/v1/webhook-deliveries/{id}")).await;
    assert_eq!(one.body["status"], json!("delivered"));
    assert_eq!(one.body["attempt_log"].as_array().map(Vec::len), Some(3));
    let audit = app.audit_of("webhook_delivery", &id);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].0, "updated");

    // Deleting a subscription with deliveries deactivates it; a delivery
    // of an inactive subscription is not redelivered.
    let removed = app.delete(&format!("/api/v1/webhooks/{webhook}")).await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["active"], json!(false));
    let inactive = app.post(&format!("/api/v1/webhook-deliveries/{id}/redeliver"), json!({})).await;
    assert_eq!(inactive.status, StatusCode::CONFLICT);
    assert_eq!(inactive.code(), "webhook_inactive");
}

#[actix_web::test]
async fn during_a_rotation_both_secrets_sign_and_afterwards_only_the_new() {
    let app = TestApp::new().await;
    let receiver = Receiver::start();
    let (webhook, old) = subscribe(&app, &receiver, json!(["division.*"]), json!({})).await;

    let too_long =
        app.post(&format!("/api/v1/webhooks/{webhook}/rotate-secret?grace_period_seconds=604801"), json!({})).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST, "{:?}", too_long.body);
    let stale = app
        .call(
            TestRequest::post()
                .uri(&format!("/api/v1/webhooks/{webhook}/rotate-secret"))
                .insert_header(("if-match", "\"7\"")),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let rotated = app.post(&format!("/api/v1/webhooks/{webhook}/rotate-secret"), json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new = rotated.body["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    let until: chrono::DateTime<chrono::Utc> =
        rotated.body["webhook"]["previous_secret_expires_at"].as_str().expect("grace").parse().expect("instant");
    let grace = until - chrono::Utc::now();
    assert!(grace > TimeDelta::hours(23) && grace <= TimeDelta::hours(24), "{grace}");
    assert_eq!(app.count(&format!("audit_log WHERE changes LIKE '%{new}%' OR changes LIKE '%{old}%'")), 0);

    // The receiver still has the old secret: it keeps verifying.
    division(&app, "MOT", "Motors").await;
    assert_eq!(run(&app), 1);
    let during = receiver.received();
    assert!(during[0].verified, "the old secret verifies during the grace period");
    assert!(during[0].verifies_with(&new), "and so does the new one");
    assert_eq!(during[0].signature.split(' ').count(), 2);

    // The grace period ends.
    let mut conn = app.db().write().expect("conn");
    diesel::sql_query("UPDATE webhook_subscriptions SET previous_secret_expires_at = created_at")
        .execute(&mut *conn)
        .expect("expire");
    drop(conn);
    let read = app.get(&format!("/api/v1/webhooks/{webhook}")).await;
    assert_eq!(read.body["previous_secret_expires_at"], Value::Null);
    receiver.set_secret(&new);
    receiver.script(&[]);
    division(&app, "GEN", "Generators").await;
    assert_eq!(run(&app), 1);
    let after = receiver.received();
    assert_eq!(after.len(), 2);
    assert!(after[1].verified && after[1].verifies_with(&new));
    assert!(!after[1].verifies_with(&old), "the old secret no longer signs");
    assert_eq!(after[1].signature.split(' ').count(), 1);

    // A rotation with no grace retires the old secret at once.
    let at_once =
        app.post(&format!("/api/v1/webhooks/{webhook}/rotate-secret?grace_period_seconds=0"), json!({})).await;
    assert_eq!(at_once.status, StatusCode::OK);
    assert_eq!(at_once.body["webhook"]["previous_secret_expires_at"], Value::Null);
}

#[actix_web::test]
async fn a_receiver_that_never_answers_does_not_slow_the_api() {
    let app = TestApp::new().await;
    let receiver = Receiver::start();
    let (webhook, _) = subscribe(&app, &receiver, json!(["division.created"]), json!({})).await;
    receiver.script(&[Answer::Hang(Duration::from_secs(8))]);
    division(&app, "MOT", "Motors").await;

    // The client gives up after 4 s; were the send holding the database's
    // writer, every write below would wait that long.
    let db = app.db().clone();
    let patient =
        Channels::with_email(None).with_webhook_client(Client::new(Duration::from_secs(1), Duration::from_secs(4)));
    let worker = std::thread::spawn(move || run_on(&db, &patient));
    let waited = Instant::now();
    while receiver.arrived() == 0 {
        assert!(waited.elapsed() < Duration::from_secs(15), "the delivery never reached the receiver");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The delivery hangs now; reads and writes go on. (Generous bounds: a
    // debug build on a busy machine, and each call builds the whole app.)
    for n in 0..3 {
        let started = Instant::now();
        let listed = app.get("/api/v1/webhooks").await;
        assert_eq!(listed.status, StatusCode::OK);
        assert!(started.elapsed() < Duration::from_millis(1500), "a read took {:?}", started.elapsed());
        let started = Instant::now();
        let created = app.post("/api/v1/divisions", json!({"code": format!("D{n}"), "name": format!("D {n}")})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        assert!(started.elapsed() < Duration::from_millis(1500), "a write took {:?}", started.elapsed());
    }
    assert!(!worker.is_finished(), "the delivery was still hanging while the requests ran");
    assert_eq!(worker.join().expect("worker"), 1);
    let listed = deliveries(&app, &webhook).await;
    assert_eq!(listed[0]["status"], json!("failed"));
    let id = listed[0]["id"].as_str().expect("id");
    let one = app.get(&format!("/api/v1/webhook-deliveries/{id}")).await;
    let attempt = &one.body["attempt_log"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(attempt["duration_ms"].as_i64().is_some_and(|ms| (3500..8000).contains(&ms)), "{attempt}");
    assert!(attempt["error"].as_str().is_some_and(|e| !e.is_empty()), "{attempt}");
}

#[actix_web::test]
async fn bad_subscriptions_are_refused_whole_and_access_follows_the_policy() {
    let app = TestApp::new().await;
    let bad_url = app
        .post("/api/v1/webhooks", json!({"name": "x", "url": "ftp://example.com/x", "event_types": ["lead.created"]}))
        .await;
    assert_eq!(bad_url.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad_url.body);
    assert_eq!(bad_url.error_fields(), ["url"]);
    let bad_type = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "x", "url": "https://erp.example.com/in", "event_types": ["lead.created", "bogus.created", "lead"]}),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad_type.body);
    assert_eq!(bad_type.error_fields(), ["event_types[1]", "event_types[2]"]);
    let none = app
        .post("/api/v1/webhooks", json!({"name": "x", "url": "https://erp.example.com/in", "event_types": []}))
        .await;
    assert_eq!(none.error_fields(), ["event_types"]);
    assert_eq!(app.count("webhook_subscriptions"), 0, "nothing stored");

    let created = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "ERP", "url": "https://erp.example.com/in", "event_types": ["customer.*"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.header("location").is_some_and(|l| l.starts_with("/api/v1/webhooks/")));
    let id = created.body["webhook"]["id"].as_str().expect("id").to_owned();
    assert_eq!(created.body["webhook"]["created_by"], json!(app.admin_id));
    assert_eq!(created.body["webhook"]["max_attempts"], json!(8));

    // Filters.
    let taking = app.get("/api/v1/webhooks?event_type=customer.updated&active=true").await;
    assert_eq!(taking.body["data"].as_array().map(Vec::len), Some(1), "{:?}", taking.body);
    let other = app.get("/api/v1/webhooks?event_type=lead.created").await;
    assert_eq!(other.body["data"], json!([]));
    let bogus = app.get("/api/v1/webhooks?event_type=bogus.created").await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/v1/webhooks?colour=red").await.status, StatusCode::BAD_REQUEST);

    // Versions.
    let stale = app.patch(&format!("/api/v1/webhooks/{id}"), Some(9), json!({"active": false})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let bad_patch = app.patch(&format!("/api/v1/webhooks/{id}"), Some(1), json!({"event_types": ["nope.*"]})).await;
    assert_eq!(bad_patch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let patched =
        app.patch(&format!("/api/v1/webhooks/{id}"), Some(1), json!({"active": false, "description": "paused"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["version"], json!(2));
    assert_eq!(patched.header("etag"), Some("\"2\""));

    // Who may.
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/webhooks"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let motors = division(&app, "MOT", "Motors").await;
    for role in [Role::SalesRep, Role::Supervisor, Role::Manager, Role::Analyst] {
        let (_, token) = app.user_with_token(role, Some(&motors), None);
        let reply = app.get_as(&format!("/api/v1/webhooks/{id}"), &token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", role.as_str());
    }
    let (erp, _) = app.user_with_token(Role::Integration, None, None);
    let key = app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "hooks", "scopes": ["webhooks:read"]})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();
    assert_eq!(app.get_as("/api/v1/webhooks", &key).await.status, StatusCode::OK);
    let write = TestRequest::post()
        .uri("/api/v1/webhooks")
        .set_json(json!({"name": "k", "url": "https://erp.example.com/in", "event_types": ["*"]}));
    assert_eq!(app.call_as(write, Some(&key)).await.status, StatusCode::FORBIDDEN, "needs webhooks:write");

    for path in ["/api/v1/webhooks/not-an-id", "/api/v1/webhook-deliveries/01900000-0000-7000-8000-000000000000"] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let no_deliveries = app.get("/api/v1/webhooks/01900000-0000-7000-8000-000000000000/deliveries").await;
    assert_eq!(no_deliveries.status, StatusCode::NOT_FOUND);

    // Never delivered to: deleted outright.
    let gone = app.delete(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(app.audit_of("webhook_subscription", &id).last().map(|a| a.0.clone()), Some("deleted".into()));
}

#[actix_web::test]
async fn other_parts_of_rapport_send_one_delivery_per_event_id() {
    let app = TestApp::new().await;
    let receiver = Receiver::start();
    let (webhook, _) = subscribe(&app, &receiver, json!(["task.created"]), json!({})).await;
    let mut conn = app.db().write().expect("conn");
    let payload = json!({"rule": "welcome call", "lead_id": "L1"});
    let first = webhooks::send(&mut conn, &webhook, "automation.fired", "run-1", &payload).expect("send");
    let again = webhooks::send(&mut conn, &webhook, "automation.fired", "run-1", &payload).expect("send");
    assert_eq!(first, again, "the same event id is delivered once");
    let unknown = webhooks::send(&mut conn, "01900000-0000-7000-8000-000000000000", "a.b", "run-2", &payload);
    assert!(matches!(unknown, Err(rapport_core::Error::NotFound { .. })));
    drop(conn);
    assert_eq!(run(&app), 1);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].verified);
    assert_eq!(got[0].id, first);
    let body = got[0].json();
    assert_eq!((body["id"].clone(), body["type"].clone()), (json!("run-1"), json!("automation.fired")));
    assert_eq!(body["data"], payload);
}

/// The webhook endpoints for the access matrix (`matrix.rs`).
pub async fn matrix_endpoints(app: &TestApp, _home: &str, n: usize) -> Vec<crate::matrix::Endpoint> {
    use actix_web::http::Method;
    use rapport_auth::policy::Operation::{Create, Delete, Read, Update};
    use rapport_auth::policy::Resource::Webhooks;

    use crate::matrix::endpoint;
    let body = || json!({"name": format!("Hook {n}"), "url": "https://erp.example.com/in", "event_types": ["*"]});
    let hook = app.post("/api/v1/webhooks", body()).await;
    let id = hook.body["webhook"]["id"].as_str().expect("id").to_owned();
    let spare = app.post("/api/v1/webhooks", body()).await;
    let spare = spare.body["webhook"]["id"].as_str().expect("id").to_owned();
    let mut conn = app.db().write().expect("conn");
    let delivery = webhooks::send(&mut conn, &id, "matrix.checked", &format!("m{n}"), &json!({})).expect("send");
    diesel::sql_query(format!("UPDATE webhook_deliveries SET status = 'dead' WHERE id = '{delivery}'"))
        .execute(&mut *conn)
        .expect("dead");
    drop(conn);
    vec![
        endpoint(Method::GET, "/api/v1/webhooks".into(), None, Webhooks, Read),
        endpoint(Method::GET, format!("/api/v1/webhooks/{id}"), None, Webhooks, Read),
        endpoint(Method::GET, format!("/api/v1/webhooks/{id}/deliveries"), None, Webhooks, Read),
        endpoint(Method::GET, format!("/api/v1/webhook-deliveries/{delivery}"), None, Webhooks, Read),
        endpoint(Method::POST, "/api/v1/webhooks".into(), Some(body()), Webhooks, Create),
        endpoint(
            Method::PATCH,
            format!("/api/v1/webhooks/{id}"),
            Some(json!({"description": "x", "version": 1})),
            Webhooks,
            Update,
        ),
        endpoint(Method::POST, format!("/api/v1/webhooks/{id}/rotate-secret"), None, Webhooks, Update),
        endpoint(Method::POST, format!("/api/v1/webhook-deliveries/{delivery}/redeliver"), None, Webhooks, Update),
        endpoint(Method::DELETE, format!("/api/v1/webhooks/{spare}"), None, Webhooks, Delete),
    ]
}
