//! Interactions: CRUD, defaults, categorisation, validation, scope, lists.
//! Categories and rules are in `setup`, bulk ingestion in `bulk`.

mod bulk;
mod setup;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{Reply, TestApp, customer, division};

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{CategorisationRules, InteractionCategories, Interactions};
    let person = customer(app, home, &format!("Timeline {n}")).await;
    let target = app.post("/api/v1/interactions", call(&person, home)).await.id();
    let spare = app.post("/api/v1/interactions", call(&person, home)).await.id();
    let category = category(app, &format!("matrix_{n}"), &format!("Matrix {n}")).await;
    let spare_category = category_id(app, &format!("spare_{n}"), &format!("Spare {n}")).await;
    let rule = rule(app, &category, &["matrix"]).await;
    let spare_rule = rule_id(app, &category, &["spare"]).await;
    vec![
        endpoint(Method::GET, "/api/v1/interactions".into(), None, Interactions, Read),
        endpoint(Method::GET, format!("/api/v1/interactions/{target}"), None, Interactions, Read),
        endpoint(Method::POST, "/api/v1/interactions".into(), Some(call(&person, home)), Interactions, Create),
        endpoint(
            Method::POST,
            "/api/v1/interactions/bulk".into(),
            Some(json!({"items": [call(&person, home)]})),
            Interactions,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/interactions/{target}"),
            Some(json!({"outcome": "called back", "version": 1})),
            Interactions,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/interactions/{spare}"), None, Interactions, Delete),
        endpoint(Method::GET, "/api/v1/interaction-categories".into(), None, InteractionCategories, Read),
        endpoint(Method::GET, format!("/api/v1/interaction-categories/{category}"), None, InteractionCategories, Read),
        endpoint(
            Method::POST,
            "/api/v1/interaction-categories".into(),
            Some(json!({"code": format!("new_{n}"), "name": format!("New {n}")})),
            InteractionCategories,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/interaction-categories/{category}"),
            Some(json!({"name": format!("Renamed {n}"), "version": 1})),
            InteractionCategories,
            Update,
        ),
        endpoint(
            Method::DELETE,
            format!("/api/v1/interaction-categories/{spare_category}"),
            None,
            InteractionCategories,
            Delete,
        ),
        endpoint(Method::GET, "/api/v1/categorisation-rules".into(), None, CategorisationRules, Read),
        endpoint(Method::GET, format!("/api/v1/categorisation-rules/{rule}"), None, CategorisationRules, Read),
        endpoint(
            Method::POST,
            "/api/v1/categorisation-rules".into(),
            Some(json!({"category_id": category, "keywords": ["new"]})),
            CategorisationRules,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/categorisation-rules/{rule}"),
            Some(json!({"priority": 5, "version": 1})),
            CategorisationRules,
            Update,
        ),
        endpoint(
            Method::DELETE,
            format!("/api/v1/categorisation-rules/{spare_rule}"),
            None,
            CategorisationRules,
            Delete,
        ),
    ]
}

/// A valid interaction body: an inbound call with `customer` in `division`.
pub fn call(customer: &str, division: &str) -> Value {
    json!({
        "channel": "call",
        "direction": "inbound",
        "customer_id": customer,
        "division_id": division,
        "subject": "Question",
        "occurred_at": "2026-11-20T10:00:00Z",
        "duration_seconds": 120
    })
}

/// Creates a category and returns its id.
pub async fn category(app: &TestApp, code: &str, name: &str) -> String {
    category_id(app, code, name).await
}

