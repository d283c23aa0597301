//! The route table (`support::routes`, read from the routers' contract):
//! the routers serve exactly its routes, and the `cargo lambda watch`
//! router sends each to the same function.

use crate::support::routes::{Function, ROUTES};
use crate::support::{TestApp, concrete, read_repo_file};
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn table() -> BTreeSet<(String, String, String)> {
    ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function.name().to_owned())).collect()
}

#[tokio::test]
async fn the_routers_serve_exactly_the_route_table() {
    let app = TestApp::memory();
    let paths: BTreeSet<&str> = ROUTES.iter().map(|route| route.path).collect();
    for path in paths {
        for method in METHODS {
            let listed = ROUTES.iter().any(|route| route.path == path && route.method == method);
            let reply = app.call(method, &concrete(path), None, None).await;
            let unrouted = reply.status == 405 || reply.body["detail"] == "No resource exists at this path.";
            assert_eq!(!unrouted, listed, "{method} {path} answered {} {}", reply.status, reply.body);
        }
    }
}

/// The (method, path) pairs of a contract.
fn registered(document: utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
    let paths = serde_json::to_value(document.paths).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in paths.as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// Each route is served by exactly one function, and together they serve
/// the whole contract.
#[test]
fn the_functions_share_out_the_whole_contract() {
    let mut served = BTreeSet::new();
    for function in Function::ALL {
        for route in registered(function.contract()) {
            assert!(served.insert(route.clone()), "{route:?} is served by two functions");
        }
    }
    assert_eq!(served, registered(estate::http::openapi::document()));
}

/// Reads `[workspace.metadata.lambda.watch.router]` from the workspace
/// manifest: `"/path" = [{ method = "GET", function = "users" }, ...]`.
fn watch_router() -> BTreeSet<(String, String, String)> {
    let manifest = read_repo_file("Cargo.toml");
    let section = manifest.split("[workspace.metadata.lambda.watch.router]").nth(1).expect("the watch router section");
    let section = section.split("\n[").next().unwrap();
    let quoted = |text: &str, key: &str| {
        let start = text.find(&format!("{key} = \""))? + key.len() + 4;
        Some(text[start..].split('"').next()?.to_owned())
    };
    let mut routes = BTreeSet::new();
    let mut path = String::new();
    for line in section.lines() {
        let mut entries = line;
        if let Some(rest) = line.strip_prefix('"') {
            let (quoted_path, after) = rest.split_once('"').unwrap();
            path = quoted_path.to_owned();
            entries = after;
        }
        for entry in entries.split("{ ").skip(1) {
            routes.insert((quoted(entry, "method").unwrap(), path.clone(), quoted(entry, "function").unwrap()));
        }
    }
    routes
}

#[test]
fn the_cargo_lambda_watch_router_matches_the_route_table() {
    assert_eq!(watch_router(), table());
}
