//! KPI reports on hand-built fixtures with known answers (`docs/metrics.md`
//! is the contract): rows are written straight into the tables with the
//! instants each case needs (midnight in Lagos, empty periods, backwards
//! moves), then read through the real endpoints.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::{Pipeline, lost_reason, pipeline};
use crate::support::{TestApp, branch, division};

/// How many kept counts and facts differ from their recount from the rows
/// (`rollups::differences`): 0 when the triggers kept them right.
pub fn kept_differences(app: &TestApp) -> i64 {
    let mut conn = app.db().read().expect("conn");
    rapport_metrics::rollups::differences(&mut conn).expect("check")
}

/// Runs `statements` on the app's database.
pub fn exec(app: &TestApp, statements: &[String]) {
    let mut conn = app.db().write().expect("conn");
    for statement in statements {
        diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut *conn).expect(statement);
    }
}

/// Folds every shard of the kept daily counts into shard 0, as the sweeper
/// does for past days, and checks that every sum is as before and nothing
/// is left in another shard; on PostgreSQL, that the writes had spread
/// over shards (SQLite keeps everything in shard 0).
pub fn fold_every_shard(app: &TestApp) {
    use rapport_metrics::rollups::{differences, fold_shards};
    let mut conn = app.db().write().expect("conn");
    let postgres = matches!(*conn, rapport_core::db::Conn::Postgres(_));
    // Every day a test can have written, follow-ups due ahead included:
    // those are days in Lagos, which is a day ahead of UTC from 23:00 UTC,
    // and a bound of two days after UTC's today left the last one unfolded
    // in that hour.
    let after_everything = chrono::Utc::now().date_naive() + chrono::Days::new(400);
    let folded = fold_shards(&mut conn, after_everything).expect("folded");
    assert_eq!(folded > 0, postgres, "{folded} rows folded");
    assert_eq!(differences(&mut conn).expect("check"), 0, "the folded counts sum as before");
    drop(conn);
    for table in [
        "lead_daily_counts",
        "lead_division_daily_counts",
        "lead_follow_up_counts",
        "lead_stay_counts",
        "ticket_daily_counts",
    ] {
        assert_eq!(app.count(&format!("{table} WHERE shard <> 0")), 0, "{table} folded");
    }
}

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A lead as an INSERT: `created`/`closed` are UTC instants.
#[allow(clippy::too_many_arguments)]
fn lead(
    division: &str,
    p: &Pipeline,
    owner: &str,
    source: &str,
    stage: &str,
    created: &str,
    closed: Option<&str>,
    value_minor: Option<i64>,
    lost_reason: Option<&str>,
) -> (String, String) {
    let id = id();
    let status = if stage == p.won {
        "won"
    } else if stage == p.lost {
        "lost"
    } else {
        "open"
    };
    let q = |v: Option<&str>| v.map_or("NULL".to_owned(), |v| format!("'{v}'"));
    let (currency, value) =
        value_minor.map_or(("NULL".to_owned(), "NULL".to_owned()), |v| ("'NGN'".into(), v.to_string()));
    let sql = format!(
        "INSERT INTO leads (id, prospect_name, source, division_id, owner_id, created_by, pipeline_id, stage_id, status, \
         lost_reason_id, currency, expected_value_minor, closed_at, version, created_at, updated_at) VALUES \
         ('{id}', 'Prospect', '{source}', '{division}', '{owner}', '{owner}', '{}', '{stage}', '{status}', {}, {currency}, \
         {value}, {}, 1, '{created}', '{created}')",
        p.id,
        q(lost_reason),
        q(closed)
    );
    (id, sql)
}

fn history(lead: &str, from: Option<&str>, to: &str, entered: &str, left: Option<&str>) -> String {
    let q = |v: Option<&str>| v.map_or("NULL".to_owned(), |v| format!("'{v}'"));
    format!(
        "INSERT INTO lead_stage_history (id, lead_id, from_stage_id, to_stage_id, entered_at, left_at) VALUES \
         ('{}', '{lead}', {}, '{to}', '{entered}', {})",
        id(),
        q(from),
        q(left)
    )
}

/// The fixture of the sales tests, all in January 2026 unless said.
pub struct Sales {
    pub motors: String,
    p: Pipeline,
    pub rep_a: (String, String),
    rep_b: (String, String),
}

pub async fn sales_fixture(app: &TestApp) -> Sales {
    let motors = division(app, "MOT", "Motors").await;
    let p = pipeline(app, &motors, "Sales").await;
    let price = lost_reason(app, "Price").await;
    let rep_a = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rep_b = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (a, b) = (rep_a.0.as_str(), rep_b.0.as_str());
    // Lagos is UTC+1: 2025-12-31 23:30 UTC is 00:30 on 1 January there, and
    // 2026-01-31 23:30 UTC is already 1 February.
    let (l1, s1) = lead(
        &motors,
        &p,
        a,
        "walk_in",
        &p.won,
        "2026-01-05 09:00:00",
        Some("2026-01-15 09:00:00"),
        Some(100_000_000),
        None,
    );
    let (_, s2) =
        lead(&motors, &p, b, "phone", &p.lost, "2026-01-10 09:00:00", Some("2026-01-20 09:00:00"), None, Some(&price));
    let (_, s3) = lead(&motors, &p, a, "website", &p.new, "2026-01-31 23:30:00", None, None, None);
    let (_, s4) = lead(&motors, &p, b, "website", &p.new, "2025-12-31 23:30:00", None, None, None);
    let (_, s5) = lead(
        &motors,
        &p,
        a,
        "phone",
        &p.won,
        "2026-01-12 09:00:00",
        Some("2026-01-14 09:00:00"),
        Some(50_000_000),
        None,
    );
    let (l6, s6) = lead(&motors, &p, a, "phone", &p.qualified, "2026-01-20 09:00:00", None, Some(200_000_000), None);
    let _ = l1;
    exec(
        app,
        &[
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            // L6 moved forward, back, and forward again.
            history(&l6, None, &p.new, "2026-01-20 09:00:00", Some("2026-01-21 09:00:00")),
            history(&l6, Some(&p.new), &p.qualified, "2026-01-21 09:00:00", Some("2026-01-23 09:00:00")),
            history(&l6, Some(&p.qualified), &p.new, "2026-01-23 09:00:00", Some("2026-01-24 09:00:00")),
            history(&l6, Some(&p.new), &p.qualified, "2026-01-24 09:00:00", None),
        ],
    );
    Sales { motors, p, rep_a, rep_b }
}

