//! `/api/v1/branches`: pagination, filters, sorting, calendars.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, branch, division};

fn codes(items: &[Value]) -> Vec<String> {
    items.iter().map(|b| b["code"].as_str().unwrap_or_default().to_owned()).collect()
}

#[actix_web::test]
async fn pages_lose_and_repeat_nothing_while_rows_are_inserted() {
    let app = TestApp::new().await;
    let div = division(&app, "MOT", "Motors").await;
    for i in 0..25 {
        branch(&app, &div, &format!("B{i:03}"), &format!("Branch {i}"), "Lagos").await;
    }
    for (round, sort) in ["code", "-code", "name", "-created_at", "updated_at"].into_iter().enumerate() {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut inserted = 0;
        loop {
            let url = match &cursor {
                Some(c) => format!("/api/v1/branches?limit=7&sort={sort}&cursor={c}"),
                None => format!("/api/v1/branches?limit=7&sort={sort}"),
            };
            let page = app.get(&url).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            let data = page.body["data"].as_array().cloned().unwrap_or_default();
            assert!(data.len() <= 7);
            seen.extend(codes(&data));
            // A new row between pages must not disturb the rows already listed.
            branch(&app, &div, &format!("N{round}X{inserted}"), "New", "Abuja").await;
            inserted += 1;
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: a row repeated: {seen:?}");
        for i in 0..25 {
            assert!(seen.contains(&format!("B{i:03}")), "{sort}: B{i:03} lost");
        }
    }
}

#[actix_web::test]
async fn sorts_in_both_directions() {
    let app = TestApp::new().await;
    let div = division(&app, "MOT", "Motors").await;
    for (code, name) in [("C1", "Ikeja"), ("A1", "Victoria Island"), ("B1", "Apapa")] {
        branch(&app, &div, code, name, "Lagos").await;
    }
    assert_eq!(codes(&app.list_all("/api/v1/branches").await), ["A1", "B1", "C1"]);
    assert_eq!(codes(&app.list_all("/api/v1/branches?sort=-code").await), ["C1", "B1", "A1"]);
    assert_eq!(codes(&app.list_all("/api/v1/branches?sort=name").await), ["B1", "C1", "A1"]);
    assert_eq!(codes(&app.list_all("/api/v1/branches?sort=-created_at&limit=1").await), ["B1", "A1", "C1"]);
}

#[actix_web::test]
async fn filters_combine_and_are_strict() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    branch(&app, &motors, "MOT-VI", "Victoria Island", "Lagos").await;
    branch(&app, &motors, "MOT-AB", "Wuse", "Abuja").await;
    branch(&app, &power, "PWR-IK", "Ikeja 100% Power_Hub", "Lagos").await;

    let by_division = app.list_all(&format!("/api/v1/branches?division_id={motors}")).await;
    assert_eq!(codes(&by_division), ["MOT-AB", "MOT-VI"]);
    let by_city = app.list_all("/api/v1/branches?city=lagos").await;
    assert_eq!(codes(&by_city), ["MOT-VI", "PWR-IK"]);
    let both = app.list_all(&format!("/api/v1/branches?city=LAGOS&division_id={power}")).await;
    assert_eq!(codes(&both), ["PWR-IK"]);
    let search = app.list_all("/api/v1/branches?q=victoria").await;
    assert_eq!(codes(&search), ["MOT-VI"]);
    // LIKE wildcards in the search text are literal.
    assert_eq!(codes(&app.list_all("/api/v1/branches?q=100%25").await), ["PWR-IK"]);
    assert_eq!(codes(&app.list_all("/api/v1/branches?q=_").await), ["PWR-IK"]);
    assert!(app.list_all("/api/v1/branches?q=zzz").await.is_empty());
    let future = app.list_all("/api/v1/branches?updated_since=2999-01-01T00:00:00Z").await;
    assert!(future.is_empty());
    let past = app.list_all("/api/v1/branches?updated_since=2000-01-01T00:00:00Z").await;
    assert_eq!(past.len(), 3);

    for (query, field) in [
        ("colour=red", "colour"),
        ("division=x", "division"),
        ("sort=city", "sort"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("include_archived=yes", "include_archived"),
        ("updated_since=yesterday", "updated_since"),
        ("cursor=not-a-cursor", "cursor"),
        ("city=Lagos&city=Abuja", "city"),
    ] {
        let reply = app.get(&format!("/api/v1/branches?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.code(), "invalid_query", "{query}");
        assert_eq!(reply.error_fields(), [field], "{query}: {:?}", reply.body);
    }
}

#[actix_web::test]
async fn a_cursor_only_works_with_its_own_sort() {
    let app = TestApp::new().await;
    let div = division(&app, "MOT", "Motors").await;
    for i in 0..3 {
        branch(&app, &div, &format!("B{i}X"), "Branch", "Lagos").await;
    }
    let first = app.get("/api/v1/branches?limit=1&sort=name").await;
    let cursor = first.body["next_cursor"].as_str().expect("more pages").to_owned();
    let other_sort = app.get(&format!("/api/v1/branches?limit=1&sort=code&cursor={cursor}")).await;
    assert_eq!(other_sort.status, StatusCode::BAD_REQUEST);
    assert_eq!(other_sort.error_fields(), ["cursor"]);
}

#[actix_web::test]
async fn crud_with_calendar_fallback_and_audit() {
    let app = TestApp::new().await;
    let cal = app.post("/api/v1/calendars", json!({"name": "Lagos", "time_zone": "Africa/Lagos"})).await.id();
    let div = app.post("/api/v1/divisions", json!({"code": "MOT", "name": "Motors", "calendar_id": cal})).await.id();
    let created = app
        .post(
            "/api/v1/branches",
            json!({"division_id": div, "code": "mot-vi", "name": "Victoria Island", "address": "Plot 1",
                   "city": "Lagos", "state": "Lagos"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.body["code"], "MOT-VI");
    assert_eq!(created.body["country_code"], "NG");
    assert_eq!(created.body["calendar_id"], Value::Null);
    assert_eq!(created.body["effective_calendar_id"], cal.as_str());

    let path = format!("/api/v1/branches/{id}");
    let cleared = app.patch(&path, Some(1), json!({"address": null, "city": "Lekki", "country_code": "gh"})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(cleared.body["address"], Value::Null);
    assert_eq!(cleared.body["city"], "Lekki");
    assert_eq!(cleared.body["country_code"], "GH");
    assert_eq!(cleared.body["state"], "Lagos");

    let bad = app.patch(&path, Some(2), json!({"country_code": "Nigeria", "division_id": "x"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["division_id", "country_code"]);
    assert_eq!(app.get(&path).await.body["version"], 2);

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    let actions: Vec<String> = app.audit_of("branch", &id).into_iter().map(|(a, ..)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
    assert_eq!(app.events_of("branch", &id).len(), 3);
}
