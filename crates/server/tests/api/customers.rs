//! Customers: CRUD, validation, scope, search, consent, upsert by external id.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, customer, division};

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    let target = customer(app, home, &format!("Matrix {n}")).await;
    let spare = customer(app, home, &format!("Spare {n}")).await;
    let company_body = json!({"kind": "company", "company_name": format!("Company {n}"), "division_ids": [home]});
    let company = app.post("/api/v1/customers", company_body).await.id();
    let contact = |name: &str| json!({"name": name});
    let contact_id = app.post(&format!("/api/v1/customers/{company}/contacts"), contact("Target")).await.id();
    let spare_contact = app.post(&format!("/api/v1/customers/{company}/contacts"), contact("Spare")).await.id();
    let duplicate = customer(app, home, &format!("Matrix {n}")).await;
    let erasable = customer(app, home, &format!("Erasable {n}")).await;
    vec![
        endpoint(Method::GET, "/api/v1/customers".into(), None, Resource::Customers, Read),
        endpoint(Method::GET, format!("/api/v1/customers/{target}"), None, Resource::Customers, Read),
        endpoint(
            Method::POST,
            "/api/v1/customers".into(),
            Some(json!({"kind": "person", "last_name": format!("New {n}")})),
            Resource::Customers,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/customers/{target}"),
            Some(json!({"city": "Abuja", "version": 1})),
            Resource::Customers,
            Update,
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/customers/by-external-id/matrix/M{n}"),
            Some(json!({"kind": "company", "company_name": format!("Upserted {n}")})),
            Resource::Customers,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/customers/{spare}"), None, Resource::Customers, Delete),
        endpoint(Method::GET, format!("/api/v1/customers/{company}/contacts"), None, Resource::Customers, Read),
        endpoint(
            Method::POST,
            format!("/api/v1/customers/{company}/contacts"),
            Some(contact("New")),
            Resource::Customers,
            Update,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/customers/{company}/contacts/{contact_id}"),
            Some(json!({"title": "Boss", "version": 1})),
            Resource::Customers,
            Update,
        ),
        endpoint(
            Method::DELETE,
            format!("/api/v1/customers/{company}/contacts/{spare_contact}"),
            None,
            Resource::Customers,
            Update,
        ),
        endpoint(Method::GET, "/api/v1/customers/duplicates".into(), None, Resource::Customers, Read),
        endpoint(
            Method::POST,
            format!("/api/v1/customers/{target}/merge"),
            Some(json!({"duplicate_id": duplicate})),
            Resource::CustomerMerges,
            Create,
        ),
        endpoint(Method::POST, format!("/api/v1/customers/{erasable}/erase"), None, Resource::CustomerPrivacy, Delete),
        endpoint(Method::GET, format!("/api/v1/customers/{target}/export"), None, Resource::CustomerPrivacy, Read),
        endpoint(Method::GET, format!("/api/v1/customers/{target}/profile"), None, Resource::Customers, Read),
    ]
}

fn ada() -> Value {
    json!({
        "kind": "person",
        "first_name": " Ada ",
        "last_name": "Okafor",
        "emails": [{"email": "Ada@Example.com"}, {"email": "ada.work@example.com", "label": "work"}],
        "phones": [{"number": "0803 123 4567", "whatsapp": true}, {"number": "0809 111 2222", "primary": false}],
        "city": "Lagos",
        "source": "walk_in",
        "tags": ["VIP", "fleet"],
        "external_ids": [{"source": "Oracle_ERP", "external_id": "C-004211"}],
        "consents": [
            {"channel": "whatsapp", "purpose": "marketing", "granted": false, "method": "phone call"},
            {"channel": "whatsapp", "purpose": "reminders", "granted": true, "method": "signed form"}
        ]
    })
}