/// Report `kpi` with `query`, which must succeed.
pub async fn report(app: &TestApp, kpi: &str, query: &str) -> Value {
    let reply = app.get(&format!("/api/v1/metrics/reports/{kpi}?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{kpi}?{query}: {:?}", reply.body);
    reply.body
}

/// The measure named `name`.
pub fn measure<'a>(measures: &'a Value, name: &str) -> &'a Value {
    measures
        .as_array()
        .and_then(|a| a.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {measures}"))
}

/// The value of the measure named `name`.
pub fn value(measures: &Value, name: &str) -> Value {
    measure(measures, name)["value"].clone()
}

const JANUARY: &str = "from=2026-01-01&to=2026-01-31";

#[actix_web::test]
async fn conversion_counts_the_cohort_by_lagos_days_and_the_closed_in_period_variant() {
    let app = TestApp::new().await;
    sales_fixture(&app).await;
    let r = report(&app, "conversion", JANUARY).await;
    // Created in January (Lagos): L1, L2, L4 (00:30 on the 1st), L5, L6; not
    // L3 (00:30 on 1 February). Won now: L1 and L5.
    let cohort = measure(&r["measures"], "cohort_rate");
    assert_eq!(cohort["numerator"], "2");
    assert_eq!(cohort["denominator"], 5);
    assert_eq!(cohort["value"], "40");
    // Closed in January: L1 and L5 won, L2 lost.
    let closed = measure(&r["measures"], "closed_rate");
    assert_eq!((closed["numerator"].clone(), closed["denominator"].clone()), (json!("2"), json!(3)));
    assert_eq!(closed["value"], "66.67");
    assert_eq!(r["filters"]["time_zone"], "Africa/Lagos");
    assert_eq!(r["target"]["target"]["source"], "plan");
    assert_eq!(r["target"]["target"]["min"], "5");
    assert_eq!(r["target"]["status"], "above");
    assert_eq!(r["records"], "/api/v1/leads?created_from=2025-12-31T23:00:00Z&created_to=2026-01-31T23:00:00Z");

    // An empty period: null with a reason, never 0.
    let empty = report(&app, "conversion", "from=2025-06-01&to=2025-06-30").await;
    let cohort = measure(&empty["measures"], "cohort_rate");
    assert_eq!(cohort["value"], Value::Null);
    assert_eq!(cohort["denominator"], 0);
    assert_eq!(cohort["null_reason"], "no leads were created in the period");
    assert_eq!(empty["target"]["status"], Value::Null);

    // By month: December is empty, L4 counts in January, L3 in February.
    let r = report(&app, "conversion", "from=2025-12-01&to=2026-02-28&group_by=month").await;
    let series = r["series"].as_array().expect("series");
    let buckets: Vec<&str> = series.iter().map(|p| p["bucket"].as_str().expect("bucket")).collect();
    assert_eq!(buckets, ["2025-12-01", "2026-01-01", "2026-02-01"]);
    assert_eq!(measure(&series[0]["measures"], "cohort_rate")["denominator"], 0);
    assert_eq!(measure(&series[1]["measures"], "cohort_rate")["denominator"], 5);
    assert_eq!(measure(&series[2]["measures"], "cohort_rate")["denominator"], 1);
    assert_eq!(value(&series[2]["measures"], "cohort_rate"), "0");
    // By day, the lead logged at 00:30 Lagos time falls on 1 January.
    let r = report(&app, "conversion", "from=2026-01-01&to=2026-01-02&group_by=day").await;
    assert_eq!(measure(&r["series"][0]["measures"], "cohort_rate")["denominator"], 1);
    assert_eq!(measure(&r["series"][1]["measures"], "cohort_rate")["denominator"], 0);
}

