//! Pipelines, stages, lost reasons and the board.

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Role;
use serde_json::{Value, json};

use crate::matrix::{Endpoint, endpoint};
use crate::support::{TestApp, division};

/// A pipeline and its stages: new (open), qualified (open), won, lost.
pub struct Pipeline {
    pub id: String,
    pub new: String,
    pub qualified: String,
    pub won: String,
    pub lost: String,
}

/// Creates a complete pipeline in `division_id`.
pub async fn pipeline(app: &TestApp, division_id: &str, name: &str) -> Pipeline {
    let body = json!({
        "division_id": division_id,
        "name": name,
        "stages": [
            {"name": "New inquiry", "kind": "open", "follow_up_minutes": 240},
            {"name": "Qualified", "kind": "open", "win_probability": 40, "follow_up_minutes": 1440},
            {"name": "Invoiced", "kind": "won"},
            {"name": "Lost", "kind": "lost"}
        ]
    });
    let reply = app.post("/api/v1/pipelines", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let stage = |i: usize| reply.body["stages"][i]["id"].as_str().expect("stage id").to_owned();
    Pipeline { id: reply.id(), new: stage(0), qualified: stage(1), won: stage(2), lost: stage(3) }
}

/// Creates a lost reason and returns its id.
pub async fn lost_reason(app: &TestApp, name: &str) -> String {
    let reply = app.post("/api/v1/lost-reasons", json!({"name": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.id()
}

/// This module's endpoints for the access-matrix test.
pub async fn matrix_endpoints(app: &TestApp, home: &str, n: usize) -> Vec<Endpoint> {
    use Operation::{Create, Delete, Read, Update};
    use Resource::{LostReasons, Pipelines};
    let target = pipeline(app, home, &format!("Matrix {n}")).await;
    let spare = pipeline(app, home, &format!("Spare {n}")).await;
    // Each stage edit on its own pipeline, so each sees version 1.
    let staged = pipeline(app, home, &format!("Staged {n}")).await;
    let ordered = pipeline(app, home, &format!("Ordered {n}")).await;
    let trimmed = pipeline(app, home, &format!("Trimmed {n}")).await;
    let reason = lost_reason(app, &format!("Reason {n}")).await;
    let spare_reason = lost_reason(app, &format!("Spare reason {n}")).await;
    let p = &target.id;
    vec![
        endpoint(Method::GET, "/api/v1/pipelines".into(), None, Pipelines, Read),
        endpoint(Method::GET, format!("/api/v1/pipelines/{p}"), None, Pipelines, Read),
        // The board aggregates leads, so it is governed by reading leads.
        endpoint(Method::GET, format!("/api/v1/pipelines/{p}/board"), None, Resource::Leads, Read),
        endpoint(
            Method::POST,
            "/api/v1/pipelines".into(),
            Some(json!({"division_id": home, "name": format!("New {n}")})),
            Pipelines,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/pipelines/{p}"),
            Some(json!({"name": format!("Renamed {n}"), "version": 1})),
            Pipelines,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/pipelines/{}", spare.id), None, Pipelines, Delete),
        endpoint(
            Method::POST,
            format!("/api/v1/pipelines/{p}/stages"),
            Some(json!({"name": "Test drive", "kind": "open"})),
            Pipelines,
            Update,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/pipelines/{}/stages/{}", staged.id, staged.qualified),
            Some(json!({"win_probability": 50, "version": 1})),
            Pipelines,
            Update,
        ),
        endpoint(
            Method::PUT,
            format!("/api/v1/pipelines/{}/stages/order", ordered.id),
            Some(json!({"stage_ids": [ordered.qualified, ordered.new, ordered.won, ordered.lost], "version": 1})),
            Pipelines,
            Update,
        ),
        endpoint(
            Method::DELETE,
            format!("/api/v1/pipelines/{}/stages/{}", trimmed.id, trimmed.new),
            None,
            Pipelines,
            Update,
        ),
        endpoint(Method::GET, "/api/v1/lost-reasons".into(), None, LostReasons, Read),
        endpoint(Method::GET, format!("/api/v1/lost-reasons/{reason}"), None, LostReasons, Read),
        endpoint(
            Method::POST,
            "/api/v1/lost-reasons".into(),
            Some(json!({"name": format!("New reason {n}")})),
            LostReasons,
            Create,
        ),
        endpoint(
            Method::PATCH,
            format!("/api/v1/lost-reasons/{reason}"),
            Some(json!({"position": 3, "version": 1})),
            LostReasons,
            Update,
        ),
        endpoint(Method::DELETE, format!("/api/v1/lost-reasons/{spare_reason}"), None, LostReasons, Delete),
    ]
}

fn names(pipeline: &Value) -> Vec<String> {
    pipeline["stages"]
        .as_array()
        .map_or_else(Vec::new, |s| s.iter().map(|s| s["name"].as_str().unwrap_or_default().to_owned()).collect())
}

#[actix_web::test]
async fn a_pipeline_and_its_stages_are_created_edited_reordered_and_removed() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Motors sales").await;
    let path = format!("/api/v1/pipelines/{}", p.id);
    let read = app.get(&path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body["accepts_leads"], true);
    assert_eq!(names(&read.body), ["New inquiry", "Qualified", "Invoiced", "Lost"]);
    assert_eq!(read.body["stages"][0]["win_probability"], 10, "open default");
    assert_eq!(read.body["stages"][2]["win_probability"], 100, "won default");

    let renamed = app.patch(&path, Some(1), json!({"name": "Motors retail"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["version"], 2);
    let stale = app.patch(&path, Some(1), json!({"name": "Other"})).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    let added = app
        .call(
            TestRequest::post()
                .uri(&format!("{path}/stages"))
                .insert_header(("if-match", "\"2\""))
                .set_json(json!({"name": "Test drive", "kind": "open", "position": 2, "follow_up_minutes": 2880})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!(names(&added.body), ["New inquiry", "Qualified", "Test drive", "Invoiced", "Lost"]);
    let drive = added.body["stages"][2]["id"].as_str().expect("id").to_owned();

    let order = json!({"stage_ids": [p.qualified, p.new, drive, p.won, p.lost], "version": 3});
    let reordered = app.call(TestRequest::put().uri(&format!("{path}/stages/order")).set_json(order)).await;
    assert_eq!(reordered.status, StatusCode::OK, "{:?}", reordered.body);
    assert_eq!(names(&reordered.body), ["Qualified", "New inquiry", "Test drive", "Invoiced", "Lost"]);
    let missing = json!({"stage_ids": [p.qualified, p.new], "version": 4});
    let refused = app.call(TestRequest::put().uri(&format!("{path}/stages/order")).set_json(missing)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["code"], "not_a_permutation");

    let changed = app
        .patch(
            &format!("{path}/stages/{drive}"),
            Some(4),
            json!({"name": "Test drive booked", "follow_up_minutes": null}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["stages"][2]["follow_up_minutes"], Value::Null);
    let deleted = app.delete(&format!("{path}/stages/{drive}")).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(names(&deleted.body), ["Qualified", "New inquiry", "Invoiced", "Lost"]);
    let positions: Vec<i64> =
        deleted.body["stages"].as_array().expect("stages").iter().filter_map(|s| s["position"].as_i64()).collect();
    assert_eq!(positions, [0, 1, 2, 3], "positions close the gap");
    let actions: Vec<String> = app.audit_of("pipeline", &p.id).into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["created", "updated", "updated", "updated", "updated", "updated"]);

    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT, "never held a lead");
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn bad_pipelines_are_refused_whole() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let (pipelines, stages) = (app.count("pipelines"), app.count("pipeline_stages"));
    let body = json!({
        "division_id": motors,
        "name": " ",
        "stages": [
            {"name": "New", "kind": "open", "win_probability": 101, "follow_up_minutes": 0},
            {"name": "new", "kind": "won"}
        ]
    });
    let reply = app.post("/api/v1/pipelines", body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(
        reply.error_fields(),
        ["name", "stages[0].win_probability", "stages[0].follow_up_minutes", "stages[1].name"]
    );
    assert_eq!((app.count("pipelines"), app.count("pipeline_stages")), (pipelines, stages), "nothing stored");
    let bad_kind = app
        .post(
            "/api/v1/pipelines",
            json!({"division_id": motors, "name": "X", "stages": [{"name": "A", "kind": "maybe"}]}),
        )
        .await;
    assert_eq!(bad_kind.status, StatusCode::BAD_REQUEST);
    let duplicate = pipeline(&app, &motors, "Sales").await;
    let again = app.post("/api/v1/pipelines", json!({"division_id": motors, "name": "Sales"})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.code(), "duplicate");
    let incomplete = app.post("/api/v1/pipelines", json!({"division_id": motors, "name": "Draft"})).await;
    assert_eq!(incomplete.body["accepts_leads"], false);
    assert!(!duplicate.id.is_empty());
    let anonymous = app.call_as(TestRequest::get().uri("/api/v1/pipelines"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn managers_edit_only_their_own_divisions_pipelines() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let theirs = pipeline(&app, &power, "Power sales").await;
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let other = json!({"division_id": power, "name": "Mine"});
    let refused = app.call_as(TestRequest::post().uri("/api/v1/pipelines").set_json(other), Some(&manager)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["code"], "outside_scope");
    let own = json!({"division_id": motors, "name": "Mine"});
    let created = app.call_as(TestRequest::post().uri("/api/v1/pipelines").set_json(own), Some(&manager)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let patch = TestRequest::patch()
        .uri(&format!("/api/v1/pipelines/{}", theirs.id))
        .set_json(json!({"name": "X", "version": 1}));
    assert_eq!(app.call_as(patch, Some(&manager)).await.status, StatusCode::NOT_FOUND);
    let read = app.get_as(&format!("/api/v1/pipelines/{}", theirs.id), &manager).await;
    assert_eq!(read.status, StatusCode::OK, "pipelines are readable by all");
    let (_, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let by_rep = app
        .call_as(
            TestRequest::post().uri("/api/v1/pipelines").set_json(json!({"division_id": motors, "name": "R"})),
            Some(&rep),
        )
        .await;
    assert_eq!(by_rep.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn lost_reasons_are_managed_by_admins_and_archived_once_used() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let price = lost_reason(&app, "Price too high").await;
    let spare = lost_reason(&app, "Spare").await;
    let dup = app.post("/api/v1/lost-reasons", json!({"name": "Price too high"})).await;
    assert_eq!(dup.code(), "duplicate");
    let blank = app.post("/api/v1/lost-reasons", json!({"name": ""})).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.delete(&format!("/api/v1/lost-reasons/{spare}")).await.status, StatusCode::NO_CONTENT);
    let p = pipeline(&app, &motors, "Sales").await;
    let lead = json!({"prospect_name": "Ola", "prospect_phone": "08031234567", "source": "phone",
        "division_id": motors, "pipeline_id": p.id, "stage_id": p.lost, "lost_reason_id": price});
    assert_eq!(app.post("/api/v1/leads", lead).await.status, StatusCode::CREATED);
    let archived = app.delete(&format!("/api/v1/lost-reasons/{price}")).await;
    assert_eq!(archived.status, StatusCode::OK, "{:?}", archived.body);
    assert!(archived.body["archived_at"].is_string());
    let listed = app.get("/api/v1/lost-reasons").await;
    assert_eq!(listed.body["data"], json!([]));
    let all = app.get("/api/v1/lost-reasons?include_archived=true").await;
    assert_eq!(all.body["data"].as_array().map(Vec::len), Some(1));
    let (_, manager) = app.user_with_token(Role::Manager, Some(&motors), None);
    let by_manager = app
        .call_as(TestRequest::post().uri("/api/v1/lost-reasons").set_json(json!({"name": "M"})), Some(&manager))
        .await;
    assert_eq!(by_manager.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn stages_holding_leads_cannot_be_deleted_and_the_board_counts_them() {
    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let (rep_id, rep) = app.user_with_token(Role::SalesRep, Some(&motors), None);
    let lead = |stage: &str, amount: Option<&str>, currency: &str| {
        let mut body = json!({"prospect_name": "Ola", "prospect_email": "ola@example.com", "source": "website",
            "division_id": motors, "pipeline_id": p.id, "stage_id": stage});
        if let Some(amount) = amount {
            body["expected_value"] = json!({"amount": amount, "currency": currency});
        }
        body
    };
    for body in [
        lead(&p.new, Some("1000.50"), "NGN"),
        lead(&p.new, Some("2000.00"), "NGN"),
        lead(&p.new, Some("10.00"), "USD"),
        lead(&p.qualified, None, "NGN"),
    ] {
        assert_eq!(app.post("/api/v1/leads", body).await.status, StatusCode::CREATED);
    }
    let mine = app
        .call_as(TestRequest::post().uri("/api/v1/leads").set_json(lead(&p.qualified, Some("5.00"), "NGN")), Some(&rep))
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    assert_eq!(mine.body["owner_id"], rep_id.as_str());

    let refused = app.delete(&format!("/api/v1/pipelines/{}/stages/{}", p.id, p.new)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "stage_not_empty");
    let kind =
        app.patch(&format!("/api/v1/pipelines/{}/stages/{}", p.id, p.new), Some(1), json!({"kind": "won"})).await;
    assert_eq!(kind.code(), "stage_not_empty");

    let board = app.get(&format!("/api/v1/pipelines/{}/board", p.id)).await;
    assert_eq!(board.status, StatusCode::OK, "{:?}", board.body);
    let columns = &board.body["columns"];
    assert_eq!(columns[0]["count"], 3);
    assert_eq!(
        columns[0]["expected_value"],
        json!([{"amount": "3000.50", "currency": "NGN"}, {"amount": "10.00", "currency": "USD"}])
    );
    assert_eq!(columns[1]["count"], 2);
    assert_eq!(columns[1]["expected_value"], json!([{"amount": "5.00", "currency": "NGN"}]));
    assert_eq!(columns[2]["count"], 0);
    let own = app.get_as(&format!("/api/v1/pipelines/{}/board", p.id), &rep).await;
    let counts: Vec<i64> =
        own.body["columns"].as_array().expect("columns").iter().filter_map(|c| c["count"].as_i64()).collect();
    assert_eq!(counts, [0, 1, 0, 0], "a rep's board counts their own leads");
    let archived = app.delete(&format!("/api/v1/pipelines/{}", p.id)).await;
    assert_eq!(archived.status, StatusCode::OK, "leads refer to it, so it is archived");
    assert_eq!(archived.body["accepts_leads"], false);
}

async fn lead_version(app: &TestApp, id: &str) -> i64 {
    app.get(&format!("/api/v1/leads/{id}")).await.body["version"].as_i64().expect("version")
}

/// The board reads totals that triggers keep; after creates, moves (forward,
/// lost, backwards), owner, branch and value changes, a hand-over to another
/// division and a delete, they equal a recount of the leads for every scope.
#[actix_web::test]
async fn the_maintained_board_equals_a_recount_after_every_kind_of_lead_write() {
    use rapport_core::principal::{Reach, Scope};
    use rapport_leads::pipeline::board;

    let app = TestApp::new().await;
    let motors = division(&app, "MOT", "Motors").await;
    let power = division(&app, "PWR", "Power").await;
    let vi = crate::support::branch(&app, &motors, "VI", "Victoria Island", "Lagos").await;
    let ik = crate::support::branch(&app, &motors, "IK", "Ikeja", "Lagos").await;
    let p = pipeline(&app, &motors, "Sales").await;
    let q = pipeline(&app, &power, "Power sales").await;
    let reason = lost_reason(&app, "Price").await;
    let (rep_a, rep_a_token) = app.user_with_token(Role::SalesRep, Some(&motors), Some(&vi));
    let (rep_b, _) = app.user_with_token(Role::SalesRep, Some(&motors), Some(&ik));

    let mut ids = Vec::new();
    for i in 0..10_usize {
        let mut body = json!({"prospect_name": format!("Prospect {i}"), "prospect_phone": format!("0803 000 10{i:02}"),
            "source": "walk_in", "division_id": motors, "pipeline_id": p.id,
            "stage_id": if i % 3 == 0 { &p.qualified } else { &p.new }});
        if i % 4 != 3 {
            body["expected_value"] =
                json!({"amount": format!("{}.25", 1000 * (i + 1)), "currency": if i % 5 == 0 { "USD" } else { "NGN" }});
        }
        match i % 3 {
            0 => body["owner_id"] = json!(rep_a),
            1 => body["owner_id"] = json!(rep_b),
            _ => {}
        }
        if i % 2 == 0 {
            body["branch_id"] = json!(if i % 4 == 0 { &vi } else { &ik });
        }
        let reply = app.post("/api/v1/leads", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        ids.push(reply.id());
    }
    let own = json!({"prospect_name": "Own", "prospect_email": "own@example.com", "source": "website",
        "division_id": motors, "pipeline_id": p.id, "expected_value": {"amount": "7.00", "currency": "NGN"}});
    let mine = app.call_as(TestRequest::post().uri("/api/v1/leads").set_json(own), Some(&rep_a_token)).await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);

    let mv = |id: &str, to: &str, extra: Value| {
        let mut body = json!({"to_stage_id": to});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        (format!("/api/v1/leads/{id}/move"), body)
    };
    for (id, to, extra) in [
        (&ids[1], &p.qualified, json!({})),
        (&ids[2], &p.lost, json!({"lost_reason_id": reason})),
        (&ids[2], &p.new, json!({})),
        (&ids[4], &p.won, json!({})),
    ] {
        let (url, mut body) = mv(id, to, extra);
        body["version"] = json!(lead_version(&app, id).await);
        let reply = app.post(&url, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    for (id, patch) in [
        (&ids[5], json!({"owner_id": rep_a, "branch_id": vi})),
        (&ids[6], json!({"expected_value": {"amount": "1.50", "currency": "USD"}})),
        (&ids[7], json!({"expected_value": null})),
        (&ids[3], json!({"owner_id": null, "branch_id": null})),
    ] {
        let v = lead_version(&app, id).await;
        let reply = app.patch(&format!("/api/v1/leads/{id}"), Some(v), patch).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    let v = lead_version(&app, &ids[8]).await;
    let handed = app
        .post(
            &format!("/api/v1/leads/{}/qualify", ids[8]),
            json!({"division_id": power, "pipeline_id": q.id, "version": v}),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{:?}", handed.body);
    assert!(app.delete(&format!("/api/v1/leads/{}", ids[9])).await.status.is_success());

    let reaches = [
        Reach::everything(),
        Reach { scope: Scope::Division, user_id: rep_a.clone(), division_id: Some(motors.clone()), branch_id: None },
        Reach { scope: Scope::Division, user_id: rep_a.clone(), division_id: Some(power.clone()), branch_id: None },
        Reach { scope: Scope::Branch, user_id: rep_a.clone(), division_id: Some(motors.clone()), branch_id: Some(vi) },
        Reach { scope: Scope::Branch, user_id: rep_b.clone(), division_id: Some(motors.clone()), branch_id: Some(ik) },
        Reach { scope: Scope::Branch, user_id: rep_b.clone(), division_id: Some(motors.clone()), branch_id: None },
        Reach { scope: Scope::Own, user_id: rep_a, division_id: Some(motors.clone()), branch_id: None },
        Reach { scope: Scope::Own, user_id: rep_b, division_id: Some(motors), branch_id: None },
        Reach { scope: Scope::Own, user_id: String::new(), division_id: None, branch_id: None },
    ];
    let mut conn = app.db().read().expect("conn");
    let mut nonempty = 0;
    for reach in &reaches {
        for pipeline_id in [&p.id, &q.id] {
            let kept = board::board(&mut conn, reach, pipeline_id).expect("board");
            let recounted = board::board_recounted(&mut conn, reach, pipeline_id).expect("recount");
            assert_eq!(kept, recounted, "{reach:?} on {pipeline_id}");
            nonempty += usize::from(kept.columns.iter().any(|c| c.count > 0));
        }
    }
    assert!(nonempty >= 7, "the scopes above see leads: {nonempty}");
}
