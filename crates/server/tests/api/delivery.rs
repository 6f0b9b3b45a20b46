//! Notification delivery beyond the inbox: e-mail over SMTP (captured by a
//! sink this test starts), messaging channels behind the same trait, each
//! user's channel preferences, and retries when the mail server is down.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::TimeDelta;
use rapport_core::principal::Role;
use rapport_server::job_runner::{JobSettings, run_batch};
use rapport_tasks::delivery::{Channel, Channels, EmailChannel, Outbound};
use serde_json::json;

use crate::support::{TestApp, division};

/// A local SMTP server that accepts every message and keeps it.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("sink port");
        let port = listener.local_addr().expect("address").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let kept = kept.clone();
                std::thread::spawn(move || converse(stream, &kept));
            }
        });
        SmtpSink { port, messages }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("lock").clone()
    }
}

/// Just enough SMTP (RFC 5321) for one client session.
fn converse(stream: std::net::TcpStream, kept: &Mutex<Vec<String>>) {
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut say = |line: &str| writer.write_all(format!("{line}\r\n").as_bytes()).is_ok();
    if !say("220 sink ESMTP") {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let ok = match verb.as_str() {
            "EHLO" | "HELO" => say("250 sink"),
            "MAIL" | "RCPT" | "RSET" | "NOOP" => say("250 OK"),
            "DATA" => {
                if !say("354 end with <CRLF>.<CRLF>") {
                    return;
                }
                let mut message = String::new();
                loop {
                    let mut data = String::new();
                    if reader.read_line(&mut data).unwrap_or(0) == 0 {
                        return;
                    }
                    if data == ".\r\n" {
                        break;
                    }
                    message.push_str(&data);
                }
                kept.lock().expect("lock").push(message);
                say("250 queued")
            }
            "QUIT" => {
                say("221 bye");
                return;
            }
            _ => say("502 not implemented"),
        };
        if !ok {
            return;
        }
    }
}

/// A messaging channel that keeps what it is given.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<Outbound>>>);

impl Channel for Recorder {
    fn send(&self, message: &Outbound) -> Result<(), String> {
        self.0.lock().map_err(|e| e.to_string())?.push(message.clone());
        Ok(())
    }
}

fn settings() -> JobSettings {
    JobSettings { batch: 50, lease: TimeDelta::seconds(30), idle: Duration::from_millis(20) }
}

