//! Assets and their readings: creation, validation, scope, concurrency,
//! lists, delete-or-archive, ERP upsert.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{Duration, NaiveDate, Utc};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, customer, division};

/// Today in Lagos (UTC+1), the day the server measures against.
pub fn lagos_today() -> NaiveDate {
    (Utc::now() + Duration::hours(1)).date_naive()
}

/// `days` before today (Lagos), as `YYYY-MM-DD`.
pub fn days_ago(days: i64) -> String {
    (lagos_today() - Duration::days(days)).to_string()
}

/// Midday in Lagos (11:00 UTC) `days` before today, when the server also
/// places a service record's reading.
pub fn midday_days_ago(days: i64) -> String {
    format!("{}T11:00:00Z", days_ago(days))
}

pub fn vehicle(customer_id: &str, division_id: &str, serial: &str) -> Value {
    json!({"customer_id": customer_id, "division_id": division_id, "kind": "vehicle",
        "make": "Toyota", "model": "Corolla", "serial": serial})
}

/// Creates a vehicle and returns its id.
pub async fn asset(app: &TestApp, customer_id: &str, division_id: &str, serial: &str) -> String {
    let reply = app.post("/api/v1/assets", vehicle(customer_id, division_id, serial)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    let owner = customer(app, home, &format!("Owner {n}")).await;
    let target = asset(app, &owner, home, &format!("TARGET{n}")).await;
    let spare = asset(app, &owner, home, &format!("SPARE{n}")).await;
    vec![
        endpoint(Method::GET, "/api/v1/assets".into(), None, Resource::Assets, Read),
        endpoint(Method::GET, format!("/api/v1/assets/{target}"), None, Resource::Assets, Read),
        endpoint(
            Method::POST,
            "/api/v1/assets".into(),
            Some(vehicle(&owner, home, &format!("NEW{n}"))),
            Resource::Assets,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/assets/{target}"),
            Some(json!({"plate": format!("LAG{n}XY"), "version": 1})),
            Resource::Assets,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/assets/{spare}"), None, Resource::Assets, Delete),
        endpoint(
            Method::PUT,
            format!("/api/v1/assets/by-external-id/erp/V-{n}"),
            Some(vehicle(&owner, home, &format!("ERP{n}"))),
            Resource::Assets,
            Update,
        ),
        endpoint(Method::GET, format!("/api/v1/assets/{target}/readings"), None, Resource::Assets, Read),
        endpoint(
            Method::POST,
            format!("/api/v1/assets/{target}/readings"),
            Some(json!({"usage": 1000 + n})),
            Resource::Assets,
            Update,
        ),
    ]
}

#[actix_web::test]
async fn an_asset_is_created_normalised_read_and_audited() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &power, "Okafor").await;
    let body = json!({
        "customer_id": ada, "division_id": motors, "kind": "vehicle", "make": " Toyota ", "model": "Corolla",
        "model_year": 2024, "serial": "jtd-br32e7 2001.2345", "plate": "lag 123-xy",
        "purchase_date": days_ago(200), "warranty_end": days_ago(-500),
        "last_usage": 18250, "last_usage_at": midday_days_ago(3)
    });
    let created = app.post("/api/v1/assets", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/assets/{id}").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    let a = &created.body;
    assert_eq!((a["serial"].as_str(), a["plate"].as_str()), (Some("JTDBR32E720012345"), Some("LAG123XY")));
    assert_eq!((a["make"].as_str(), a["usage_unit"].as_str()), (Some("Toyota"), Some("km")));
    assert_eq!((a["last_usage"].as_i64(), a["under_warranty"].as_bool()), (Some(18250), Some(true)));
    assert_eq!(a["last_usage_at"], json!(midday_days_ago(3)));
    assert_eq!(a["service_status"], "unknown", "no rule applies yet");
    assert_eq!(app.count("asset_readings"), 1, "the usage is the first reading");

    let generator =
        app.post("/api/v1/assets", json!({"customer_id": ada, "division_id": power, "kind": "generator"})).await;
    assert_eq!(generator.body["usage_unit"], "hours");

    let got = app.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, created.body);
    // The owner now deals with the asset's division too.
    let owner = app.get(&format!("/api/v1/customers/{ada}")).await;
    let divisions = owner.body["division_ids"].as_array().cloned().unwrap_or_default();
    assert!(divisions.contains(&json!(motors)) && divisions.contains(&json!(power)), "{divisions:?}");
    let actions: Vec<String> = app.audit_of("asset", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created"]);
}

#[actix_web::test]
async fn bad_input_is_refused_with_every_field_named_and_nothing_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let cases = [
        (
            json!({"customer_id": ada, "kind": "vehicle", "plate": "X", "serial": "--",
                "purchase_date": days_ago(-3), "last_usage": -5}),
            vec!["division_id", "serial", "plate", "purchase_date", "last_usage"],
        ),
        (
            json!({"customer_id": "nope", "division_id": motors, "kind": "vehicle", "model_year": 1850,
                "purchase_date": days_ago(10), "warranty_end": days_ago(20), "external_source": "erp"}),
            vec!["customer_id", "model_year", "warranty_end", "external_id"],
        ),
        (
            json!({"customer_id": ada, "division_id": motors, "kind": "other", "last_usage_at": midday_days_ago(1)}),
            vec!["last_usage_at"],
        ),
        (
            json!({"customer_id": uuid::Uuid::now_v7().to_string(), "division_id": motors, "kind": "other"}),
            vec!["customer_id"],
        ),
        (
            json!({"customer_id": ada, "division_id": uuid::Uuid::now_v7().to_string(), "kind": "other"}),
            vec!["division_id"],
        ),
        (
            json!({"customer_id": ada, "division_id": motors, "kind": "other", "custom_fields": {"nope": 1}}),
            vec!["custom_fields.nope"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.post("/api/v1/assets", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", reply.body);
        assert_eq!(reply.code(), "validation_failed");
        assert_eq!(reply.error_fields(), fields, "{body}");
    }
    assert_eq!(app.count("assets"), 0);
    assert_eq!(app.count("asset_readings"), 0);
}

#[actix_web::test]
async fn unknown_fields_and_wrong_types_are_400() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    for body in [
        json!({"customer_id": ada, "division_id": motors, "kind": "boat"}),
        json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "colour": "red"}),
        json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "last_usage": "lots"}),
        json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "purchase_date": "yesterday"}),
    ] {
        let reply = app.post("/api/v1/assets", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.code(), "invalid_body");
    }
    let id = asset(&app, &ada, &motors, "VIN00001").await;
    let reply = app.patch(&format!("/api/v1/assets/{id}"), Some(1), json!({"wheels": 4})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reading = app.post(&format!("/api/v1/assets/{id}/readings"), json!({"usage": 1.5})).await;
    assert_eq!(reading.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("assets"), 1);
    assert_eq!(app.count("asset_readings"), 0);
}