#[actix_web::test]
async fn cycle_length_stage_durations_win_loss_leaderboard_and_pipeline() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;

    // Won in January: L1 after 10 days, L5 after 2.
    let r = report(&app, "cycle_length", JANUARY).await;
    assert_eq!(value(&r["measures"], "count"), "2");
    assert_eq!(value(&r["measures"], "mean_days"), "6");
    assert_eq!(measure(&r["measures"], "mean_days")["numerator"], "12");
    assert_eq!(value(&r["measures"], "median_days"), "6");
    assert_eq!(value(&r["measures"], "p90_days"), "10");
    // With a month series (the period and its months ranked in one
    // statement): the same headline, and January's point is the period.
    let monthly = report(&app, "cycle_length", &format!("{JANUARY}&group_by=month")).await;
    assert_eq!(monthly["measures"], r["measures"]);
    assert_eq!(monthly["series"].as_array().map(Vec::len), Some(1), "{monthly}");
    assert_eq!(monthly["series"][0]["bucket"], "2026-01-01");
    assert_eq!(monthly["series"][0]["measures"], r["measures"]);

    // Stays ended in January: New 1 day twice (L6 moved back), Qualified 2 days.
    let r = report(&app, "stage_durations", JANUARY).await;
    assert_eq!(value(&r["measures"], "count"), "3");
    assert_eq!(value(&r["measures"], "mean_days"), "1.33");
    let stage =
        |key: &str| r["breakdown"].as_array().and_then(|b| b.iter().find(|g| g["key"] == key)).cloned().expect("stage");
    assert_eq!(value(&stage(&s.p.new)["measures"], "count"), "2");
    assert_eq!(value(&stage(&s.p.new)["measures"], "mean_days"), "1");
    assert_eq!(value(&stage(&s.p.qualified)["measures"], "mean_days"), "2");
    assert_eq!(value(&stage(&s.p.qualified)["measures"], "share_1_to_3_days"), "100");
    assert_eq!(value(&stage(&s.p.new)["measures"], "share_under_1_hour"), "0");
    assert_eq!(stage(&s.p.new)["label"], "Sales / New inquiry");
    // By duration band: all three between one day (included) and three.
    assert_eq!(value(&stage("1_to_3_days")["measures"], "count"), "3");
    assert_eq!(value(&stage("3_to_7_days")["measures"], "share"), "0");

    let r = report(&app, "win_loss", JANUARY).await;
    assert_eq!((value(&r["measures"], "won"), value(&r["measures"], "lost")), (json!("2"), json!("1")));
    let group = |dimension: &str, key: &str| {
        r["breakdown"]
            .as_array()
            .and_then(|b| b.iter().find(|g| g["dimension"] == dimension && g["key"] == key))
            .cloned()
    };
    let price = group("lost_reason", &lost_reason_id(&app)).expect("price");
    assert_eq!(price["label"], "Price");
    assert_eq!(value(&price["measures"], "lost"), "1");
    let phone = group("source", "phone").expect("phone");
    assert_eq!(value(&phone["measures"], "win_rate"), "50");
    assert!(group("source", "website").is_none(), "open leads are not closed");

    let r = report(&app, "leaderboard", JANUARY).await;
    let rows = r["breakdown"].as_array().expect("rows");
    assert_eq!(rows[0]["key"], s.rep_a.0.as_str(), "most won first");
    assert_eq!(value(&rows[0]["measures"], "created"), "3");
    assert_eq!(value(&rows[0]["measures"], "won"), "2");
    assert_eq!(value(&rows[0]["measures"], "won_value"), "1500000.00");
    assert_eq!(measure(&rows[0]["measures"], "won_value")["currency"], "NGN");
    assert_eq!(rows[1]["key"], s.rep_b.0.as_str());
    assert_eq!(value(&rows[1]["measures"], "created"), "2");
    assert_eq!(value(&rows[1]["measures"], "win_rate"), "0");

    // Now: L3 and L4 in New, L6 (2,000,000.00 at 40 %) in Qualified.
    let r = report(&app, "pipeline", "").await;
    assert_eq!(value(&r["measures"], "open_leads"), "3");
    assert_eq!(value(&r["breakdown"][0]["measures"], "open_leads"), "2");
    assert_eq!(value(&r["measures"], "expected_value"), "2000000.00");
    assert_eq!(value(&r["measures"], "weighted_value"), "800000.00");
    let stages: Vec<&str> =
        r["breakdown"].as_array().expect("stages").iter().map(|g| g["key"].as_str().expect("k")).collect();
    assert_eq!(stages, [s.p.new.as_str(), s.p.qualified.as_str()]);
    let reply = app.get("/api/v1/metrics/reports/pipeline?group_by=week").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["group_by"]);
}

fn lost_reason_id(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = app.db().read().expect("conn");
    diesel::RunQueryDsl::get_result::<Id>(diesel::sql_query("SELECT id FROM lost_reasons"), &mut *conn)
        .expect("reason")
        .id
}

