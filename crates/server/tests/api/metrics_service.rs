//! Service KPIs on a hand-built January of tickets: resolutions either
//! side of midnight in Lagos, a reopened ticket, SLA breaches, CSAT
//! answers, handling. Business times are stored as the desk measures
//! them (`tests/api/ticket_business_times.rs` checks the measuring); one
//! ticket goes through the real endpoints end to end.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use rapport_core::principal::Role;
use serde_json::json;

use crate::metrics::{exec, kept_differences, measure, report, value};
use crate::support::{TestApp, division};

const JANUARY: &str = "from=2026-01-01&to=2026-01-31";
/// One business day of a Mon–Fri 08:00–17:00 calendar.
const DAY: i64 = 32_400;

pub struct Desk {
    motors: String,
    agent_x: (String, String),
    agent_y: String,
}

fn q(v: Option<&str>) -> String {
    v.map_or("NULL".to_owned(), |v| format!("'{v}'"))
}

struct Ticket<'a> {
    id: &'a str,
    status: &'a str,
    assignee: &'a str,
    created: &'a str,
    responded: Option<(&'a str, i64)>,
    resolved: Option<(&'a str, i64)>,
    reopens: i32,
    fcr: Option<bool>,
}

fn ticket(division: &str, category: &str, n: usize, t: &Ticket<'_>) -> String {
    let fcr = t.fcr.map_or("NULL".to_owned(), |b| b.to_string().to_uppercase());
    format!(
        "INSERT INTO tickets (id, number, division_id, category_id, priority, channel, subject, status, assignee_id, \
         first_responded_at, resolved_at, reopen_count, agent_touches, first_contact_resolution, version, created_at, \
         updated_at, business_day_seconds, first_response_business_seconds, resolution_business_seconds) VALUES \
         ('{}', 'MOT-{n:06}', '{division}', '{category}', 'normal', 'call', 'Service', '{}', '{}', {}, {}, {}, 1, {fcr}, 1, \
         '{}', '{}', {DAY}, {}, {})",
        t.id,
        t.status,
        t.assignee,
        q(t.responded.map(|r| r.0)),
        q(t.resolved.map(|r| r.0)),
        t.reopens,
        t.created,
        t.created,
        t.responded.map_or("NULL".to_owned(), |r| r.1.to_string()),
        t.resolved.map_or("NULL".to_owned(), |r| r.1.to_string()),
    )
}

fn status(ticket: &str, from: Option<&str>, to: &str, at: &str) -> String {
    format!(
        "INSERT INTO ticket_status_history (id, ticket_id, from_status, to_status, changed_at) VALUES \
         ('{}', '{ticket}', {}, '{to}', '{at}')",
        uuid::Uuid::now_v7(),
        q(from)
    )
}

fn sla(
    ticket: &str,
    policy: &str,
    clock: &str,
    due: &str,
    response_breached: bool,
    resolution_breached: bool,
) -> String {
    format!(
        "INSERT INTO ticket_slas (ticket_id, sla_policy_id, first_response_minutes, resolution_minutes, warn_percent, \
         clock, response_started_at, first_response_due_at, resolution_due_at, response_breached, resolution_breached) \
         VALUES ('{ticket}', '{policy}', 60, 1440, 80, '{clock}', '2026-01-01 00:00:00', '{due}', '{due}', \
         {response_breached}, {resolution_breached})"
    )
}

fn survey(ticket: &str, sent: &str, answer: Option<(i32, &str)>) -> String {
    format!(
        "INSERT INTO csat_surveys (id, ticket_id, token_hash, sent_at, expires_at, rating, responded_at) VALUES \
         ('{}', '{ticket}', '{}', '{sent}', '2027-01-01 00:00:00', {}, {})",
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        answer.map_or("NULL".to_owned(), |a| a.0.to_string()),
        q(answer.map(|a| a.1))
    )
}

fn handling(division: &str, ticket: &str, user: &str, at: &str, seconds: Option<i32>) -> String {
    format!(
        "INSERT INTO interactions (id, division_id, channel, direction, occurred_at, duration_seconds, user_id, ticket_id, \
         version, created_at, updated_at) VALUES ('{}', '{division}', 'call', 'inbound', '{at}', {}, '{user}', '{ticket}', \
         1, '{at}', '{at}')",
        uuid::Uuid::now_v7(),
        seconds.map_or("NULL".to_owned(), |s| s.to_string())
    )
}

async fn desk_fixture(app: &TestApp) -> Desk {
    let motors = division(app, "MOT", "Motors").await;
    desk_fixture_in(app, &motors).await
}

/// The desk's January in division `motors`.
pub async fn desk_fixture_in(app: &TestApp, motors: &str) -> Desk {
    let motors = motors.to_owned();
    let reply = app.post("/api/v1/ticket-categories", json!({"name": "After-sales", "kind": "after_sales"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let category = reply.id();
    let agent_x = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let agent_y = app.user_with_token(Role::ServiceAgent, Some(&motors), None).0;
    let (x, y) = (agent_x.0.as_str(), agent_y.as_str());
    let policy = uuid::Uuid::now_v7().to_string();
    let ids: Vec<String> = (0..6).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let t = |i: usize| ids[i].as_str();
    let tickets = [
        // T1: resolved in 2 business days, answered in 1 hour, first contact.
        Ticket {
            id: t(0),
            status: "resolved",
            assignee: x,
            created: "2026-01-05 08:00:00",
            responded: Some(("2026-01-05 09:00:00", 3_600)),
            resolved: Some(("2026-01-07 10:00:00", 2 * DAY)),
            reopens: 0,
            fcr: Some(true),
        },
        // T2: 5 business days, 2 hours, resolution target breached.
        Ticket {
            id: t(1),
            status: "closed",
            assignee: y,
            created: "2026-01-13 08:00:00",
            responded: Some(("2026-01-13 10:00:00", 7_200)),
            resolved: Some(("2026-01-20 09:00:00", 5 * DAY)),
            reopens: 0,
            fcr: Some(false),
        },
        // T3: resolved at 00:30 on 1 February, Lagos time: not January's.
        Ticket {
            id: t(2),
            status: "resolved",
            assignee: x,
            created: "2026-01-30 08:00:00",
            responded: None,
            resolved: Some(("2026-01-31 23:30:00", DAY)),
            reopens: 0,
            fcr: Some(true),
        },
        // T4: open, its running resolution clock past due.
        Ticket {
            id: t(3),
            status: "open",
            assignee: x,
            created: "2026-01-25 08:00:00",
            responded: None,
            resolved: None,
            reopens: 0,
            fcr: None,
        },
        // T5: resolved on the 10th, reopened, resolved again on the 12th (3 days from logging).
        Ticket {
            id: t(4),
            status: "resolved",
            assignee: x,
            created: "2026-01-07 08:00:00",
            responded: Some(("2026-01-07 11:00:00", 10_800)),
            resolved: Some(("2026-01-12 09:00:00", 3 * DAY)),
            reopens: 1,
            fcr: Some(false),
        },
        // T6: waiting on the customer.
        Ticket {
            id: t(5),
            status: "pending",
            assignee: y,
            created: "2026-01-28 08:00:00",
            responded: None,
            resolved: None,
            reopens: 0,
            fcr: None,
        },
    ];
    let mut statements: Vec<String> =
        tickets.iter().enumerate().map(|(n, tk)| ticket(&motors, &category, n, tk)).collect();
    statements.extend([
        format!(
            "INSERT INTO sla_policies (id, division_id, priority, first_response_minutes, resolution_minutes, warn_percent, \
             active, version, created_at, updated_at) VALUES ('{policy}', NULL, 'normal', 60, 1440, 80, TRUE, 1, \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ),
        sla(t(0), &policy, "stopped", "2026-01-09 00:00:00", false, false),
        sla(t(1), &policy, "stopped", "2026-01-15 00:00:00", false, true),
        sla(t(3), &policy, "running", "2026-01-26 00:00:00", false, false),
        sla(t(4), &policy, "stopped", "2026-01-20 00:00:00", false, false),
        status(t(0), Some("open"), "resolved", "2026-01-07 10:00:00"),
        status(t(1), Some("open"), "resolved", "2026-01-20 09:00:00"),
        status(t(1), Some("resolved"), "closed", "2026-01-22 09:00:00"),
        status(t(2), Some("open"), "resolved", "2026-01-31 23:30:00"),
        status(t(4), Some("open"), "resolved", "2026-01-10 09:00:00"),
        status(t(4), Some("resolved"), "open", "2026-01-11 09:00:00"),
        status(t(4), Some("open"), "resolved", "2026-01-12 09:00:00"),
        survey(t(0), "2026-01-07 10:00:00", Some((5, "2026-01-08 10:00:00"))),
        survey(t(1), "2026-01-20 09:00:00", Some((2, "2026-01-21 10:00:00"))),
        survey(t(4), "2026-01-12 09:00:00", None),
        survey(t(2), "2026-01-31 23:45:00", Some((4, "2026-02-01 10:00:00"))),
        handling(&motors, t(0), x, "2026-01-05 09:00:00", Some(300)),
        handling(&motors, t(0), x, "2026-01-06 09:00:00", Some(100)),
        handling(&motors, t(1), y, "2026-01-13 10:00:00", Some(600)),
        handling(&motors, t(1), y, "2026-01-14 10:00:00", None),
        handling(&motors, t(4), x, "2026-02-01 10:00:00", Some(200)),
    ]);
    exec(app, &statements);
    Desk { motors, agent_x, agent_y }
}

#[actix_web::test]
async fn resolution_and_first_response_times_in_business_time() {
    let app = TestApp::new().await;
    desk_fixture(&app).await;
    // T1 2, T2 5, T5 3 business days (T5 measured to its final resolution;
    // T3 belongs to February in Lagos).
    let r = report(&app, "resolution_time", JANUARY).await;
    assert_eq!(value(&r["measures"], "count"), "3");
    assert_eq!(value(&r["measures"], "mean_business_days"), "3.33");
    assert_eq!(measure(&r["measures"], "mean_business_days")["numerator"], "10");
    assert_eq!(value(&r["measures"], "median_business_days"), "3");
    assert_eq!(value(&r["measures"], "p90_business_days"), "5");
    assert_eq!(r["target"]["target"]["source"], "plan");
    assert_eq!(r["target"]["status"], "within");
    assert_eq!(r["records"], "/api/v1/exports/tickets?basis=resolved&from=2026-01-01&to=2026-01-31");
    let feb = report(&app, "resolution_time", "from=2026-02-01&to=2026-02-28").await;
    assert_eq!(value(&feb["measures"], "mean_business_days"), "1");
    let weekly = report(&app, "resolution_time", &format!("{JANUARY}&group_by=week")).await;
    let week = |day: &str| {
        weekly["series"].as_array().and_then(|s| s.iter().find(|p| p["bucket"] == day)).cloned().expect("week")
    };
    assert_eq!(value(&week("2026-01-05")["measures"], "mean_business_days"), "2");
    assert_eq!(
        measure(&week("2025-12-29")["measures"], "mean_business_days")["null_reason"],
        "no tickets were resolved in the period"
    );

    let r = report(&app, "first_response_time", JANUARY).await;
    assert_eq!(value(&r["measures"], "count"), "3");
    assert_eq!(value(&r["measures"], "mean_business_hours"), "2");
    assert_eq!(value(&r["measures"], "p90_business_hours"), "3");
}

#[actix_web::test]
async fn sla_compliance_backlog_reopens_fcr_csat_and_handle_time() {
    let app = TestApp::new().await;
    let d = desk_fixture(&app).await;
    let r = report(&app, "sla_compliance", JANUARY).await;
    assert_eq!(measure(&r["measures"], "resolution_compliance")["numerator"], "2");
    assert_eq!(measure(&r["measures"], "resolution_compliance")["denominator"], 3);
    assert_eq!(value(&r["measures"], "resolution_compliance"), "66.67");
    assert_eq!(value(&r["measures"], "response_compliance"), "100");

    let r = report(&app, "backlog", JANUARY).await;
    assert_eq!(value(&r["measures"], "unresolved"), "2");
    assert_eq!(value(&r["measures"], "breached"), "1");
    assert_eq!(value(&r["measures"], "logged"), "6");
    assert_eq!(value(&r["measures"], "resolved"), "3");
    let pending =
        r["breakdown"].as_array().and_then(|b| b.iter().find(|g| g["key"] == "pending")).cloned().expect("pending");
    assert_eq!(value(&pending["measures"], "unresolved"), "1");

    // Resolutions in January: T1, T2, T5 twice; T5's first was undone.
    let r = report(&app, "reopen_rate", JANUARY).await;
    assert_eq!(measure(&r["measures"], "rate")["denominator"], 4);
    assert_eq!(value(&r["measures"], "rate"), "25");

    let r = report(&app, "fcr", JANUARY).await;
    assert_eq!(measure(&r["measures"], "rate")["numerator"], "1");
    assert_eq!(value(&r["measures"], "rate"), "33.33");

    // Answered in January: a 5 and a 2 (the 4 came on 1 February).
    let r = report(&app, "csat", JANUARY).await;
    assert_eq!(value(&r["measures"], "rate"), "50");
    assert_eq!(measure(&r["measures"], "response_rate")["denominator"], 3);
    assert_eq!(value(&r["measures"], "response_rate"), "66.67");
    assert_eq!(r["target"]["status"], "below");
    let five = r["breakdown"].as_array().and_then(|b| b.iter().find(|g| g["key"] == "5")).cloned().expect("5");
    assert_eq!(value(&five["measures"], "responses"), "1");

    // Handled in January: 300 + 100 by X on T1, 600 by Y on T2.
    let r = report(&app, "handle_time", JANUARY).await;
    assert_eq!(value(&r["measures"], "interactions"), "3");
    assert_eq!(value(&r["measures"], "mean_seconds"), "333.33");
    assert_eq!(value(&r["measures"], "mean_seconds_per_ticket"), "500");
    // The per-agent list of the desk sums the same rows.
    let agents = app.get("/api/v1/tickets/handle-time?from=2025-12-31T23:00:00Z&to=2026-01-31T23:00:00Z").await;
    for agent in agents.body["data"].as_array().expect("agents") {
        let row = r["breakdown"]
            .as_array()
            .and_then(|b| b.iter().find(|g| g["key"] == agent["user_id"]))
            .cloned()
            .expect("agent");
        assert_eq!(measure(&row["measures"], "mean_seconds")["numerator"], agent["total_seconds"].to_string().as_str());
        assert_eq!(value(&row["measures"], "interactions"), agent["interactions"].to_string().as_str());
    }
    assert_eq!(agents.body["data"].as_array().map(Vec::len), Some(2));

    // An agent sees their own numbers only; the queue filter is for service reports.
    let mine = app.get_as(&format!("/api/v1/metrics/reports/resolution_time?{JANUARY}"), &d.agent_x.1).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(value(&mine.body["measures"], "count"), "2", "T1 and T5 are X's");
    let theirs = app.get_as(&format!("/api/v1/metrics/reports/fcr?user_id={}", d.agent_y), &d.agent_x.1).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let by_division = report(&app, "fcr", &format!("{JANUARY}&division_id={}", d.motors)).await;
    assert_eq!(value(&by_division["measures"], "rate"), "33.33");
}

#[actix_web::test]
async fn a_ticket_resolved_through_the_desk_is_measured_and_counted() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let category = app.post("/api/v1/ticket-categories", json!({"name": "General", "kind": "general"})).await.id();
    let created = app
        .post(
            "/api/v1/tickets",
            json!({"division_id": motors, "category_id": category, "channel": "call", "subject": "Noise"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let req = TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/status"))
        .set_json(json!({"status": "resolved", "version": 1}));
    let resolved = app.call(req).await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    let seconds = resolved.body["resolution_business_seconds"].as_i64().expect("measured");
    let day = resolved.body["business_day_seconds"].as_i64().expect("day");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Africa::Lagos).date_naive();
    let r = report(&app, "resolution_time", &format!("from={today}&to={today}")).await;
    assert_eq!(value(&r["measures"], "count"), "1");
    // No calendar: round the clock; resolved within seconds of logging.
    assert_eq!(day, 86_400);
    assert!(seconds < 60, "{seconds}");
    assert_eq!(value(&r["measures"], "mean_business_days"), "0");
    let fcr = report(&app, "fcr", &format!("from={today}&to={today}")).await;
    assert_eq!(value(&fcr["measures"], "rate"), "100", "resolved with no touch: first contact");
}

/// The kept ticket counts (migration 000024) after writes of every kind,
/// through the desk and straight in SQL (several rows of one ticket in one
/// statement among them): no kept value differs from its recount, a
/// rebuild for another zone and back keeps it so, and the reports read
/// from the counts say what the rows say.
#[actix_web::test]
async fn the_kept_ticket_counts_equal_the_recount_after_every_kind_of_ticket_write() {
    let app = TestApp::new().await;
    let d = desk_fixture(&app).await;
    let ids: Vec<String> = {
        // T1 to T6 by their numbers (MOT-000000 to MOT-000005).
        let all = app.get("/api/v1/tickets?limit=100").await;
        let mut tickets: Vec<(String, String)> = all.body["data"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| (t["number"].as_str().expect("number").to_owned(), t["id"].as_str().expect("id").to_owned()))
            .collect();
        tickets.sort();
        tickets.into_iter().map(|(_, id)| id).collect()
    };
    assert_eq!(ids.len(), 6);
    // Through the desk: logged, answered, resolved (a survey answered),
    // reopened, resolved again, closed; another reassigned.
    let category = app.post("/api/v1/ticket-categories", json!({"name": "General", "kind": "general"})).await.id();
    // The fixture's tickets took numbers 0 to 5 behind the counter's back.
    exec(&app, &[format!("INSERT INTO ticket_counters (division_id, last_number) VALUES ('{}', 100)", d.motors)]);
    let created = app
        .post(
            "/api/v1/tickets",
            json!({"division_id": d.motors, "category_id": category, "channel": "call", "subject": "Noise",
                   "assignee_id": d.agent_x.0}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let waiting = app
        .post(
            "/api/v1/tickets",
            json!({"division_id": d.motors, "category_id": category, "channel": "email", "subject": "Rattle"}),
        )
        .await;
    assert_eq!(waiting.status, StatusCode::CREATED, "{:?}", waiting.body);
    let reply =
        app.post(&format!("/api/v1/tickets/{id}/comments"), json!({"visibility": "public", "body": "On it"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let set_status = |status: &'static str| {
        let (app, id) = (&app, id.clone());
        async move {
            let version = app.get(&format!("/api/v1/tickets/{id}")).await.body["version"].clone();
            let req = TestRequest::post()
                .uri(&format!("/api/v1/tickets/{id}/status"))
                .set_json(json!({"status": status, "version": version}));
            let reply = app.call(req).await;
            assert_eq!(reply.status, StatusCode::OK, "{status}: {:?}", reply.body);
            reply.body
        }
    };
    let resolved = set_status("resolved").await;
    let token = resolved["csat_survey"]["token"].as_str().expect("token").to_owned();
    let req = TestRequest::post().uri(&format!("/api/v1/public/csat/{token}")).set_json(json!({"rating": 3}));
    assert_eq!(app.call_as(req, None).await.status, StatusCode::OK);
    set_status("open").await;
    set_status("resolved").await;
    set_status("closed").await;
    let version = app.get(&format!("/api/v1/tickets/{}", ids[0])).await.body["version"].as_i64().expect("version");
    let reassigned =
        app.patch(&format!("/api/v1/tickets/{}", ids[0]), Some(version), json!({"assignee_id": d.agent_y})).await;
    assert_eq!(reassigned.status, StatusCode::OK, "{:?}", reassigned.body);
    let in_sync = kept_differences;
    assert_eq!(in_sync(&app), 0, "after the desk's writes");

    // Straight in SQL: both of a ticket's resolutions moved in one
    // statement (now both before its reopen), every SLA flag flipped at
    // once, a resolution moved across Lagos midnight, a survey answered
    // and one removed, a ticket archived, one deleted with its rows, one
    // put on hold with its flags cleared (its clock still running, past due).
    let (t1, t2, t3, t4, t5, t6) = (&ids[0], &ids[1], &ids[2], &ids[3], &ids[4], &ids[5]);
    exec(
        &app,
        &[
            format!(
                "UPDATE ticket_status_history SET changed_at = '2026-01-10 22:30:00' \
                 WHERE ticket_id = '{t5}' AND to_status = 'resolved'"
            ),
            "UPDATE ticket_slas SET resolution_breached = NOT resolution_breached, \
             response_breached = NOT response_breached"
                .to_owned(),
            format!("UPDATE tickets SET resolved_at = '2026-01-07 23:30:00' WHERE id = '{t1}'"),
            format!(
                "UPDATE csat_surveys SET rating = 1, responded_at = '2026-01-13 09:00:00' WHERE ticket_id = '{t5}'"
            ),
            format!("DELETE FROM csat_surveys WHERE ticket_id = '{t2}'"),
            format!("UPDATE tickets SET archived_at = '2026-01-30 00:00:00' WHERE id = '{t6}'"),
            format!("DELETE FROM ticket_slas WHERE ticket_id = '{t3}'"),
            format!("DELETE FROM ticket_status_history WHERE ticket_id = '{t3}'"),
            format!("DELETE FROM csat_surveys WHERE ticket_id = '{t3}'"),
            format!("DELETE FROM tickets WHERE id = '{t3}'"),
            format!("UPDATE tickets SET status = 'pending' WHERE id = '{t4}'"),
            format!(
                "UPDATE ticket_slas SET resolution_breached = FALSE, response_breached = FALSE WHERE ticket_id = '{t4}'"
            ),
        ],
    );
    assert_eq!(in_sync(&app), 0, "after the writes in SQL");
    crate::metrics::fold_every_shard(&app);
    {
        use rapport_metrics::rollups::{differences, prepare};
        let mut conn = app.db().write().expect("conn");
        assert!(prepare(&mut conn, chrono_tz::Europe::London).expect("rebuilt for London"));
        assert_eq!(differences(&mut conn).expect("check"), 0);
        assert!(prepare(&mut conn, chrono_tz::Africa::Lagos).expect("rebuilt for Lagos"));
        assert_eq!(differences(&mut conn).expect("check"), 0);
    }

    // The reports and the dashboard read from the counts say what the rows say.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Africa::Lagos).date_naive();
    let queries = [
        JANUARY.to_owned(),
        format!("from=2025-12-01&to={today}&group_by=week"),
        format!("from=2026-01-01&to={today}&group_by=day&user_id={}", d.agent_x.0),
        format!("from=2026-01-01&to={today}&group_by=month&division_id={}", d.motors),
    ];
    let kept = read_all(&app, &queries).await;
    // January after the writes: T1 (moved late on the 7th), T2, T5 resolved
    // and timed; T5's two resolutions both undone by its reopen.
    let tile = |dashboard: &serde_json::Value, kpi: &str| {
        dashboard["tiles"].as_array().and_then(|t| t.iter().find(|x| x["kpi"] == kpi)).cloned().expect("tile")
    };
    let january = &kept[KEPT_KPIS.len()];
    // Unresolved now: the ticket left new (flagged by the flip), and T4 on
    // hold, past due but not flagged (counted live beside the kept counts).
    let backlog = &kept[1];
    assert_eq!(value(&backlog["measures"], "unresolved"), "2", "{backlog}");
    assert_eq!(value(&backlog["measures"], "breached"), "2", "{backlog}");
    assert_eq!(value(&tile(january, "resolution_time")["measures"], "mean_business_days"), "3.33");
    assert_eq!(value(&tile(january, "reopen_rate")["measures"], "reopened"), "2");
    assert_eq!(value(&tile(january, "csat")["measures"], "responses"), "2", "a 5, and T5's 1");
    // The dashboard's means are the reports' means.
    for kpi in ["resolution_time", "first_response_time", "cycle_length"] {
        let full = report(&app, kpi, JANUARY).await;
        for m in tile(january, kpi)["measures"].as_array().expect("measures") {
            assert_eq!(&measure(&full["measures"], m["name"].as_str().expect("name")).clone(), m, "{kpi}");
        }
    }
    // Counts kept for another zone are not read: the reports sum the rows.
    exec(&app, &["UPDATE metric_settings SET time_zone = 'Etc/Unknown'".to_owned()]);
    let summed = read_all(&app, &queries).await;
    assert_eq!(kept, summed, "the kept counts and the rows agree");
}

/// The service reports the kept ticket counts serve.
const KEPT_KPIS: [&str; 5] = ["sla_compliance", "backlog", "reopen_rate", "csat", "fcr"];

/// Per query: each of [`KEPT_KPIS`], then the dashboard (without the series).
async fn read_all(app: &TestApp, queries: &[String]) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for query in queries {
        for kpi in KEPT_KPIS {
            all.push(report(app, kpi, query).await);
        }
        let no_series: Vec<&str> = query.split('&').filter(|p| !p.starts_with("group_by")).collect();
        let dashboard = app.get(&format!("/api/v1/metrics/dashboard?{}", no_series.join("&"))).await;
        assert_eq!(dashboard.status, StatusCode::OK, "{:?}", dashboard.body);
        all.push(dashboard.body);
    }
    all
}