#[actix_web::test]
async fn a_vin_belongs_to_one_asset() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    asset(&app, &ada, &motors, "JTDBR32E720012345").await;
    let again = app.post("/api/v1/assets", vehicle(&ada, &motors, "jtdbr32e7-2001-2345")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", again.body);
    assert_eq!((again.code(), again.error_fields()), ("duplicate", vec!["serial".to_owned()]));
    let other = asset(&app, &ada, &motors, "OTHER123").await;
    let clash = app.patch(&format!("/api/v1/assets/{other}"), Some(1), json!({"serial": "JTDBR32E720012345"})).await;
    assert_eq!(clash.code(), "duplicate");
    assert_eq!(app.count("assets"), 2);
}

#[actix_web::test]
async fn credentials_are_required() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let id = asset(&app, &ada, &motors, "VIN00001").await;
    for req in [
        TestRequest::get().uri("/api/v1/assets"),
        TestRequest::post().uri("/api/v1/assets").set_json(vehicle(&ada, &motors, "VIN00002")),
        TestRequest::patch().uri(&format!("/api/v1/assets/{id}")).set_json(json!({"version": 1})),
        TestRequest::post().uri(&format!("/api/v1/assets/{id}/readings")).set_json(json!({"usage": 5})),
        TestRequest::put().uri("/api/v1/assets/by-external-id/erp/1").set_json(vehicle(&ada, &motors, "VIN00003")),
    ] {
        let reply = app.call_as(req, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.count("assets"), 1);
}