async fn category_id(app: &TestApp, code: &str, name: &str) -> String {
    let reply = app.post("/api/v1/interaction-categories", json!({"code": code, "name": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// Creates an active rule for `category` and returns its id.
pub async fn rule(app: &TestApp, category: &str, keywords: &[&str]) -> String {
    rule_id(app, category, keywords).await
}

async fn rule_id(app: &TestApp, category: &str, keywords: &[&str]) -> String {
    let reply = app.post("/api/v1/categorisation-rules", json!({"category_id": category, "keywords": keywords})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// Sends `body` to `path` with `method` as the holder of `token`.
pub async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>, token: &str) -> Reply {
    let req = TestRequest::default().method(method).uri(path);
    let req = match body {
        Some(body) => req.set_json(body),
        None => req,
    };
    app.call_as(req, Some(token)).await
}

#[actix_web::test]
async fn a_rep_records_a_call_that_defaults_and_is_categorised() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let service = category(&app, "service", "Service").await;
    rule(&app, &service, &["oil change", "service"]).await;
    let (rep, token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let body = json!({"channel": "call", "direction": "inbound", "customer_id": ada,
        "subject": "Needs an OIL-change", "occurred_at": "2026-11-20T10:00:00Z"});

    let created = send(&app, Method::POST, "/api/v1/interactions", Some(body), &token).await;

    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.body["user_id"], rep.as_str());
    assert_eq!(created.body["division_id"], motors.as_str());
    assert_eq!(created.body["category_id"], service.as_str());
    assert_eq!(created.body["category_origin"], "rule");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.header("location"), Some(format!("/api/v1/interactions/{id}").as_str()));
    assert_eq!(app.audit_of("interaction", &id).len(), 1);
    let events = app.events_of("interaction", &id);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "created");
    assert_eq!(events[0].1["id"], id.as_str());

    // A given category wins; nothing matching leaves it empty.
    let complaint = category(&app, "complaint", "Complaint").await;
    let mut given = call(&ada, &motors);
    given["category_id"] = json!(complaint);
    given["subject"] = json!("service");
    let given = app.post("/api/v1/interactions", given).await;
    assert_eq!(
        (given.body["category_id"].as_str(), given.body["category_origin"].as_str()),
        (Some(complaint.as_str()), Some("given"))
    );
    let plain = app.post("/api/v1/interactions", call(&ada, &motors)).await;
    assert_eq!(plain.body["category_id"], Value::Null);
    assert_eq!(plain.body["category_origin"], Value::Null);

    let read = app.get(&format!("/api/v1/interactions/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body, created.body);
}

#[actix_web::test]
async fn bad_input_is_refused_with_every_field_named_and_nothing_stored() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Ada").await;
    let old = category(&app, "old", "Old").await;
    app.patch(&format!("/api/v1/interaction-categories/{old}"), Some(1), json!({"archived": true})).await;
    let (gone, _) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    app.patch(&format!("/api/v1/users/{gone}"), Some(1), json!({"active": false})).await;

    let bad = json!({"channel": "call", "direction": "inbound", "customer_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
        "category_id": old, "user_id": gone, "occurred_at": "2999-01-01T00:00:00Z", "duration_seconds": 90000,
        "subject": "x".repeat(201), "lead_id": "not-an-id", "external_source": "pbx"});
    let reply = app.post("/api/v1/interactions", bad).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(reply.error_fields(), ["subject", "occurred_at", "duration_seconds", "lead_id", "external_id"]);

    let mut refs = call("0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11", &motors);
    refs["category_id"] = json!(old);
    refs["user_id"] = json!(gone);
    let reply = app.post("/api/v1/interactions", refs).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.error_fields(), ["category_id", "user_id", "customer_id"]);
    let codes: Vec<&str> =
        reply.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
    assert_eq!(codes, ["archived", "inactive", "not_found"]);

    // A division-scoped rep may not write into another division.
    let (_, token) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let outside = send(&app, Method::POST, "/api/v1/interactions", Some(call(&ada, &power)), &token).await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outside.body["errors"][0]["code"], "outside_scope");

    for (body, field) in [
        (json!({"channel": "fax", "direction": "inbound", "occurred_at": "2026-11-20T10:00:00Z"}), "channel"),
        (
            json!({"channel": "call", "direction": "inbound", "occurred_at": "2026-11-20T10:00:00Z", "colour": 1}),
            "colour",
        ),
        (json!({"channel": "call", "direction": "inbound", "occurred_at": "yesterday"}), "occurred_at"),
        (
            json!({"channel": "call", "direction": "inbound", "occurred_at": "2026-11-20T10:00:00Z", "duration_seconds": "long"}),
            "duration_seconds",
        ),
        (json!({"channel": "call", "occurred_at": "2026-11-20T10:00:00Z"}), "direction"),
    ] {
        let reply = app.post("/api/v1/interactions", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{field}: {:?}", reply.body);
        assert_eq!(reply.error_fields(), [field]);
    }
    let anonymous =
        app.call_as(TestRequest::post().uri("/api/v1/interactions").set_json(call(&ada, &motors)), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("interactions"), 0);
    assert_eq!(app.count("audit_log WHERE entity_type = 'interaction'"), 0);
}

#[actix_web::test]
async fn external_ids_are_unique_per_source() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let mut body = call(&ada, &motors);
    body["external_source"] = json!("PBX");
    body["external_id"] = json!("call-1");
    let first = app.post("/api/v1/interactions", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["external_source"], "pbx");

    let again = app.post("/api/v1/interactions", body.clone()).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.code(), "duplicate");
    assert_eq!(again.error_fields(), ["external_id"]);
    body["external_source"] = json!("email");
    assert_eq!(app.post("/api/v1/interactions", body).await.status, StatusCode::CREATED);
    assert_eq!(app.count("interactions"), 2);
}

