//! Lead capture intake: intake sources (keys shown once, rotation, scope),
//! and `POST /intake/leads`: keys, rate limit, validation, dedupe against
//! open leads and customers, idempotent retries.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::pipelines::{Pipeline, lost_reason, pipeline};
use crate::support::{Reply, TestApp, branch, division};

/// A division with a branch, a pipeline that takes leads and an intake source.
struct Setup {
    division: String,
    branch: String,
    pipeline: Pipeline,
    source: String,
    key: String,
}

async fn source(app: &TestApp, division_id: &str, name: &str, extra: Value) -> Reply {
    let mut body = json!({"name": name, "division_id": division_id, "lead_source": "website"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post("/api/v1/intake-sources", body).await
}

async fn setup(app: &TestApp) -> Setup {
    let division = division(app, "MOT", "Motors").await;
    let branch = branch(app, &division, "LEK", "Lekki", "Lagos").await;
    let pipeline = pipeline(app, &division, "Sales").await;
    let created = source(app, &division, "Website", json!({"branch_id": branch})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let source = created.body["intake_source"]["id"].as_str().expect("id").to_owned();
    let key = created.body["key"].as_str().expect("key").to_owned();
    Setup { division, branch, pipeline, source, key }
}

/// Posts an inquiry with `key` in `X-Intake-Key` (no user login).
async fn inquire(app: &TestApp, key: &str, body: Value) -> Reply {
    let req = TestRequest::post().uri("/api/v1/intake/leads").insert_header(("x-intake-key", key)).set_json(body);
    app.call_as(req, None).await
}

fn ada() -> Value {
    json!({"name": "Adaeze Okafor", "phone": "0803 123 4567", "message": "Hilux test drive?", "product_interest": "Hilux"})
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::IntakeSources;
    let id = |r: Reply| r.body["intake_source"]["id"].as_str().expect("id").to_owned();
    let target = id(source(app, home, &format!("Matrix {n}"), json!({})).await);
    let rotated = id(source(app, home, &format!("Rotated {n}"), json!({})).await);
    let spare = id(source(app, home, &format!("Spare {n}"), json!({})).await);
    vec![
        endpoint(Method::GET, "/api/v1/intake-sources".into(), None, IntakeSources, Read),
        endpoint(Method::GET, format!("/api/v1/intake-sources/{target}"), None, IntakeSources, Read),
        endpoint(
            Method::POST,
            "/api/v1/intake-sources".into(),
            Some(json!({"name": format!("New {n}"), "division_id": home, "lead_source": "whatsapp"})),
            IntakeSources,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/intake-sources/{target}"),
            Some(json!({"rate_limit_per_minute": 5, "version": 1})),
            IntakeSources,
            Update,
        ),
        endpoint(Method::POST, format!("/api/v1/intake-sources/{rotated}/rotate-key"), None, IntakeSources, Update),
        endpoint(Method::DELETE, format!("/api/v1/intake-sources/{spare}"), None, IntakeSources, Delete),
    ]
}

#[actix_web::test]
async fn an_intake_source_is_created_read_updated_rotated_and_deleted() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    assert!(s.key.starts_with("rik_"));
    let path = format!("/api/v1/intake-sources/{}", s.source);
    let read = app.get(&path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body["key_prefix"], &s.key[..12]);
    assert_eq!(read.body["rate_limit_per_minute"], 60);
    assert_eq!(read.body["branch_id"], s.branch.as_str());
    assert!(!read.body.to_string().contains(&s.key), "the key is shown only once");
    assert_eq!(app.list_all("/api/v1/intake-sources").await.len(), 1);

    let changed = app.patch(&path, Some(1), json!({"rate_limit_per_minute": 10, "lead_source": "whatsapp"})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!((changed.body["rate_limit_per_minute"].clone(), changed.body["version"].clone()), (json!(10), json!(2)));
    assert_eq!(app.patch(&path, Some(1), json!({"name": "x"})).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.patch(&path, None, json!({"name": "x"})).await.status, StatusCode::PRECONDITION_REQUIRED);

    let rotated = app.post(&format!("{path}/rotate-key"), json!(null)).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_key = rotated.body["key"].as_str().expect("new key").to_owned();
    assert_ne!(new_key, s.key);
    assert_eq!(rotated.body["intake_source"]["version"], 3);
    assert_eq!(inquire(&app, &s.key, ada()).await.status, StatusCode::UNAUTHORIZED, "the old key stops working");
    let captured = inquire(&app, &new_key, ada()).await;
    assert_eq!(captured.status, StatusCode::CREATED, "{:?}", captured.body);
    assert_eq!(
        app.get(&format!("/api/v1/leads/{}", captured.body["lead_id"].as_str().expect("lead"))).await.body["source"],
        "whatsapp"
    );

    // It captured a lead, so a delete deactivates it; a fresh source goes.
    let kept = app.delete(&path).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert_eq!(kept.body["active"], false);
    assert_eq!(inquire(&app, &new_key, ada()).await.status, StatusCode::UNAUTHORIZED);
    let fresh = source(&app, &s.division, "Fresh", json!({})).await.body["intake_source"]["id"].clone();
    let fresh = fresh.as_str().expect("id");
    assert_eq!(app.delete(&format!("/api/v1/intake-sources/{fresh}")).await.status, StatusCode::NO_CONTENT);
    let actions: Vec<String> = app.audit_of("intake_source", &s.source).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "updated", "archived"]);
}

#[actix_web::test]
async fn bad_sources_are_refused_with_every_problem() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let elsewhere = branch(&app, &power, "ABJ", "Abuja", "Abuja").await;
    let bad = source(&app, &motors, " ", json!({"rate_limit_per_minute": 0, "branch_id": "nope"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(bad.error_fields(), ["name", "branch_id", "rate_limit_per_minute"]);
    let wrong = source(&app, &motors, "Form", json!({"branch_id": elsewhere})).await;
    assert_eq!(wrong.body["errors"][0]["code"], "wrong_division");
    let unknown = source(&app, &motors, "Form", json!({"key": "mine"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("intake_sources"), 0);
    assert_eq!(source(&app, &motors, "Form", json!({})).await.status, StatusCode::CREATED);
    let twin = source(&app, &motors, "Form", json!({})).await;
    assert_eq!((twin.status, twin.code()), (StatusCode::UNPROCESSABLE_ENTITY, "duplicate"));
}

#[actix_web::test]
async fn a_manager_manages_only_their_own_divisions_sources() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let power = division(&app, "PWR", "Power").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&power), None);
    let path = format!("/api/v1/intake-sources/{}", s.source);
    assert_eq!(app.get_as(&path, &manager).await.status, StatusCode::NOT_FOUND);
    let patch = TestRequest::patch().uri(&path).set_json(json!({"active": false, "version": 1}));
    assert_eq!(app.call_as(patch, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let rotate = TestRequest::post().uri(&format!("{path}/rotate-key"));
    assert_eq!(app.call_as(rotate, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(TestRequest::delete().uri(&path), Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let list = app.get_as("/api/v1/intake-sources", &manager).await;
    assert_eq!(list.body["data"], json!([]));
    let elsewhere = TestRequest::post()
        .uri("/api/v1/intake-sources")
        .set_json(json!({"name": "Theirs", "division_id": s.division, "lead_source": "website"}));
    let elsewhere = app.call_as(elsewhere, Some(&manager)).await;
    assert_eq!(elsewhere.body["errors"][0]["code"], "outside_scope", "{:?}", elsewhere.body);
    let own = TestRequest::post()
        .uri("/api/v1/intake-sources")
        .set_json(json!({"name": "Ours", "division_id": power, "lead_source": "instagram"}));
    assert_eq!(app.call_as(own, Some(&manager)).await.status, StatusCode::CREATED);
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&s.division), None);
    assert_eq!(app.get_as(&path, &rep).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn an_inquiry_becomes_an_unassigned_lead_in_the_oldest_pipeline_that_takes_leads() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let incomplete = json!({"division_id": motors, "name": "Draft", "stages": [{"name": "New", "kind": "open"}]});
    assert_eq!(app.post("/api/v1/pipelines", incomplete).await.status, StatusCode::CREATED);
    let first = pipeline(&app, &motors, "Sales").await;
    pipeline(&app, &motors, "Later").await;
    let created = source(&app, &motors, "Website", json!({})).await;
    let key = created.body["key"].as_str().expect("key");
    let reply = inquire(&app, key, ada()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["outcome"], "created");
    assert_eq!(reply.body["customer_id"], Value::Null);
    assert_eq!(reply.body["replayed"], false);
    let lead_id = reply.body["lead_id"].as_str().expect("lead id");
    assert_eq!(reply.header("location"), Some(format!("/api/v1/leads/{lead_id}").as_str()));
    let lead = app.get(&format!("/api/v1/leads/{lead_id}")).await.body;
    assert_eq!(lead["pipeline_id"], first.id.as_str());
    assert_eq!(lead["stage_id"], first.new.as_str());
    assert_eq!(lead["source"], "website");
    assert_eq!(lead["prospect_phone"], "+2348031234567");
    assert_eq!(lead["product_interest"], "Hilux");
    assert_eq!(lead["notes"], "Hilux test drive?");
    assert_eq!((lead["owner_id"].clone(), lead["created_by"].clone()), (Value::Null, Value::Null));
    let audit = app.audit_of("lead", lead_id);
    assert_eq!((audit[0].0.as_str(), audit[0].1.as_str()), ("created", "api_key"));
}

#[actix_web::test]
async fn bad_inquiries_are_refused_and_nothing_stored() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let power = division(&app, "PWR", "Power").await;
    let elsewhere = branch(&app, &power, "ABJ", "Abuja", "Abuja").await;
    let counts = || (app.count("leads"), app.count("intake_captures"), app.count("audit_log"));
    let start = counts();
    let empty = inquire(&app, &s.key, json!({"message": "hello"})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", empty.body);
    assert_eq!(empty.header("content-type"), Some("application/problem+json"));
    assert_eq!(empty.error_fields(), ["name", "phone"]);
    let bad =
        inquire(&app, &s.key, json!({"name": "A", "phone": "12", "email": "nope", "external_id": "x".repeat(101)}))
            .await;
    assert_eq!(bad.error_fields(), ["phone", "email", "external_id"]);
    let mut wrong_branch = ada();
    wrong_branch["branch_id"] = json!(elsewhere);
    let wrong = inquire(&app, &s.key, wrong_branch).await;
    assert_eq!(
        (wrong.status, wrong.body["errors"][0]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("wrong_division"))
    );
    let mut unknown = ada();
    unknown["owner_id"] = json!(app.admin_id);
    assert_eq!(inquire(&app, &s.key, unknown).await.code(), "invalid_body");
    assert_eq!(counts(), start);
    // A branch of the source's division is taken.
    let mut own_branch = ada();
    own_branch["branch_id"] = json!(branch(&app, &s.division, "IKJ", "Ikeja", "Lagos").await);
    let taken = inquire(&app, &s.key, own_branch.clone()).await;
    let lead = app.get(&format!("/api/v1/leads/{}", taken.body["lead_id"].as_str().expect("lead"))).await;
    assert_eq!(lead.body["branch_id"], own_branch["branch_id"]);
}

#[actix_web::test]
async fn missing_wrong_inactive_and_rotated_keys_are_refused() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let none = app.call_as(TestRequest::post().uri("/api/v1/intake/leads").set_json(ada()), None).await;
    assert_eq!((none.status, none.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(none.header("content-type"), Some("application/problem+json"));
    let forged = format!("{}_{}", &s.key[..12], "x".repeat(43));
    for wrong in ["garbage", "rik_", forged.as_str()] {
        let reply = inquire(&app, wrong, ada()).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "invalid_intake_key"), "{wrong}");
    }
    let as_admin = app
        .call_as(TestRequest::post().uri("/api/v1/intake/leads").set_json(ada()), Some(&app.admin_token.clone()))
        .await;
    assert_eq!(
        (as_admin.status, as_admin.code()),
        (StatusCode::UNAUTHORIZED, "invalid_intake_key"),
        "a login is no intake key"
    );
    let bearer = app.call_as(TestRequest::post().uri("/api/v1/intake/leads").set_json(ada()), Some(&s.key)).await;
    assert_eq!(bearer.status, StatusCode::CREATED, "Authorization: Bearer rik_… works too: {:?}", bearer.body);

    let path = format!("/api/v1/intake-sources/{}", s.source);
    assert_eq!(app.patch(&path, Some(1), json!({"active": false})).await.status, StatusCode::OK);
    let inactive = inquire(&app, &s.key, ada()).await;
    assert_eq!((inactive.status, inactive.code()), (StatusCode::UNAUTHORIZED, "invalid_intake_key"));
    assert_eq!(app.patch(&path, Some(2), json!({"active": true})).await.status, StatusCode::OK);
    assert_eq!(inquire(&app, &s.key, ada()).await.status, StatusCode::OK, "active again: attaches");
    let rotated = app.post(&format!("{path}/rotate-key"), json!(null)).await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_eq!(inquire(&app, &s.key, ada()).await.code(), "invalid_intake_key");
}

#[actix_web::test]
async fn a_source_over_its_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let limited = source(&app, &s.division, "Chatbot", json!({"rate_limit_per_minute": 2})).await;
    let key = limited.body["key"].as_str().expect("key");
    // The window is the clock minute: start early in one.
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 50 {
        actix_web::rt::time::sleep(std::time::Duration::from_secs(u64::try_from(61 - second).unwrap_or(10))).await;
    }
    assert_eq!(inquire(&app, key, ada()).await.status, StatusCode::CREATED);
    assert_eq!(inquire(&app, key, json!({"name": "Bad"})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let over = inquire(&app, key, ada()).await;
    assert_eq!((over.status, over.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{:?}", over.body);
    let retry: u64 = over.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(inquire(&app, &s.key, ada()).await.status, StatusCode::OK, "other sources are unaffected");
}

#[actix_web::test]
async fn a_phone_typed_differently_attaches_to_the_open_lead_without_a_twin() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let first = inquire(&app, &s.key, ada()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let lead_id = first.body["lead_id"].as_str().expect("lead").to_owned();
    for (phone, email) in [("+234 803 123 4567", "new@example.com"), ("2348031234567", "other@example.com")] {
        let body = json!({"name": "Ada O.", "phone": phone, "email": email, "message": format!("again from {phone}")});
        let again = inquire(&app, &s.key, body).await;
        assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
        assert_eq!(again.body["outcome"], "attached_to_lead");
        assert_eq!(again.body["lead_id"], lead_id.as_str());
    }
    assert_eq!(app.count("leads"), 1, "no twin");
    assert_eq!(app.count("intake_captures"), 3);
    let lead = app.get(&format!("/api/v1/leads/{lead_id}")).await.body;
    let notes = lead["notes"].as_str().expect("notes");
    assert!(notes.starts_with("Hilux test drive?") && notes.contains("again from 2348031234567"), "{notes}");
    assert!(notes.contains("via Website") && notes.contains("new@example.com"), "{notes}");
    assert_eq!(lead["version"], 3);
    assert_eq!(lead["prospect_email"], Value::Null, "the lead's own details stay");
    let due: chrono::DateTime<chrono::Utc> = lead["next_follow_up_at"].as_str().expect("due").parse().expect("instant");
    assert!(due <= chrono::Utc::now(), "a new inquiry makes the follow-up due now");
    let actions: Vec<String> = app.audit_of("lead", &lead_id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
}

#[actix_web::test]
async fn an_email_matching_a_customer_creates_a_lead_for_that_customer() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let body = json!({"kind": "person", "first_name": "Chidi", "last_name": "Eze", "division_ids": [s.division],
        "emails": [{"email": "Chidi@Example.com"}], "phones": [{"number": "0809 000 1111"}]});
    let customer = app.post("/api/v1/customers", body).await.id();
    let customers = app.count("customers");
    let reply =
        inquire(&app, &s.key, json!({"name": "Chidi", "email": "chidi@EXAMPLE.com", "phone": "0701 222 3333"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["outcome"], "created_for_customer");
    assert_eq!(reply.body["customer_id"], customer.as_str());
    let lead_id = reply.body["lead_id"].as_str().expect("lead").to_owned();
    assert_eq!(app.get(&format!("/api/v1/leads/{lead_id}")).await.body["customer_id"], customer.as_str());
    // The customer's own phone now finds that open lead through the customer.
    let again = inquire(&app, &s.key, json!({"name": "Chidi Eze", "phone": "+2348090001111"})).await;
    assert_eq!(
        (again.body["outcome"].clone(), again.body["lead_id"].clone()),
        (json!("attached_to_lead"), json!(lead_id))
    );
    assert_eq!(again.body["customer_id"], customer.as_str());
    assert_eq!(app.count("customers"), customers, "never creates a customer");
    assert_eq!(app.count("leads"), 1);
}

#[actix_web::test]
async fn a_lost_or_won_lead_or_another_divisions_does_not_absorb_a_new_inquiry() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let first = inquire(&app, &s.key, ada()).await.body["lead_id"].as_str().expect("lead").to_owned();
    let reason = lost_reason(&app, "Price").await;
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{first}/move"))
        .insert_header(("if-match", "\"1\""))
        .set_json(json!({"to_stage_id": s.pipeline.lost, "lost_reason_id": reason}));
    assert_eq!(app.call(req).await.status, StatusCode::OK);
    let second = inquire(&app, &s.key, ada()).await;
    assert_eq!((second.status, second.body["outcome"].clone()), (StatusCode::CREATED, json!("created")));
    let second = second.body["lead_id"].as_str().expect("lead").to_owned();
    assert_ne!(second, first);
    let req = TestRequest::post()
        .uri(&format!("/api/v1/leads/{second}/move"))
        .insert_header(("if-match", "\"1\""))
        .set_json(json!({"to_stage_id": s.pipeline.won}));
    assert_eq!(app.call(req).await.status, StatusCode::OK);
    assert_eq!(inquire(&app, &s.key, ada()).await.body["outcome"], "created");
    // Another division's open lead with the same phone is not this division's.
    let power = division(&app, "PWR", "Power").await;
    pipeline(&app, &power, "Power sales").await;
    let theirs = source(&app, &power, "Power site", json!({})).await.body["key"].as_str().expect("key").to_owned();
    assert_eq!(inquire(&app, &theirs, ada()).await.body["outcome"], "created");
    assert_eq!(app.count("leads"), 4);
}

#[actix_web::test]
async fn the_phone_wins_when_phone_and_email_point_to_different_leads() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let by_email = inquire(&app, &s.key, json!({"name": "E", "email": "ada@example.com"})).await;
    let by_phone = inquire(&app, &s.key, json!({"name": "P", "phone": "08031234567"})).await;
    assert_eq!(app.count("leads"), 2);
    let both =
        inquire(&app, &s.key, json!({"name": "Ada", "phone": "0803 123 4567", "email": "ADA@example.com"})).await;
    assert_eq!(both.body["lead_id"], by_phone.body["lead_id"]);
    assert_ne!(both.body["lead_id"], by_email.body["lead_id"]);
}

#[actix_web::test]
async fn a_retry_with_the_same_external_id_replays_the_first_outcome() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let mut body = ada();
    body["external_id"] = json!("sub-1");
    let first = inquire(&app, &s.key, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let retry = inquire(&app, &s.key, body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(retry.body["replayed"], true);
    assert_eq!(retry.body["lead_id"], first.body["lead_id"]);
    assert_eq!((app.count("leads"), app.count("intake_captures")), (1, 1));

    let mut attach = ada();
    attach["external_id"] = json!("sub-2");
    let attached = inquire(&app, &s.key, attach.clone()).await;
    assert_eq!((attached.status, attached.body["outcome"].clone()), (StatusCode::OK, json!("attached_to_lead")));
    let lead_path = format!("/api/v1/leads/{}", first.body["lead_id"].as_str().expect("lead"));
    let version = app.get(&lead_path).await.body["version"].clone();
    let again = inquire(&app, &s.key, attach).await;
    assert_eq!((again.status, again.body["replayed"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(app.get(&lead_path).await.body["version"], version, "the retry wrote nothing");
    assert_eq!((app.count("leads"), app.count("intake_captures")), (1, 2));
}

#[actix_web::test]
async fn a_division_without_a_pipeline_for_leads_answers_409() {
    let app = TestApp::new().await;
    let bare = division(&app, "BAR", "Bare").await;
    let key = source(&app, &bare, "Form", json!({})).await.body["key"].as_str().expect("key").to_owned();
    let reply = inquire(&app, &key, ada()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "no_lead_pipeline"), "{:?}", reply.body);
    assert_eq!((app.count("leads"), app.count("intake_captures")), (0, 0));
}

#[actix_web::test]
async fn simultaneous_inquiries_from_one_person_make_one_lead() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let replies = futures_util::future::join_all((0..4).map(|_| inquire(&app, &s.key, ada()))).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 3, "{statuses:?}");
    assert_eq!(app.count("leads"), 1);
}