#[actix_web::test]
async fn division_scope_decides_who_sees_an_asset() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let id = asset(&app, &ada, &motors, "VIN00001").await;
    let (_, outsider) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let (_, outside_manager) = app.user_with_token(Role::Manager, Some(&power), None);
    let (_, insider) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let path = format!("/api/v1/assets/{id}");
    assert_eq!(app.get_as(&path, &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&format!("{path}/readings"), &outsider).await.status, StatusCode::NOT_FOUND);
    let patch = TestRequest::patch().uri(&path).set_json(json!({"model": "Camry", "version": 1}));
    assert_eq!(app.call_as(patch, Some(&outsider)).await.status, StatusCode::NOT_FOUND);
    let reading = TestRequest::post().uri(&format!("{path}/readings")).set_json(json!({"usage": 10}));
    assert_eq!(app.call_as(reading, Some(&outsider)).await.status, StatusCode::NOT_FOUND);
    let delete = TestRequest::delete().uri(&path);
    assert_eq!(app.call_as(delete, Some(&outside_manager)).await.status, StatusCode::NOT_FOUND);
    let listed = app.get_as("/api/v1/assets", &outsider).await;
    assert_eq!(listed.body["data"], json!([]));
    assert_eq!(app.get_as(&path, &insider).await.status, StatusCode::OK);

    // A division-scoped writer creates in their own division only.
    let body = json!({"customer_id": ada, "kind": "vehicle", "serial": "VIN00002"});
    let own = app.call_as(TestRequest::post().uri("/api/v1/assets").set_json(&body), Some(&insider)).await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    assert_eq!(own.body["division_id"], json!(motors), "defaults to the caller's division");
    let elsewhere = json!({"customer_id": ada, "division_id": power, "kind": "vehicle"});
    let refused = app.call_as(TestRequest::post().uri("/api/v1/assets").set_json(&elsewhere), Some(&insider)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_fields(), ["division_id"]);
    // A customer the caller cannot see cannot own the asset.
    let stranger = customer(&app, &power, "Stranger").await;
    let hidden = json!({"customer_id": stranger, "kind": "vehicle"});
    let refused = app.call_as(TestRequest::post().uri("/api/v1/assets").set_json(&hidden), Some(&insider)).await;
    assert_eq!(
        (refused.status, refused.error_fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customer_id".to_owned()])
    );
    assert_eq!(app.count("assets"), 2);
}

