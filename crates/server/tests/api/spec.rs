//! The OpenAPI document: the checked-in copy is current, and every
//! operation declares what clients need.

use std::path::PathBuf;

use serde_json::Value;

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// `api-spec/openapi.json` must equal what the code produces. Run with
/// `UPDATE_OPENAPI=1` to rewrite it.
#[test]
fn checked_in_spec_is_current() {
    let generated = rapport_server::cli::openapi_json().expect("spec renders") + "\n";
    let path = repo_file("api-spec/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write spec");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "api-spec/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p rapport-server --test api spec` and commit it"
    );
}

#[test]
fn every_operation_has_a_tag_problems_and_security() {
    let spec: Value = serde_json::to_value(rapport_server::openapi_spec()).expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let name = format!("{method} {path}");
            operations += 1;
            assert!(op["operationId"].is_string(), "{name}: no operationId");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{name}: no tag");
            assert!(op["summary"].is_string(), "{name}: no summary");
            assert!(op["security"].is_array(), "{name}: no security declaration");
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|s| s.starts_with('4') || s == "500"), "{name}: no problem response");
            assert!(responses.contains_key("500"), "{name}: no 500 response");
            for (status, response) in responses {
                assert!(
                    response["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{name} {status}: no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{name} {status}: not problem+json"
                    );
                }
            }
        }
    }
    assert!(operations >= 17, "only {operations} operations in the spec");
}

/// Every error code the server can answer with is documented.
#[test]
fn every_error_code_is_documented() {
    let source = std::fs::read_to_string(repo_file("crates/server/src/error.rs")).expect("error.rs");
    let docs = std::fs::read_to_string(repo_file("docs/errors.md")).expect("docs/errors.md");
    let codes: Vec<&str> = source
        .split("S::")
        .skip(1)
        .filter_map(|rest| rest.split_once(',').map(|(_, after)| after.trim_start()))
        .filter_map(|after| after.strip_prefix('"').and_then(|a| a.split('"').next()))
        .filter(|code| !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert!(codes.len() >= 15, "found only {codes:?}");
    for code in codes {
        assert!(docs.contains(&format!("`{code}`")), "docs/errors.md does not document `{code}`");
    }
    // Conflict codes raised by the domain.
    assert!(docs.contains("`still_referenced`"));
}