async fn assign_task(app: &TestApp, division_id: &str, assignee: &str, title: &str) -> String {
    let body = json!({"title": title, "kind": "callback", "division_id": division_id, "assignee_id": assignee,
        "due_at": (chrono::Utc::now() + TimeDelta::hours(2)).to_rfc3339()});
    let reply = app.post("/api/v1/tasks", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

#[actix_web::test]
async fn notifications_go_by_email_to_the_sink_and_by_the_channels_each_user_chose() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rep_email = app.get(&format!("/api/v1/users/{rep}")).await.body["email"].as_str().expect("email").to_owned();
    let sink = SmtpSink::start();
    let whatsapp = Recorder::default();
    let channels = Channels {
        email: Some(Box::new(EmailChannel::new(&sink.url(), "Rapport CRM <crm@test.rapport>").expect("smtp"))),
        sms: Box::new(Recorder::default()),
        whatsapp: Box::new(whatsapp.clone()),
        webhooks: rapport_tasks::webhooks::Client::default(),
    };
    let run = || run_batch(app.db(), "w", &settings(), &channels).expect("batch");

    // Defaults: inbox and e-mail.
    let preferences = app.get_as("/api/v1/notifications/preferences", &rep_token).await;
    assert_eq!(preferences.body, json!({"email": true, "sms": false, "whatsapp": false}));
    let task = assign_task(&app, &motors, &rep, "Call back Mrs Okafor").await;
    assert_eq!(run(), 1);
    let mail = sink.messages();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0].contains(&format!("To: \"Test sales_rep\" <{rep_email}>")) || mail[0].contains(&rep_email),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("Subject: New task for you: Call back Mrs Okafor"), "{}", mail[0]);
    assert!(
        mail[0].contains("From: Rapport CRM <crm@test.rapport>") || mail[0].contains("crm@test.rapport"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains(&task), "the body names the task: {}", mail[0]);
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await;
    let notification = inbox.body["data"][0]["id"].as_str().expect("id").to_owned();
    assert!(mail[0].contains(&format!("Message-ID: <{notification}@rapport>")), "{}", mail[0]);
    assert_eq!(run(), 0, "sent once");

    // WhatsApp instead of e-mail, to the phone on the rep's profile.
    let phone = app.patch(&format!("/api/v1/users/{rep}"), Some(1), json!({"phone": "0803 123 4567"})).await;
    assert_eq!(phone.status, StatusCode::OK, "{:?}", phone.body);
    let change =
        TestRequest::put().uri("/api/v1/notifications/preferences").set_json(json!({"email": false, "whatsapp": true}));
    let audited_before = app.audit_of("user", &rep).len();
    let changed = app.call_as(change, Some(&rep_token)).await;
    assert_eq!(changed.body, json!({"email": false, "sms": false, "whatsapp": true}));
    assert_eq!(app.audit_of("user", &rep).len(), audited_before + 1, "the change is audited");
    assign_task(&app, &motors, &rep, "Visit the fleet customer").await;
    assert_eq!(run(), 1);
    assert_eq!(sink.messages().len(), 1, "no more e-mail");
    let sent = whatsapp.0.lock().expect("lock").clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+2348031234567");
    assert_eq!(sent[0].subject, "New task for you: Visit the fleet customer");

    // Bad preference input changes nothing; anonymous callers are refused.
    let bad = TestRequest::put().uri("/api/v1/notifications/preferences").set_json(json!({"pigeon": true}));
    assert!(app.call_as(bad, Some(&rep_token)).await.status.is_client_error());
    let wrong_type = TestRequest::put().uri("/api/v1/notifications/preferences").set_json(json!({"email": "yes"}));
    assert!(app.call_as(wrong_type, Some(&rep_token)).await.status.is_client_error());
    let after = app.get_as("/api/v1/notifications/preferences", &rep_token).await;
    assert_eq!(after.body, json!({"email": false, "sms": false, "whatsapp": true}));
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/notifications/preferences"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_unreachable_mail_server_means_a_retry_later_not_a_lost_email() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("address").port();
    let down = Channels::with_email(Some(Box::new(
        EmailChannel::new(&format!("smtp://127.0.0.1:{closed}"), "crm@test.rapport").expect("smtp"),
    )));
    assign_task(&app, &motors, &rep, "Call back").await;
    assert_eq!(run_batch(app.db(), "w", &settings(), &down).expect("batch"), 1);
    let jobs = app.get("/api/v1/jobs?kind=deliver_notification").await;
    let job = &jobs.body["data"][0];
    assert_eq!(job["status"], json!("queued"), "{job:?}");
    assert!(job["last_error"].as_str().is_some_and(|e| e.contains("email delivery failed")), "{job:?}");

    // The server is back and the back-off has passed: delivered once.
    let sink = SmtpSink::start();
    let up = Channels::with_email(Some(Box::new(EmailChannel::new(&sink.url(), "crm@test.rapport").expect("smtp"))));
    let later = chrono::Utc::now() + TimeDelta::seconds(11);
    let mut conn = app.db().write().expect("conn");
    let leased = rapport_core::jobs::lease(&mut conn, "w", 10, TimeDelta::seconds(30), later).expect("lease");
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].attempt, 2);
    rapport_tasks::delivery::deliver(&mut conn, &up, &leased[0].payload).expect("deliver");
    assert!(rapport_core::jobs::complete(&mut conn, &leased[0], "w").expect("complete"));
    drop(conn);
    assert_eq!(sink.messages().len(), 1);
}
