//! Every role against every endpoint, checked against the policy table
//! (`rapport_auth::policy::MATRIX`, which docs/security.md shows).

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{self, KEY_SCOPES, Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, branch, division};

/// An endpoint, the policy cell it is governed by, and how to call it.
pub struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
    resource: Resource,
    operation: Operation,
}

/// An endpoint for the matrix. Each domain's test module lists its own in a
/// `matrix_endpoints` function, creating fresh targets on every call (`n`
/// differs per call, for unique names) in the `home` division.
pub fn endpoint(
    method: Method,
    path: String,
    body: Option<Value>,
    resource: Resource,
    operation: Operation,
) -> Endpoint {
    Endpoint { method, path, body, resource, operation }
}

/// Fresh targets per call, so writes by one role do not disturb the next.
async fn endpoints(app: &TestApp, division_id: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{ApiKeys, Audit, Branches, Calendars, Divisions, Users};
    let div = division(app, &format!("D{n}X"), &format!("Division {n}")).await;
    let br = branch(app, division_id, &format!("B{n}X"), &format!("Branch {n}"), "Lagos").await;
    let spare_branch = branch(app, &div, &format!("S{n}X"), "Spare", "Lagos").await;
    let cal = app.post("/api/v1/calendars", json!({"name": format!("Cal {n}"), "time_zone": "UTC"})).await.id();
    let spare_cal = app.post("/api/v1/calendars", json!({"name": format!("Spare {n}"), "time_zone": "UTC"})).await.id();
    let spare_div = division(app, &format!("Z{n}X"), &format!("Spare division {n}")).await;
    let (user, _) = app.user_with_token(Role::Analyst, None, None);
    let (erp, _) = app.user_with_token(Role::Integration, None, None);
    let key = app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "k", "scopes": ["org:read"]})).await;
    let key_id = key.body["api_key"]["id"].as_str().expect("key id").to_owned();
    vec![
        endpoint(Method::GET, "/api/v1/divisions".into(), None, Divisions, Read),
        endpoint(Method::GET, format!("/api/v1/divisions/{div}"), None, Divisions, Read),
        endpoint(
            Method::POST,
            "/api/v1/divisions".into(),
            Some(json!({"code": format!("N{n}X"), "name": format!("New {n}")})),
            Divisions,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/divisions/{div}"),
            Some(json!({"name": format!("Renamed {n}"), "version": 1})),
            Divisions,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/divisions/{spare_div}"), None, Divisions, Delete),
        endpoint(Method::GET, "/api/v1/branches".into(), None, Branches, Read),
        endpoint(Method::GET, format!("/api/v1/branches/{br}"), None, Branches, Read),
        endpoint(
            Method::POST,
            "/api/v1/branches".into(),
            Some(json!({"division_id": div, "code": format!("C{n}X"), "name": "New"})),
            Branches,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/branches/{br}"),
            Some(json!({"city": "Abuja", "version": 1})),
            Branches,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/branches/{spare_branch}"), None, Branches, Delete),
        endpoint(Method::GET, "/api/v1/calendars".into(), None, Calendars, Read),
        endpoint(Method::GET, format!("/api/v1/calendars/{cal}"), None, Calendars, Read),
        endpoint(
            Method::POST,
            "/api/v1/calendars".into(),
            Some(json!({"name": format!("New {n}"), "time_zone": "UTC"})),
            Calendars,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/calendars/{cal}"),
            Some(json!({"name": format!("Renamed {n}"), "version": 1})),
            Calendars,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/calendars/{spare_cal}"), None, Calendars, Delete),
        endpoint(Method::GET, "/api/v1/users".into(), None, Users, Read),
        endpoint(Method::GET, format!("/api/v1/users/{user}"), None, Users, Read),
        endpoint(
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"email": format!("new{n}@example.com"), "name": "N", "role": "integration"})),
            Users,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/users/{user}"),
            Some(json!({"name": "Renamed", "version": 1})),
            Users,
            Update,
        ),
        endpoint(Method::GET, "/api/v1/api-keys".into(), None, ApiKeys, Read),
        endpoint(
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({"user_id": erp, "name": "n", "scopes": ["org:read"]})),
            ApiKeys,
            Create,
        ),
        endpoint(Method::DELETE, format!("/api/v1/api-keys/{key_id}"), None, ApiKeys, Delete),
        endpoint(Method::GET, "/api/v1/audit".into(), None, Audit, Read),
        endpoint(Method::GET, "/api/v1/events".into(), None, Resource::Events, Read),
    ]
    .into_iter()
    .chain(crate::customers::matrix_endpoints(app, division_id, n).await)
    .chain(crate::custom_fields::matrix_endpoints(app, division_id, n).await)
    .chain(crate::purchases::matrix_endpoints(app, division_id, n).await)
    .chain(crate::assets::matrix_endpoints(app, division_id, n).await)
    .chain(crate::service_records::matrix_endpoints(app, division_id, n).await)
    .chain(crate::interactions::matrix_endpoints(app, division_id, n).await)
    .chain(crate::pipelines::matrix_endpoints(app, division_id, n).await)
    .chain(crate::leads::matrix_endpoints(app, division_id, n).await)
    .chain(crate::lead_routing::matrix_endpoints(app, division_id, n).await)
    .chain(crate::intake::matrix_endpoints(app, division_id, n).await)
    .chain(crate::tickets::matrix_endpoints(app, division_id, n).await)
    .chain(crate::ticket_slas::matrix_endpoints(app, division_id, n).await)
    .chain(crate::ticket_queues::matrix_endpoints(app, division_id, n).await)
    .chain(crate::ticket_desk::matrix_endpoints(app, division_id, n).await)
    .chain(crate::tasks::matrix_endpoints(app, division_id, n).await)
    .chain(crate::jobs::matrix_endpoints(app, division_id, n).await)
    .chain(crate::automation::matrix_endpoints(app, division_id, n).await)
    .chain(crate::webhooks::matrix_endpoints(app, division_id, n).await)
    .chain(crate::metrics::matrix_endpoints(app, division_id, n).await)
    .collect()
}

