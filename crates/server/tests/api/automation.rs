//! Automation rules: the built-in defaults fire once each and do what they
//! say; conditions filter; admin-defined rules run their actions; every run
//! is recorded and explains the tasks it created; a rule fires once per
//! occurrence whatever restarts, rollbacks and concurrent replicas do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::db::schema::{assets, automation_rules, jobs, leads, ticket_slas};
use rapport_core::db::write_transaction;
use rapport_core::feed_consumer;
use rapport_core::principal::Role;
use rapport_server::automation::{Automation, DomainEffects};
use rapport_server::job_runner::{JobSettings, run_batch};
use rapport_tasks::automation::{defaults, run, scan};
use rapport_tasks::delivery::{Channel, Channels, Outbound};
use serde_json::{Value, json};

use crate::assets::asset;
use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::pipeline;
use crate::support::{TestApp, branch, customer, division};

const LAGOS: chrono_tz::Tz = chrono_tz::Africa::Lagos;

/// An e-mail channel that keeps what it is asked to send.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Outbound>>>);

impl Channel for Recorder {
    fn send(&self, message: &Outbound) -> Result<(), String> {
        self.0.lock().map_err(|e| e.to_string())?.push(message.clone());
        Ok(())
    }
}

impl Recorder {
    fn sent_to(&self, address: &str) -> Vec<Outbound> {
        self.0.lock().map(|m| m.iter().filter(|o| o.to == address).cloned().collect()).unwrap_or_default()
    }
}

fn stored_now(offset: TimeDelta) -> NaiveDateTime {
    rapport_core::time::stored(Utc::now() + offset)
}

/// Queues what is due and runs every due job, until nothing is left and
/// the rules have read the whole change feed. On PostgreSQL the feed shows
/// a transaction only once every older one in the cluster has finished, so
/// another test's open transaction can hold it back for a moment.
fn settle(app: &TestApp, channels: &Channels) {
    let automation = Automation::new(LAGOS, Duration::ZERO);
    let settings = JobSettings { batch: 50, lease: TimeDelta::seconds(30), idle: Duration::from_millis(10) };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        automation.step(app.db()).expect("automation step");
        let ran = run_batch(app.db(), "test-worker", &settings, channels).expect("batch");
        let lag = {
            let mut conn = app.db().read().expect("conn");
            feed_consumer::lag(&mut conn, feed_consumer::AUTOMATION).expect("lag")
        };
        if ran == 0 && lag == 0 {
            return;
        }
        if ran == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("jobs kept coming or the feed never caught up");
}

fn quiet() -> Channels {
    Channels::with_email(None)
}

/// Switches every built-in rule on.
fn enable_defaults(app: &TestApp) {
    let mut conn = app.db().write().expect("conn");
    let on = write_transaction(&mut conn, |c| defaults::enable_all(c, &rapport_core::audit::WriteContext::system()))
        .expect("enable");
    assert_eq!(on, defaults::KEYS.len());
}

/// As if every rule had been on, and never scanned, since `hours` ago.
fn rewind_rules(app: &TestApp, hours: i64) {
    let mut conn = app.db().write().expect("conn");
    diesel::update(automation_rules::table)
        .set((
            automation_rules::enabled_at.eq(stored_now(TimeDelta::hours(-hours))),
            automation_rules::scanned_until.eq(None::<NaiveDateTime>),
        ))
        .execute(&mut *conn)
        .expect("rewind");
}

fn builtin_id(app: &TestApp, key: &str) -> String {
    let mut conn = app.db().read().expect("conn");
    defaults::builtin_id(&mut conn, key).expect("lookup").expect("installed")
}

async fn tasks_by_rule(app: &TestApp, rule_id: &str) -> Vec<Value> {
    app.list_all("/api/v1/tasks?status=open").await.into_iter().filter(|t| t["rule_id"] == json!(rule_id)).collect()
}

