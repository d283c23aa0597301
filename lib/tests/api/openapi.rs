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
fn every_route_is_documented_with_its_security() {
    let document = generated();
    let documented: usize =
        document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    assert_eq!(documented, ROUTES.len(), "the contract documents a route the table does not have, or misses one");
    for route in ROUTES.iter() {
        let operation = &document["paths"][route.path][route.method.to_lowercase()];
        assert!(operation.is_object(), "{} {} is not documented", route.method, route.path);
        let secured =
            operation["security"].as_array().is_some_and(|schemes| schemes.iter().any(|s| s.get("bearer").is_some()));
        assert_eq!(
            secured, route.needs_caller,
            "{} {}: bearer security must match the route table",
            route.method, route.path
        );
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