fn request(e: &Endpoint) -> TestRequest {
    let req = TestRequest::default().method(e.method.clone()).uri(&e.path);
    match &e.body {
        Some(body) => req.set_json(body),
        None => req,
    }
}

#[actix_web::test]
async fn every_role_gets_what_the_policy_says_on_every_endpoint() {
    let mut app = TestApp::new().await;
    let home = division(&app, "HOME", "Home division").await;
    let mut covered = std::collections::HashSet::new();
    for (n, role) in Role::ALL.into_iter().enumerate() {
        // The whole walk can outlast an access token's 15 minutes on a busy
        // debug build: the admin setting up each role's targets signs anew.
        app.admin_token = app.keys().issue(&app.admin_id, chrono::Utc::now()).expect("token").0;
        let token = if role == Role::Integration {
            let (erp, _) = app.user_with_token(Role::Integration, None, None);
            let key = app.post("/api/v1/api-keys", json!({"user_id": erp, "name": "all", "scopes": KEY_SCOPES})).await;
            key.body["key"].as_str().expect("key").to_owned()
        } else {
            app.user_with_token(role, Some(&home), None).1
        };
        for e in endpoints(&app, &home, n).await {
            let expected = policy::rule(role, e.resource, e.operation);
            let reply = app.call_as(request(&e), Some(&token)).await;
            let what = format!("{} {} {} as {}", e.method, e.path, e.resource.as_str(), role.as_str());
            match expected {
                None => {
                    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}: {:?}", reply.body);
                    assert_eq!(reply.code(), "forbidden", "{what}");
                }
                // Allowed: success, or not found when the record is out of scope.
                Some(_) => assert!(
                    reply.status.is_success() || reply.status == StatusCode::NOT_FOUND,
                    "{what}: {} {:?}",
                    reply.status,
                    reply.body
                ),
            }
            // Without credentials every one of them is a 401.
            let anonymous = app.call_as(request(&e), None).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{what} without a token");
            covered.insert((e.resource, e.operation));
        }
    }
    for (resource, operation, _) in policy::MATRIX {
        assert!(covered.contains(&(*resource, *operation)), "no endpoint exercised {resource:?} {operation:?}");
    }
}

/// Every operation in the spec that requires authentication is in the list above.
#[actix_web::test]
async fn the_matrix_covers_every_protected_operation() {
    let app = TestApp::new().await;
    let home = division(&app, "HOME", "Home division").await;
    let listed: std::collections::HashSet<(String, String)> =
        endpoints(&app, &home, 0).await.iter().map(|e| (e.method.as_str().to_lowercase(), template(&e.path))).collect();
    let spec: Value = serde_json::to_value(rapport_server::openapi_spec()).expect("spec");
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
            // The signed-in user's own account and inbox: no role rule applies.
            let own_account = path.starts_with("/api/v1/auth/") || path.starts_with("/api/v1/notifications");
            // Intake takes an intake source's key, not a user: tests/api/intake.rs.
            let intake_key = path.starts_with("/api/v1/intake/");
            if public || own_account || intake_key {
                continue;
            }
            assert!(listed.contains(&(method.clone(), path.clone())), "{method} {path} is not in the matrix test");
        }
    }
}

/// `/api/v1/divisions/0193…` → `/api/v1/divisions/{id}`;
/// `/api/v1/customers/0193…/contacts/0193…` → `…/{id}/contacts/{contact_id}`;
/// `…/by-external-id/erp/C-1` → `…/by-external-id/{source}/{external_id}`.
fn template(path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.split('/') {
        let after_external = parts.last().is_some_and(|p| p == "by-external-id");
        let after_source = parts.len() >= 2 && parts[parts.len() - 2] == "by-external-id";
        let after_reports = parts.last().is_some_and(|p| p == "reports");
        parts.push(if after_reports {
            "{kpi}".to_owned()
        } else if after_external {
            "{source}".to_owned()
        } else if after_source {
            "{external_id}".to_owned()
        } else if uuid::Uuid::try_parse(part).is_ok() {
            let first = !parts.iter().any(|p| p.starts_with('{'));
            match parts.last().and_then(|p| p.strip_suffix('s')) {
                Some(noun) if !first => format!("{{{noun}_id}}"),
                _ => "{id}".to_owned(),
            }
        } else {
            part.to_owned()
        });
    }
    parts.join("/")
}
