//! Background jobs: task reminders run once at their time; a worker that
//! dies after leasing is replaced and cannot commit late; failures back
//! off, then die until an admin retries; two server processes on one
//! database run every job exactly once.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use chrono::TimeDelta;
use diesel::{Connection as _, RunQueryDsl as _};
use rapport_core::audit::WriteContext;
use rapport_core::db::write_transaction;
use rapport_core::jobs::{self, NewJob};
use rapport_core::principal::{Reach, Role};
use rapport_server::job_runner::{JobSettings, run_batch};
use rapport_tasks::TaskKind;
use rapport_tasks::delivery::Channels;
use rapport_tasks::task::{self, CreateTask};
use serde_json::json;

use crate::support::{TestApp, division};

fn settings() -> JobSettings {
    JobSettings { batch: 10, lease: TimeDelta::seconds(30), idle: Duration::from_millis(20) }
}

/// One batch with no e-mail configured (deliveries are skipped).
fn run(app: &TestApp, worker: &str) -> usize {
    run_batch(app.db(), worker, &settings(), &Channels::with_email(None)).expect("batch")
}

#[actix_web::test]
async fn a_task_reminder_runs_once_at_its_time_and_a_moved_one_only_at_the_new_time() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    // Inbox only, so that the reminders are the only jobs.
    let inbox_only =
        actix_web::test::TestRequest::put().uri("/api/v1/notifications/preferences").set_json(json!({"email": false}));
    assert_eq!(app.call_as(inbox_only, Some(&rep_token)).await.status, StatusCode::OK);
    let past = (chrono::Utc::now() - TimeDelta::minutes(5)).to_rfc3339();
    let due = (chrono::Utc::now() + TimeDelta::hours(1)).to_rfc3339();
    let body = json!({"title": "Call Ada", "kind": "follow_up_call", "division_id": motors, "assignee_id": rep,
        "due_at": due, "remind_at": past});
    let created = app.post("/api/v1/tasks", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(app.count("jobs"), 1);

    assert_eq!(run(&app, "w1"), 1);
    assert_eq!(run(&app, "w1"), 0, "done jobs are not leased again");
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await;
    let kinds: Vec<&str> =
        inbox.body["data"].as_array().expect("data").iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, ["task_due", "task_assigned"]);
    let listed = app.get("/api/v1/jobs?status=done&kind=task_reminder").await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["data"][0]["payload"]["task_id"], json!(id));
    assert_eq!(listed.body["data"][0]["attempts"], json!(1));

    // Saving the same reminder again schedules nothing; moving it schedules
    // the new time, and a reminder for a time no longer set does nothing.
    let same = app.patch(&format!("/api/v1/tasks/{id}"), Some(1), json!({"title": "Call Ada Lovelace"})).await;
    assert_eq!(same.status, StatusCode::OK, "{:?}", same.body);
    assert_eq!(app.count("jobs"), 1);
    let later = (chrono::Utc::now() + TimeDelta::minutes(30)).to_rfc3339();
    app.patch(&format!("/api/v1/tasks/{id}"), Some(2), json!({"remind_at": later})).await;
    assert_eq!(app.count("jobs"), 2);
    assert_eq!(run(&app, "w1"), 0, "not due yet");
    let sooner = (chrono::Utc::now() - TimeDelta::minutes(1)).to_rfc3339();
    app.patch(&format!("/api/v1/tasks/{id}"), Some(3), json!({"remind_at": sooner})).await;
    // Completed before its reminder ran: the reminder says nothing.
    let done = app.post(&format!("/api/v1/tasks/{id}/complete"), json!({"outcome": "reached", "version": 4})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(run(&app, "w1"), 1);
    assert_eq!(app.count("notifications WHERE kind = 'task_due'"), 1);
}

