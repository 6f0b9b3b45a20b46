//! `/api/v1/calendars`: working hours, holidays and their inheritance.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

fn company_calendar() -> Value {
    json!({
        "name": "Nigeria public holidays",
        "time_zone": "Africa/Lagos",
        "holidays": [
            {"date": "2026-10-01", "name": "Independence Day"},
            {"date": "2026-12-25", "name": "Christmas Day"}
        ]
    })
}

#[actix_web::test]
async fn holidays_are_inherited_through_the_chain() {
    let app = TestApp::new().await;
    let company = app.post("/api/v1/calendars", company_calendar()).await.id();
    let division = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Motors", "time_zone": "Africa/Lagos", "holidays_from_id": company,
                   "holidays": [{"date": "2026-11-02", "name": "Motors staff day"}]}),
        )
        .await
        .id();
    let branch = app
        .post(
            "/api/v1/calendars",
            json!({
                "name": "Ikeja",
                "time_zone": "Africa/Lagos",
                "holidays_from_id": division,
                "working_hours": [
                    {"weekday": "saturday", "start": "09:00", "end": "13:00"},
                    {"weekday": "monday", "start": "13:00", "end": "17:00"},
                    {"weekday": "monday", "start": "08:00", "end": "12:00"}
                ],
                "holidays": [{"date": "2026-12-25", "name": "Branch Christmas"}]
            }),
        )
        .await;
    assert_eq!(branch.status, StatusCode::CREATED, "{:?}", branch.body);
    assert_eq!(
        branch.body["working_hours"],
        json!([
            {"weekday": "monday", "start": "08:00", "end": "12:00"},
            {"weekday": "monday", "start": "13:00", "end": "17:00"},
            {"weekday": "saturday", "start": "09:00", "end": "13:00"}
        ])
    );
    let inherited: Vec<&str> =
        branch.body["inherited_holidays"].as_array().into_iter().flatten().filter_map(|h| h["date"].as_str()).collect();
    assert_eq!(inherited, ["2026-10-01", "2026-11-02", "2026-12-25"]);
    assert_eq!(branch.body["holidays"], json!([{"date": "2026-12-25", "name": "Branch Christmas"}]));

    // The listing carries the same shape as the single read.
    let listed = app.list_all("/api/v1/calendars?q=ikeja").await;
    assert_eq!(listed, std::slice::from_ref(&branch.body));

    // A cycle is refused.
    let cycle =
        app.patch(&format!("/api/v1/calendars/{company}"), Some(1), json!({"holidays_from_id": branch.id()})).await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cycle.body["errors"][0]["code"], "cycle");

    // Deleting a calendar others inherit from archives it.
    let removed = app.delete(&format!("/api/v1/calendars/{company}")).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(removed.body["archived_at"].is_string());
    // An archived calendar cannot be newly referenced.
    let refer =
        app.post("/api/v1/calendars", json!({"name": "New", "time_zone": "UTC", "holidays_from_id": company})).await;
    assert_eq!(refer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refer.body["errors"][0]["code"], "archived");
}

#[actix_web::test]
async fn invalid_hours_and_holidays_are_named() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            "/api/v1/calendars",
            json!({
                "name": "Bad",
                "time_zone": "Africa/Lagoss",
                "working_hours": [
                    {"weekday": "monday", "start": "08:00", "end": "12:00"},
                    {"weekday": "monday", "start": "11:00", "end": "17:00"},
                    {"weekday": "tuesday", "start": "17:00", "end": "08:00"},
                    {"weekday": "friday", "start": "8am", "end": "24:30"}
                ],
                "holidays": [
                    {"date": "2026-10-01", "name": "Independence Day"},
                    {"date": "2026-10-01", "name": ""}
                ]
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "holidays[1].date",
            "holidays[1].name",
            "time_zone",
            "working_hours[1]",
            "working_hours[2].end",
            "working_hours[3].end",
            "working_hours[3].start"
        ]
    );
    let bad_enum = app
        .post(
            "/api/v1/calendars",
            json!({"name": "X", "time_zone": "UTC", "working_hours": [{"weekday": "funday", "start": "08:00", "end": "09:00"}]}),
        )
        .await;
    assert_eq!(bad_enum.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_enum.body["errors"][0]["field"], "working_hours[0].weekday");
    assert_eq!(bad_enum.body["errors"][0]["code"], "unknown_value");
    let bad_date = app
        .post(
            "/api/v1/calendars",
            json!({"name": "X", "time_zone": "UTC", "holidays": [{"date": "2026-02-30", "name": "x"}]}),
        )
        .await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_date.body["errors"][0]["field"], "holidays[0].date");
    assert_eq!(app.count("calendars"), 0);
    assert_eq!(app.count("calendar_windows"), 0);
}

#[actix_web::test]
async fn updates_replace_lists_and_leave_the_rest() {
    let app = TestApp::new().await;
    let created = app.post("/api/v1/calendars", company_calendar()).await;
    let path = format!("/api/v1/calendars/{}", created.id());
    let updated = app
        .patch(
            &path,
            Some(1),
            json!({"holidays": [{"date": "2027-01-01", "name": "New Year's Day"}],
                                       "working_hours": [{"weekday": "sunday", "start": "00:00", "end": "24:00"}]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["holidays"], json!([{"date": "2027-01-01", "name": "New Year's Day"}]));
    assert_eq!(updated.body["working_hours"], json!([{"weekday": "sunday", "start": "00:00", "end": "24:00"}]));
    assert_eq!(updated.body["name"], "Nigeria public holidays");

    // A failed update leaves windows and holidays exactly as they were.
    let failed = app
        .patch(
            &path,
            Some(2),
            json!({"holidays": [], "working_hours": [{"weekday": "monday", "start": "9", "end": "5"}]}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = app.get(&path).await;
    assert_eq!(now.body, updated.body);

    let dup = app.post("/api/v1/calendars", json!({"name": "NIGERIA PUBLIC HOLIDAYS", "time_zone": "UTC"})).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.error_fields(), ["name"]);

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("calendar_holidays"), 0);
    let actions: Vec<String> = app.audit_of("calendar", &created.id()).into_iter().map(|(a, ..)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}
