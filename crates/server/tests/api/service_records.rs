//! Service records and service rules, and the projection of the next
//! service they drive.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{Duration, NaiveDate};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::assets::{asset, days_ago, lagos_today, midday_days_ago};
use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, branch, customer, division};

fn record(asset_id: &str, kind: &str, days_back: i64, usage: Option<i64>) -> Value {
    json!({"asset_id": asset_id, "performed_on": days_ago(days_back), "kind": kind, "usage": usage,
        "work_done": "Oil and filters", "amount": {"amount": "85000.00", "currency": "NGN"}})
}

fn rule(make: &str, model: Option<&str>, every_km: i64) -> Value {
    json!({"asset_kind": "vehicle", "make": make, "model": model, "interval_usage": every_km, "interval_months": 12})
}

/// This module's endpoints (service records and service rules) for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    let owner = customer(app, home, &format!("Serviced {n}")).await;
    let car = asset(app, &owner, home, &format!("SERVICED{n}")).await;
    let target = app.post("/api/v1/service-records", record(&car, "repair", 5, None)).await.id();
    let spare = app.post("/api/v1/service-records", record(&car, "inspection", 4, None)).await.id();
    let rule_target = app.post("/api/v1/service-rules", rule(&format!("Make{n}"), None, 5000)).await.id();
    let rule_spare = app.post("/api/v1/service-rules", rule(&format!("Spare{n}"), None, 5000)).await.id();
    vec![
        endpoint(Method::GET, "/api/v1/service-records".into(), None, Resource::ServiceRecords, Read),
        endpoint(Method::GET, format!("/api/v1/service-records/{target}"), None, Resource::ServiceRecords, Read),
        endpoint(
            Method::POST,
            "/api/v1/service-records".into(),
            Some(record(&car, "repair", 1, None)),
            Resource::ServiceRecords,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/service-records/{target}"),
            Some(json!({"work_done": "Brakes", "version": 1})),
            Resource::ServiceRecords,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/service-records/{spare}"), None, Resource::ServiceRecords, Delete),
        endpoint(Method::GET, "/api/v1/service-rules".into(), None, Resource::ServiceRules, Read),
        endpoint(Method::GET, format!("/api/v1/service-rules/{rule_target}"), None, Resource::ServiceRules, Read),
        endpoint(
            Method::POST,
            "/api/v1/service-rules".into(),
            Some(rule(&format!("New{n}"), None, 5000)),
            Resource::ServiceRules,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/service-rules/{rule_target}"),
            Some(json!({"interval_months": 6, "version": 1})),
            Resource::ServiceRules,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/service-rules/{rule_spare}"), None, Resource::ServiceRules, Delete),
    ]
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).expect("a date")
}