#[actix_web::test]
async fn reps_see_their_own_numbers_and_managers_their_division() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;
    // Rep A: L1, L5, L6 created in January; L1 and L5 won.
    let mine = app.get_as(&format!("/api/v1/metrics/reports/conversion?{JANUARY}"), &s.rep_a.1).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(mine.body["filters"]["user_id"], s.rep_a.0.as_str());
    assert_eq!(measure(&mine.body["measures"], "cohort_rate")["denominator"], 3);
    let theirs =
        app.get_as(&format!("/api/v1/metrics/reports/conversion?{JANUARY}&user_id={}", s.rep_b.0), &s.rep_a.1).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{:?}", theirs.body);

    let other = division(&app, "GEN", "Generators").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&other), None);
    let own = app.get_as(&format!("/api/v1/metrics/reports/conversion?{JANUARY}"), &manager).await;
    assert_eq!(own.body["filters"]["division_id"], other.as_str());
    assert_eq!(measure(&own.body["measures"], "cohort_rate")["denominator"], 0);
    let motors = app.get_as(&format!("/api/v1/metrics/reports/conversion?division_id={}", s.motors), &manager).await;
    assert_eq!(motors.status, StatusCode::NOT_FOUND, "{:?}", motors.body);

    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    let all = app.get_as(&format!("/api/v1/metrics/reports/conversion?{JANUARY}"), &analyst).await;
    assert_eq!(measure(&all.body["measures"], "cohort_rate")["denominator"], 5);
    let unauthenticated = app.call_as(TestRequest::get().uri("/api/v1/metrics/reports/conversion"), None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn bad_report_queries_are_refused_by_name() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2026-13-01", "from"),
        ("group_by=year", "group_by"),
        ("colour=red", "colour"),
        ("queue_id=x", "queue_id"),
        ("from=2000-01-01&to=2026-01-01", "from"),
    ] {
        let reply = app.get(&format!("/api/v1/metrics/reports/conversion?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    let reply = app.get("/api/v1/metrics/reports/happiness").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let ghost = uuid::Uuid::now_v7();
    for query in
        [format!("division_id={ghost}"), format!("user_id={ghost}"), format!("division_id={motors}&branch_id={ghost}")]
    {
        let reply = app.get(&format!("/api/v1/metrics/reports/conversion?{query}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{query}: {:?}", reply.body);
    }
    let reply = app.get("/api/v1/metrics/dashboard?group_by=day").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn reports_come_as_csv_one_row_per_measure() {
    let app = TestApp::new().await;
    sales_fixture(&app).await;
    let req = TestRequest::get()
        .uri(&format!("/api/v1/metrics/reports/conversion?{JANUARY}&group_by=month"))
        .insert_header(("Accept", "text/csv"));
    let reply = app.call(req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").is_some_and(|v| v.starts_with("text/csv")));
    let body = reply.body.as_str().expect("text").to_owned();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "kpi,section,bucket,dimension,key,label,measure,unit,value,numerator,denominator,currency,null_reason"
    );
    assert!(lines.contains(&"conversion,total,,,,,cohort_rate,percent,40,2,5,,"), "{body}");
    assert!(lines.contains(&"conversion,series,2026-01-01,,,,closed_rate,percent,66.67,2,3,,"), "{body}");
    assert_eq!(lines.len(), 1 + 2 + 2);
}

#[actix_web::test]
async fn targets_default_to_the_plan_and_divisions_override_them() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;
    let list = app.get("/api/v1/metrics/targets").await;
    let plan: Vec<(String, String, String)> = list.body["data"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| (t["kpi"].as_str().unwrap_or_default().to_owned(), t["min"].to_string(), t["max"].to_string()))
        .collect();
    assert_eq!(
        plan,
        [
            ("conversion".to_owned(), "\"5\"".to_owned(), "\"8\"".to_owned()),
            ("resolution_time".to_owned(), "\"3\"".to_owned(), "\"5\"".to_owned()),
            ("csat".to_owned(), "\"60\"".to_owned(), "\"70\"".to_owned()),
        ]
    );

    // Motors aims higher: 40 % is now within.
    let set = app
        .put(
            "/api/v1/metrics/targets",
            json!({"kpi": "conversion", "division_id": s.motors, "min": "35", "max": "45.5"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["source"], "division");
    let target_id = set.id();
    assert_eq!(app.audit_of("metric_target", &target_id).len(), 1);
    let r = report(&app, "conversion", &format!("{JANUARY}&division_id={}", s.motors)).await;
    assert_eq!(r["target"]["target"]["max"], "45.5");
    assert_eq!(r["target"]["status"], "within");
    // Group-wide, the plan still applies.
    assert_eq!(report(&app, "conversion", JANUARY).await["target"]["status"], "above");

    // Bad bounds: refused by field, nothing stored.
    for (body, field) in [
        (json!({"kpi": "conversion", "min": "9", "max": "8"}), "max"),
        (json!({"kpi": "conversion", "min": "-1", "max": "8"}), "min"),
        (json!({"kpi": "conversion", "min": "1.234", "max": "8"}), "min"),
        (json!({"kpi": "csat", "min": "60", "max": "170"}), "max"),
    ] {
        let reply = app.put("/api/v1/metrics/targets", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{body}");
    }
    let reply = app.put("/api/v1/metrics/targets", json!({"kpi": "joy", "min": "1", "max": "2"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["kpi"]);
    assert_eq!(app.count("metric_targets"), 1);

    // A stale version is refused; the current one replaces.
    let stale = app
        .put(
            "/api/v1/metrics/targets",
            json!({"kpi": "conversion", "division_id": s.motors, "min": "1", "max": "2", "version": 7}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let again = app
        .put(
            "/api/v1/metrics/targets",
            json!({"kpi": "conversion", "division_id": s.motors, "min": "1", "max": "2", "version": 1}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["version"], 2);

    // Another division's manager reads every target but changes only their own.
    let other = division(&app, "GEN", "Generators").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&other), None);
    let req = TestRequest::put()
        .uri("/api/v1/metrics/targets")
        .set_json(json!({"kpi": "csat", "division_id": s.motors, "min": "1", "max": "2"}));
    assert_eq!(app.call_as(req, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let req = TestRequest::delete().uri(&format!("/api/v1/metrics/targets/{target_id}"));
    assert_eq!(app.call_as(req, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let theirs = app.get_as("/api/v1/metrics/targets", &manager).await;
    assert!(theirs.body["data"].as_array().expect("list").iter().any(|t| t["division_id"] == s.motors.as_str()));

    assert_eq!(app.delete(&format!("/api/v1/metrics/targets/{target_id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("metric_targets"), 0);
    assert_eq!(app.audit_of("metric_target", &target_id).len(), 3);
}

#[actix_web::test]
async fn the_dashboard_has_every_headline_in_one_call() {
    let app = TestApp::new().await;
    let _branch = {
        let s = sales_fixture(&app).await;
        branch(&app, &s.motors, "IKJ", "Ikeja", "Lagos").await
    };
    let reply = app.get(&format!("/api/v1/metrics/dashboard?{JANUARY}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let kpis: Vec<&str> =
        reply.body["tiles"].as_array().expect("tiles").iter().map(|t| t["kpi"].as_str().expect("kpi")).collect();
    assert_eq!(
        kpis,
        [
            "conversion",
            "cycle_length",
            "pipeline",
            "follow_up_compliance",
            "resolution_time",
            "first_response_time",
            "sla_compliance",
            "backlog",
            "reopen_rate",
            "csat",
            "fcr",
            "handle_time"
        ]
    );
    let tile = |kpi: &str| {
        reply.body["tiles"].as_array().and_then(|t| t.iter().find(|x| x["kpi"] == kpi)).cloned().expect("tile")
    };
    assert_eq!(value(&tile("conversion")["measures"], "cohort_rate"), "40");
    assert_eq!(measure(&tile("csat")["measures"], "rate")["null_reason"], "no CSAT responses in the period");
    assert_eq!(tile("csat")["target"]["target"]["min"], "60");
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Delete, Read, Update};
    use Resource::{MetricTargets, Metrics};
    let spare = division(app, &format!("M{n}T"), &format!("Metrics {n}")).await;
    let target =
        app.put("/api/v1/metrics/targets", json!({"kpi": "fcr", "division_id": spare, "min": "50", "max": "80"})).await;
    vec![
        endpoint(Method::GET, "/api/v1/metrics/dashboard".into(), None, Metrics, Read),
        endpoint(Method::GET, "/api/v1/metrics/reports/conversion".into(), None, Metrics, Read),
        endpoint(Method::GET, "/api/v1/metrics/targets".into(), None, MetricTargets, Read),
        endpoint(
            Method::PUT,
            "/api/v1/metrics/targets".into(),
            Some(json!({"kpi": "csat", "division_id": home, "min": "60", "max": "70"})),
            MetricTargets,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/metrics/targets/{}", target.id()), None, MetricTargets, Delete),
        endpoint(Method::GET, "/api/v1/exports/leads".into(), None, Metrics, Read),
        endpoint(Method::GET, "/api/v1/exports/lead-stage-history".into(), None, Metrics, Read),
        endpoint(Method::GET, "/api/v1/exports/tickets".into(), None, Metrics, Read),
        endpoint(Method::GET, "/api/v1/exports/csat-responses".into(), None, Metrics, Read),
    ]
}

/// A lead with a follow-up due, as an INSERT.
fn lead_due(division: &str, p: &Pipeline, owner: &str, created: &str, due: &str) -> (String, String) {
    let id = id();
    let sql = format!(
        "INSERT INTO leads (id, prospect_name, source, division_id, owner_id, created_by, pipeline_id, stage_id, status, \
         next_follow_up_at, version, created_at, updated_at) VALUES ('{id}', 'Prospect', 'phone', '{division}', '{owner}', \
         '{owner}', '{}', '{}', 'open', '{due}', 1, '{created}', '{created}')",
        p.id, p.new
    );
    (id, sql)
}

fn contact(division: &str, lead: &str, at: &str) -> String {
    format!(
        "INSERT INTO interactions (id, division_id, channel, direction, occurred_at, lead_id, version, created_at, updated_at) \
         VALUES ('{}', '{division}', 'call', 'outbound', '{at}', '{lead}', 1, '{at}', '{at}')",
        id()
    )
}

fn reschedule(lead: &str, due: Option<&str>, at: &str, status: &str) -> String {
    let due = due.map_or("NULL".to_owned(), |d| format!("'{d}'"));
    format!("UPDATE leads SET next_follow_up_at = {due}, status = '{status}', updated_at = '{at}' WHERE id = '{lead}'")
}

#[actix_web::test]
async fn follow_up_compliance_counts_follow_ups_met_by_their_lagos_due_day() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep, rep_token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (a1, s1) = lead_due(&motors, &p, &rep, "2026-01-02 09:00:00", "2026-01-05 09:00:00");
    let (a2, s2) = lead_due(&motors, &p, &rep, "2026-01-10 09:00:00", "2026-01-12 09:00:00");
    let (_, s3) = lead_due(&motors, &p, &rep, "2026-01-30 22:00:00", "2026-01-31 23:30:00");
    let (a4, s4) = lead_due(&motors, &p, &rep, "2026-01-13 09:00:00", "2026-01-15 10:00:00");
    let (a5, s5) = lead_due(&motors, &p, &rep, "2026-01-16 09:00:00", "2026-01-18 10:00:00");
    exec(
        &app,
        &[
            s1,
            s2,
            s3,
            s4,
            s5,
            // A1: met on its due day, then given a new one nobody met.
            contact(&motors, &a1, "2026-01-05 14:00:00"),
            reschedule(&a1, Some("2026-01-09 14:00:00"), "2026-01-05 14:00:00", "open"),
            // A2: moved ahead the day before it was due (not counted), then
            // the new one met a day late, and the lead won.
            reschedule(&a2, Some("2026-01-20 09:00:00"), "2026-01-11 09:00:00", "open"),
            contact(&motors, &a2, "2026-01-21 09:00:00"),
            format!(
                "UPDATE leads SET next_follow_up_at = NULL, status = 'won', stage_id = '{}', closed_at = '2026-01-22 09:00:00', \
                 updated_at = '2026-01-22 09:00:00' WHERE id = '{a2}'",
                p.won
            ),
            // A4: met at 23:30 Lagos time on its due day, which moved it on
            // (as logging a contact does); the next one was missed.
            contact(&motors, &a4, "2026-01-15 22:30:00"),
            reschedule(&a4, Some("2026-01-17 22:30:00"), "2026-01-15 22:30:00", "open"),
            // A5: the contact came at 00:30 Lagos time the day after.
            contact(&motors, &a5, "2026-01-18 23:30:00"),
        ],
    );
    assert_eq!(app.count("lead_follow_ups"), 8);
    let r = report(&app, "follow_up_compliance", JANUARY).await;
    let rate = measure(&r["measures"], "rate");
    assert_eq!((rate["numerator"].clone(), rate["denominator"].clone()), (json!("2"), json!(6)), "{r}");
    assert_eq!(rate["value"], "33.33");
    // Open and past due now: A1's and A4's second, A3's (due 1 February), A5's.
    assert_eq!(value(&r["measures"], "overdue_now"), "4");
    assert_eq!(r["breakdown"][0]["key"], rep.as_str());
    let weekly = report(&app, "follow_up_compliance", &format!("{JANUARY}&group_by=week")).await;
    let week = |day: &str| {
        weekly["series"].as_array().and_then(|s| s.iter().find(|p| p["bucket"] == day)).cloned().expect("week")
    };
    assert_eq!(value(&week("2026-01-05")["measures"], "rate"), "50", "A1's met, A1's second missed");
    assert_eq!(measure(&week("2026-01-12")["measures"], "rate")["denominator"], 3, "A4's two, A5's");
    assert_eq!(measure(&week("2025-12-29")["measures"], "rate")["null_reason"], "no follow-up fell due in the period");
    let mine = app.get_as(&format!("/api/v1/metrics/reports/follow_up_compliance?{JANUARY}"), &rep_token).await;
    assert_eq!(measure(&mine.body["measures"], "rate")["denominator"], 6);
}

#[actix_web::test]
async fn the_follow_up_log_follows_leads_written_through_the_api() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let body = json!({"prospect_name": "Bola Ade", "prospect_phone": "0803 111 2222", "source": "phone", "division_id": motors, "pipeline_id": p.id,
        "next_follow_up_at": "2020-01-01T09:00:00Z"});
    let lead = app.post("/api/v1/leads", body).await;
    assert_eq!(lead.status, StatusCode::CREATED, "{:?}", lead.body);
    assert_eq!(app.count("lead_follow_ups"), 1);
    // A contact today moves the cadence on: the overdue one closes, late.
    let call = json!({"channel": "call", "direction": "outbound", "division_id": motors, "lead_id": lead.id(),
        "subject": "Called back", "occurred_at": chrono::Utc::now().to_rfc3339()});
    assert_eq!(app.post("/api/v1/interactions", call).await.status, StatusCode::CREATED);
    assert_eq!(app.count("lead_follow_ups"), 2);
    let r = report(&app, "follow_up_compliance", "from=2020-01-01&to=2020-01-01").await;
    let rate = measure(&r["measures"], "rate");
    assert_eq!((rate["numerator"].clone(), rate["denominator"].clone()), (json!("0"), json!(1)));
    assert_eq!(value(&r["measures"], "overdue_now"), "0", "the new one is due in the future");
}

#[actix_web::test]
async fn days_follow_a_daylight_saving_change_in_the_company_time_zone() {
    let config = rapport_server::config::HttpConfig {
        company_time_zone: chrono_tz::Europe::London,
        ..rapport_server::config::HttpConfig::default()
    };
    let app = TestApp::with_config(config).await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    // London moves to BST at 01:00 UTC on 29 March 2026: 23:30 UTC on the
    // 28th is still the 28th there, 23:30 UTC on the 29th is already the 30th.
    let statements: Vec<String> =
        ["2026-03-28 23:30:00", "2026-03-29 00:30:00", "2026-03-29 23:30:00", "2026-03-29 22:30:00"]
            .iter()
            .map(|at| lead(&motors, &p, &rep, "phone", &p.new, at, None, None, None).1)
            .collect();
    exec(&app, &statements);
    let r = report(&app, "conversion", "from=2026-03-28&to=2026-03-30&group_by=day").await;
    assert_eq!(r["filters"]["time_zone"], "Europe/London");
    let per_day: Vec<Value> = r["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| measure(&p["measures"], "cohort_rate")["denominator"].clone())
        .collect();
    assert_eq!(per_day, [json!(1), json!(2), json!(1)]);
}

/// POST /leads/{id}/move at `version`, which must succeed; the new version.
async fn move_to(app: &TestApp, id: &str, version: i64, body: Value) -> i64 {
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{id}/move"))
        .insert_header(("if-match", format!("\"{version}\"")))
        .set_json(body);
    let reply = app.call(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["version"].as_i64().expect("version")
}

#[actix_web::test]
async fn the_kept_counts_equal_the_recount_after_every_kind_of_lead_and_contact_write() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;
    let price = lost_reason_id(&app);
    // Through the API: created (today), won, lost, reopened, moved back,
    // reassigned, revalued, archived.
    let mut ids = Vec::new();
    for (n, owner) in [&s.rep_a.0, &s.rep_b.0, &s.rep_a.0, &s.rep_b.0, &s.rep_a.0].into_iter().enumerate() {
        let body = json!({
            "prospect_name": format!("Prospect {n}"), "prospect_email": format!("p{n}@example.com"),
            "source": "phone", "division_id": s.motors,
            "pipeline_id": s.p.id, "owner_id": owner,
            "expected_value": {"amount": "1000.00", "currency": "NGN"}
        });
        let created = app.post("/api/v1/leads", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        ids.push(created.id());
    }
    let v = move_to(&app, &ids[0], 1, json!({"to_stage_id": s.p.won})).await;
    assert!(v > 1);
    move_to(&app, &ids[1], 1, json!({"to_stage_id": s.p.lost, "lost_reason_id": price})).await;
    let v = move_to(&app, &ids[2], 1, json!({"to_stage_id": s.p.won})).await;
    move_to(&app, &ids[2], v, json!({"to_stage_id": s.p.qualified})).await;
    let v = move_to(&app, &ids[3], 1, json!({"to_stage_id": s.p.qualified})).await;
    move_to(&app, &ids[3], v, json!({"to_stage_id": s.p.new})).await;
    let reassigned = app.patch(&format!("/api/v1/leads/{}", ids[4]), Some(1), json!({"owner_id": s.rep_b.0})).await;
    assert_eq!(reassigned.status, StatusCode::OK, "{:?}", reassigned.body);
    let revalued = app
        .patch(
            &format!("/api/v1/leads/{}", ids[0]),
            Some(v_of(&app, &ids[0]).await),
            json!({"expected_value": {"amount": "2500.00", "currency": "NGN"}}),
        )
        .await;
    assert_eq!(revalued.status, StatusCode::OK, "{:?}", revalued.body);
    assert_eq!(app.delete(&format!("/api/v1/leads/{}", ids[1])).await.status, StatusCode::NO_CONTENT);
    // Follow-ups: set in the past (one met by a contact on its due day, one
    // missed, one postponed on its day), a contact moved late, a contact
    // removed.
    let follow_up = |id: &str, version: i64, due: &str| {
        let (app, id, due) = (&app, id.to_owned(), due.to_owned());
        async move {
            let reply =
                app.patch(&format!("/api/v1/leads/{id}"), Some(version), json!({"next_follow_up_at": due})).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        }
    };
    follow_up(&ids[3], v_of(&app, &ids[3]).await, "2026-01-10T09:00:00Z").await;
    follow_up(&ids[2], v_of(&app, &ids[2]).await, "2026-01-12T09:00:00Z").await;
    follow_up(&ids[4], v_of(&app, &ids[4]).await, "2026-01-14T09:00:00Z").await;
    exec(&app, &["UPDATE lead_follow_ups SET scheduled_at = '2026-01-01 09:00:00' WHERE closed_at IS NULL".to_owned()]);
    let contact = |lead: &str, at: &str| {
        json!({"channel": "call", "direction": "outbound", "division_id": s.motors, "lead_id": lead,
               "subject": "Call", "occurred_at": at})
    };
    // 23:30 Lagos on the due day: in time.
    let met = app.post("/api/v1/interactions", contact(&ids[3], "2026-01-10T22:30:00Z")).await;
    assert_eq!(met.status, StatusCode::CREATED, "{:?}", met.body);
    let moved = app.post("/api/v1/interactions", contact(&ids[2], "2026-01-11T09:00:00Z")).await;
    let late = app
        .patch(&format!("/api/v1/interactions/{}", moved.id()), Some(1), json!({"occurred_at": "2026-01-13T09:00:00Z"}))
        .await;
    assert_eq!(late.status, StatusCode::OK, "{:?}", late.body);
    let removed = app.post("/api/v1/interactions", contact(&ids[4], "2026-01-13T09:00:00Z")).await;
    exec(&app, &[format!("DELETE FROM interactions WHERE id = '{}'", removed.id())]);
    // Straight in SQL: a creation moved across Lagos midnight, a close
    // moved to another day, a lead deleted outright.
    exec(
        &app,
        &[
            format!("UPDATE leads SET created_at = '2026-01-31 23:00:00' WHERE id = '{}'", ids[3]),
            format!("UPDATE leads SET closed_at = '2026-01-16 22:59:59' WHERE status = 'won' AND id <> '{}'", ids[0]),
            // Every ended stay of a lead moved at once, across a band edge.
            format!(
                "UPDATE lead_stage_history SET left_at = '2026-01-20 10:00:00', entered_at = '2026-01-19 09:00:00' \
                 WHERE lead_id = '{}' AND left_at IS NOT NULL",
                ids[2]
            ),
            format!("UPDATE leads SET branch_id = NULL, owner_id = '{}' WHERE id = '{}'", s.rep_b.0, ids[2]),
            format!("DELETE FROM lead_follow_ups WHERE lead_id = '{}'", ids[4]),
            format!("DELETE FROM lead_stage_history WHERE lead_id = '{}'", ids[4]),
            format!("DELETE FROM leads WHERE id = '{}'", ids[4]),
        ],
    );
    assert_eq!(kept_differences(&app), 0, "kept counts equal the recount from the leads");
    fold_every_shard(&app);
    // The company's zone changes, and back: each start rebuilds the counts.
    {
        use rapport_metrics::rollups::{differences, prepare};
        let mut conn = app.db().write().expect("conn");
        assert!(prepare(&mut conn, chrono_tz::Europe::London).expect("rebuilt for London"));
        assert_eq!(differences(&mut conn).expect("check"), 0);
        assert!(!prepare(&mut conn, chrono_tz::Europe::London).expect("kept"), "nothing to do the second time");
        assert!(prepare(&mut conn, chrono_tz::Africa::Lagos).expect("rebuilt for Lagos"));
        assert_eq!(differences(&mut conn).expect("check"), 0);
    }

    // And the reports read from them say what the leads say.
    let today = chrono::Utc::now().date_naive();
    let queries = [
        JANUARY.to_owned(),
        format!("from=2025-12-01&to={today}&group_by=week"),
        format!("from=2025-12-01&to={today}&group_by=day&user_id={}", s.rep_a.0),
        format!("from=2026-01-01&to={today}&group_by=month&division_id={}", s.motors),
    ];
    let mut kept = Vec::new();
    for query in &queries {
        for kpi in ["conversion", "leaderboard", "follow_up_compliance", "stage_durations"] {
            kept.push(report(&app, kpi, query).await);
        }
    }
    assert_eq!(value(&kept[0]["measures"], "cohort_rate"), "40", "January as the fixture test says");
    let follow_ups = &kept[2]["measures"];
    assert_ne!(value(&kept[3]["measures"], "count"), "0", "stays ended in January");
    // Due in January: the two set there, and the two the contacts moved
    // the cadence to (each contact sets the next one from its own instant);
    // met: the one called at 23:30 Lagos on its due day.
    assert_eq!((value(follow_ups, "due"), value(follow_ups, "met")), (json!("4"), json!("1")), "{follow_ups}");
    // The dashboard's cycle length (per-division counts without a branch or
    // owner filter, the finer ones with) is the report's, in every scope.
    for query in &queries {
        let no_series: Vec<&str> = query.split('&').filter(|p| !p.starts_with("group_by")).collect();
        let query = no_series.join("&");
        let dashboard = app.get(&format!("/api/v1/metrics/dashboard?{query}")).await;
        assert_eq!(dashboard.status, StatusCode::OK, "{:?}", dashboard.body);
        let tile =
            dashboard.body["tiles"].as_array().and_then(|t| t.iter().find(|x| x["kpi"] == "cycle_length")).cloned();
        let full = report(&app, "cycle_length", &query).await;
        for m in tile.expect("tile")["measures"].as_array().expect("measures") {
            assert_eq!(measure(&full["measures"], m["name"].as_str().expect("name")), m, "{query}");
        }
        assert_ne!(value(&full["measures"], "count"), "0", "{query}: leads won in the period");
    }
    // Counts kept for another zone are not read: the reports sum the leads.
    exec(&app, &["UPDATE metric_settings SET time_zone = 'Etc/Unknown'".to_owned()]);
    let mut summed = Vec::new();
    for query in &queries {
        for kpi in ["conversion", "leaderboard", "follow_up_compliance", "stage_durations"] {
            summed.push(report(&app, kpi, query).await);
        }
    }
    assert_eq!(kept, summed);
}

/// The lead's current version.
async fn v_of(app: &TestApp, id: &str) -> i64 {
    app.get(&format!("/api/v1/leads/{id}")).await.body["version"].as_i64().expect("version")
}

/// A bulk load of leads with the lead-count triggers suspended (PostgreSQL;
/// SQLite keeps the counts row by row) ends with the counts rebuilt and the
/// triggers on: the reports read from the counts equal the reports summed
/// from the leads. A load cut short, with a trigger left off, is rebuilt at
/// the next start.
#[actix_web::test]
async fn a_bulk_lead_load_ends_with_the_lead_counts_rebuilt() {
    use rapport_metrics::rollups::{KeptCounts, differences, prepare, with_counts_rebuilt_after};
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let branches = [
        branch(&app, &motors, "MOT-VI", "Victoria Island", "Lagos").await,
        branch(&app, &motors, "MOT-IK", "Ikeja", "Lagos").await,
    ];
    let owners = [
        app.user_with_token(Role::SalesRep, Some(&motors), None).0,
        app.user_with_token(Role::SalesRep, Some(&motors), None).0,
    ];
    let setup = rapport_leads::synthetic::Setup {
        division_id: &motors,
        branch_ids: &branches,
        owner_ids: &owners,
        now: chrono::Utc::now().naive_utc(),
    };
    let mut conn = app.db().write().expect("conn");
    with_counts_rebuilt_after(&mut conn, &[KeptCounts::Leads], |conn| {
        rapport_leads::synthetic::generate(conn, &setup, 60)
    })
    .expect("loaded");
    assert_eq!(differences(&mut conn).expect("check"), 0, "after the load");
    drop(conn);
    let reports = ["conversion", "cycle_length", "stage_durations", "win_loss", "leaderboard", "follow_up_compliance"];
    // The synthetic leads were created over the last year or so.
    let today = chrono::Utc::now().date_naive();
    let year = format!("from={}&to={today}", today - chrono::Days::new(400));
    let mut kept = Vec::new();
    for kpi in reports {
        kept.push(report(&app, kpi, &year).await["measures"].clone());
    }
    assert_ne!(measure(&kept[0], "cohort_rate")["denominator"], 0, "{:?}", kept[0]);
    // Counts kept for another zone are not read: the reports sum the leads.
    exec(&app, &["UPDATE metric_settings SET time_zone = 'Etc/Unknown'".to_owned()]);
    for (kpi, kept) in reports.iter().zip(&kept) {
        assert_eq!(&report(&app, kpi, &year).await["measures"], kept, "{kpi}: kept and summed agree");
    }
    exec(&app, &["UPDATE metric_settings SET time_zone = 'Africa/Lagos'".to_owned()]);

    let postgres = matches!(*app.db().read().expect("conn"), rapport_core::db::Conn::Postgres(_));
    if postgres {
        // As a load killed midway leaves it: a trigger off, rows written.
        let lead = rapport_leads::synthetic::lead_id(0);
        exec(
            &app,
            &[
                "ALTER TABLE leads DISABLE TRIGGER lead_daily_counts_follow".to_owned(),
                format!("UPDATE leads SET branch_id = NULL WHERE id = '{lead}'"),
            ],
        );
        let mut conn = app.db().write().expect("conn");
        assert!(differences(&mut conn).expect("check") > 0, "the move is not counted");
        prepare(&mut conn, chrono_tz::Africa::Lagos).expect("start-up");
        assert_eq!(differences(&mut conn).expect("check"), 0, "rebuilt at start-up");
        drop(conn);
        exec(&app, &[format!("UPDATE leads SET branch_id = '{}' WHERE id = '{lead}'", branches[0])]);
        let mut conn = app.db().read().expect("conn");
        assert_eq!(differences(&mut conn).expect("check"), 0, "the triggers are back on");
    }
}
