//! Customer analytics and data-quality reports on hand-built fixtures
//! with known answers (`docs/metrics.md`, "Customers" and "Data
//! quality"): customers, purchases, assets, phones and emails written
//! straight into the tables (merged, archived and erased customers,
//! cancelled purchases, purchases either side of the period's last day),
//! then read through the real endpoints.

use actix_web::http::StatusCode;
use chrono::{Days, NaiveDate, TimeDelta, Utc};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::metrics::{exec, kept_differences, measure, report, value};
use crate::support::{TestApp, branch, division};

const JANUARY: &str = "from=2026-01-01&to=2026-01-31";

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn q(v: Option<&str>) -> String {
    v.map_or("NULL".to_owned(), |v| format!("'{v}'"))
}

/// A customer row; `state` is `live`, `merged:<id>`, `archived` or `erased`.
struct Customer<'a> {
    kind: &'a str,
    first: Option<&'a str>,
    last: Option<&'a str>,
    company: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    address: Option<&'a str>,
    city: Option<&'a str>,
    source: Option<&'a str>,
    owner: Option<&'a str>,
    state: &'a str,
}

impl Default for Customer<'_> {
    fn default() -> Self {
        Customer {
            kind: "person",
            first: Some("Ada"),
            last: Some("Obi"),
            company: None,
            email: None,
            phone: None,
            address: None,
            city: None,
            source: None,
            owner: None,
            state: "live",
        }
    }
}

fn customer(id: &str, c: &Customer<'_>) -> String {
    let at = "'2025-01-01 09:00:00'";
    let (merged, erased, archived) = match c.state.split_once(':') {
        Some(("merged", into)) => (format!("'{into}'"), "NULL".to_owned(), "NULL".to_owned()),
        _ if c.state == "erased" => ("NULL".into(), at.to_owned(), "NULL".into()),
        _ if c.state == "archived" => ("NULL".into(), "NULL".into(), at.to_owned()),
        _ => ("NULL".into(), "NULL".into(), "NULL".into()),
    };
    let name = c.company.or(c.last).unwrap_or("Someone");
    format!(
        "INSERT INTO customers (id, kind, first_name, last_name, company_name, display_name, search_name, primary_email, \
         primary_phone, address_line, city, country_code, source, owner_id, merged_into_id, erased_at, archived_at, version, \
         created_at, updated_at) VALUES ('{id}', '{}', {}, {}, {}, '{name}', '{}', {}, {}, {}, {}, 'NG', {}, {}, {merged}, \
         {erased}, {archived}, 1, {at}, {at})",
        c.kind,
        q(c.first),
        q(c.last),
        q(c.company),
        name.to_lowercase(),
        q(c.email),
        q(c.phone),
        q(c.address),
        q(c.city),
        q(c.source),
        q(c.owner),
    )
}

fn deals_with(customer: &str, division: &str) -> String {
    format!(
        "INSERT INTO customer_divisions (customer_id, division_id, since) VALUES ('{customer}', '{division}', \
         '2025-01-01 09:00:00')"
    )
}

/// A purchase of `amount` major units on local day `on`; `created` is
/// the instant it was recorded (UTC), which must not matter.
#[expect(clippy::too_many_arguments, reason = "a purchase row, column by column")]
fn purchase(
    customer: &str,
    division: &str,
    branch: Option<&str>,
    on: &str,
    amount: i64,
    currency: &str,
    status: &str,
    created: &str,
) -> String {
    let id = id();
    format!(
        "INSERT INTO purchases (id, customer_id, division_id, branch_id, source, invoice_number, purchased_on, currency, \
         amount_minor, status, version, created_at, updated_at) VALUES ('{id}', '{customer}', '{division}', {}, 'erp', \
         '{id}', '{on}', '{currency}', {}, '{status}', 1, '{created}', '{created}')",
        q(branch),
        amount * 100
    )
}

fn report_url(kpi: &str, query: &str) -> String {
    format!("/api/v1/metrics/reports/{kpi}?{query}")
}

/// The breakdown row of `dimension` and `key`.
fn row<'a>(report: &'a Value, dimension: &str, key: &str) -> &'a Value {
    report["breakdown"]
        .as_array()
        .and_then(|b| b.iter().find(|r| r["dimension"] == dimension && r["key"] == key))
        .unwrap_or_else(|| panic!("no {dimension} {key} in {}", report["breakdown"]))
}