#[actix_web::test]
async fn a_service_record_is_created_read_updated_and_deleted() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let vi = branch(&app, &motors, "VI", "Victoria Island", "Lagos").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let car = asset(&app, &ada, &motors, "VIN00001").await;
    let mut body = record(&car, "repair", 3, Some(15000));
    body["branch_id"] = json!(vi);
    body["ticket_id"] = json!(uuid::Uuid::now_v7().to_string());
    let created = app.post("/api/v1/service-records", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/service-records/{id}").as_str()));
    assert_eq!(
        (created.body["customer_id"].as_str(), created.body["division_id"].as_str()),
        (Some(ada.as_str()), Some(motors.as_str()))
    );
    assert_eq!(created.body["amount"], json!({"amount": "85000.00", "currency": "NGN"}));
    // Its usage is a reading of the asset, with the record's id.
    let readings = app.list_all(&format!("/api/v1/assets/{car}/readings")).await;
    assert_eq!((readings.len(), readings[0]["id"].as_str()), (1, Some(id.as_str())));
    assert_eq!(readings[0]["source"], "service_record");
    assert_eq!(app.get(&format!("/api/v1/assets/{car}")).await.body["last_usage"], 15000);

    let path = format!("/api/v1/service-records/{id}");
    assert_eq!(app.get(&path).await.body, created.body);
    let updated = app.patch(&path, Some(1), json!({"usage": 15500, "amount": null, "work_done": "Brake pads"})).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!((updated.body["version"].as_i64(), updated.body["amount"].clone()), (Some(2), Value::Null));
    assert_eq!(app.get(&format!("/api/v1/assets/{car}")).await.body["last_usage"], 15500);
    let stale = app.patch(&path, Some(1), json!({"work_done": "x"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let stale_delete = app.call(TestRequest::delete().uri(&path).insert_header(("if-match", "\"1\""))).await;
    assert_eq!(stale_delete.status, StatusCode::PRECONDITION_FAILED);

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("asset_readings"), 0, "its reading goes with it");
    assert_eq!(app.get(&format!("/api/v1/assets/{car}")).await.body["last_usage"], Value::Null);
    let actions: Vec<String> = app.audit_of("service_record", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

#[actix_web::test]
async fn bad_records_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let elsewhere = branch(&app, &power, "IK", "Ikeja", "Lagos").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let car = asset(&app, &ada, &motors, "VIN00001").await;
    app.post(&format!("/api/v1/assets/{car}/readings"), json!({"usage": 20000, "read_at": midday_days_ago(10)})).await;
    let mut wrong_branch = record(&car, "repair", 1, None);
    wrong_branch["branch_id"] = json!(elsewhere);
    let cases = [
        (
            json!({"asset_id": car, "performed_on": days_ago(-2), "kind": "repair", "work_done": " ", "usage": -1,
                "amount": {"amount": "1.001", "currency": "NGN"}, "ticket_id": "T-1"}),
            vec!["performed_on", "usage", "work_done", "amount.amount", "ticket_id"],
        ),
        (
            json!({"asset_id": "nope", "performed_on": days_ago(1), "kind": "repair", "work_done": "x", "external_id": "A"}),
            vec!["asset_id", "external_id"],
        ),
        (record(&uuid::Uuid::now_v7().to_string(), "repair", 1, None), vec!["asset_id"]),
        (wrong_branch, vec!["branch_id"]),
        // Below the reading taken ten days ago.
        (record(&car, "scheduled_service", 2, Some(19000)), vec!["usage"]),
    ];
    for (body, fields) in cases {
        let reply = app.post("/api/v1/service-records", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    let decreased = app.post("/api/v1/service-records", record(&car, "scheduled_service", 2, Some(19000))).await;
    assert_eq!(decreased.body["errors"][0]["code"], "usage_decreased");
    for body in [
        json!({"asset_id": car, "performed_on": days_ago(1), "kind": "tune_up", "work_done": "x"}),
        json!({"asset_id": car, "performed_on": days_ago(1), "kind": "repair", "work_done": "x", "mechanic": "Ade"}),
    ] {
        assert_eq!(app.post("/api/v1/service-records", body).await.status, StatusCode::BAD_REQUEST);
    }
    let anonymous = app
        .call_as(TestRequest::post().uri("/api/v1/service-records").set_json(record(&car, "repair", 1, None)), None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("service_records"), 0);
    assert_eq!(app.count("asset_readings"), 1);

    let mut erp = record(&car, "repair", 1, None);
    erp["external_source"] = json!("erp");
    erp["external_id"] = json!("SR-1");
    assert_eq!(app.post("/api/v1/service-records", erp.clone()).await.status, StatusCode::CREATED);
    let dup = app.post("/api/v1/service-records", erp).await;
    assert_eq!((dup.code(), dup.error_fields()), ("duplicate", vec!["external_id".to_owned()]));
    assert_eq!(app.count("service_records"), 1);
}

#[actix_web::test]
async fn division_scope_decides_who_sees_a_record() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let car = asset(&app, &ada, &motors, "VIN00001").await;
    let id = app.post("/api/v1/service-records", record(&car, "repair", 1, None)).await.id();
    let (_, outsider) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let (_, insider) = app.user_with_token(Role::ServiceAgent, Some(&motors), None);
    let path = format!("/api/v1/service-records/{id}");
    assert_eq!(app.get_as(&path, &outsider).await.status, StatusCode::NOT_FOUND);
    let patch = TestRequest::patch().uri(&path).set_json(json!({"work_done": "x", "version": 1}));
    assert_eq!(app.call_as(patch, Some(&outsider)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as("/api/v1/service-records", &outsider).await.body["data"], json!([]));
    // Nor can they record work on an asset they cannot see.
    let post = TestRequest::post().uri("/api/v1/service-records").set_json(record(&car, "repair", 1, None));
    assert_eq!(app.call_as(post, Some(&outsider)).await.error_fields(), ["asset_id"]);
    assert_eq!(app.get_as(&path, &insider).await.status, StatusCode::OK);
    let post = TestRequest::post().uri("/api/v1/service-records").set_json(record(&car, "inspection", 1, None));
    assert_eq!(app.call_as(post, Some(&insider)).await.status, StatusCode::CREATED);
    let delete = TestRequest::delete().uri(&path);
    assert_eq!(app.call_as(delete, Some(&insider)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("service_records"), 2);
}

#[actix_web::test]
async fn records_list_by_asset_kind_and_date() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let car = asset(&app, &ada, &motors, "VIN00001").await;
    let van = asset(&app, &ada, &motors, "VIN00002").await;
    for (a, kind, back) in
        [(&car, "repair", 30), (&car, "scheduled_service", 20), (&van, "inspection", 10), (&car, "warranty", 5)]
    {
        assert_eq!(app.post("/api/v1/service-records", record(a, kind, back, None)).await.status, StatusCode::CREATED);
    }
    let kinds = |items: Vec<Value>| -> Vec<String> {
        items.iter().filter_map(|r| r["kind"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(
        kinds(app.list_all("/api/v1/service-records?limit=1").await),
        ["warranty", "inspection", "scheduled_service", "repair"]
    );
    assert_eq!(
        kinds(app.list_all(&format!("/api/v1/service-records?asset_id={car}&sort=performed_on")).await),
        ["repair", "scheduled_service", "warranty"]
    );
    assert_eq!(kinds(app.list_all("/api/v1/service-records?kind=inspection").await), ["inspection"]);
    let range = format!("/api/v1/service-records?performed_from={}&performed_to={}", days_ago(25), days_ago(8));
    assert_eq!(kinds(app.list_all(&range).await), ["inspection", "scheduled_service"]);
    assert_eq!(app.list_all(&format!("/api/v1/service-records?customer_id={ada}&division_id={motors}")).await.len(), 4);
    for bad in [
        "/api/v1/service-records?kind=tune_up",
        "/api/v1/service-records?performed_from=yesterday",
        "/api/v1/service-records?sort=usage",
    ] {
        assert_eq!(app.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[actix_web::test]
async fn service_rules_are_validated_unique_and_versioned() {
    let app = TestApp::new().await;
    let created = app.post("/api/v1/service-rules", rule("Toyota", None, 10000)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(
        (created.body["due_soon_days"].as_i64(), created.body["effective_due_soon_usage"].as_i64()),
        (Some(30), Some(1000))
    );
    let id = created.id();
    assert_eq!(
        app.post("/api/v1/service-rules", rule("Toyota", Some("Corolla"), 5000)).await.status,
        StatusCode::CREATED
    );
    for (body, field) in [(rule("TOYOTA ", None, 8000), "make"), (rule("toyota", Some("COROLLA"), 8000), "model")] {
        let dup = app.post("/api/v1/service-rules", body).await;
        assert_eq!((dup.status, dup.code()), (StatusCode::UNPROCESSABLE_ENTITY, "duplicate"));
        assert_eq!(dup.error_fields(), [field]);
    }
    let bad = [
        (json!({"asset_kind": "vehicle", "make": " "}), vec!["make", "interval_usage"]),
        (
            json!({"asset_kind": "generator", "make": "Mikano", "interval_usage": 0, "interval_months": 200, "due_soon_days": -1}),
            vec!["interval_usage", "interval_months", "due_soon_days"],
        ),
        (
            json!({"asset_kind": "generator", "make": "Mikano", "interval_months": 6, "due_soon_usage": 10}),
            vec!["due_soon_usage"],
        ),
        (
            json!({"asset_kind": "generator", "make": "Mikano", "interval_usage": 250, "due_soon_usage": 250}),
            vec!["due_soon_usage"],
        ),
    ];
    for (body, fields) in bad {
        let reply = app.post("/api/v1/service-rules", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    assert_eq!(
        app.post("/api/v1/service-rules", json!({"asset_kind": "boat", "make": "X", "interval_months": 1}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("service_rules"), 2);

    let path = format!("/api/v1/service-rules/{id}");
    let updated = app.patch(&path, Some(1), json!({"due_soon_usage": 500, "interval_months": null})).await;
    assert_eq!((updated.status, updated.body["version"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(
        (updated.body["interval_months"].clone(), updated.body["effective_due_soon_usage"].as_i64()),
        (Value::Null, Some(500))
    );
    assert_eq!(app.patch(&path, Some(1), json!({"due_soon_days": 7})).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.patch(&path, Some(2), json!({"interval_usage": null})).await.error_fields(),
        ["interval_usage", "due_soon_usage"]
    );
    let listed = app.list_all("/api/v1/service-rules?make=TOYOTA&sort=-created_at").await;
    assert_eq!(listed.len(), 2);
    assert_eq!(app.list_all("/api/v1/service-rules?q=corol").await.len(), 1);
    assert_eq!(app.get("/api/v1/service-rules?asset_kind=generator").await.body["data"], json!([]));

    let motors = division(&app, "MOT", "Motors").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let (_, analyst) = app.user_with_token(Role::Analyst, None, None);
    let attempt = TestRequest::post().uri("/api/v1/service-rules").set_json(rule("Kia", None, 1000));
    assert_eq!(app.call_as(attempt, Some(&manager)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&path, &analyst).await.status, StatusCode::OK);
    assert_eq!(app.call_as(TestRequest::get().uri(&path), None).await.status, StatusCode::UNAUTHORIZED);

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = app.audit_of("service_rule", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

/// Purchased 100 days ago, 5,000 km by 50 days ago (100 km a day), on a
/// 10,000 km / 12 month rule: 10,000 km falls due today.
#[actix_web::test]
async fn the_next_service_is_projected_and_follows_every_change() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let today = lagos_today();
    let body = json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "make": "TOYOTA", "model": "Corolla",
        "purchase_date": days_ago(100), "last_usage": 5000, "last_usage_at": midday_days_ago(50)});
    let car = app.post("/api/v1/assets", body).await.id();
    let other = app
        .post("/api/v1/assets", json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "make": "Kia"}))
        .await
        .id();
    let path = format!("/api/v1/assets/{car}");
    assert_eq!(app.get(&path).await.body["service_status"], "unknown");

    let make_rule = app.post("/api/v1/service-rules", rule("toyota", None, 10000)).await.id();
    let a = app.get(&path).await.body;
    assert_eq!((a["next_service_due_usage"].as_i64(), date(&a["next_service_due_on"])), (Some(10000), today));
    assert_eq!((a["service_status"].as_str(), a["version"].as_i64()), (Some("due_soon"), Some(2)));
    let statuses = |items: Vec<Value>| -> Vec<String> {
        items.iter().filter_map(|a| a["id"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(statuses(app.list_all("/api/v1/assets?service_status=due_soon").await), [car.as_str()]);
    assert_eq!(statuses(app.list_all("/api/v1/assets?service_status=unknown").await), [other.as_str()]);
    assert_eq!(statuses(app.list_all("/api/v1/assets?sort=next_service_due_on").await), [car.clone(), other.clone()]);

    // The model's own rule wins over the make's.
    let model_rule = app.post("/api/v1/service-rules", rule("Toyota", Some("COROLLA"), 20000)).await.id();
    let a = app.get(&path).await.body;
    assert_eq!((a["next_service_due_usage"].as_i64(), a["service_status"].as_str()), (Some(20000), Some("ok")));
    assert_eq!(statuses(app.list_all("/api/v1/assets?service_status=ok").await), [car.as_str()]);

    // A scheduled service 10 days ago at 9,000 km counts from there.
    let service = app.post("/api/v1/service-records", record(&car, "scheduled_service", 10, Some(9000))).await;
    assert_eq!(service.status, StatusCode::CREATED, "{:?}", service.body);
    let a = app.get(&path).await.body;
    assert_eq!(
        (date(&a["last_service_on"]), a["last_service_usage"].as_i64()),
        (today - Duration::days(10), Some(9000))
    );
    assert_eq!(a["next_service_due_usage"].as_i64(), Some(29000));
    let due = date(&a["next_service_due_on"]);
    assert!(due > today + Duration::days(150) && due < today + Duration::days(210), "{due}");
    // A repair does not move the last service.
    app.post("/api/v1/service-records", record(&car, "repair", 5, None)).await;
    assert_eq!(date(&app.get(&path).await.body["last_service_on"]), today - Duration::days(10));

    // Over the due usage is overdue, whatever the date.
    app.post(&format!("{path}/readings"), json!({"usage": 29500})).await;
    assert_eq!(app.get(&path).await.body["service_status"], "overdue");
    assert_eq!(statuses(app.list_all("/api/v1/assets?service_status=overdue").await), [car.as_str()]);

    // Changing and removing rules re-projects.
    let version = app.get(&format!("/api/v1/service-rules/{model_rule}")).await.body["version"].as_i64();
    app.patch(&format!("/api/v1/service-rules/{model_rule}"), version, json!({"interval_usage": 50000})).await;
    let a = app.get(&path).await.body;
    assert_eq!((a["next_service_due_usage"].as_i64(), a["service_status"].as_str()), (Some(59000), Some("ok")));
    app.delete(&format!("/api/v1/service-rules/{model_rule}")).await;
    assert_eq!(app.get(&path).await.body["next_service_due_usage"].as_i64(), Some(19000), "back to the make's rule");
    app.delete(&format!("/api/v1/service-rules/{make_rule}")).await;
    let a = app.get(&path).await.body;
    assert_eq!((a["next_service_due_on"].clone(), a["service_status"].as_str()), (Value::Null, Some("unknown")));
    let updates = app.audit_of("asset", &car).into_iter().filter(|(a, _, _)| a == "updated").count();
    assert!(updates >= 7, "every visible change is audited: {updates}");
}

#[actix_web::test]
async fn deleting_the_last_service_reverts_the_projection() {
    let app = TestApp::new().await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &power, "Okafor").await;
    app.post(
        "/api/v1/service-rules",
        json!({"asset_kind": "generator", "make": "Mikano", "interval_months": 3, "due_soon_days": 14}),
    )
    .await;
    let body = json!({"customer_id": ada, "division_id": power, "kind": "generator", "make": "Mikano", "purchase_date": days_ago(120)});
    let genset = app.post("/api/v1/assets", body).await;
    assert_eq!(genset.body["service_status"], "overdue", "{:?}", genset.body);
    let id = genset.id();
    let service = app.post("/api/v1/service-records", record(&id, "scheduled_service", 0, Some(800))).await.id();
    let a = app.get(&format!("/api/v1/assets/{id}")).await.body;
    assert_eq!(
        (a["service_status"].as_str(), a["last_usage"].as_i64(), a["usage_unit"].as_str()),
        (Some("ok"), Some(800), Some("hours"))
    );
    app.delete(&format!("/api/v1/service-records/{service}")).await;
    let a = app.get(&format!("/api/v1/assets/{id}")).await.body;
    assert_eq!((a["service_status"].as_str(), a["last_service_on"].clone()), (Some("overdue"), Value::Null));
}