#[actix_web::test]
async fn stale_versions_are_refused() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let id = asset(&app, &ada, &motors, "VIN00001").await;
    let path = format!("/api/v1/assets/{id}");
    let updated = app.patch(&path, Some(1), json!({"plate": "abj 456 kl"})).await;
    assert_eq!((updated.status, updated.body["version"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(updated.body["plate"], "ABJ456KL");
    let stale = app.patch(&path, Some(1), json!({"plate": "X1"})).await;
    assert_eq!((stale.status, stale.code()), (StatusCode::PRECONDITION_FAILED, "stale_version"));
    let missing = app.patch(&path, None, json!({"plate": "X1"})).await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let delete = TestRequest::delete().uri(&path).insert_header(("if-match", "\"1\""));
    assert_eq!(app.call(delete).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get(&path).await.body["plate"], "ABJ456KL");
    let actions: Vec<String> = app.audit_of("asset", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated"]);
}

#[actix_web::test]
async fn readings_move_the_last_usage_and_never_go_backwards() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let id = asset(&app, &ada, &motors, "VIN00001").await;
    let path = format!("/api/v1/assets/{id}/readings");
    let first = app.post(&path, json!({"usage": 1000, "read_at": midday_days_ago(20)})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        (first.body["source"].as_str(), first.body["recorded_by"].as_str()),
        (Some("manual"), Some(app.admin_id.as_str()))
    );
    let latest = app.post(&path, json!({"usage": 3000, "read_at": midday_days_ago(2)})).await;
    assert_eq!(latest.status, StatusCode::CREATED);
    // A back-dated reading between the two fits.
    let between = app.post(&path, json!({"usage": 2000, "read_at": midday_days_ago(10), "source": "whatsapp"})).await;
    assert_eq!(between.status, StatusCode::CREATED, "{:?}", between.body);
    let asset = app.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!((asset.body["last_usage"].as_i64(), asset.body["version"].as_i64()), (Some(3000), Some(3)));
    for bad in [
        json!({"usage": 2500}),
        json!({"usage": 2900, "read_at": midday_days_ago(1)}),
        json!({"usage": 900, "read_at": midday_days_ago(15)}),
    ] {
        let reply = app.post(&path, bad.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.body["errors"][0]["code"], "usage_decreased", "{bad}");
    }
    let future = app.post(&path, json!({"usage": 9000, "read_at": format!("{}T12:00:00Z", days_ago(-2))})).await;
    assert_eq!(future.error_fields(), ["read_at"]);
    let negative = app.post(&path, json!({"usage": -1, "source": "Bad Source!"})).await;
    assert_eq!(negative.error_fields(), ["usage", "source"]);
    assert_eq!(app.count("asset_readings"), 3);
    // The same rule applies to a usage given with the asset.
    let lower = app.patch(&format!("/api/v1/assets/{id}"), Some(3), json!({"last_usage": 10})).await;
    assert_eq!(lower.body["errors"][0]["code"], "usage_decreased");
    assert_eq!(app.count("asset_readings"), 3);

    let page = app.get(&format!("{path}?limit=2")).await;
    let usages: Vec<i64> =
        page.body["data"].as_array().into_iter().flatten().filter_map(|r| r["usage"].as_i64()).collect();
    assert_eq!(usages, [3000, 2000], "newest first");
    let all: Vec<i64> = app
        .list_all(&format!("{path}?limit=1&sort=read_at"))
        .await
        .iter()
        .filter_map(|r| r["usage"].as_i64())
        .collect();
    assert_eq!(all, [1000, 2000, 3000]);
    assert_eq!(app.get(&format!("{path}?sort=usage")).await.status, StatusCode::BAD_REQUEST);
    let reading_audit: Vec<String> =
        app.audit_of("asset_reading", &first.id()).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(reading_audit, ["created"]);
    let asset_audit: Vec<String> = app.audit_of("asset", &id).into_iter().map(|(a, _, _)| a).collect();
    // Created, then the first and the latest reading moved the last usage; the back-dated one did not.
    assert_eq!(asset_audit, ["created", "updated", "updated"]);
    assert_eq!(
        app.get(&format!("/api/v1/assets/{}/readings", uuid::Uuid::now_v7())).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn lists_filter_sort_and_are_strict() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let ben = customer(&app, &power, "Bello").await;
    let corolla = app
        .post(
            "/api/v1/assets",
            json!({"customer_id": ada, "division_id": motors, "kind": "vehicle", "make": "Toyota",
            "model": "Corolla", "plate": "LAG 123 XY", "serial": "VIN0001"}),
        )
        .await
        .id();
    let mikano = app
        .post(
            "/api/v1/assets",
            json!({"customer_id": ben, "division_id": power, "kind": "generator", "make": "Mikano",
            "model": "MP 60", "serial": "GEN-77"}),
        )
        .await
        .id();
    let ids = |items: Vec<Value>| -> Vec<String> {
        items.iter().filter_map(|a| a["id"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(ids(app.list_all(&format!("/api/v1/assets?customer_id={ada}")).await), [corolla.as_str()]);
    assert_eq!(ids(app.list_all(&format!("/api/v1/assets?division_id={power}")).await), [mikano.as_str()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?kind=generator").await), [mikano.as_str()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?plate=lag-123-xy").await), [corolla.as_str()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?serial=gen77").await), [mikano.as_str()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?q=corol").await), [corolla.as_str()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?q=123%20XY").await), [corolla.as_str()]);
    assert_eq!(
        ids(app.list_all("/api/v1/assets?service_status=unknown&sort=created_at").await),
        [corolla.clone(), mikano.clone()]
    );
    assert_eq!(ids(app.list_all("/api/v1/assets?service_status=overdue").await), Vec::<String>::new());
    assert_eq!(ids(app.list_all("/api/v1/assets?sort=-created_at&limit=1").await), [mikano.clone(), corolla.clone()]);
    assert_eq!(ids(app.list_all("/api/v1/assets?sort=next_service_due_on&limit=1").await).len(), 2);
    let since = Utc::now() + Duration::hours(1);
    let later = format!("/api/v1/assets?updated_since={}", since.format("%Y-%m-%dT%H:%M:%SZ"));
    assert_eq!(ids(app.list_all(&later).await), Vec::<String>::new());
    for bad in [
        "/api/v1/assets?colour=red",
        "/api/v1/assets?kind=boat",
        "/api/v1/assets?service_status=late",
        "/api/v1/assets?sort=plate",
        "/api/v1/assets?cf.nope=1",
    ] {
        let reply = app.get(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.code(), "invalid_query", "{bad}");
    }
}

#[actix_web::test]
async fn custom_fields_are_validated_returned_and_filtered() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let field = json!({"entity": "asset", "key": "colour", "label": "Colour", "field_type": "single_select", "options": ["red", "blue"]});
    assert_eq!(app.post("/api/v1/custom-fields", field).await.status, StatusCode::CREATED);
    let mut body = vehicle(&ada, &motors, "VIN00001");
    body["custom_fields"] = json!({"colour": "green"});
    let refused = app.post("/api/v1/assets", body.clone()).await;
    assert_eq!(refused.error_fields(), ["custom_fields.colour"]);
    body["custom_fields"] = json!({"colour": "red"});
    let created = app.post("/api/v1/assets", body).await;
    assert_eq!(created.body["custom_fields"], json!({"colour": "red"}));
    let id = created.id();
    let listed = app.list_all("/api/v1/assets?cf.colour=red").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(app.list_all("/api/v1/assets?cf.colour=blue").await.len(), 0);
    let cleared = app.patch(&format!("/api/v1/assets/{id}"), Some(1), json!({"custom_fields": {"colour": null}})).await;
    assert_eq!(cleared.body["custom_fields"], json!({}));
}

#[actix_web::test]
async fn a_referenced_asset_is_archived_not_deleted() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let free = asset(&app, &ada, &motors, "VIN00001").await;
    app.post(&format!("/api/v1/assets/{free}/readings"), json!({"usage": 10})).await;
    let gone = app.delete(&format!("/api/v1/assets/{free}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("asset_readings"), 0, "its readings go with it");
    assert_eq!(app.get(&format!("/api/v1/assets/{free}")).await.status, StatusCode::NOT_FOUND);

    let serviced = asset(&app, &ada, &motors, "VIN00002").await;
    let record = json!({"asset_id": serviced, "performed_on": days_ago(1), "kind": "repair", "work_done": "Brakes"});
    assert_eq!(app.post("/api/v1/service-records", record).await.status, StatusCode::CREATED);
    let kept = app.delete(&format!("/api/v1/assets/{serviced}")).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert!(kept.body["archived_at"].is_string());
    assert_eq!(app.list_all("/api/v1/assets").await.len(), 0);
    assert_eq!(app.list_all("/api/v1/assets?include_archived=true").await.len(), 1);
    let restored = app
        .patch(&format!("/api/v1/assets/{serviced}"), kept.body["version"].as_i64(), json!({"archived": false}))
        .await;
    assert_eq!(restored.body["archived_at"], Value::Null);
    let actions: Vec<String> = app.audit_of("asset", &serviced).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "archived", "updated"]);
    let deleted: Vec<String> = app.audit_of("asset", &free).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(deleted, ["created", "updated", "deleted"]);
}

#[actix_web::test]
async fn erp_upsert_by_external_id_is_idempotent() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Okafor").await;
    let mut body = vehicle(&ada, &motors, "VIN00001");
    body["last_usage"] = json!(12000);
    let path = "/api/v1/assets/by-external-id/Oracle_ERP/V-0042";
    let created = app.put(path, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(
        (created.body["external_source"].as_str(), created.body["external_id"].as_str()),
        (Some("oracle_erp"), Some("V-0042"))
    );
    let again = app.put(path, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!((again.id(), again.body["version"].as_i64()), (id.clone(), Some(1)));
    assert_eq!(again.body, created.body);
    assert_eq!(app.audit_of("asset", &id).len(), 1);
    assert_eq!(app.count("asset_readings"), 1, "the same mileage again is no new reading");

    body["plate"] = json!("LAG 1 AB");
    body["last_usage"] = json!(13000);
    let changed = app.put(path, body.clone()).await;
    assert_eq!((changed.status, changed.body["version"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!((changed.body["plate"].as_str(), changed.body["last_usage"].as_i64()), (Some("LAG1AB"), Some(13000)));
    assert_eq!(app.audit_of("asset", &id).len(), 2);
    assert_eq!(app.count("asset_readings"), 2);
    // Absent fields are cleared (PUT describes the whole asset).
    body.as_object_mut().map(|o| o.remove("plate"));
    assert_eq!(app.put(path, body.clone()).await.body["plate"], Value::Null);

    body["external_id"] = json!("OTHER");
    assert_eq!(app.put(path, body).await.error_fields(), ["external_id"]);
    let bad = app.put("/api/v1/assets/by-external-id/bad%20source/1", vehicle(&ada, &motors, "VIN00009")).await;
    assert_eq!(bad.error_fields(), ["source"]);
    assert_eq!(app.count("assets"), 1);
}
