//! The raw exports behind the reports: paging, CSV, scope, and the
//! headline KPIs recomputed from them by hand equal the dashboard's.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::metrics::sales_fixture;
use crate::metrics_service::desk_fixture_in;
use crate::support::TestApp;

const JANUARY: &str = "from=2026-01-01&to=2026-01-31";

/// Every row of an export, following `next_cursor` page by page.
async fn all_rows(app: &TestApp, dataset: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/api/v1/exports/{dataset}?{query}&limit=2");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let reply = app.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {:?}", reply.body);
        rows.extend(reply.body["data"].as_array().cloned().unwrap_or_default());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return rows,
        }
    }
}

/// `numerator / denominator`, in hundredths rounded half-even, printed as
/// the reports print values (no trailing zeros).
fn ratio(numerator: i64, denominator: i64) -> String {
    let (q, r) = (numerator * 100 / denominator, numerator * 100 % denominator);
    let up = match (2 * r).cmp(&denominator) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 == 1,
        std::cmp::Ordering::Less => false,
    };
    let hundredths = q + i64::from(up);
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `numerator / denominator` as a percentage, printed as the reports do.
fn percent(numerator: i64, denominator: i64) -> String {
    ratio(numerator * 100, denominator)
}

fn headline(dashboard: &Value, kpi: &str, measure: &str) -> Value {
    let tile = dashboard["tiles"].as_array().and_then(|t| t.iter().find(|x| x["kpi"] == kpi)).expect("tile");
    tile["measures"].as_array().and_then(|m| m.iter().find(|x| x["name"] == measure)).expect("measure")["value"].clone()
}

#[actix_web::test]
async fn headline_kpis_recomputed_from_the_raw_exports_equal_the_dashboard() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;
    desk_fixture_in(&app, &s.motors).await;
    let dashboard = app.get(&format!("/api/v1/metrics/dashboard?{JANUARY}")).await.body;

    let created = all_rows(&app, "leads", &format!("{JANUARY}&basis=created")).await;
    let won = created.iter().filter(|l| l["status"] == "won").count() as i64;
    assert_eq!(created.len(), 5);
    assert_eq!(headline(&dashboard, "conversion", "cohort_rate"), percent(won, created.len() as i64).as_str());
    let closed = all_rows(&app, "leads", &format!("{JANUARY}&basis=closed")).await;
    let closed_won = closed.iter().filter(|l| l["status"] == "won").count() as i64;
    assert_eq!(headline(&dashboard, "conversion", "closed_rate"), percent(closed_won, closed.len() as i64).as_str());
    let l6 = created.iter().find(|l| l["stage_history"].as_array().is_some_and(|h| h.len() == 4)).expect("history");
    assert_eq!(l6["stage_history"][3]["left_at"], Value::Null);

    let resolved = all_rows(&app, "tickets", &format!("{JANUARY}&basis=resolved")).await;
    let micro_days: i64 = resolved
        .iter()
        .map(|t| {
            let seconds = t["resolution_business_seconds"].as_i64().expect("measured");
            seconds * 1_000_000 / t["business_day_seconds"].as_i64().expect("day")
        })
        .sum();
    let n = resolved.len() as i64;
    assert_eq!(
        headline(&dashboard, "resolution_time", "mean_business_days"),
        ratio(micro_days, n * 1_000_000).as_str()
    );
    let first_contact = resolved.iter().filter(|t| t["first_contact_resolution"] == true).count() as i64;
    assert_eq!(headline(&dashboard, "fcr", "rate"), percent(first_contact, n).as_str());
    let breached = resolved.iter().filter(|t| t["resolution_breached"] == true).count() as i64;
    let under_sla = resolved.iter().filter(|t| !t["sla_policy_id"].is_null()).count() as i64;
    assert_eq!(
        headline(&dashboard, "sla_compliance", "resolution_compliance"),
        percent(under_sla - breached, under_sla).as_str()
    );

    let answers = all_rows(&app, "csat-responses", JANUARY).await;
    let satisfied = answers.iter().filter(|a| a["rating"].as_i64().is_some_and(|r| r >= 4)).count() as i64;
    assert_eq!(headline(&dashboard, "csat", "rate"), percent(satisfied, answers.len() as i64).as_str());

    let stays = all_rows(&app, "lead-stage-history", JANUARY).await;
    assert_eq!(stays.len(), 3, "stays that ended in January");
}

#[actix_web::test]
async fn exports_page_by_key_come_as_csv_and_refuse_bad_parameters() {
    let app = TestApp::new().await;
    let s = sales_fixture(&app).await;
    let first = app.get(&format!("/api/v1/exports/leads?{JANUARY}&limit=3")).await;
    let ids: Vec<&str> =
        first.body["data"].as_array().expect("rows").iter().map(|l| l["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 3);
    let cursor = first.body["next_cursor"].as_str().expect("more").to_owned();
    let second = app.get(&format!("/api/v1/exports/leads?{JANUARY}&limit=3&cursor={cursor}")).await;
    assert_eq!(second.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(second.body["next_cursor"], Value::Null);
    let created: Vec<&str> =
        first.body["data"].as_array().expect("rows").iter().map(|l| l["created_at"].as_str().expect("at")).collect();
    assert_eq!(created[0], "2025-12-31T23:30:00Z", "oldest first; 00:30 on 1 January in Lagos");

    let req = TestRequest::get()
        .uri(&format!("/api/v1/exports/leads?{JANUARY}&limit=3"))
        .insert_header(("Accept", "text/csv"));
    let reply = app.call(req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("rapport-next-cursor").is_some());
    let body = reply.body.as_str().expect("csv").to_owned();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("id,") || lines[0].contains(",id,"), "{}", lines[0]);
    assert!(!lines[0].contains("stage_history"));

    for (query, field) in [
        ("basis=resolved", "basis"),
        ("limit=0", "limit"),
        ("limit=5001", "limit"),
        ("cursor=nonsense", "cursor"),
        ("sort=id", "sort"),
    ] {
        let reply = app.get(&format!("/api/v1/exports/leads?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field], "{query}");
    }

    // A rep exports only their own leads.
    let mine = app.get_as(&format!("/api/v1/exports/leads?{JANUARY}"), &s.rep_a.1).await;
    assert!(mine.body["data"].as_array().expect("rows").iter().all(|l| l["owner_id"] == s.rep_a.0.as_str()));
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(3));
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/exports/tickets"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