fn keys(report: &Value, dimension: &str) -> Vec<String> {
    report["breakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .filter(|r| r["dimension"] == dimension)
        .map(|r| r["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The purchase fixture: January 2026 against December 2025.
struct Shop {
    motors: String,
    generators: String,
    energy: String,
    ikeja: String,
    rep_a: (String, String),
    c: Vec<String>,
}

async fn shop_fixture(app: &TestApp) -> Shop {
    let motors = division(app, "MOT", "Motors").await;
    let generators = division(app, "GEN", "Generators").await;
    let energy = division(app, "ENE", "Energy").await;
    let ikeja = branch(app, &motors, "IKJ", "Ikeja", "Lagos").await;
    let rep_a = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rep_b = app.user_with_token(Role::SalesRep, Some(&motors), None).0;
    let c: Vec<String> = (0..8).map(|_| id()).collect();
    let (a, b) = (Some(rep_a.0.as_str()), Some(rep_b.as_str()));
    let live = |owner| Customer { owner, ..Customer::default() };
    let (m, g) = (motors.as_str(), generators.as_str());
    let at = "2026-01-10 09:00:00";
    let mut statements = vec![
        customer(&c[1], &live(a)),
        customer(&c[2], &live(a)),
        customer(&c[3], &live(b)),
        customer(&c[4], &live(b)),
        customer(&c[5], &Customer { owner: a, state: &format!("merged:{}", c[1]), ..Customer::default() }),
        customer(&c[6], &Customer { owner: a, state: "archived", ..Customer::default() }),
        customer(&c[7], &live(a)),
        // C1: December and January in Motors (one at the Ikeja branch), January in Generators.
        purchase(&c[1], m, None, "2025-12-10", 1_000_000, "NGN", "paid", at),
        purchase(&c[1], m, Some(&ikeja), "2026-01-15", 200_000, "NGN", "invoiced", at),
        purchase(&c[1], g, None, "2026-01-20", 500_000, "NGN", "paid", at),
        // C2: the last day of December, then 1 February (after the period).
        purchase(&c[2], m, None, "2025-12-31", 300_000, "NGN", "paid", at),
        purchase(&c[2], m, None, "2026-02-01", 70_000, "NGN", "paid", "2026-01-31 23:30:00"),
        // C3: a cancelled December purchase, then the last day of January,
        // recorded at 23:30 UTC (already 1 February in Lagos): the day counts.
        purchase(&c[3], m, None, "2025-12-01", 50_000, "NGN", "cancelled", at),
        purchase(&c[3], m, None, "2026-01-31", 80_000, "NGN", "paid", "2026-01-31 23:30:00"),
        // C4: 30 November (before the previous period), 1 January in Generators.
        purchase(&c[4], m, None, "2025-11-30", 400_000, "NGN", "paid", at),
        purchase(&c[4], g, None, "2026-01-01", 100_000, "NGN", "paid", at),
        // C5 (merged into C1) and C6 (archived) count nowhere.
        purchase(&c[5], m, None, "2025-12-15", 999_999, "NGN", "paid", at),
        purchase(&c[5], m, None, "2026-01-15", 999_999, "NGN", "paid", at),
        purchase(&c[6], m, None, "2025-12-05", 999_999, "NGN", "paid", at),
        purchase(&c[6], m, None, "2026-01-05", 999_999, "NGN", "paid", at),
        // C7: once, in dollars, last June.
        purchase(&c[7], m, None, "2025-06-01", 1_000, "USD", "paid", at),
    ];
    statements.extend((1..=4).map(|i| deals_with(&c[i], m)));
    exec(app, &statements);
    Shop { motors, generators, energy, ikeja, rep_a, c }
}

#[actix_web::test]
async fn retention_compares_the_period_with_the_one_just_before() {
    let app = TestApp::new().await;
    shop_fixture(&app).await;
    // December's customers: C1 and C2 (on the 31st); C3's was cancelled,
    // C4's on 30 November, C5 merged, C6 archived. C1 bought again in January.
    let r = report(&app, "retention", JANUARY).await;
    assert_eq!(r["title"], "Retention (customers of 2025-12-01 to 2025-12-31 who purchased again)");
    let rate = measure(&r["measures"], "rate");
    assert_eq!((rate["numerator"].clone(), rate["denominator"].clone()), (json!("1"), json!(2)));
    assert_eq!(rate["value"], "50");
    assert_eq!(value(&r["measures"], "previous_customers"), "2");
    assert_eq!(r["definition"], "docs/metrics.md#retention");
    // Fifteen days: 17–31 December holds C2 only, who did not come back by the 15th.
    let r = report(&app, "retention", "from=2026-01-01&to=2026-01-15").await;
    assert_eq!(measure(&r["measures"], "rate")["denominator"], 1);
    assert_eq!(value(&r["measures"], "rate"), "0");
    // February has 28 days, so the previous period is 4–31 January: C1 and
    // C3 (C4's was on the 1st). Only C2 bought in February, and was not in it.
    let r = report(&app, "retention", "from=2026-02-01&to=2026-02-28").await;
    assert_eq!(r["title"], "Retention (customers of 2026-01-04 to 2026-01-31 who purchased again)");
    assert_eq!(measure(&r["measures"], "rate")["denominator"], 2);
    assert_eq!(value(&r["measures"], "retained"), "0");
    // Nobody bought in May 2025: null with a reason, never 0.
    let r = report(&app, "retention", "from=2025-06-01&to=2025-06-30").await;
    let rate = measure(&r["measures"], "rate");
    assert_eq!(rate["value"], Value::Null);
    assert_eq!(rate["denominator"], 0);
    assert_eq!(rate["null_reason"], "no customer purchased in the previous period");
    // No series.
    let reply = app.get(&report_url("retention", &format!("{JANUARY}&group_by=month"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["group_by"]);
}

#[actix_web::test]
async fn repeat_purchase_counts_purchases_up_to_the_period_end_by_division_and_owner() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    // Up to 31 January: C1 (3), C2 (1: February's is later), C3 (1: the
    // cancelled one never counts), C4 (2), C7 (1).
    let r = report(&app, "repeat_purchase", JANUARY).await;
    assert_eq!(value(&r["measures"], "customers"), "5");
    let rate = measure(&r["measures"], "rate");
    assert_eq!(
        (rate["numerator"].clone(), rate["denominator"].clone(), rate["value"].clone()),
        (json!("2"), json!(5), json!("40"))
    );
    // In January: C1, C3 (on the 31st) and C4; C3 for the first time.
    assert_eq!(value(&r["measures"], "purchasing_customers"), "3");
    assert_eq!(value(&r["measures"], "first_time_customers"), "1");
    // To 30 January, C3's purchase on the 31st is out.
    let r = report(&app, "repeat_purchase", "from=2026-01-01&to=2026-01-30").await;
    assert_eq!(value(&r["measures"], "customers"), "4");
    assert_eq!(value(&r["measures"], "first_time_customers"), "0");

    // Motors purchases only: C4's second was in Generators.
    let r = report(&app, "repeat_purchase", &format!("{JANUARY}&division_id={}", s.motors)).await;
    assert_eq!(measure(&r["measures"], "rate")["denominator"], 5);
    assert_eq!(value(&r["measures"], "rate"), "20");
    // The Ikeja branch: C1's January purchase alone.
    let r = report(&app, "repeat_purchase", &format!("{JANUARY}&branch_id={}", s.ikeja)).await;
    assert_eq!(value(&r["measures"], "customers"), "1");
    assert_eq!(value(&r["measures"], "rate"), "0");

    // Rep A owns C1, C2 and C7 (and the merged C5 and archived C6, which do not count).
    let mine = app.get_as(&report_url("repeat_purchase", JANUARY), &s.rep_a.1).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(mine.body["filters"]["user_id"], s.rep_a.0.as_str());
    assert_eq!(value(&mine.body["measures"], "customers"), "3");
    assert_eq!(value(&mine.body["measures"], "rate"), "33.33");

    // Another division's manager: their own division, and 404 for Motors.
    let (_, manager) = app.user_with_token(Role::Manager, Some(&s.generators), None);
    let own = app.get_as(&report_url("repeat_purchase", JANUARY), &manager).await;
    assert_eq!(own.body["filters"]["division_id"], s.generators.as_str());
    assert_eq!(value(&own.body["measures"], "customers"), "2");
    let motors = app.get_as(&report_url("repeat_purchase", &format!("division_id={}", s.motors)), &manager).await;
    assert_eq!(motors.status, StatusCode::NOT_FOUND, "{:?}", motors.body);
    let motors = app.get_as(&report_url("completeness", &format!("division_id={}", s.motors)), &manager).await;
    assert_eq!(motors.status, StatusCode::NOT_FOUND, "{:?}", motors.body);

    let r = report(&app, "repeat_purchase", "from=2025-01-01&to=2025-01-31").await;
    assert_eq!(measure(&r["measures"], "rate")["null_reason"], "no customer purchased up to the period's end");
}

#[actix_web::test]
async fn rfm_scores_customers_against_the_cut_offs_in_sql() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    // Main currency NGN (7 purchases to 1). Per customer at 31 January:
    // C1 11 days, 3, 1,700,000 → R4 F2 M3 (loyal); C2 31 days, 1, 300,000
    // → R3 F1 M2 (promising); C3 0 days, 1, 80,000 → R4 F1 M1 (new); C4 30
    // days (the first cut-off, included), 2, 500,000 → R4 F2 M2 (loyal);
    // C7 244 days, 1, no NGN → R2 F1 M1 (hibernating).
    let r = report(&app, "rfm", JANUARY).await;
    assert_eq!(r["title"], "RFM segments (monetary in NGN)");
    assert_eq!(
        r["filters"]["rfm"],
        json!({"recency_days": [30, 90, 365], "frequency": [2, 5, 10], "monetary": ["100000", "1000000", "10000000"]})
    );
    assert_eq!(value(&r["measures"], "customers"), "5");
    let champions = measure(&r["measures"], "champions");
    assert_eq!((champions["numerator"].clone(), champions["value"].clone()), (json!("0"), json!("0")));
    assert_eq!(value(&r["measures"], "monetary"), "2580000.00");
    assert_eq!(keys(&r, "segment"), ["champions", "loyal", "new", "promising", "at_risk", "hibernating", "lost"]);
    let loyal = row(&r, "segment", "loyal");
    assert_eq!(value(&loyal["measures"], "customers"), "2");
    assert_eq!(value(&loyal["measures"], "share"), "40");
    assert_eq!(value(&loyal["measures"], "monetary"), "2200000.00");
    assert_eq!(measure(&loyal["measures"], "monetary")["currency"], "NGN");
    assert_eq!(value(&row(&r, "segment", "hibernating")["measures"], "customers"), "1");
    assert_eq!(keys(&r, "rfm_code"), ["R4F2M3", "R4F2M2", "R4F1M1", "R3F1M2", "R2F1M1"]);
    assert_eq!(row(&r, "rfm_code", "R3F1M2")["label"], "R3 F1 M2 (promising)");

    // Tighter frequency and recency cut-offs: C1 becomes a champion, C4 (30 days) drops to R3.
    let r = report(&app, "rfm", &format!("{JANUARY}&rfm_frequency=2,3,4&rfm_recency_days=29,90,365")).await;
    assert_eq!(value(&r["measures"], "champions"), "20");
    assert_eq!(keys(&r, "rfm_code"), ["R4F3M3", "R4F1M1", "R3F2M2", "R3F1M2", "R2F1M1"]);
    // A lower monetary bar: C3's 80,000 reaches M2.
    let r = report(&app, "rfm", &format!("{JANUARY}&rfm_monetary=50000,1000000,10000000")).await;
    assert!(keys(&r, "rfm_code").contains(&"R4F1M2".to_owned()));
    // Rep A: C1, C2, C7.
    let mine = app.get_as(&report_url("rfm", JANUARY), &s.rep_a.1).await;
    assert_eq!(value(&mine.body["measures"], "customers"), "3");

    // Empty: null share, no monetary currency to speak of.
    let r = report(&app, "rfm", "from=2025-01-01&to=2025-01-31").await;
    assert_eq!(value(&r["measures"], "customers"), "0");
    assert_eq!(measure(&r["measures"], "champions")["null_reason"], "no customer purchased up to the period's end");

    // Bad cut-offs are refused by name; other reports refuse them.
    for (query, field) in [
        ("rfm_recency_days=90,30,365", "rfm_recency_days"),
        ("rfm_recency_days=30,90", "rfm_recency_days"),
        ("rfm_frequency=a,b,c", "rfm_frequency"),
        ("rfm_frequency=2,2,3", "rfm_frequency"),
        ("rfm_monetary=1000,abc,5000", "rfm_monetary"),
        ("rfm_monetary=0.001,1,2", "rfm_monetary"),
    ] {
        let reply = app.get(&report_url("rfm", query)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    let reply = app.get(&report_url("retention", "rfm_frequency=2,5,10")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["rfm_frequency"]);
    assert_eq!(reply.body["errors"][0]["code"], "not_applicable");
    let reply = app.get("/api/v1/metrics/dashboard?rfm_monetary=1,2,3").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
}

#[actix_web::test]
async fn lifetime_value_per_customer_per_currency_and_division() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    // NGN to 31 January: C3 80,000, C2 300,000, C4 500,000, C1 1,700,000.
    let r = report(&app, "lifetime_value", JANUARY).await;
    let ngn: Vec<&Value> =
        r["measures"].as_array().expect("measures").iter().filter(|m| m["currency"] == "NGN").collect();
    let ngn = Value::Array(ngn.into_iter().cloned().collect());
    assert_eq!(value(&ngn, "customers"), "4");
    assert_eq!(value(&ngn, "total_value"), "2580000.00");
    let mean = measure(&ngn, "mean_value");
    assert_eq!(
        (mean["value"].clone(), mean["numerator"].clone(), mean["denominator"].clone()),
        (json!("645000.00"), json!("2580000.00"), json!(4))
    );
    assert_eq!(value(&ngn, "median_value"), "400000.00");
    assert_eq!(value(&ngn, "p90_value"), "1700000.00");
    // The headline is the main currency's: the first mean.
    assert_eq!(measure(&r["measures"], "mean_value")["currency"], "NGN");
    let usd: Vec<&Value> = r["measures"].as_array().expect("m").iter().filter(|m| m["currency"] == "USD").collect();
    assert_eq!(usd.iter().find(|m| m["name"] == "mean_value").map(|m| m["value"].clone()), Some(json!("1000.00")));

    // Per division: Motors NGN 80,000, 300,000, 400,000, 1,200,000; Generators 100,000 and 500,000.
    let motors = row(&r, "division", &s.motors);
    assert_eq!(motors["label"], "Motors");
    assert_eq!(value(&motors["measures"], "mean_value"), "495000.00");
    assert_eq!(value(&motors["measures"], "median_value"), "350000.00");
    let generators = row(&r, "division", &s.generators);
    assert_eq!(value(&generators["measures"], "median_value"), "300000.00");
    assert_eq!(value(&generators["measures"], "p90_value"), "500000.00");
    assert_eq!(keys(&r, "division"), [s.generators.clone(), s.motors.clone()]);

    let empty = report(&app, "lifetime_value", "from=2025-01-01&to=2025-01-31").await;
    let mean = measure(&empty["measures"], "mean_value");
    assert_eq!((mean["value"].clone(), mean["denominator"].clone()), (Value::Null, json!(0)));
}

#[actix_web::test]
async fn cross_sell_gaps_for_every_ordered_pair_of_divisions() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    // Divisions of purchase to 31 January: C1 and C4 Motors + Generators;
    // C2, C3, C7 Motors. Energy has no customers, so no pair starts there.
    let r = report(&app, "cross_sell", JANUARY).await;
    assert_eq!(value(&r["measures"], "purchasing_customers"), "5");
    assert_eq!(value(&r["measures"], "multi_division_rate"), "40");
    let pair = |a: &str, b: &str| format!("{a}>{b}");
    assert_eq!(
        keys(&r, "division_pair"),
        [
            pair(&s.generators, &s.energy),
            pair(&s.generators, &s.motors),
            pair(&s.motors, &s.energy),
            pair(&s.motors, &s.generators)
        ]
    );
    let gap = row(&r, "division_pair", &pair(&s.motors, &s.generators));
    assert_eq!(gap["label"], "Motors > Generators");
    assert_eq!(value(&gap["measures"], "customers"), "3");
    let share = measure(&gap["measures"], "share");
    assert_eq!(
        (share["numerator"].clone(), share["denominator"].clone(), share["value"].clone()),
        (json!("3"), json!(5), json!("60"))
    );
    assert_eq!(value(&row(&r, "division_pair", &pair(&s.generators, &s.motors))["measures"], "share"), "0");

    // From Generators only.
    let r = report(&app, "cross_sell", &format!("{JANUARY}&division_id={}", s.generators)).await;
    assert_eq!(keys(&r, "division_pair"), [pair(&s.generators, &s.energy), pair(&s.generators, &s.motors)]);
    assert_eq!(value(&r["measures"], "multi_division_rate"), "100");
    let reply = app.get(&report_url("cross_sell", &format!("branch_id={}", s.ikeja))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["branch_id"]);
    let _ = &s.c;
}

/// Retention, repeat purchase, RFM, lifetime value and cross-sell over a
/// period no purchase lies after read the kept purchase facts (migration 000031):
/// they answer with the known figures, exactly as the purchases grouped per
/// request do (a cancelled purchase dated after the period makes the
/// reports group the purchases), in every scope; and they do read the
/// facts (a fact tampered with shows).
#[actix_web::test]
async fn the_purchase_reports_read_the_kept_facts_and_agree_with_the_purchases() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    let year = "from=2026-01-01&to=2026-12-31";
    // To the end of 2026: C1 (3), C2 (2: 31 December and 1 February), C3
    // (1), C4 (2), C7 (1); in 2026 C1, C2, C3 and C4, C3 for the first time.
    let r = report(&app, "repeat_purchase", year).await;
    assert_eq!(value(&r["measures"], "customers"), "5");
    assert_eq!(value(&r["measures"], "rate"), "60");
    assert_eq!(value(&r["measures"], "purchasing_customers"), "4");
    assert_eq!(value(&r["measures"], "first_time_customers"), "1");
    let r = report(&app, "cross_sell", year).await;
    assert_eq!(value(&r["measures"], "multi_division_rate"), "40");
    let r = report(&app, "lifetime_value", year).await;
    assert_eq!(value(&row(&r, "division", &s.motors)["measures"], "total_value"), "2050000.00");

    // Retention over 2026 from the facts needs the purchases only for a
    // customer with three or more whose first and last days lie on either
    // side of 2025: C0 (March 2024, May 2025 in Generators, August 2025 in
    // dollars, April 2026) was in 2025's customers, X (two in 2024, a cancelled one in 2025, May
    // 2026) was not. 2025's customers: C0, C1, C2, C4 and C7; all but C7
    // bought again.
    let x = id();
    let (m, g) = (s.motors.as_str(), s.generators.as_str());
    let at = "2026-01-10 09:00:00";
    exec(
        &app,
        &[
            customer(&s.c[0], &Customer { owner: Some(s.rep_a.0.as_str()), ..Customer::default() }),
            customer(&x, &Customer::default()),
            purchase(&s.c[0], m, None, "2024-03-01", 10_000, "NGN", "paid", at),
            purchase(&s.c[0], g, None, "2025-05-01", 10_000, "NGN", "paid", at),
            purchase(&s.c[0], m, None, "2025-08-01", 5_000, "USD", "paid", at),
            purchase(&s.c[0], m, None, "2026-04-01", 10_000, "NGN", "paid", at),
            purchase(&x, m, None, "2024-03-01", 10_000, "NGN", "paid", at),
            purchase(&x, m, None, "2024-06-01", 10_000, "NGN", "paid", at),
            purchase(&x, m, None, "2025-07-01", 10_000, "NGN", "cancelled", at),
            purchase(&x, m, None, "2026-05-01", 10_000, "NGN", "paid", at),
        ],
    );
    let r = report(&app, "retention", year).await;
    assert_eq!(value(&r["measures"], "previous_customers"), "5", "{r}");
    assert_eq!(value(&r["measures"], "retained"), "4", "{r}");
    // In Motors (X not in 2025 either): C0 (August), C1, C2, C4 (30
    // November) and C7; C0, C1 and C2 came back (C4's January purchase was
    // in Generators).
    let r = report(&app, "retention", &format!("{year}&division_id={}", s.motors)).await;
    assert_eq!(value(&r["measures"], "previous_customers"), "5", "{r}");
    assert_eq!(value(&r["measures"], "retained"), "3", "{r}");

    let (_, generators_manager) = app.user_with_token(Role::Manager, Some(&s.generators), None);
    let queries = [
        year.to_owned(),
        format!("{year}&division_id={}", s.motors),
        format!("{year}&division_id={}", s.generators),
        format!("{year}&division_id={}", s.energy),
        format!("{year}&user_id={}", s.rep_a.0),
        format!("{year}&rfm_frequency=2,3,4&rfm_monetary=50000,400000,1000000"),
        format!("{year}&rfm_frequency=2,3,101"),
    ];
    let read_all = || async {
        let mut all = Vec::new();
        for query in &queries {
            for kpi in ["retention", "repeat_purchase", "rfm", "lifetime_value", "cross_sell"] {
                if kpi != "rfm" && query.contains("rfm_") {
                    continue;
                }
                all.push(report(&app, kpi, query).await);
            }
        }
        for kpi in ["retention", "repeat_purchase", "rfm", "lifetime_value", "cross_sell"] {
            let reply = app.get_as(&report_url(kpi, year), &generators_manager).await;
            assert_eq!(reply.status, StatusCode::OK, "{kpi}: {:?}", reply.body);
            all.push(reply.body);
        }
        all
    };
    let from_facts = read_all().await;
    let later = purchase(&s.c[1], &s.motors, None, "2027-03-01", 5, "NGN", "cancelled", "2026-01-10 09:00:00");
    exec(&app, &[later]);
    let from_purchases = read_all().await;
    assert_eq!(from_facts, from_purchases, "the facts and the purchases agree");

    exec(&app, &["DELETE FROM purchases WHERE purchased_on > '2026-12-31'".to_owned()]);
    assert_eq!(report(&app, "repeat_purchase", year).await["measures"], from_facts[1]["measures"]);
    // Fewer values than counted (as a write between the count and the
    // ranking would leave it): lifetime value ranks the facts instead.
    exec(&app, &["UPDATE customer_purchase_counts SET holders = holders + 100".to_owned()]);
    assert_eq!(report(&app, "lifetime_value", year).await, from_facts[3]);
    // RFM with the default cut-offs reads the kept counts (migration
    // 000034); a frequency cut-off over their cap of 100 scores the facts.
    let uncapped = format!("{year}&rfm_frequency=2,3,101");
    let (rfm, rfm_uncapped) = (report(&app, "rfm", year).await, report(&app, "rfm", &uncapped).await);
    exec(&app, &["UPDATE customer_rfm_counts SET customers = customers + 10 WHERE currency = ''".to_owned()]);
    let tampered = report(&app, "rfm", year).await;
    assert_ne!(tampered["measures"], rfm["measures"], "the default cut-offs read the kept counts");
    assert_eq!(report(&app, "rfm", &uncapped).await, rfm_uncapped, "over the cap: the facts");
    exec(&app, &["UPDATE customer_purchase_facts SET customer_purchases = 1".to_owned()]);
    let tampered = report(&app, "repeat_purchase", year).await;
    assert_eq!(value(&tampered["measures"], "rate"), "0", "the report reads the facts");
}

/// The kept purchase facts and counts (migration 000031) after purchase and
/// customer writes of every kind, through the API and in SQL: none differs
/// from its recount.
#[actix_web::test]
async fn the_kept_purchase_facts_equal_the_recount_after_every_kind_of_purchase_write() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    let in_sync = kept_differences;
    assert_eq!(in_sync(&app), 0, "after the fixture");
    let c = &s.c;
    let at = "2026-01-10 09:00:00";
    let steps: Vec<(&str, Vec<String>)> = vec![
        (
            "a purchase in another currency",
            vec![purchase(&c[2], &s.generators, None, "2026-03-01", 10, "USD", "paid", at)],
        ),
        (
            "an amount changed",
            vec![format!("UPDATE purchases SET amount_minor = amount_minor + 1 WHERE customer_id = '{}'", c[1])],
        ),
        (
            "a purchase cancelled",
            vec![format!(
                "UPDATE purchases SET status = 'cancelled' WHERE customer_id = '{}' AND currency = 'USD'",
                c[2]
            )],
        ),
        (
            "a purchase moved to another division and day",
            vec![format!(
                "UPDATE purchases SET division_id = '{}', purchased_on = '2026-02-02' WHERE customer_id = '{}'",
                s.energy, c[3]
            )],
        ),
        (
            "a purchase moved to another customer",
            vec![format!(
                "UPDATE purchases SET customer_id = '{}' WHERE customer_id = '{}' AND division_id = '{}'",
                c[4], c[1], s.generators
            )],
        ),
        ("a purchase deleted", vec![format!("DELETE FROM purchases WHERE customer_id = '{}'", c[7])]),
        ("an owner changed", vec![format!("UPDATE customers SET owner_id = NULL WHERE id = '{}'", c[2])]),
        (
            "a customer archived",
            vec![format!("UPDATE customers SET archived_at = '2026-02-01 00:00:00' WHERE id = '{}'", c[3])],
        ),
        ("a customer unmerged", vec![format!("UPDATE customers SET merged_into_id = NULL WHERE id = '{}'", c[5])]),
        (
            "a customer erased",
            vec![format!("UPDATE customers SET erased_at = '2026-02-01 00:00:00' WHERE id = '{}'", c[4])],
        ),
    ];
    for (what, statements) in steps {
        exec(&app, &statements);
        assert_eq!(in_sync(&app), 0, "after {what}");
    }

    // Through the API: a purchase recorded, a merge moving every purchase
    // to the survivor, an erasure.
    let recorded = app
        .post(
            "/api/v1/purchases",
            json!({"customer_id": c[1], "division_id": s.motors, "invoice_number": "INV-9", "purchased_on": "2026-02-03",
                   "amount": {"amount": "150.00", "currency": "NGN"}, "status": "paid"}),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{:?}", recorded.body);
    let version = app.get(&format!("/api/v1/customers/{}", c[1])).await.body["version"].clone();
    let merged =
        app.post(&format!("/api/v1/customers/{}/merge", c[1]), json!({"duplicate_id": c[2], "version": version})).await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(in_sync(&app), 0, "after the API's writes");
    let facts = app.count(&format!("customer_purchase_facts WHERE customer_id = '{}'", c[2]));
    assert_eq!(facts, 0, "a merged customer holds no facts");
}

fn lagos_today() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(1)).date_naive()
}

fn asset(
    customer: &str,
    division: &str,
    due: (Option<NaiveDate>, Option<i64>),
    soon: Option<NaiveDate>,
    usage: Option<i64>,
    archived: bool,
) -> String {
    let day = |d: Option<NaiveDate>| d.map_or("NULL".to_owned(), |d| format!("'{d}'"));
    let int = |n: Option<i64>| n.map_or("NULL".to_owned(), |n| n.to_string());
    format!(
        "INSERT INTO assets (id, customer_id, division_id, kind, usage_unit, last_usage, next_service_due_on, \
         next_service_due_usage, service_due_soon_on, archived_at, version, created_at, updated_at) VALUES \
         ('{}', '{customer}', '{division}', 'vehicle', 'km', {}, {}, {}, {}, {}, 1, '2025-01-01 09:00:00', \
         '2025-01-01 09:00:00')",
        id(),
        int(usage),
        day(due.0),
        int(due.1),
        day(soon),
        if archived { "'2025-06-01 09:00:00'" } else { "NULL" }
    )
}

#[actix_web::test]
async fn service_due_counts_assets_by_status_today() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    let today = lagos_today();
    let plus = |n: u64| today.checked_add_days(Days::new(n));
    let minus = |n: u64| today.checked_sub_days(Days::new(n));
    let (m, g, c) = (s.motors.as_str(), s.generators.as_str(), &s.c);
    exec(
        &app,
        &[
            asset(&c[1], m, (plus(60), None), plus(30), None, false),  // ok
            asset(&c[1], m, (plus(10), None), minus(20), None, false), // due soon
            asset(&c[2], m, (Some(today), None), minus(30), None, false), // due today: still due soon
            asset(&c[3], g, (minus(1), None), minus(31), None, false), // overdue by date
            asset(&c[4], g, (None, Some(10_000)), None, Some(10_500), false), // overdue by usage
            asset(&c[4], m, (None, None), None, None, false),          // unknown
            asset(&c[5], m, (minus(5), None), None, None, false),      // merged customer
            asset(&c[1], m, (minus(5), None), None, None, true),       // archived asset
        ],
    );
    let r = report(&app, "service_due", "").await;
    assert_eq!(r["title"], format!("Assets by service status (as of {today})"));
    for (name, n) in
        [("assets", "6"), ("ok", "1"), ("due_soon", "2"), ("overdue", "2"), ("unknown", "1"), ("customers_due", "4")]
    {
        assert_eq!(value(&r["measures"], name), n, "{name}");
    }
    let rate = measure(&r["measures"], "overdue_rate");
    assert_eq!(
        (rate["numerator"].clone(), rate["denominator"].clone(), rate["value"].clone()),
        (json!("2"), json!(5), json!("40"))
    );
    assert_eq!(keys(&r, "service_status"), ["ok", "due_soon", "overdue", "unknown"]);
    assert_eq!(value(&row(&r, "service_status", "due_soon")["measures"], "share"), "33.33");
    assert_eq!(value(&row(&r, "division", m)["measures"], "assets"), "4");
    assert_eq!(value(&row(&r, "division", m)["measures"], "overdue_rate"), "0");
    assert_eq!(value(&row(&r, "division", g)["measures"], "overdue_rate"), "100");

    let (_, manager) = app.user_with_token(Role::Manager, Some(g), None);
    let theirs = app.get_as(&report_url("service_due", ""), &manager).await;
    assert_eq!(value(&theirs.body["measures"], "assets"), "2");
    let mine = app.get_as(&report_url("service_due", ""), &s.rep_a.1).await;
    assert_eq!(value(&mine.body["measures"], "assets"), "3", "rep A owns C1 and C2");
    for query in ["group_by=week", &format!("branch_id={}", s.ikeja)] {
        let reply = app.get(&report_url("service_due", query)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
    }
    // The report reads the kept counts (migration 000033).
    exec(
        &app,
        &["UPDATE asset_service_counts SET assets = assets + 10 WHERE division_key = '' AND unknown = 1".into()],
    );
    assert_eq!(value(&report(&app, "service_due", "").await["measures"], "unknown"), "11");
}

/// The kept asset service facts and counts (migration 000033) after asset
/// and customer writes of every kind, in SQL and through the API: none
/// differs from its recount.
#[actix_web::test]
async fn the_kept_asset_service_facts_equal_the_recount_after_every_kind_of_asset_write() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    let in_sync = kept_differences;
    let today = lagos_today();
    let plus = |n: u64| today.checked_add_days(Days::new(n));
    let minus = |n: u64| today.checked_sub_days(Days::new(n));
    let (m, g, c) = (s.motors.as_str(), s.generators.as_str(), &s.c);
    exec(
        &app,
        &[
            asset(&c[1], m, (plus(60), Some(20_000)), plus(30), Some(5_000), false),
            asset(&c[1], g, (minus(1), None), minus(31), None, false),
            asset(&c[2], m, (None, None), None, None, false),
            asset(&c[5], m, (minus(5), None), None, None, false),
        ],
    );
    assert_eq!(in_sync(&app), 0, "after the fixture");
    let steps: Vec<(&str, String)> = vec![
        ("an asset added", asset(&c[3], g, (plus(5), None), minus(2), None, false)),
        (
            "a reading past the due mileage",
            format!("UPDATE assets SET last_usage = 25000 WHERE customer_id = '{}' AND division_id = '{m}'", c[1]),
        ),
        (
            "a due date moved",
            format!("UPDATE assets SET next_service_due_on = '{}' WHERE customer_id = '{}'", today, c[3]),
        ),
        (
            "a projection made",
            format!(
                "UPDATE assets SET next_service_due_usage = 100, last_usage = 50, service_due_soon_usage = 40 WHERE customer_id = '{}'",
                c[2]
            ),
        ),
        (
            "an asset archived",
            format!(
                "UPDATE assets SET archived_at = '2026-02-01 00:00:00' WHERE customer_id = '{}' AND division_id = '{g}'",
                c[1]
            ),
        ),
        (
            "an asset moved to another customer and division",
            format!("UPDATE assets SET customer_id = '{}', division_id = '{g}' WHERE customer_id = '{}'", c[4], c[2]),
        ),
        ("an asset deleted", format!("DELETE FROM assets WHERE customer_id = '{}'", c[3])),
        ("an owner changed", format!("UPDATE customers SET owner_id = NULL WHERE id = '{}'", c[1])),
        ("a customer unmerged", format!("UPDATE customers SET merged_into_id = NULL WHERE id = '{}'", c[5])),
        ("a customer erased", format!("UPDATE customers SET erased_at = '2026-02-01 00:00:00' WHERE id = '{}'", c[5])),
        (
            "a customer archived",
            format!("UPDATE customers SET archived_at = '2026-02-01 00:00:00' WHERE id = '{}'", c[4]),
        ),
    ];
    for (what, statement) in steps {
        exec(&app, &[statement]);
        assert_eq!(in_sync(&app), 0, "after {what}");
    }

    // Through the API: an asset created, a reading, a merge moving every
    // asset to the survivor.
    let created = app.post("/api/v1/assets", json!({"customer_id": c[2], "division_id": m, "kind": "generator"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let reading = app.post(&format!("/api/v1/assets/{}/readings", created.id()), json!({"usage": 120})).await;
    assert_eq!(reading.status, StatusCode::CREATED, "{:?}", reading.body);
    let version = app.get(&format!("/api/v1/customers/{}", c[1])).await.body["version"].clone();
    let merged =
        app.post(&format!("/api/v1/customers/{}/merge", c[1]), json!({"duplicate_id": c[2], "version": version})).await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(in_sync(&app), 0, "after the API's writes");
    assert_eq!(
        app.count(&format!("asset_service_facts WHERE customer_id = '{}'", c[2])),
        0,
        "a merged customer holds no facts"
    );
    // C1: its Motors vehicle (overdue by mileage) and the generator it took
    // over (no projection), under '' and under Motors.
    assert_eq!(app.count(&format!("asset_service_facts WHERE customer_id = '{}'", c[1])), 4);
}

/// The data-quality fixture: four live customers, one merged, one erased.
struct Book {
    generators: String,
    rep_a: (String, String),
}

fn phone(customer: &str, e164: &str, primary: bool) -> String {
    format!(
        "INSERT INTO customer_phones (customer_id, e164, is_primary, whatsapp) VALUES ('{customer}', '{e164}', {primary}, FALSE)"
    )
}

fn email(customer: &str, address: &str, primary: bool) -> String {
    format!(
        "INSERT INTO customer_emails (customer_id, email, is_primary) VALUES ('{customer}', '{address}', {primary})"
    )
}

async fn book_fixture(app: &TestApp) -> Book {
    let motors = division(app, "MOT", "Motors").await;
    let generators = division(app, "GEN", "Generators").await;
    let rep_a = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let rep_b = app.user_with_token(Role::SalesRep, Some(&generators), None).0;
    let (a, b) = (Some(rep_a.0.as_str()), Some(rep_b.as_str()));
    let q: Vec<String> = (0..7).map(|_| id()).collect();
    let mut statements = vec![
        // Q1: everything.
        customer(
            &q[1],
            &Customer {
                email: Some("ada@example.com"),
                phone: Some("+2348031234567"),
                address: Some("1 Marina"),
                city: Some("Lagos"),
                source: Some("walk_in"),
                owner: a,
                ..Customer::default()
            },
        ),
        // Q2: no email, a blank address line, the same phone as Q1.
        customer(
            &q[2],
            &Customer {
                phone: Some("+2348031234567"),
                address: Some("   "),
                city: Some("Lagos"),
                source: Some("phone"),
                owner: a,
                ..Customer::default()
            },
        ),
        // Q3: a company with no owner, division or source.
        customer(
            &q[3],
            &Customer {
                kind: "company",
                first: None,
                last: None,
                company: Some("Dangote"),
                email: Some("info@dangote.com"),
                address: Some("2 Broad St"),
                city: Some("Lagos"),
                ..Customer::default()
            },
        ),
        // Q4: no last name, no address, a blank source; Q1's email.
        customer(
            &q[4],
            &Customer {
                last: None,
                email: Some("ada@example.com"),
                phone: Some("+12345678"),
                source: Some(""),
                owner: b,
                ..Customer::default()
            },
        ),
        customer(&q[5], &Customer { owner: a, state: &format!("merged:{}", q[1]), ..Customer::default() }),
        customer(&q[6], &Customer { owner: a, state: "erased", ..Customer::default() }),
        deals_with(&q[1], &motors),
        deals_with(&q[2], &motors),
        deals_with(&q[4], &generators),
        deals_with(&q[5], &generators),
        phone(&q[1], "+2348031234567", true),
        phone(&q[2], "+2348031234567", true),
        phone(&q[2], "08031234567", false),
        email(&q[1], "ada@example.com", true),
        email(&q[3], "info@dangote.com", true),
        email(&q[4], "ada@example.com", true),
        // The merged and erased customers would make more groups and more invalid values.
        phone(&q[5], "+12345678", true),
        phone(&q[5], "junk", false),
        email(&q[5], "info@dangote.com", true),
        email(&q[6], "not an email", true),
    ];
    for (e164, primary) in [
        ("+12345678", true),          // 8 digits: the shortest
        ("+123456789012345", false),  // 15 digits: the longest
        ("+0123456789", false),       // a leading 0
        ("+1234567", false),          // 7 digits
        ("+1234567890123456", false), // 16 digits
        ("+23480 312345", false),     // a space
        ("+2348031234567x", false),   // a letter
    ] {
        statements.push(phone(&q[4], e164, primary));
    }
    for address in [
        "x@a..b",
        "a@b.c",
        "bad@nodot",
        "two@@x.com",
        "@example.com",
        "ada@.example.com",
        "ada@example.",
        "ada smith@example.com",
    ] {
        statements.push(email(&q[3], address, false));
    }
    exec(app, &statements);
    Book { generators, rep_a }
}

#[actix_web::test]
async fn completeness_per_field_of_live_customers() {
    let app = TestApp::new().await;
    let book = book_fixture(&app).await;
    let r = report(&app, "completeness", "").await;
    assert_eq!(value(&r["measures"], "customers"), "4");
    let complete = measure(&r["measures"], "complete_rate");
    assert_eq!((complete["numerator"].clone(), complete["value"].clone()), (json!("1"), json!("25")));
    assert_eq!(keys(&r, "field"), ["name", "primary_email", "primary_phone", "address", "source", "owner", "division"]);
    for (field, present) in [
        ("name", "3"),
        ("primary_email", "3"),
        ("primary_phone", "3"),
        ("address", "2"),
        ("source", "2"),
        ("owner", "3"),
        ("division", "3"),
    ] {
        assert_eq!(value(&row(&r, "field", field)["measures"], "present"), present, "{field}");
    }
    assert_eq!(value(&row(&r, "field", "address")["measures"], "rate"), "50");

    let (_, manager) = app.user_with_token(Role::Manager, Some(&book.generators), None);
    let theirs = app.get_as(&report_url("completeness", ""), &manager).await;
    assert_eq!(value(&theirs.body["measures"], "customers"), "1", "Q4 only (Q5 is merged)");
    assert_eq!(value(&theirs.body["measures"], "complete_rate"), "0");
    let mine = app.get_as(&report_url("completeness", ""), &book.rep_a.1).await;
    assert_eq!(value(&mine.body["measures"], "customers"), "2");
    for query in ["group_by=day", "branch_id=x"] {
        let reply = app.get(&report_url("completeness", query)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
    }
}

#[actix_web::test]
async fn duplicates_group_live_customers_by_shared_phone_or_email() {
    let app = TestApp::new().await;
    let book = book_fixture(&app).await;
    // Q1 and Q2 share a phone, Q1 and Q4 an email; the merged Q5's phone
    // (Q4's) and email (Q3's) make no group.
    let r = report(&app, "duplicates", "").await;
    assert_eq!(value(&r["measures"], "customers"), "4");
    assert_eq!(value(&r["measures"], "groups"), "2");
    let rate = measure(&r["measures"], "duplicate_rate");
    assert_eq!(
        (rate["numerator"].clone(), rate["denominator"].clone(), rate["value"].clone()),
        (json!("3"), json!(4), json!("75"))
    );
    for key in ["phone", "email"] {
        let m = &row(&r, "match", key)["measures"];
        assert_eq!((value(m, "groups"), value(m, "customers")), (json!("1"), json!("2")), "{key}");
    }
    // Both customers of a group must be in scope.
    let (_, manager) = app.user_with_token(Role::Manager, Some(&book.generators), None);
    let theirs = app.get_as(&report_url("duplicates", ""), &manager).await;
    assert_eq!(value(&theirs.body["measures"], "groups"), "0");
    assert_eq!(value(&theirs.body["measures"], "duplicate_rate"), "0");
    let mine = app.get_as(&report_url("duplicates", ""), &book.rep_a.1).await;
    assert_eq!(value(&mine.body["measures"], "duplicate_rate"), "100");
    assert_eq!(value(&row(&mine.body, "match", "email")["measures"], "groups"), "0");
}

#[actix_web::test]
async fn invalid_contacts_by_the_same_rule_on_both_backends() {
    let app = TestApp::new().await;
    let book = book_fixture(&app).await;
    // Phones: Q1 1, Q2 2 (one not E.164), Q4 7 (five not). Emails: Q1 1,
    // Q3 9 (six malformed), Q4 1.
    let r = report(&app, "invalid_contacts", "").await;
    let phones = &row(&r, "contact", "phones")["measures"];
    assert_eq!((value(phones, "stored"), value(phones, "invalid")), (json!("10"), json!("6")));
    let emails = &row(&r, "contact", "emails")["measures"];
    assert_eq!((value(emails, "stored"), value(emails, "invalid")), (json!("11"), json!("6")));
    let rate = measure(&r["measures"], "rate");
    assert_eq!(
        (rate["numerator"].clone(), rate["denominator"].clone(), rate["value"].clone()),
        (json!("12"), json!(21), json!("57.14"))
    );
    let mine = app.get_as(&report_url("invalid_contacts", ""), &book.rep_a.1).await;
    assert_eq!(value(&mine.body["measures"], "rate"), "25");

    // No contacts at all in scope: null, not 0.
    let other = division(&app, "ENE", "Energy").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&other), None);
    let none = app.get_as(&report_url("invalid_contacts", ""), &manager).await;
    assert_eq!(measure(&none.body["measures"], "rate")["null_reason"], "no phones or emails stored");
}

#[actix_web::test]
async fn an_erased_customers_purchases_still_count() {
    let app = TestApp::new().await;
    let s = shop_fixture(&app).await;
    let erased = id();
    let at = "2026-01-10 09:00:00";
    exec(
        &app,
        &[
            customer(&erased, &Customer { owner: None, state: "erased", ..Customer::default() }),
            purchase(&erased, &s.motors, None, "2026-01-05", 10_000, "NGN", "paid", at),
            purchase(&erased, &s.motors, None, "2026-01-06", 10_000, "NGN", "paid", at),
        ],
    );
    // Five customers before (see above), now six; the erased one bought twice.
    let r = report(&app, "repeat_purchase", JANUARY).await;
    assert_eq!(value(&r["measures"], "customers"), "6");
    assert_eq!(measure(&r["measures"], "rate")["numerator"], "3");
}

/// The kept data-quality counts (migration 000026) after customer writes
/// of every kind, through the API and in SQL: none differs from its
/// recount, and completeness and invalid contacts read from them say what
/// the customers say, in every scope.
#[actix_web::test]
async fn the_kept_quality_counts_equal_the_recount_after_every_kind_of_customer_write() {
    let app = TestApp::new().await;
    let book = book_fixture(&app).await;
    let motors = division(&app, "PWR", "Power").await;
    let company = |name: &str, phone: &str, email: &str| {
        json!({"kind": "company", "company_name": name, "phones": [{"number": phone}], "emails": [{"email": email}],
               "division_ids": [motors], "source": "walk_in"})
    };
    let survivor = app.post("/api/v1/customers", company("Haulage Ltd", "0803 000 0001", "a@haulage.ng")).await;
    assert_eq!(survivor.status, StatusCode::CREATED, "{:?}", survivor.body);
    let duplicate = app.post("/api/v1/customers", company("Haulage Limited", "0803 000 0002", "b@haulage.ng")).await;
    let (survivor, duplicate) = (survivor.id(), duplicate.id());
    let renamed = app
        .patch(
            &format!("/api/v1/customers/{survivor}"),
            Some(1),
            json!({"address_line": "3 Wharf Rd", "city": "Apapa"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let merged = app
        .post(&format!("/api/v1/customers/{survivor}/merge"), json!({"duplicate_id": duplicate, "version": 2}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    let gone = app.post("/api/v1/customers", company("Short Lived", "0803 000 0003", "c@short.ng")).await.id();
    assert_eq!(app.post(&format!("/api/v1/customers/{gone}/erase"), json!(null)).await.status, StatusCode::OK);
    let in_sync = kept_differences;
    assert_eq!(in_sync(&app), 0, "after the API's writes");

    // In SQL: a division dropped, every phone of a customer rewritten at
    // once, an email moved to another customer, an owner changed, a
    // customer archived, one deleted with its rows (cascading).
    let ids: Vec<String> = app
        .list_all("/api/v1/customers")
        .await
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .filter(|id| *id != survivor && *id != gone)
        .collect();
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    exec(
        &app,
        &[
            format!("DELETE FROM customer_divisions WHERE customer_id = '{a}'"),
            format!("UPDATE customer_phones SET e164 = e164 || '9' WHERE customer_id = '{b}'"),
            format!("UPDATE customer_emails SET customer_id = '{a}' WHERE customer_id = '{survivor}'"),
            format!("UPDATE customers SET owner_id = NULL, source = 'phone' WHERE id = '{b}'"),
            format!("UPDATE customers SET archived_at = '2026-01-01 00:00:00' WHERE id = '{c}'"),
            format!("DELETE FROM customer_phones WHERE customer_id = '{survivor}'"),
            format!("DELETE FROM customer_divisions WHERE customer_id = '{survivor}'"),
        ],
    );
    assert_eq!(in_sync(&app), 0, "after the writes in SQL");

    let queries = [
        String::new(),
        format!("division_id={motors}"),
        format!("division_id={}", book.generators),
        format!("user_id={}", book.rep_a.0),
    ];
    let read_all = || async {
        let mut all = Vec::new();
        for query in &queries {
            for kpi in ["completeness", "invalid_contacts", "duplicates"] {
                all.push(report(&app, kpi, query).await);
            }
        }
        all
    };
    let kept = read_all().await;
    assert_eq!(
        value(&kept[0]["measures"], "customers"),
        "4",
        "the book's four and the survivor, less the one archived"
    );
    // Counts kept for another zone are not read: the reports count the customers.
    exec(&app, &["UPDATE metric_settings SET time_zone = 'Etc/Unknown'".to_owned()]);
    let counted = read_all().await;
    assert_eq!(kept, counted, "the kept counts and the customers agree");

    // The duplicates report reads the kept shared values: without them it
    // finds no group.
    let groups = value(&kept[2]["measures"], "groups");
    assert_ne!(groups, "0", "the book has duplicates");
    exec(
        &app,
        &[
            "UPDATE metric_settings SET time_zone = 'Africa/Lagos'".to_owned(),
            "DELETE FROM shared_contact_values".to_owned(),
        ],
    );
    assert_eq!(value(&report(&app, "duplicates", "").await["measures"], "groups"), "0");
}

/// A bulk load of customers with the data-quality and purchase triggers
/// suspended (PostgreSQL; SQLite keeps them row by row) ends with the facts
/// and counts rebuilt and the triggers on; a load cut short, with the
/// triggers left off, is rebuilt at the next start.
#[actix_web::test]
async fn a_bulk_customer_load_ends_with_the_quality_counts_rebuilt() {
    use rapport_metrics::rollups::{KeptCounts, differences, prepare, with_counts_rebuilt_after};
    let app = TestApp::new().await;
    let synthetic = division(&app, "SYN", "Synthetic").await;
    let postgres = matches!(*app.db().read().expect("conn"), rapport_core::db::Conn::Postgres(_));
    // On PostgreSQL, more phones in one transaction than a default server
    // has advisory lock slots (64 per connection × 100): the shared-value
    // triggers take one per value, so they must be off in the load.
    let count: u64 = if postgres { 7_000 } else { 40 };
    let mut conn = app.db().write().expect("conn");
    let kept = [KeptCounts::CustomerQuality, KeptCounts::CustomerPurchases, KeptCounts::AssetService];
    with_counts_rebuilt_after(&mut conn, &kept, |conn| rapport_customers::synthetic::generate(conn, &synthetic, count))
        .expect("loaded");
    assert_eq!(differences(&mut conn).expect("check"), 0, "after the load");
    drop(conn);
    let r = report(&app, "completeness", "").await;
    assert_eq!(value(&r["measures"], "customers"), count.to_string(), "{r}");
    let r = report(&app, "repeat_purchase", "").await;
    assert_eq!(value(&r["measures"], "customers"), count.to_string(), "{r}");
    let r = report(&app, "service_due", "").await;
    assert_eq!(value(&r["measures"], "assets"), count.to_string(), "{r}");

    if postgres {
        // As a load killed midway leaves it: the triggers off, rows written.
        exec(
            &app,
            &[
                "ALTER TABLE customers DISABLE TRIGGER customers_quality_facts_insert".to_owned(),
                "ALTER TABLE purchases DISABLE TRIGGER purchases_purchase_facts_insert".to_owned(),
            ],
        );
        let created = app
            .post(
                "/api/v1/customers",
                json!({"kind": "person", "first_name": "Ada", "last_name": "Eze", "source": "walk_in"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        exec(
            &app,
            &[purchase(&created.id(), &synthetic, None, "2026-01-05", 100, "NGN", "paid", "2026-01-05 09:00:00")],
        );
        let mut conn = app.db().write().expect("conn");
        assert!(differences(&mut conn).expect("check") > 0, "the new customer is not counted");
        prepare(&mut conn, chrono_tz::Africa::Lagos).expect("start-up");
        assert_eq!(differences(&mut conn).expect("check"), 0, "rebuilt at start-up");
        drop(conn);
        let another = app
            .post(
                "/api/v1/customers",
                json!({"kind": "person", "first_name": "Bo", "last_name": "Ay", "source": "walk_in"}),
            )
            .await;
        assert_eq!(another.status, StatusCode::CREATED, "{:?}", another.body);
        let mut conn = app.db().read().expect("conn");
        assert_eq!(differences(&mut conn).expect("check"), 0, "the triggers are back on");
    }
}