#[actix_web::test]
async fn the_division_defaults_to_the_customers_only_one_and_links_the_customer() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Ada").await;
    let mut body = call(&ada, &motors);
    body.as_object_mut().expect("object").remove("division_id");

    // The admin has no division: the customer's only one applies.
    let created = app.post("/api/v1/interactions", body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["division_id"], motors.as_str());
    assert_eq!(created.body["user_id"], app.admin_id.as_str());

    // Naming another division links the customer to it.
    body["division_id"] = json!(power);
    assert_eq!(app.post("/api/v1/interactions", body.clone()).await.status, StatusCode::CREATED);
    let ada_now = app.get(&format!("/api/v1/customers/{ada}")).await;
    let mut divisions: Vec<String> = ada_now.body["division_ids"]
        .as_array()
        .expect("division_ids")
        .iter()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    divisions.sort();
    let mut expected = vec![motors.clone(), power.clone()];
    expected.sort();
    assert_eq!(divisions, expected);

    // Now two divisions: no default any more.
    body.as_object_mut().expect("object").remove("division_id");
    let ambiguous = app.post("/api/v1/interactions", body).await;
    assert_eq!(ambiguous.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ambiguous.error_fields(), ["division_id"]);
    assert_eq!(ambiguous.body["errors"][0]["code"], "required");
}

#[actix_web::test]
async fn a_merged_customer_is_followed_to_the_survivor() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let survivor = customer(&app, &motors, "Survivor").await;
    let merged = customer(&app, &motors, "Merged").await;
    let mut conn = app.db().write().expect("conn");
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE customers SET merged_into_id = '{survivor}' WHERE id = '{merged}'")),
        &mut *conn,
    )
    .expect("merge");
    drop(conn);
    let created = app.post("/api/v1/interactions", call(&merged, &motors)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["customer_id"], survivor.as_str());
}

#[actix_web::test]
async fn scope_decides_who_sees_and_changes_an_interaction() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let ada = customer(&app, &motors, "Ada").await;
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, colleague) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, stranger) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let created = send(&app, Method::POST, "/api/v1/interactions", Some(call(&ada, &motors)), &rep).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    let path = format!("/api/v1/interactions/{id}");
    let change = |version: i64| Some(json!({"outcome": "booked", "version": version}));

    // Another division sees nothing of it.
    assert_eq!(app.get_as(&path, &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as("/api/v1/interactions", &stranger).await.body["data"], json!([]));
    assert_eq!(send(&app, Method::PATCH, &path, change(1), &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, Method::DELETE, &path, None, &stranger).await.status, StatusCode::NOT_FOUND);
    // A colleague reads it but changes only their own.
    assert_eq!(app.get_as(&path, &colleague).await.status, StatusCode::OK);
    assert_eq!(send(&app, Method::PATCH, &path, change(1), &colleague).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, Method::DELETE, &path, None, &colleague).await.status, StatusCode::NOT_FOUND);
    // The author may not hand it to someone else.
    let handed = send(&app, Method::PATCH, &path, Some(json!({"user_id": null, "version": 1})), &rep).await;
    assert_eq!(handed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(handed.body["errors"][0]["code"], "outside_scope");
    // The author and the division's manager may.
    let updated = send(&app, Method::PATCH, &path, change(1), &rep).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["version"], 2);
    let stale = send(&app, Method::PATCH, &path, change(1), &manager).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.code(), "stale_version");
    assert_eq!(send(&app, Method::PATCH, &path, change(2), &manager).await.status, StatusCode::OK);
    assert_eq!(send(&app, Method::DELETE, &path, None, &manager).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = app.audit_of("interaction", &id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "updated", "deleted"]);
}