async fn lead(app: &TestApp, division_id: &str, pipeline_id: &str, owner: &str, source: &str) -> String {
    let body = json!({"prospect_name": "Bola Ade", "prospect_phone": "0803 111 2222", "source": source,
        "division_id": division_id, "pipeline_id": pipeline_id, "owner_id": owner});
    let reply = app.post("/api/v1/leads", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn move_to(app: &TestApp, id: &str, stage_id: &str) {
    let version = app.get(&format!("/api/v1/leads/{id}")).await.body["version"].as_i64().expect("version");
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{id}/move"))
        .insert_header(("if-match", format!("\"{version}\"")))
        .set_json(json!({"to_stage_id": stage_id}));
    let reply = app.call(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

async fn category(app: &TestApp, name: &str, kind: &str) -> String {
    let reply = app.post("/api/v1/ticket-categories", json!({"name": name, "kind": kind})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn ticket(app: &TestApp, division_id: &str, category_id: &str, customer_id: &str) -> String {
    let body = json!({"division_id": division_id, "category_id": category_id, "channel": "call",
        "subject": "Noise from the front axle", "customer_id": customer_id});
    let reply = app.post("/api/v1/tickets", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

async fn set_status(app: &TestApp, id: &str, status: &str) {
    let version = app.get(&format!("/api/v1/tickets/{id}")).await.body["version"].as_i64().expect("version");
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/status"))
        .set_json(json!({"status": status, "version": version}));
    let reply = app.call(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

fn purchase(customer_id: &str, division_id: &str, invoice: &str, asset_id: Option<&str>) -> Value {
    json!({"customer_id": customer_id, "division_id": division_id, "invoice_number": invoice,
        "purchased_on": "2026-11-20", "asset_id": asset_id,
        "lines": [{"description": "Toyota Corolla", "quantity": "1", "unit_price": {"amount": "21000000", "currency": "NGN"}}]})
}

#[actix_web::test]
async fn the_event_defaults_fire_once_each_and_only_when_their_conditions_hold() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (busy_agent, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let (free_agent, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let busy = json!({"title": "Busy", "kind": "other", "division_id": motors, "assignee_id": busy_agent,
        "due_at": (Utc::now() + TimeDelta::days(3)).to_rfc3339()});
    assert_eq!(app.post("/api/v1/tasks", busy).await.status, StatusCode::CREATED);
    enable_defaults(&app);

    // A vehicle purchase: a welcome call for the customer's owner. A
    // purchase without a vehicle: nothing.
    let buyer = app
        .post(
            "/api/v1/customers",
            json!({"kind": "person", "last_name": "Okafor", "division_ids": [motors], "owner_id": rep}),
        )
        .await
        .id();
    let car = asset(&app, &buyer, &motors, "VIN-WELCOME-1").await;
    assert_eq!(
        app.post("/api/v1/purchases", purchase(&buyer, &motors, "INV-1", Some(&car))).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/api/v1/purchases", purchase(&buyer, &motors, "INV-2", None)).await.status,
        StatusCode::CREATED
    );

    // A resolved after-sales ticket: a service call three days later, for
    // the least-loaded service agent. A resolved billing ticket: nothing.
    let service = category(&app, "Service", "after_sales").await;
    let billing = category(&app, "Billing", "billing").await;
    let serviced = ticket(&app, &motors, &service, &buyer).await;
    let billed = ticket(&app, &motors, &billing, &buyer).await;
    for id in [&serviced, &billed] {
        set_status(&app, id, "open").await;
        set_status(&app, id, "resolved").await;
    }

    settle(&app, &quiet());
    let welcome = builtin_id(&app, defaults::WELCOME_CALL);
    let calls = tasks_by_rule(&app, &welcome).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["assignee_id"], json!(rep));
    assert_eq!(
        (calls[0]["related_type"].as_str(), calls[0]["related_id"].as_str()),
        (Some("asset"), Some(car.as_str()))
    );
    assert_eq!(calls[0]["kind"], json!("follow_up_call"));
    assert_eq!(calls[0]["created_by"], Value::Null);

    // Why does the task exist? Its run says.
    let run = app.get(&format!("/api/v1/automation/runs/{}", calls[0]["rule_run_id"].as_str().expect("run"))).await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    assert_eq!(run.body["rule_id"], json!(welcome));
    assert_eq!(run.body["trigger"], json!("purchase_recorded"));
    assert_eq!(run.body["subject_type"], json!("purchase"));
    assert_eq!(run.body["results"][0]["task_id"], calls[0]["id"]);
    assert_eq!(run.body["results"][0]["status"], json!("done"));

    // The service call waits for its delay.
    let service_call = builtin_id(&app, defaults::SERVICE_FOLLOW_UP_CALL);
    assert!(tasks_by_rule(&app, &service_call).await.is_empty(), "not before three days");
    let waiting: Vec<NaiveDateTime> = {
        let mut conn = app.db().read().expect("conn");
        jobs::table
            .filter(jobs::kind.eq("automation_run"))
            .filter(jobs::status.eq("queued"))
            .select(jobs::run_at)
            .load(&mut *conn)
            .expect("jobs")
    };
    assert_eq!(waiting.len(), 1, "only the after-sales ticket");
    let delay = waiting[0] - stored_now(TimeDelta::zero());
    assert!(delay > TimeDelta::days(3) - TimeDelta::minutes(5) && delay <= TimeDelta::days(3), "{delay}");
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(jobs::table.filter(jobs::kind.eq("automation_run")).filter(jobs::status.eq("queued")))
            .set(jobs::run_at.eq(stored_now(TimeDelta::seconds(-1))))
            .execute(&mut *conn)
            .expect("fast-forward");
    }
    settle(&app, &quiet());
    let follow = tasks_by_rule(&app, &service_call).await;
    assert_eq!(follow.len(), 1, "{follow:?}");
    assert_eq!(follow[0]["assignee_id"], json!(free_agent), "the agent with fewer open tasks");
    assert_eq!(follow[0]["related_id"], json!(serviced));

    // A stale lead: its owner gets a follow-up task, once.
    let stale = lead(&app, &motors, &p.id, &rep, "walk_in").await;
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(leads::table.filter(leads::id.eq(&stale)))
            .set(leads::next_follow_up_at.eq(stored_now(TimeDelta::minutes(-10))))
            .execute(&mut *conn)
            .expect("age the lead");
    }
    rewind_rules(&app, 1);
    settle(&app, &quiet());
    let follow_up = builtin_id(&app, defaults::LEAD_FOLLOW_UP);
    let chase = tasks_by_rule(&app, &follow_up).await;
    assert_eq!(chase.len(), 1, "{chase:?}");
    assert_eq!(
        (chase[0]["assignee_id"].as_str(), chase[0]["related_id"].as_str()),
        (Some(rep.as_str()), Some(stale.as_str()))
    );
    assert_eq!(chase[0]["priority"], json!("high"));

    // Never twice: the same windows scanned again, the feed read again by a
    // fresh engine (a restart) change nothing.
    let before = app.count("tasks");
    let runs = app.count("automation_runs");
    rewind_rules(&app, 1);
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(rapport_core::db::schema::feed_consumers::table)
            .set(rapport_core::db::schema::feed_consumers::cursor.eq(None::<String>))
            .execute(&mut *conn)
            .expect("replay the feed");
    }
    settle(&app, &quiet());
    assert_eq!((app.count("tasks"), app.count("automation_runs")), (before, runs));
    assert_eq!(runs, 3);
    let by_lead = app.get(&format!("/api/v1/automation/runs?subject_type=lead&subject_id={stale}")).await;
    assert_eq!(by_lead.body["data"].as_array().map(Vec::len), Some(1), "{:?}", by_lead.body);
}

#[actix_web::test]
async fn the_timed_defaults_escalate_breaches_and_remind_of_services_with_consent() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ikeja = branch(&app, &motors, "IKJ", "Ikeja", "Lagos").await;
    let (manager, manager_token) = app.user_with_token(Role::Manager, Some(&motors), Some(&ikeja));
    let (agent, _) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let policy =
        json!({"division_id": motors, "priority": "normal", "first_response_minutes": 60, "resolution_minutes": 600});
    assert_eq!(app.post("/api/v1/sla-policies", policy).await.status, StatusCode::CREATED);
    enable_defaults(&app);

    // A ticket whose response deadline has passed with the clock running.
    let service = category(&app, "Service", "after_sales").await;
    let owner = customer(&app, &motors, "Eze").await;
    let late = ticket(&app, &motors, &service, &owner).await;
    let on_time = ticket(&app, &motors, &service, &owner).await;
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(ticket_slas::table.filter(ticket_slas::ticket_id.eq(&late)))
            .set(ticket_slas::first_response_due_at.eq(stored_now(TimeDelta::minutes(-5))))
            .execute(&mut *conn)
            .expect("breach");
    }

    // Two assets due for service in a week (Lagos days): the customer who
    // consented to e-mail reminders gets one; the other only a task.
    let ada = app
        .post(
            "/api/v1/customers",
            json!({"kind": "person", "last_name": "Adeyemi", "division_ids": [motors],
                "emails": [{"email": "ada@example.com"}],
                "consents": [{"channel": "email", "purpose": "reminders", "granted": true, "method": "signed form"},
                             {"channel": "email", "purpose": "marketing", "granted": false, "method": "signed form"}]}),
        )
        .await
        .id();
    let bayo = app
        .post(
            "/api/v1/customers",
            json!({"kind": "person", "last_name": "Bello", "division_ids": [motors], "emails": [{"email": "bayo@example.com"}],
                "consents": [{"channel": "email", "purpose": "marketing", "granted": true, "method": "web form"}]}),
        )
        .await
        .id();
    let due_on = Utc::now().with_timezone(&LAGOS).date_naive() + chrono::Days::new(7);
    let ada_car = asset(&app, &ada, &motors, "VIN-DUE-ADA").await;
    let bayo_car = asset(&app, &bayo, &motors, "VIN-DUE-BAYO").await;
    let later_car = asset(&app, &bayo, &motors, "VIN-DUE-LATER").await;
    {
        let mut conn = app.db().write().expect("conn");
        for (id, on) in [(&ada_car, due_on), (&bayo_car, due_on), (&later_car, due_on + chrono::Days::new(20))] {
            diesel::update(assets::table.filter(assets::id.eq(id)))
                .set(assets::next_service_due_on.eq(on))
                .execute(&mut *conn)
                .expect("due date");
        }
    }
    rewind_rules(&app, 48);
    let mail = Recorder::default();
    settle(&app, &Channels::with_email(Some(Box::new(mail.clone()))));

    // Escalation: the manager is told and gets an urgent task, for the late ticket only.
    let escalation = builtin_id(&app, defaults::SLA_BREACH_ESCALATION);
    let urgent = tasks_by_rule(&app, &escalation).await;
    assert_eq!(urgent.len(), 1, "{urgent:?}");
    assert_eq!(
        (urgent[0]["assignee_id"].as_str(), urgent[0]["related_id"].as_str()),
        (Some(manager.as_str()), Some(late.as_str()))
    );
    assert_eq!(urgent[0]["priority"], json!("urgent"));
    let inbox = app.get_as("/api/v1/notifications", &manager_token).await;
    let told: Vec<&Value> =
        inbox.body["data"].as_array().expect("inbox").iter().filter(|n| n["kind"] == json!("automation")).collect();
    assert_eq!(told.len(), 1, "{:?}", inbox.body);
    assert_eq!(told[0]["entity_id"], json!(late));
    assert_ne!(late, on_time);

    // Service due: a reminder task each, a message only with consent.
    let reminder = builtin_id(&app, defaults::SERVICE_DUE_REMINDER);
    let reminders = tasks_by_rule(&app, &reminder).await;
    let mut about: Vec<&str> = reminders.iter().filter_map(|t| t["related_id"].as_str()).collect();
    about.sort_unstable();
    let mut expected = vec![ada_car.as_str(), bayo_car.as_str()];
    expected.sort_unstable();
    assert_eq!(about, expected);
    assert!(reminders.iter().all(|t| t["assignee_id"] == json!(agent) && t["kind"] == json!("service_reminder")));
    let sent = mail.sent_to("ada@example.com");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains("service is due"), "{}", sent[0].body);
    assert!(mail.sent_to("bayo@example.com").is_empty(), "marketing consent is not reminder consent");
    assert_eq!(app.count("customer_messages WHERE status = 'sent'"), 1);
    let runs = app.get(&format!("/api/v1/automation/runs?rule_id={reminder}")).await;
    let bayo_run = runs.body["data"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["subject_id"] == json!(bayo_car))
        .cloned()
        .expect("bayo's run");
    assert_eq!(bayo_run["results"][1]["type"], json!("notify_customer"));
    assert_eq!(bayo_run["results"][1]["status"], json!("skipped"));

    // Once: the same windows again change nothing.
    let (tasks, messages) = (app.count("tasks"), app.count("customer_messages"));
    rewind_rules(&app, 48);
    settle(&app, &Channels::with_email(Some(Box::new(mail.clone()))));
    assert_eq!((app.count("tasks"), app.count("customer_messages")), (tasks, messages));
    assert_eq!(mail.sent_to("ada@example.com").len(), 1);
}

#[actix_web::test]
async fn an_admin_rule_tests_its_conditions_and_runs_each_action() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (other_rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (manager, _) = app.user_with_token(Role::Manager, Some(&motors), None);
    let rule = json!({
        "name": "Qualified walk-ins go to the manager",
        "trigger": "lead_stage_changed",
        "conditions": {"stage_id": [p.qualified], "source": ["walk_in"], "division_id": [motors]},
        "actions": [
            {"type": "change_owner", "to": {"to": "manager"}},
            {"type": "notify", "to": {"to": "user", "user_id": rep}, "message": "Your walk-in went to the manager"},
            {"type": "create_task", "title": "Quote within a day", "kind": "visit", "assign_to": {"to": "owner"},
                "due_in_minutes": 1440, "remind_before_minutes": 60},
            {"type": "add_tag", "tag": "walk-in"}
        ]
    });
    let created = app.post("/api/v1/automation/rules", rule).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let rule_id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/automation/rules/{rule_id}").as_str()));
    assert_eq!(created.body["enabled"], json!(true));
    assert_eq!(app.events_of("automation_rule", &rule_id).len(), 1);

    let buyer = customer(&app, &motors, "Musa").await;
    let walk_in = lead(&app, &motors, &p.id, &rep, "walk_in").await;
    app.patch(&format!("/api/v1/leads/{walk_in}"), Some(1), json!({"customer_id": buyer})).await;
    let phoned = lead(&app, &motors, &p.id, &other_rep, "phone").await;
    for id in [&walk_in, &phoned] {
        move_to(&app, id, &p.qualified).await;
    }
    // An edit that moves nothing is no stage change.
    let edited = app.patch(&format!("/api/v1/leads/{walk_in}"), Some(3), json!({"notes": "Wants a test drive"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    settle(&app, &quiet());

    let runs = app.get(&format!("/api/v1/automation/runs?rule_id={rule_id}")).await;
    let runs = runs.body["data"].as_array().cloned().expect("runs");
    assert_eq!(runs.len(), 1, "only the walk-in, once: {runs:?}");
    assert_eq!(runs[0]["subject_id"], json!(walk_in));
    let results = &runs[0]["results"];
    let statuses: Vec<&str> =
        results.as_array().expect("results").iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["done", "done", "done", "done"], "{results:?}");
    let lead_now = app.get(&format!("/api/v1/leads/{walk_in}")).await.body;
    assert_eq!(lead_now["owner_id"], json!(manager));
    let task = app.get(&format!("/api/v1/tasks/{}", results[2]["task_id"].as_str().expect("task"))).await.body;
    assert_eq!(task["assignee_id"], json!(manager), "the owner after the hand-over");
    assert_eq!(task["rule_id"], json!(rule_id));
    assert!(task["remind_at"].is_string());
    let tags = app.get(&format!("/api/v1/customers/{buyer}")).await.body["tags"].clone();
    assert_eq!(tags, json!(["walk-in"]));
    let inbox = app.get_as("/api/v1/notifications", &rep_token).await;
    assert!(inbox.body["data"].as_array().expect("inbox").iter().any(|n| n["kind"] == json!("automation")));
    assert_eq!(app.get(&format!("/api/v1/leads/{phoned}")).await.body["owner_id"], json!(other_rep));

    // A rule switched off does nothing; switched on again, it starts afresh.
    let off = app.patch(&format!("/api/v1/automation/rules/{rule_id}"), Some(1), json!({"enabled": false})).await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    let second = lead(&app, &motors, &p.id, &rep, "walk_in").await;
    move_to(&app, &second, &p.qualified).await;
    settle(&app, &quiet());
    let on = app.patch(&format!("/api/v1/automation/rules/{rule_id}"), Some(2), json!({"enabled": true})).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    settle(&app, &quiet());
    assert_eq!(app.count("automation_runs"), 1, "what happened while off does not fire it later");

    // A named user in another division cannot take a task there: the run
    // records the refusal and the other actions still happen.
    let (stranger, _) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let won = json!({"name": "Thank the buyer", "trigger": "lead_won",
        "actions": [{"type": "create_task", "title": "Thank you call", "kind": "follow_up_call",
                     "assign_to": {"to": "user", "user_id": stranger}},
                    {"type": "notify", "to": {"to": "owner"}, "message": "Won!"}]});
    let won_rule = app.post("/api/v1/automation/rules", won).await;
    assert_eq!(won_rule.status, StatusCode::CREATED, "{:?}", won_rule.body);
    move_to(&app, &second, &p.won).await;
    settle(&app, &quiet());
    let runs = app.get(&format!("/api/v1/automation/runs?rule_id={}", won_rule.id())).await.body["data"].clone();
    assert_eq!(runs[0]["results"][0]["status"], json!("skipped"), "{runs:?}");
    assert!(runs[0]["results"][0]["detail"].as_str().is_some_and(|d| d.contains("another division")), "{runs:?}");
    assert_eq!(runs[0]["results"][1]["status"], json!("done"));
    assert_eq!(runs[0]["results"][1]["user_id"], json!(rep));

    // A webhook from a rule: signed and queued like any delivery, named
    // after the trigger, with the run as its event id.
    let hook = app
        .post(
            "/api/v1/webhooks",
            json!({"name": "ERP", "url": "http://127.0.0.1:9/hook", "event_types": ["ticket.created"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{:?}", hook.body);
    let hook_id = hook.body["webhook"]["id"].as_str().expect("webhook id");
    let hooked = json!({"name": "Tell the ERP", "trigger": "lead_created",
        "actions": [{"type": "send_webhook", "subscription_id": hook_id}]});
    let hooked = app.post("/api/v1/automation/rules", hooked).await;
    assert_eq!(hooked.status, StatusCode::CREATED, "{:?}", hooked.body);
    lead(&app, &motors, &p.id, &rep, "referral").await;
    settle(&app, &quiet());
    let runs = app.get(&format!("/api/v1/automation/runs?rule_id={}", hooked.id())).await.body["data"].clone();
    assert_eq!(runs[0]["results"][0]["status"], json!("done"), "{runs:?}");
    let run_id = runs[0]["id"].as_str().expect("run").to_owned();
    let deliveries = app
        .count(&format!("webhook_deliveries WHERE event_type = 'automation.lead_created' AND event_id = '{run_id}'"));
    assert_eq!(deliveries, 1);

    // A schedule: every day at a time that has passed today, for a named user.
    let now_lagos = Utc::now().with_timezone(&LAGOS);
    let at = (now_lagos - TimeDelta::minutes(2)).format("%H:%M").to_string();
    let daily = json!({"name": "Morning review", "trigger": "schedule",
        "trigger_params": {"at": at, "division_id": motors},
        "actions": [{"type": "create_task", "title": "Review yesterday's walk-ins", "kind": "other",
                     "assign_to": {"to": "manager"}}]});
    let daily = app.post("/api/v1/automation/rules", daily).await;
    assert_eq!(daily.status, StatusCode::CREATED, "{:?}", daily.body);
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(automation_rules::table.filter(automation_rules::id.eq(daily.id())))
            .set(automation_rules::enabled_at.eq(stored_now(TimeDelta::minutes(-5))))
            .execute(&mut *conn)
            .expect("rewind");
    }
    settle(&app, &quiet());
    settle(&app, &quiet());
    let reviews = tasks_by_rule(&app, &daily.id()).await;
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["assignee_id"], json!(manager));
}

#[actix_web::test]
async fn bad_rules_are_refused_with_field_errors_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    {
        // As `rapport serve` does on every start.
        let mut conn = app.db().write().expect("conn");
        assert_eq!(write_transaction(&mut conn, defaults::install).expect("install"), defaults::KEYS.len());
        assert_eq!(write_transaction(&mut conn, defaults::install).expect("install"), 0, "once");
    }
    let installed = app.count("automation_rules");
    let task = json!({"type": "create_task", "title": "Call", "kind": "follow_up_call", "assign_to": {"to": "owner"}});
    let cases = [
        (
            json!({"name": "x", "trigger": "lead_created", "conditions": {"colour": ["red"]}, "actions": [task]}),
            "conditions.colour",
        ),
        (
            json!({"name": "x", "trigger": "lead_created", "conditions": {"source": []}, "actions": [task]}),
            "conditions.source",
        ),
        (
            json!({"name": "x", "trigger": "lead_created", "conditions": {"division_id": ["0193a0c4-5b7e-7d10-9a3b-4c5d6e7f8a9c"]}, "actions": [task]}),
            "conditions.division_id",
        ),
        (json!({"name": "x", "trigger": "lead_created", "actions": []}), "actions"),
        (json!({"name": " ", "trigger": "lead_created", "actions": [task]}), "name"),
        (
            json!({"name": "x", "trigger": "purchase_recorded", "actions": [{"type": "change_owner", "to": {"to": "manager"}}]}),
            "actions[0].type",
        ),
        (
            json!({"name": "x", "trigger": "schedule", "trigger_params": {"at": "08:00"}, "actions": [task]}),
            "actions[0].assign_to",
        ),
        (
            json!({"name": "x", "trigger": "schedule", "trigger_params": {"at": "25:00"}, "actions": [{"type": "notify", "to": {"to": "manager"}, "message": "hi"}]}),
            "trigger_params.at",
        ),
        (
            json!({"name": "x", "trigger": "lead_created", "trigger_params": {"days_before": 3}, "actions": [task]}),
            "trigger_params.days_before",
        ),
        (
            json!({"name": "x", "trigger": "lead_created", "actions": [{"type": "create_task", "title": "Call", "kind": "other",
            "assign_to": {"to": "user", "user_id": "0193a0c4-5b7e-7d10-9a3b-4c5d6e7f8a9c"}}]}),
            "actions[0].assign_to.user_id",
        ),
        (
            json!({"name": "x", "trigger": "lead_created", "actions": [{"type": "create_task", "title": "Call", "kind": "other",
            "assign_to": {"to": "role", "role": "wizard"}}]}),
            "actions[0].assign_to.role",
        ),
        (json!({"name": "x", "trigger": "lead_created", "delay_minutes": -1, "actions": [task]}), "delay_minutes"),
        (
            json!({"name": "x", "trigger": "lead_created", "actions": [{"type": "send_webhook",
            "subscription_id": "0193a0c4-5b7e-7d10-9a3b-4c5d6e7f8a9c"}]}),
            "actions[0].subscription_id",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/v1/automation/rules", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert!(reply.error_fields().contains(&field.to_owned()), "{field} in {:?}", reply.body);
    }
    for body in [
        json!({"name": "x", "trigger": "lead_exploded", "actions": [task]}),
        json!({"name": "x", "trigger": "lead_created", "actions": [{"type": "launch_rocket"}]}),
        json!({"name": "x", "trigger": "lead_created", "actions": [task], "colour": "red"}),
    ] {
        let reply = app.post("/api/v1/automation/rules", body.clone()).await;
        assert!(reply.status.is_client_error(), "{body}: {:?}", reply.status);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    }
    let malformed = app.post_raw("/api/v1/automation/rules", "application/json", "{\"name\": ").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("automation_rules"), installed);

    // Versions, deletion and archiving.
    let ok = json!({"name": "Greet", "trigger": "lead_created", "actions": [task]});
    let id = app.post("/api/v1/automation/rules", ok).await.id();
    let stale = app.patch(&format!("/api/v1/automation/rules/{id}"), Some(7), json!({"name": "Hello"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let bad_edit =
        app.patch(&format!("/api/v1/automation/rules/{id}"), Some(1), json!({"conditions": {"stage_id": []}})).await;
    assert_eq!(bad_edit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&format!("/api/v1/automation/rules/{id}")).await.body["version"], json!(1));
    assert_eq!(app.delete(&format!("/api/v1/automation/rules/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/automation/rules/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/automation/rules/not-an-id").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/automation/runs/not-an-id").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/automation/rules?trigger=nope").await.status, StatusCode::BAD_REQUEST);

    // The built-ins are listed, switched off until someone turns them on.
    let listed = app.list_all("/api/v1/automation/rules?enabled=false").await;
    let mut keys: Vec<&str> = listed.iter().filter_map(|r| r["builtin_key"].as_str()).collect();
    keys.sort_unstable();
    let mut expected = defaults::KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);

    // No token: 401; a sales rep may read runs but not rules.
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/automation/rules"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    assert_eq!(app.get_as("/api/v1/automation/runs", &rep).await.status, StatusCode::OK);
    assert!(app.get_as("/api/v1/automation/rules", &rep).await.status.is_client_error());
}

#[actix_web::test]
async fn a_change_fires_a_rule_once_even_when_dispatch_rolls_back_or_runs_concurrently() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rule = json!({"name": "New lead call", "trigger": "lead_created",
        "actions": [{"type": "create_task", "title": "Call the new lead", "kind": "follow_up_call", "assign_to": {"to": "owner"}}]});
    let rule_id = app.post("/api/v1/automation/rules", rule).await.id();
    let mut made = Vec::new();
    for _ in 0..12 {
        made.push(lead(&app, &motors, &p.id, &rep, "phone").await);
    }

    // A dispatch whose transaction fails after reading leaves the cursor
    // where it was: the events are read again, not lost.
    {
        let mut conn = app.db().write().expect("conn");
        let failed = write_transaction(&mut conn, |c| {
            rapport_tasks::automation::dispatch::dispatch(c)?;
            Err::<(), _>(rapport_core::Error::Internal("crash after dispatch".into()))
        });
        assert!(failed.is_err());
        assert_eq!(feed_consumer::lag(&mut conn, feed_consumer::AUTOMATION).expect("lag"), app.count("change_events"));
    }
    assert_eq!(app.count("jobs WHERE kind = 'automation_run'"), 0);

    // Four engines at once (replicas), each stepping a few times.
    let db = app.db().clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let engine = Automation::new(LAGOS, Duration::ZERO);
                for _ in 0..3 {
                    // A replica that finds the feed busy simply tries later.
                    let _ = engine.step(&db);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("engine thread");
    }
    settle(&app, &quiet());
    assert_eq!(app.count("jobs WHERE kind = 'automation_run'"), 12);
    let tasks = tasks_by_rule(&app, &rule_id).await;
    let mut about: Vec<String> = tasks.iter().filter_map(|t| t["related_id"].as_str().map(str::to_owned)).collect();
    about.sort();
    made.sort();
    assert_eq!(about, made, "one task per lead");
}

#[actix_web::test]
async fn replicas_starting_together_install_the_built_in_rules_once() {
    let app = TestApp::new().await;
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let db = app.db().clone();
            std::thread::spawn(move || {
                let mut conn = db.write().expect("conn");
                write_transaction(&mut conn, defaults::install).expect("install")
            })
        })
        .collect();
    let added: usize = starts.into_iter().map(|s| s.join().expect("start")).sum();
    assert_eq!(added, defaults::KEYS.len());
    assert_eq!(app.count("automation_rules"), defaults::KEYS.len() as i64);
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{AutomationRules, AutomationRuns};
    let rule = |name: String| {
        json!({"name": name, "trigger": "lead_created", "enabled": false,
            "actions": [{"type": "notify", "to": {"to": "owner"}, "message": "New lead"}]})
    };
    let target = app.post("/api/v1/automation/rules", rule(format!("Matrix {n}"))).await.id();
    let spare = app.post("/api/v1/automation/rules", rule(format!("Spare {n}"))).await.id();
    // A run to read: a schedule that came due a minute ago, then switched off.
    let at = (Utc::now().with_timezone(&LAGOS) - TimeDelta::minutes(1)).format("%H:%M").to_string();
    let schedule = json!({"name": format!("Matrix schedule {n}"), "trigger": "schedule",
        "trigger_params": {"at": at, "division_id": home},
        "actions": [{"type": "notify", "to": {"to": "manager"}, "message": "Matrix"}]});
    let schedule = app.post("/api/v1/automation/rules", schedule).await.id();
    // Only this rule's run: the rest of the queue (the whole matrix's
    // deliveries) is not this test's business.
    {
        let mut conn = app.db().write().expect("conn");
        diesel::update(automation_rules::table.filter(automation_rules::id.eq(&schedule)))
            .set(automation_rules::enabled_at.eq(stored_now(TimeDelta::minutes(-3))))
            .execute(&mut *conn)
            .expect("rewind");
        write_transaction(&mut conn, |c| scan::scan(c, LAGOS, Utc::now())).expect("scan");
        let payload: String = jobs::table
            .filter(jobs::kind.eq(run::JOB_KIND))
            .filter(jobs::dedupe_key.like(format!("%{schedule}%")))
            .select(jobs::payload)
            .first(&mut *conn)
            .expect("the schedule's run job");
        let payload: Value = serde_json::from_str(&payload).expect("payload");
        write_transaction(&mut conn, |c| run::run(c, &DomainEffects, &payload)).expect("run").expect("ran");
        diesel::update(automation_rules::table.filter(automation_rules::id.eq(&schedule)))
            .set(automation_rules::enabled.eq(false))
            .execute(&mut *conn)
            .expect("switch off");
    }
    let run = app.get(&format!("/api/v1/automation/runs?rule_id={schedule}")).await.body["data"][0]["id"].clone();
    let run = run.as_str().expect("a run").to_owned();
    vec![
        endpoint(Method::GET, "/api/v1/automation/rules".into(), None, AutomationRules, Read),
        endpoint(Method::GET, format!("/api/v1/automation/rules/{target}"), None, AutomationRules, Read),
        endpoint(
            Method::POST,
            "/api/v1/automation/rules".into(),
            Some(rule(format!("New {n}"))),
            AutomationRules,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/automation/rules/{target}"),
            Some(json!({"name": "Edited", "version": 1})),
            AutomationRules,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/automation/rules/{spare}"), None, AutomationRules, Delete),
        endpoint(Method::GET, "/api/v1/automation/runs".into(), None, AutomationRuns, Read),
        endpoint(Method::GET, format!("/api/v1/automation/runs/{run}"), None, AutomationRuns, Read),
    ]
}
