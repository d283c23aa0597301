//! The OpenAPI contract: the committed `openapi.json` is exactly what the
//! code generates, the API serves it, and it covers every route with the
//! right security and an example for every request body.

use crate::support::routes::ROUTES;
use crate::support::{TestApp, repo_path};
use serde_json::Value;

const REGENERATE: &str = "cargo run -q -p local -- --openapi > openapi.json";

fn generated() -> Value {
    serde_json::from_str(&estate::http::openapi::json()).unwrap()
}

#[test]
fn the_committed_contract_is_the_generated_one() {
    let committed = std::fs::read_to_string(repo_path("openapi.json"))
        .unwrap_or_else(|_| panic!("openapi.json is missing at the repository root: run `{REGENERATE}`"));
    assert!(
        committed == estate::http::openapi::json(),
        "openapi.json differs from what the code generates: run `{REGENERATE}` and commit it"
    );
}

#[tokio::test]
async fn the_api_serves_its_contract() {
    let reply = TestApp::memory().get("/openapi.json", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(reply.body, generated());
    assert_eq!(reply.body["openapi"], "3.1.0");
}

#[test]
fn every_route_documents_its_failures_as_problems() {
    let document = generated();
    for route in ROUTES.iter() {
        let operation = &document["paths"][route.path][route.method.to_lowercase()];
        assert!(operation.is_object(), "{} {} is not documented", route.method, route.path);
        if route.needs_caller {
            assert!(operation["responses"]["401"].is_object(), "{} {} must document 401", route.method, route.path);
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{} {} {status} must be problem+json",
                    route.method,
                    route.path
                );
            }
        }
    }
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

#[test]
fn every_request_body_has_an_example() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(body) = operation.get("requestBody") else { continue };
            let reference = body["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
            let schema = &schemas[reference.rsplit('/').next().unwrap()];
            assert!(schema["example"].is_object(), "{method} {path}: the request body has no example");
        }
    }
}

#[test]
fn creations_link_to_the_operations_on_what_they_created() {
    let document = generated();
    let links = &document["paths"]["/properties"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["AddRoom"]["operationId"], "add_room");
    assert_eq!(links["AddRoom"]["parameters"]["id"], "$response.body#/id");
    let room_links = &document["paths"]["/properties/{id}/rooms"]["post"]["responses"]["201"]["links"];
    assert_eq!(room_links["UpdateRoom"]["parameters"]["room_id"], "$response.body#/id");
    let operation_ids: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    for response in [links, room_links] {
        for link in response.as_object().unwrap().values() {
            assert!(operation_ids.contains(&link["operationId"].as_str().unwrap()), "{link} names no operation");
        }
    }
}

/// The operations that cannot fail short of a 5xx: nothing they read can
/// be wrong.
const CANNOT_FAIL: [&str; 4] = ["health", "openapi", "property_types", "feed_snapshot"];

/// What linters' recommended rulesets (Spectral's `oas` and Redocly's
/// `recommended`) ask of a contract, checked on the generated document:
/// `servers` and `info.license`; for every operation a summary, a unique
/// operationId and declared tags with descriptions; at least one 4xx
/// unless it cannot fail.
#[test]
fn the_contract_passes_the_recommended_lint_rules() {
    let document = generated();
    assert!(document["servers"].as_array().is_some_and(|servers| !servers.is_empty()), "servers are declared");
    assert!(document["info"]["license"]["name"].is_string(), "info.license is declared");
    assert!(document["info"]["description"].is_string(), "info.description is declared");
    let declared: std::collections::BTreeMap<&str, &Value> =
        document["tags"].as_array().unwrap().iter().map(|tag| (tag["name"].as_str().unwrap(), tag)).collect();
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: no summary");
            assert!(operation["description"].as_str().is_some_and(|s| !s.is_empty()), "{at}: no description");
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{at}: no operationId"));
            assert!(operation_ids.insert(id), "{at}: operationId {id} is used twice");
            let tags = operation["tags"].as_array().filter(|tags| !tags.is_empty());
            for tag in tags.unwrap_or_else(|| panic!("{at}: no tag")) {
                let tag = tag.as_str().unwrap();
                let description = declared.get(tag).and_then(|declared| declared["description"].as_str());
                assert!(
                    description.is_some_and(|d| !d.is_empty()),
                    "{at}: tag {tag} is not declared with a description"
                );
            }
            let client_errors =
                operation["responses"].as_object().unwrap().keys().filter(|s| s.starts_with('4')).count();
            assert_eq!(
                client_errors == 0,
                CANNOT_FAIL.contains(&id),
                "{at}: every operation that can fail documents a 4xx"
            );
        }
    }
}