#[actix_web::test]
async fn a_worker_that_dies_after_leasing_is_replaced_and_cannot_commit_late() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let past = (chrono::Utc::now() - TimeDelta::minutes(5)).to_rfc3339();
    let body = json!({"title": "Call Ada", "kind": "callback", "division_id": motors,
        "due_at": chrono::Utc::now().to_rfc3339(), "remind_at": past});
    assert_eq!(app.post("/api/v1/tasks", body).await.status, StatusCode::CREATED);
    // The admin created it for themselves: no task_assigned notice.
    assert_eq!(app.count("notifications"), 0);

    // Worker "crashed" leases the job and is never heard of again.
    let mut conn = app.db().write().expect("conn");
    let lost =
        conn.transaction(|c| jobs::lease(c, "crashed", 10, TimeDelta::seconds(5), chrono::Utc::now())).expect("lease");
    assert_eq!(lost.len(), 1);
    drop(conn);
    assert_eq!(run(&app, "alive"), 0, "a live lease is not taken over");

    // After its lease ran out, another worker runs the job, once.
    let mut conn = app.db().write().expect("conn");
    let later = chrono::Utc::now() + TimeDelta::seconds(6);
    let taken = conn.transaction(|c| jobs::lease(c, "alive", 10, TimeDelta::seconds(30), later)).expect("lease");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempt, 2);
    let ran = conn
        .transaction(|c| {
            rapport_tasks::reminders::remind(c, &taken[0].payload)?;
            jobs::complete(c, &taken[0], "alive")
        })
        .expect("run");
    assert!(ran);
    // The crashed worker, coming back, cannot complete what it no longer holds.
    let late = conn.transaction(|c| jobs::complete(c, &lost[0], "crashed")).expect("complete");
    assert!(!late, "a lost lease must not complete");
    drop(conn);
    assert_eq!(app.count("notifications WHERE kind = 'task_due'"), 1);
    // What remains is the e-mail of that notice (skipped: no SMTP here).
    assert_eq!(run(&app, "alive"), 1);
    assert_eq!(app.count("jobs WHERE kind = 'deliver_notification' AND status = 'done'"), 1);
    assert_eq!(run(&app, "alive"), 0);
}