#[actix_web::test]
async fn an_update_recategorises_unless_the_category_was_given() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let service = category(&app, "service", "Service").await;
    let complaint = category(&app, "complaint", "Complaint").await;
    rule(&app, &service, &["service"]).await;
    rule(&app, &complaint, &["refund"]).await;
    let mut body = call(&ada, &motors);
    body["subject"] = json!("service please");
    let id = app.post("/api/v1/interactions", body).await.id();
    let path = format!("/api/v1/interactions/{id}");

    let moved = app.patch(&path, Some(1), json!({"subject": "I want a refund"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        (moved.body["category_id"].as_str(), moved.body["category_origin"].as_str()),
        (Some(complaint.as_str()), Some("rule"))
    );
    let given = app.patch(&path, Some(2), json!({"category_id": service})).await;
    assert_eq!(given.body["category_origin"], "given");
    let kept = app.patch(&path, Some(3), json!({"summary": "refund refund"})).await;
    assert_eq!(
        (kept.body["category_id"].as_str(), kept.body["category_origin"].as_str()),
        (Some(service.as_str()), Some("given"))
    );
    let cleared = app.patch(&path, Some(4), json!({"category_id": null})).await;
    assert_eq!(cleared.body["category_id"], complaint.as_str());
    assert_eq!(cleared.body["category_origin"], "rule");
    let bad = app.patch(&path, Some(5), json!({"duration_seconds": -1, "channel": "pigeon"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = app.patch(&path, Some(5), json!({"duration_seconds": -1})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&path).await.body["version"], 5);
}

#[actix_web::test]
async fn lists_filter_sort_and_page_strictly() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let ada = customer(&app, &motors, "Ada").await;
    let bola = customer(&app, &motors, "Bola").await;
    for day in 1..=9 {
        let who = if day % 3 == 0 { &bola } else { &ada };
        let mut body = call(who, &motors);
        body["occurred_at"] = json!(format!("2026-11-0{day}T09:00:00Z"));
        body["channel"] = json!(if day % 2 == 0 { "email" } else { "call" });
        body["subject"] = json!(format!("Day {day} 100%_sure"));
        assert_eq!(app.post("/api/v1/interactions", body).await.status, StatusCode::CREATED);
    }
    let days = |items: &[Value]| -> Vec<String> {
        items.iter().map(|i| i["occurred_at"].as_str().unwrap_or_default()[8..10].to_owned()).collect()
    };
    let all = app.list_all("/api/v1/interactions?limit=2").await;
    assert_eq!(days(&all), ["09", "08", "07", "06", "05", "04", "03", "02", "01"]);
    let oldest = app.list_all("/api/v1/interactions?sort=occurred_at&limit=4").await;
    assert_eq!(days(&oldest)[..3], ["01", "02", "03"]);
    let bola_only = app.list_all(&format!("/api/v1/interactions?customer_id={bola}")).await;
    assert_eq!(days(&bola_only), ["09", "06", "03"]);
    let window = app
        .list_all(
            "/api/v1/interactions?channel=email&occurred_from=2026-11-04T00:00:00Z&occurred_to=2026-11-08T00:00:00Z",
        )
        .await;
    assert_eq!(days(&window), ["06", "04"]);
    let searched = app.list_all("/api/v1/interactions?q=DAY%207").await;
    assert_eq!(days(&searched), ["07"]);
    assert_eq!(app.list_all("/api/v1/interactions?q=0%25_s").await.len(), 9);
    assert_eq!(app.list_all("/api/v1/interactions?q=x%25").await.len(), 0);
    assert_eq!(app.list_all("/api/v1/interactions?sort=-updated_at&direction=inbound").await.len(), 9);
    for bad in ["colour=red", "channel=fax", "sort=subject", "limit=0", "occurred_from=monday", "cursor=nope"] {
        let reply = app.get(&format!("/api/v1/interactions?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", reply.body);
        assert_eq!(reply.code(), "invalid_query");
    }
}