#[actix_web::test]
async fn a_customer_is_created_read_updated_and_deleted() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let mut body = ada();
    body["phones"] = json!([{"number": "0803 123 4567", "whatsapp": true}, {"number": "+44 20 7946 0958"}]);
    body["division_ids"] = json!([motors]);
    let created = app.post("/api/v1/customers", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let c = &created.body;
    assert_eq!(c["display_name"], "Ada Okafor");
    assert_eq!(c["primary_email"], "ada@example.com");
    assert_eq!(c["primary_phone"], "+2348031234567");
    assert_eq!(c["phones"][0], json!({"e164": "+2348031234567", "label": null, "primary": true, "whatsapp": true}));
    assert_eq!(c["phones"][1]["e164"], "+442079460958");
    assert_eq!(c["tags"], json!(["fleet", "vip"]));
    assert_eq!(c["external_ids"], json!([{"source": "oracle_erp", "external_id": "C-004211"}]));
    assert_eq!(c["division_ids"], json!([motors]));
    assert_eq!(c["owner_id"], app.admin_id.as_str(), "the creator owns the customer");
    assert_eq!(c["country_code"], "NG");
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/customers/{id}").as_str()));

    let read = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body, created.body);

    let changed = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            Some(1),
            json!({"city": "Abuja", "phones": [{"number": "08091112222"}], "notes": null, "tags": []}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["city"], "Abuja");
    assert_eq!(changed.body["primary_phone"], "+2348091112222");
    assert_eq!(changed.body["tags"], json!([]));
    assert_eq!(changed.body["emails"], created.body["emails"], "lists not given stay");
    assert_eq!(changed.body["version"], 2);

    let stale = app.patch(&format!("/api/v1/customers/{id}"), Some(1), json!({"city": "Kano"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get(&format!("/api/v1/customers/{id}")).await.body["city"], "Abuja");

    assert_eq!(app.delete(&format!("/api/v1/customers/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/customers/{id}")).await.status, StatusCode::NOT_FOUND);
    for table in ["customers", "customer_emails", "customer_phones", "customer_tags", "customer_external_ids"] {
        assert_eq!(app.count(table), 0, "{table}");
    }
    let actions: Vec<String> = app.audit_of("customer", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
    assert_eq!(app.events_of("customer", &id).len(), 3);
}

#[actix_web::test]
async fn bad_input_is_refused_with_every_field_named_and_nothing_stored() {
    let app = TestApp::new().await;
    let mut body = ada();
    body["phones"] = json!([{"number": "0803 123"}, {"number": "+234 803 123 4567"}, {"number": "08031234567"}]);
    body["emails"] =
        json!([{"email": "not-an-email"}, {"email": "a@b.co", "primary": true}, {"email": "c@d.co", "primary": true}]);
    body["last_name"] = Value::Null;
    body["first_name"] = json!("  ");
    body["country_code"] = json!("Nigeria");
    body["external_ids"] = json!([{"source": "bad source!", "external_id": ""}]);
    body["consents"] = json!([{"channel": "sms", "purpose": "service", "granted": true, "method": " ", "recorded_at": "2999-01-01T00:00:00Z"}]);
    let reply = app.post("/api/v1/customers", body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.code(), "validation_failed");
    let fields = reply.error_fields();
    for field in [
        "first_name",
        "phones[0].number",
        "phones[2].number",
        "emails[0].email",
        "emails",
        "country_code",
        "external_ids[0].source",
        "external_ids[0].external_id",
        "consents[0].recorded_at",
        "consents[0].method",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} missing from {fields:?}");
    }

    for (body, code) in [
        (json!({"kind": "alien", "last_name": "X"}), "invalid_body"),
        (json!({"kind": "person", "last_name": "X", "colour": "red"}), "invalid_body"),
        (json!({"kind": "person", "last_name": 7}), "invalid_body"),
        (
            json!({"kind": "person", "last_name": "X", "consents": [{"channel": "fax", "purpose": "service", "granted": true, "method": "m"}]}),
            "invalid_body",
        ),
    ] {
        let reply = app.post("/api/v1/customers", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
        assert_eq!(reply.code(), code);
    }
    let reply = app
        .post(
            "/api/v1/customers",
            json!({"kind": "person", "last_name": "X", "division_ids": [uuid::Uuid::now_v7().to_string()]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["division_ids[0]"]);
    for table in ["customers", "customer_emails", "customer_phones", "customer_consents", "customer_divisions"] {
        assert_eq!(app.count(table), 0, "{table}");
    }
}

#[actix_web::test]
async fn external_ids_are_unique_per_source() {
    let app = TestApp::new().await;
    assert_eq!(app.post("/api/v1/customers", ada()).await.status, StatusCode::CREATED);
    let mut other = json!({"kind": "company", "company_name": "Dangote Fleet", "external_ids": [{"source": "oracle_erp", "external_id": "C-004211"}]});
    let dup = app.post("/api/v1/customers", other.clone()).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", dup.body);
    assert_eq!(dup.code(), "duplicate");
    assert_eq!(dup.error_fields(), ["external_ids[0].external_id"]);
    assert_eq!(app.count("customers"), 1);
    // The same id in another system is someone else's business.
    other["external_ids"][0]["source"] = json!("dms");
    assert_eq!(app.post("/api/v1/customers", other).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn division_scope_decides_who_sees_a_customer() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let (_, motors_rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let (_, power_rep) = app.user_with_token(Role::SalesRep, Some(&power), None);
    let (_, call_centre) = app.user_with_token(Role::CallCenterAgent, None, None);

    // A rep's customer deals with the rep's division even when none is given.
    let req = TestRequest::post().uri("/api/v1/customers").set_json(json!({"kind": "person", "last_name": "Bello"}));
    let created = app.call_as(req, Some(&motors_rep)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["division_ids"], json!([motors]));
    let id = created.id();
    let path = format!("/api/v1/customers/{id}");

    assert_eq!(app.get_as(&path, &motors_rep).await.status, StatusCode::OK);
    assert_eq!(app.get_as(&path, &power_rep).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&path, &call_centre).await.status, StatusCode::OK);
    let patch = TestRequest::patch().uri(&path).set_json(json!({"city": "Kano", "version": 1}));
    assert_eq!(app.call_as(patch, Some(&power_rep)).await.status, StatusCode::NOT_FOUND);
    let list = app.get_as("/api/v1/customers", &power_rep).await;
    assert_eq!(list.body["data"], json!([]));
    let list = app.get_as("/api/v1/customers", &motors_rep).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));

    // A rep cannot drop their own division (and so lose the customer).
    let patch = TestRequest::patch().uri(&path).set_json(json!({"division_ids": [power], "version": 1}));
    let refused = app.call_as(patch, Some(&motors_rep)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_fields(), ["division_ids"]);
    // Adding one is fine, and then the other division's rep sees the customer.
    let patch = TestRequest::patch().uri(&path).set_json(json!({"division_ids": [motors, power], "version": 1}));
    assert_eq!(app.call_as(patch, Some(&motors_rep)).await.status, StatusCode::OK);
    assert_eq!(app.get_as(&path, &power_rep).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn search_finds_phones_as_typed_emails_and_names() {
    let app = TestApp::new().await;
    let id = app.post("/api/v1/customers", ada()).await.id();
    app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Okafor & Sons Haulage"})).await;
    app.post(
        "/api/v1/customers",
        json!({"kind": "person", "first_name": "Chidi", "phones": [{"number": "08099998888"}]}),
    )
    .await;
    let ids = |reply: &crate::support::Reply| -> Vec<String> {
        reply.body["data"].as_array().expect("data").iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect()
    };
    for q in ["0803 123 4567", "+2348031234567", "2348031234567", "(0803)%20123-4567", "ADA@example.com"] {
        let reply = app.get(&format!("/api/v1/customers?q={}", q.replace(' ', "%20").replace('+', "%2B"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{q}: {:?}", reply.body);
        assert_eq!(ids(&reply), std::slice::from_ref(&id), "{q}");
    }
    let motors = division(&app, "MOT", "Motors").await;
    let owner = customer(&app, &motors, "Driver").await;
    history_rows(&app, &owner, &motors, "x");
    let plate: String = {
        use diesel::RunQueryDsl as _;
        #[derive(diesel::QueryableByName)]
        struct Plate {
            #[diesel(sql_type = diesel::sql_types::Text)]
            plate: String,
        }
        let mut conn = app.db().read().expect("conn");
        diesel::sql_query("SELECT plate FROM assets").get_result::<Plate>(&mut *conn).expect("plate").plate
    };
    // Typed in lower case with a space and a dash, the plate still finds its owner.
    let typed = format!("{}%20{}-{}", plate[..3].to_lowercase(), &plate[3..6], &plate[6..]);
    assert_eq!(ids(&app.get(&format!("/api/v1/customers?q={typed}")).await), [owner]);
    let by_name = app.get("/api/v1/customers?q=okafor").await;
    assert_eq!(by_name.body["data"].as_array().map(Vec::len), Some(2));
    let none = app.get("/api/v1/customers?q=0809%20000%200000").await;
    assert_eq!(ids(&none), Vec::<String>::new());
    // Wildcards are literal.
    assert_eq!(ids(&app.get("/api/v1/customers?q=%25").await), Vec::<String>::new());
}

#[actix_web::test]
async fn lists_filter_sort_and_page_without_losing_rows() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    for i in 0..7 {
        let tags = if i % 2 == 0 { json!(["even"]) } else { json!([]) };
        let body = json!({"kind": "person", "last_name": format!("Customer {i}"), "tags": tags, "division_ids": if i < 3 { json!([motors]) } else { json!([]) }});
        assert_eq!(app.post("/api/v1/customers", body).await.status, StatusCode::CREATED);
    }
    app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Acme"})).await;
    let names = |items: &[Value]| {
        items.iter().map(|c| c["display_name"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
    };
    let all = app.list_all("/api/v1/customers?limit=3&sort=-name").await;
    assert_eq!(names(&all)[..3], ["Customer 6", "Customer 5", "Customer 4"]);
    assert_eq!(all.len(), 8);
    assert_eq!(app.list_all("/api/v1/customers?tag=EVEN&limit=2").await.len(), 4);
    assert_eq!(app.list_all(&format!("/api/v1/customers?division_id={motors}")).await.len(), 3);
    assert_eq!(names(&app.list_all("/api/v1/customers?kind=company").await), ["Acme"]);
    for bad in
        ["sort=colour", "limit=0", "limit=201", "kind=alien", "colour=red", "external_id=x", "updated_since=yesterday"]
    {
        let reply = app.get(&format!("/api/v1/customers?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", reply.body);
    }
}

#[actix_web::test]
async fn a_marketing_opt_out_leaves_reminders_alone() {
    let app = TestApp::new().await;
    let created = app.post("/api/v1/customers", ada()).await;
    let id = created.id();
    let consent = |body: &Value, purpose: &str| {
        body["consents"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["channel"] == "whatsapp" && c["purpose"] == purpose))
            .map(|c| c["granted"].clone())
    };
    assert_eq!(consent(&created.body, "marketing"), Some(json!(false)));
    assert_eq!(consent(&created.body, "reminders"), Some(json!(true)));
    assert_eq!(consent(&created.body, "service"), None, "never asked");
    // Granting marketing later changes marketing only.
    let changed = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            Some(1),
            json!({"consents": [{"channel": "whatsapp", "purpose": "marketing", "granted": true, "method": "web form", "note": "campaign page"}]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(consent(&changed.body, "marketing"), Some(json!(true)));
    assert_eq!(consent(&changed.body, "reminders"), Some(json!(true)));
    let marketing =
        changed.body["consents"].as_array().and_then(|c| c.iter().find(|c| c["purpose"] == "marketing")).cloned();
    assert_eq!(marketing.map(|m| m["method"].clone()), Some(json!("web form")));
}

#[actix_web::test]
async fn erp_upsert_by_external_id_is_idempotent() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let path = "/api/v1/customers/by-external-id/oracle_erp/C-9001";
    let body = json!({"kind": "company", "company_name": "Lagos Logistics Ltd", "phones": [{"number": "0802 000 1111"}], "division_ids": [motors]});
    let created = app.put(path, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["external_ids"], json!([{"source": "oracle_erp", "external_id": "C-9001"}]));
    assert_eq!(created.body["owner_id"], Value::Null, "upserted customers have no owner until assigned");
    let id = created.id();

    let again = app.put(path, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, created.body, "a repeat changes nothing");
    assert_eq!(app.audit_of("customer", &id).len(), 1);

    let mut changed = body.clone();
    changed["city"] = json!("Ikeja");
    let updated = app.put(path, changed.clone()).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["city"], "Ikeja");
    assert_eq!(app.put(path, changed).await.body["version"], 2);
    assert_eq!(app.count("customers"), 1);

    let mut person = body;
    person["kind"] = json!("person");
    person["last_name"] = json!("X");
    let refused = app.put(path, person).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_fields(), ["kind"]);
    let bad =
        app.put("/api/v1/customers/by-external-id/bad%20source/C-1", json!({"kind": "person", "last_name": "Y"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["source"]);
    assert_eq!(app.count("customers"), 1);
}

#[actix_web::test]
async fn a_referenced_customer_is_archived_not_deleted() {
    let app = TestApp::new().await;
    let a = app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Parent Co"})).await.id();
    // Another customer's merge pointer is a reference the database enforces.
    let b = app.post("/api/v1/customers", json!({"kind": "person", "last_name": "Child"})).await.id();
    {
        use diesel::RunQueryDsl as _;
        let mut conn = app.db().write().expect("conn");
        diesel::sql_query(format!("UPDATE customers SET merged_into_id = '{a}' WHERE id = '{b}'"))
            .execute(&mut *conn)
            .expect("point b at a");
    }
    let removed = app.delete(&format!("/api/v1/customers/{a}")).await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert!(removed.body["archived_at"].is_string());
    assert_eq!(app.list_all("/api/v1/customers").await.len(), 0, "archived and merged customers are not listed");
    assert_eq!(app.list_all("/api/v1/customers?include_archived=true").await.len(), 1);
    let merged = app.get(&format!("/api/v1/customers/{b}")).await;
    assert_eq!(merged.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(merged.header("location"), Some(format!("/api/v1/customers/{a}").as_str()));
    assert_eq!(merged.body["merged_into_id"], a.as_str());
}

#[actix_web::test]
async fn companies_have_contacts() {
    let app = TestApp::new().await;
    let company = app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Lagos Haulage"})).await.id();
    let person = app.post("/api/v1/customers", json!({"kind": "person", "last_name": "Bakare"})).await.id();
    let path = format!("/api/v1/customers/{company}/contacts");
    let first = app.post(&path, json!({"name": "Tunde Bakare", "title": "Fleet Manager", "phone": "0805 555 0101", "primary": true, "person_id": person})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["phone"], "+2348055550101");
    let second = app
        .post(&path, json!({"name": "Amaka Eze", "role": "billing", "email": "Billing@Haulage.ng", "primary": true}))
        .await;
    assert_eq!(second.body["email"], "billing@haulage.ng");
    let listed = app.list_all(&path).await;
    let primaries: Vec<_> = listed.iter().map(|c| (c["name"].clone(), c["primary"].clone())).collect();
    assert_eq!(primaries, [(json!("Amaka Eze"), json!(true)), (json!("Tunde Bakare"), json!(false))]);

    let bad = app.post(&path, json!({"name": " ", "email": "nope", "phone": "12"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_fields(), ["name", "email", "phone"]);
    let on_person = app.post(&format!("/api/v1/customers/{person}/contacts"), json!({"name": "X"})).await;
    assert_eq!(on_person.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(on_person.body["errors"][0]["code"], "not_a_company");
    assert_eq!(app.count("customer_contacts"), 2);

    let contact = format!("{path}/{}", first.id());
    let changed = app.patch(&contact, Some(1), json!({"title": "Head of Fleet", "person_id": null})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["person_id"], Value::Null);
    assert_eq!(app.patch(&contact, Some(1), json!({"title": "x"})).await.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.delete(&contact).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&contact).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = app.audit_of("customer_contact", &first.id()).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

/// Inserts an asset, a service record and an interaction for `customer`
/// straight into the database (their endpoints are tested elsewhere).
fn history_rows(app: &TestApp, customer: &str, division: &str, text: &str) {
    use diesel::RunQueryDsl as _;
    let mut conn = app.db().write().expect("conn");
    let asset = uuid::Uuid::now_v7().to_string();
    let now = "2026-11-01 10:00:00";
    for sql in [
        format!(
            "INSERT INTO assets (id, customer_id, division_id, kind, serial, plate, usage_unit, version, created_at, updated_at) \
             VALUES ('{asset}', '{customer}', '{division}', 'vehicle', 'VIN{}', 'LAG{}', 'km', 1, '{now}', '{now}')",
            asset[24..].to_uppercase(),
            asset[30..].to_uppercase()
        ),
        format!(
            "INSERT INTO service_records (id, asset_id, customer_id, division_id, performed_on, kind, work_done, version, created_at, updated_at) \
             VALUES ('{}', '{asset}', '{customer}', '{division}', '2026-10-01', 'repair', 'Brakes. {text}', 1, '{now}', '{now}')",
            uuid::Uuid::now_v7()
        ),
        format!(
            "INSERT INTO interactions (id, customer_id, division_id, channel, direction, subject, summary, occurred_at, duration_seconds, version, created_at, updated_at) \
             VALUES ('{}', '{customer}', '{division}', 'call', 'inbound', 'Call', '{text}', '{now}', 120, 1, '{now}', '{now}')",
            uuid::Uuid::now_v7()
        ),
    ] {
        diesel::sql_query(sql).execute(&mut *conn).expect("insert history");
    }
}

fn rows_of(app: &TestApp, table: &str, column: &str, id: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl as _;
    let mut conn = app.db().read().expect("conn");
    diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE {column} = '{id}'"))
        .get_result::<Count>(&mut *conn)
        .expect("count")
        .n
}

/// Every table and column holding a customer's records, with the column linking them.
const RELATED: &[(&str, &str)] = &[
    ("customer_emails", "customer_id"),
    ("customer_phones", "customer_id"),
    ("customer_divisions", "customer_id"),
    ("customer_tags", "customer_id"),
    ("customer_external_ids", "customer_id"),
    ("customer_consents", "customer_id"),
    ("customer_contacts", "company_id"),
    ("assets", "customer_id"),
    ("purchases", "customer_id"),
    ("service_records", "customer_id"),
    ("interactions", "customer_id"),
    ("custom_field_values", "record_id"),
];

#[actix_web::test]
async fn merging_moves_every_related_record_and_keeps_the_old_id_resolvable() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    app.post(
        "/api/v1/custom-fields",
        json!({"entity": "customer", "key": "segment", "label": "Segment", "field_type": "text"}),
    )
    .await;
    let company = |name: &str, phone: &str, email: &str, erp: &str, division: &str, tag: &str| {
        json!({"kind": "company", "company_name": name, "phones": [{"number": phone}], "emails": [{"email": email}],
            "external_ids": [{"source": "erp", "external_id": erp}], "division_ids": [division], "tags": [tag],
            "custom_fields": {"segment": format!("{name} segment")},
            "consents": [{"channel": "sms", "purpose": "marketing", "granted": true, "method": "form"}]})
    };
    let survivor = app
        .post("/api/v1/customers", company("Haulage Ltd", "0803 000 0001", "a@haulage.ng", "E1", &motors, "fleet"))
        .await
        .id();
    let duplicate = app
        .post("/api/v1/customers", company("Haulage Limited", "0803 000 0001", "b@haulage.ng", "E2", &power, "vip"))
        .await
        .id();
    app.post(&format!("/api/v1/customers/{duplicate}/contacts"), json!({"name": "Tunde"})).await;
    let buyer_purchase = json!({"customer_id": duplicate, "division_id": power, "invoice_number": "P-1", "purchased_on": "2026-10-01", "amount": {"amount": "100", "currency": "NGN"}});
    assert_eq!(app.post("/api/v1/purchases", buyer_purchase).await.status, StatusCode::CREATED);
    history_rows(&app, &duplicate, &power, "note");
    let earlier = app.post("/api/v1/customers", json!({"kind": "company", "company_name": "Earlier dup"})).await.id();
    {
        use diesel::RunQueryDsl as _;
        let mut conn = app.db().write().expect("conn");
        diesel::sql_query(format!("UPDATE customers SET merged_into_id = '{duplicate}' WHERE id = '{earlier}'"))
            .execute(&mut *conn)
            .expect("earlier merge");
    }

    let pairs = app.list_all("/api/v1/customers/duplicates").await;
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!(pairs[0]["reasons"], json!(["phone"]));

    let before: Vec<(i64, i64)> =
        RELATED.iter().map(|(t, c)| (rows_of(&app, t, c, &survivor), rows_of(&app, t, c, &duplicate))).collect();
    let merged = app
        .post(&format!("/api/v1/customers/{survivor}/merge"), json!({"duplicate_id": duplicate, "version": 1}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    for ((table, column), (s, d)) in RELATED.iter().zip(before) {
        let (s_after, d_after) = (rows_of(&app, table, column, &survivor), rows_of(&app, table, column, &duplicate));
        assert_eq!(d_after, 0, "{table}: the duplicate keeps nothing");
        let expected = match *table {
            // The shared phone and the custom field the survivor already has are not doubled.
            "customer_phones" | "custom_field_values" | "customer_consents" => s,
            _ => s + d,
        };
        assert_eq!(s_after, expected, "{table}");
    }
    let survivor_now = &merged.body["survivor"];
    assert_eq!(survivor_now["division_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(survivor_now["tags"], json!(["fleet", "vip"]));
    assert_eq!(survivor_now["custom_fields"]["segment"], "Haulage Ltd segment");
    assert_eq!(merged.body["moved"]["purchases"], 1);

    let old = app.get(&format!("/api/v1/customers/{duplicate}")).await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(old.header("location"), Some(format!("/api/v1/customers/{survivor}").as_str()));
    let older = app.get(&format!("/api/v1/customers/{earlier}")).await;
    assert_eq!(
        older.header("location"),
        Some(format!("/api/v1/customers/{survivor}").as_str()),
        "chains are flattened"
    );
    assert_eq!(app.list_all("/api/v1/customers/duplicates").await.len(), 0);
    let actions: Vec<String> = app.audit_of("customer", &duplicate).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions.last().map(String::as_str), Some("merged"));

    // Refusals leave everything as it was.
    let again = app.post(&format!("/api/v1/customers/{survivor}/merge"), json!({"duplicate_id": duplicate})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.body["errors"][0]["code"], "already_merged");
    let person = app.post("/api/v1/customers", json!({"kind": "person", "last_name": "P"})).await.id();
    let mixed = app.post(&format!("/api/v1/customers/{survivor}/merge"), json!({"duplicate_id": person})).await;
    assert_eq!(mixed.body["errors"][0]["code"], "kind_mismatch");
    let stale =
        app.post(&format!("/api/v1/customers/{person}/merge"), json!({"duplicate_id": survivor, "version": 9})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let req = TestRequest::post()
        .uri(&format!("/api/v1/customers/{survivor}/merge"))
        .set_json(json!({"duplicate_id": person}));
    assert_eq!(app.call_as(req, Some(&rep)).await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn erasure_leaves_no_personal_data_in_any_text_column() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let body = json!({
        "kind": "person", "first_name": "Zebulon", "last_name": "Quartermaine",
        "emails": [{"email": "zebulon.q@example.org"}], "phones": [{"number": "0807 765 4321", "whatsapp": true}],
        "address_line": "14 Xylophone Crescent", "notes": "Prefers Zebulon", "tags": ["vip"], "division_ids": [motors],
        "consents": [{"channel": "sms", "purpose": "reminders", "granted": true, "method": "form"}]
    });
    let req =
        TestRequest::post().uri("/api/v1/customers").insert_header(("idempotency-key", "erase-me")).set_json(body);
    let created = app.call(req).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    app.patch(&format!("/api/v1/customers/{id}"), Some(1), json!({"city": "Lagos"})).await;
    let purchase = json!({"customer_id": id, "division_id": motors, "invoice_number": "Z-1", "purchased_on": "2026-10-01",
        "notes": "Delivered to Zebulon Quartermaine, 08077654321",
        "lines": [{"description": "Oil for Quartermaine", "quantity": "1", "unit_price": {"amount": "5000", "currency": "NGN"}}]});
    assert_eq!(app.post("/api/v1/purchases", purchase).await.status, StatusCode::CREATED);
    history_rows(&app, &id, &motors, "Zebulon Quartermaine called from +2348077654321 about zebulon.q@example.org");

    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let req = TestRequest::post().uri(&format!("/api/v1/customers/{id}/erase"));
    assert_eq!(app.call_as(req, Some(&manager)).await.status, StatusCode::FORBIDDEN);
    let erased = app.post(&format!("/api/v1/customers/{id}/erase"), json!(null)).await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);
    assert_eq!(erased.body["display_name"], "Erased customer");
    assert!(erased.body["erased_at"].is_string());

    let tokens = ["zebulon", "quartermaine", "xylophone", "7765", "765 4321", "example.org"];
    for (table, column, value) in every_text_value(&app) {
        let lower = value.to_lowercase();
        for token in tokens {
            assert!(!lower.contains(token), "{table}.{column} still holds {token:?}: {value}");
        }
    }
    // Financial records and aggregates stay.
    assert_eq!(app.count("purchases"), 1);
    assert_eq!(app.count("interactions"), 1);
    assert_eq!(app.list_all(&format!("/api/v1/purchases?customer_id={id}")).await[0]["amount"]["amount"], "5000.00");
    let again = app.post(&format!("/api/v1/customers/{id}/erase"), json!(null)).await;
    assert_eq!(again.body["version"], erased.body["version"], "erasing twice changes nothing");
}

/// (table, column, value) of every non-null text or binary value in the database.
fn every_text_value(app: &TestApp) -> Vec<(String, String, String)> {
    use diesel::RunQueryDsl as _;
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    let mut conn = app.db().read().expect("conn");
    let postgres = matches!(&*conn, rapport_core::db::Conn::Postgres(_));
    let columns: Vec<Column> = if postgres {
        diesel::sql_query(
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND data_type IN ('text', 'character varying', 'bytea')",
        )
        .load(&mut *conn)
        .expect("columns")
    } else {
        diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND (p.type IN ('TEXT', 'BLOB'))",
        )
        .load(&mut *conn)
        .expect("columns")
    };
    let mut out = Vec::new();
    for Column { table_name, column_name } in columns {
        let expr = if postgres && table_name == "idempotency_keys" && column_name == "response_body" {
            format!("convert_from({column_name}, 'UTF8')")
        } else {
            format!("CAST({column_name} AS TEXT)")
        };
        let values: Vec<Value> =
            diesel::sql_query(format!("SELECT {expr} AS v FROM {table_name}")).load(&mut *conn).expect("values");
        out.extend(values.into_iter().filter_map(|v| v.v).map(|v| (table_name.clone(), column_name.clone(), v)));
    }
    assert!(out.len() > 50, "the scan found the database's text");
    out
}

#[actix_web::test]
async fn the_profile_brings_everything_together_within_scope() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let id = app
        .post("/api/v1/customers", json!({"kind": "person", "last_name": "Profiled", "division_ids": [motors, power]}))
        .await
        .id();
    let buy = |division: &str, invoice: &str, amount: &str| {
        json!({"customer_id": id, "division_id": division, "invoice_number": invoice, "purchased_on": "2026-10-01",
            "amount": {"amount": amount, "currency": "NGN"}})
    };
    for (division, invoice, amount) in [(&motors, "M-1", "1000.50"), (&motors, "M-2", "2000"), (&power, "P-1", "300")] {
        assert_eq!(app.post("/api/v1/purchases", buy(division, invoice, amount)).await.status, StatusCode::CREATED);
    }
    let cancelled = app.post("/api/v1/purchases", buy(&motors, "M-3", "999999")).await.id();
    app.patch(&format!("/api/v1/purchases/{cancelled}"), Some(1), json!({"status": "cancelled"})).await;
    for _ in 0..3 {
        history_rows(&app, &id, &motors, "visit");
    }
    history_rows(&app, &id, &power, "visit");

    let profile = app.get(&format!("/api/v1/customers/{id}/profile")).await;
    assert_eq!(profile.status, StatusCode::OK, "{:?}", profile.body);
    let p = &profile.body;
    assert_eq!(p["customer"]["id"], id.as_str());
    assert_eq!(p["assets"]["total"], 4);
    assert_eq!(p["assets"]["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(p["purchases"]["total"], 4);
    assert_eq!(p["service_history"]["total"], 4);
    assert_eq!(p["interactions"]["total"], 4);
    let value = |division: &str| {
        p["purchases"]["lifetime_value"]
            .as_array()
            .and_then(|v| v.iter().find(|d| d["division_id"] == division))
            .cloned()
    };
    assert_eq!(
        value(&motors).map(|v| (v["amount"]["amount"].clone(), v["purchases"].clone())),
        Some((json!("3000.50"), json!(2)))
    );
    assert_eq!(value(&power).map(|v| v["amount"]["amount"].clone()), Some(json!("300.00")));

    // A Power rep sees the customer, but only Power's records.
    let (_, power_rep) = app.user_with_token(Role::ServiceAgent, Some(&power), None);
    let theirs = app.get_as(&format!("/api/v1/customers/{id}/profile"), &power_rep).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["assets"]["total"], 1);
    assert_eq!(theirs.body["purchases"]["total"], 1);
    assert_eq!(theirs.body["purchases"]["lifetime_value"].as_array().map(Vec::len), Some(1));
    assert_eq!(theirs.body["interactions"]["items"].as_array().map(Vec::len), Some(1));
    let other = division(&app, "OTH", "Other").await;
    let (_, stranger) = app.user_with_token(Role::SalesRep, Some(&other), None);
    assert_eq!(app.get_as(&format!("/api/v1/customers/{id}/profile"), &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}/profile", uuid::Uuid::now_v7())).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn an_export_holds_everything_and_is_audited() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let id = app
        .post("/api/v1/customers", json!({"kind": "company", "company_name": "Exported Ltd", "division_ids": [motors]}))
        .await
        .id();
    app.post(&format!("/api/v1/customers/{id}/contacts"), json!({"name": "Contact Person"})).await;
    for n in 0..3 {
        let body = json!({"customer_id": id, "division_id": motors, "invoice_number": format!("E-{n}"), "purchased_on": "2026-10-01",
            "amount": {"amount": "10", "currency": "NGN"}});
        app.post("/api/v1/purchases", body).await;
    }
    history_rows(&app, &id, &motors, "exported");
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    assert_eq!(app.get_as(&format!("/api/v1/customers/{id}/export"), &manager).await.status, StatusCode::FORBIDDEN);
    let export = app.get(&format!("/api/v1/customers/{id}/export")).await;
    assert_eq!(export.status, StatusCode::OK, "{:?}", export.body);
    let e = &export.body;
    assert_eq!(e["customer"]["company_name"], "Exported Ltd");
    assert_eq!(e["contacts"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["purchases"].as_array().map(Vec::len), Some(3));
    assert_eq!(e["assets"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["service_records"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["interactions"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["history"][0]["action"], "created");
    let actions: Vec<String> = app.audit_of("customer", &id).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions.last().map(String::as_str), Some("exported"));
}