#[actix_web::test]
async fn failures_back_off_then_die_until_an_admin_retries() {
    let app = TestApp::new().await;
    let mut conn = app.db().write().expect("conn");
    let job = NewJob {
        kind: "no_such_kind",
        payload: json!({"x": 1}),
        run_at: rapport_core::time::now(),
        dedupe_key: Some("once".into()),
        max_attempts: 2,
    };
    let id = jobs::enqueue(&mut conn, job.clone()).expect("enqueue").expect("new");
    assert_eq!(jobs::enqueue(&mut conn, job).expect("enqueue"), None, "the same occurrence is enqueued once");
    drop(conn);

    assert_eq!(run(&app, "w"), 1);
    let first = app.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(first.body["status"], json!("queued"));
    assert_eq!(first.body["attempts"], json!(1));
    assert!(first.body["last_error"].as_str().is_some_and(|e| e.contains("no_such_kind")), "{:?}", first.body);
    let instant = |field: &str| -> chrono::DateTime<chrono::Utc> {
        first.body[field].as_str().expect("instant").parse().expect("instant")
    };
    // Measured from the failure, which set both.
    assert_eq!(instant("run_at") - instant("updated_at"), TimeDelta::seconds(10), "backs off 10 s");
    assert_eq!(run(&app, "w"), 0, "not before its backoff");

    // Pretend the backoff passed: the last attempt fails, the job is dead.
    let mut conn = app.db().write().expect("conn");
    diesel::sql_query(format!("UPDATE jobs SET run_at = created_at WHERE id = '{id}'"))
        .execute(&mut *conn)
        .expect("rewind");
    drop(conn);
    assert_eq!(run(&app, "w"), 1);
    let dead = app.get("/api/v1/jobs?status=dead").await;
    assert_eq!(dead.body["data"][0]["id"], json!(id));
    assert_eq!(dead.body["data"][0]["attempts"], json!(2));
    assert!(dead.body["data"][0]["finished_at"].is_string());

    let retried = app.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!((retried.body["status"].as_str(), retried.body["attempts"].as_i64()), (Some("queued"), Some(0)));
    let audited: Vec<String> = app.audit_of("job", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(audited, ["updated"]);
    let again = app.post(&format!("/api/v1/jobs/{id}/retry"), json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "not_dead"));

    for (url, status) in [
        ("/api/v1/jobs?status=stuck", StatusCode::BAD_REQUEST),
        ("/api/v1/jobs/not-an-id", StatusCode::NOT_FOUND),
        ("/api/v1/jobs/01900000-0000-7000-8000-000000000000", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(url).await.status, status, "{url}");
    }
    let anonymous = app.call_as(actix_web::test::TestRequest::get().uri("/api/v1/jobs"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    assert_eq!(app.get_as("/api/v1/jobs", &analyst).await.status, StatusCode::FORBIDDEN);
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

/// Polls `GET /readyz` on `port` for up to 30 seconds.
fn wait_until_ready(port: u16) {
    use std::io::{Read as _, Write as _};
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let request = format!("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut answer).is_ok()
                && answer.starts_with("HTTP/1.1 200")
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("replica on port {port} never became ready");
}

/// Jobs of one batch share a transaction, each in a savepoint: one that
/// fails rolls back alone and is queued for a retry; the others stand.
#[actix_web::test]
async fn a_failing_job_in_a_batch_does_not_undo_its_neighbours() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let mut conn = app.db().write().expect("conn");
    let bad = NewJob {
        kind: "no_such_kind",
        payload: json!({}),
        run_at: rapport_core::time::now() - TimeDelta::minutes(2),
        dedupe_key: None,
        max_attempts: 3,
    };
    let bad = jobs::enqueue(&mut conn, bad).expect("enqueue").expect("new");
    drop(conn);
    create_reminders(&app, &motors, 3);
    assert_eq!(run(&app, "w"), 4 + 3, "three reminders, their three assignment e-mails, one bad job");
    assert_eq!(app.count(REMINDERS_DONE), 3);
    assert_eq!(app.count("notifications WHERE kind = 'task_due'"), 3);
    let failed = app.get(&format!("/api/v1/jobs/{bad}")).await;
    assert_eq!((failed.body["status"].as_str(), failed.body["attempts"].as_i64()), (Some("queued"), Some(1)));
}

/// Starts `rapport serve` on `port` against the test database, with job
/// loops set by `jobs` (`--job-…` arguments) and nothing else running.
fn spawn_replica(app: &TestApp, port: u16, jobs: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", app.database_url()])
        .args(["--jwt-secret", "replica-secret-replica-secret-replica-secret"])
        .args(["--job-poll-ms", "20", "--sweep-interval", "0", "--log", "warn"])
        .args(jobs)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start rapport")
}

/// `n` open tasks for the admin, each with a reminder due a minute ago,
/// written as the replicas run (BEGIN IMMEDIATE: on SQLite they share the
/// file's write lock).
fn create_reminders(app: &TestApp, division_id: &str, n: usize) {
    let mut conn = app.db().write().expect("conn");
    let reminded_at = chrono::Utc::now() - TimeDelta::minutes(1);
    for chunk in 0..n.div_ceil(20) {
        write_transaction(&mut conn, |c| {
            for i in 0..20.min(n - chunk * 20) {
                let input = CreateTask {
                    title: format!("Reminder {chunk}.{i}"),
                    kind: TaskKind::Callback,
                    priority: None,
                    related_type: None,
                    related_id: None,
                    division_id: Some(division_id.to_owned()),
                    branch_id: None,
                    assignee_id: Some(app.admin_id.clone()),
                    due_at: reminded_at + TimeDelta::hours(1),
                    remind_at: Some(reminded_at),
                    notes: None,
                };
                task::create(c, &WriteContext::system(), &Reach::everything(), input)?;
            }
            Ok::<_, rapport_core::Error>(())
        })
        .expect("tasks");
    }
}

const REMINDERS_DONE: &str = "jobs WHERE kind = 'task_reminder' AND status = 'done'";

/// Waits up to `secs` for `n` reminders to be done.
fn wait_for_reminders(app: &TestApp, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while app.count(REMINDERS_DONE) < n as i64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(replica: &mut std::process::Child) {
    replica.kill().expect("stop replica");
    replica.wait().expect("reap replica");
}

/// Each reminder ran once: `n` done, `n` notices, one per task.
fn assert_exactly_once(app: &TestApp, n: usize) {
    assert_eq!(app.count(REMINDERS_DONE), n as i64, "every reminder ran");
    assert_eq!(app.count("notifications WHERE kind = 'task_due'"), n as i64, "exactly once each");
    assert_eq!(
        app.count("(SELECT DISTINCT entity_id FROM notifications WHERE kind = 'task_due') AS reminded"),
        n as i64
    );
}

/// Two `rapport serve` processes, two job loops each, share one database:
/// every reminder runs exactly once, and (on PostgreSQL) both take part.
#[actix_web::test]
async fn two_server_processes_run_every_job_exactly_once() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ports = [free_port(), free_port()];
    let mut replicas = ports.map(|port| spawn_replica(&app, port, &["--job-workers", "2", "--job-batch", "5"]));
    // Both must be up before the jobs arrive, or the first could take them all.
    for port in ports {
        wait_until_ready(port);
    }
    const TASKS: usize = 200;
    create_reminders(&app, &motors, TASKS);
    wait_for_reminders(&app, TASKS, 60);
    for replica in &mut replicas {
        stop(replica);
    }
    assert_exactly_once(&app, TASKS);
    // On SQLite the two share one file's write lock, which is not fair: a
    // replica may lose every race. Exactly-once holds there too; taking
    // part is checked on PostgreSQL, where replicas are the production set-up.
    if app.db().backend() == rapport_core::db::Backend::Sqlite {
        return;
    }
    for replica in &replicas {
        let mine = app.count(&format!("jobs WHERE lease_owner LIKE '%:{}:%'", replica.id()));
        assert!(mine > 0, "replica {} ran no job", replica.id());
    }
}

/// A replica killed (SIGKILL) while it holds leased jobs: once the leases
/// run out, another replica runs them; nothing is lost, nothing runs twice.
#[actix_web::test]
async fn a_replica_killed_while_holding_leases_loses_nothing_and_doubles_nothing() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    const TASKS: usize = 400;
    create_reminders(&app, &motors, TASKS);
    let mut doomed =
        spawn_replica(&app, free_port(), &["--job-workers", "1", "--job-batch", "300", "--job-lease-secs", "5"]);
    let holding = format!("jobs WHERE status = 'running' AND lease_owner LIKE '%:{}:%'", doomed.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.count(&holding) == 0 {
        assert!(Instant::now() < deadline, "the replica never leased a job");
        std::thread::sleep(Duration::from_millis(2));
    }
    stop(&mut doomed);
    let stranded = app.count("jobs WHERE status = 'running'");
    assert!(stranded > 0, "killed while holding leases");

    let mut rescuer =
        spawn_replica(&app, free_port(), &["--job-workers", "2", "--job-batch", "50", "--job-lease-secs", "5"]);
    wait_for_reminders(&app, TASKS, 90);
    stop(&mut rescuer);
    assert_exactly_once(&app, TASKS);
    let retried = app.count("jobs WHERE kind = 'task_reminder' AND attempts >= 2");
    assert!(retried >= 1, "the stranded jobs ran again after their lease ran out");
}

/// This module's endpoints for the access-matrix test: a dead job per call,
/// so each role's retry has one to retry.
pub async fn matrix_endpoints(app: &TestApp, _home: &str, n: usize) -> Vec<crate::matrix::Endpoint> {
    use actix_web::http::Method;
    use rapport_auth::policy::Operation::{Read, Update};
    use rapport_auth::policy::Resource::Jobs;

    use crate::matrix::endpoint;
    let mut conn = app.db().write().expect("conn");
    let job = NewJob {
        kind: "matrix",
        payload: json!({"n": n}),
        run_at: rapport_core::time::now(),
        dedupe_key: None,
        max_attempts: 1,
    };
    let id = jobs::enqueue(&mut conn, job).expect("enqueue").expect("new");
    diesel::sql_query(format!("UPDATE jobs SET status = 'dead', finished_at = created_at WHERE id = '{id}'"))
        .execute(&mut *conn)
        .expect("dead");
    drop(conn);
    vec![
        endpoint(Method::GET, "/api/v1/jobs".into(), None, Jobs, Read),
        endpoint(Method::GET, format!("/api/v1/jobs/{id}"), None, Jobs, Read),
        endpoint(Method::POST, format!("/api/v1/jobs/{id}/retry"), None, Jobs, Update),
    ]
}
