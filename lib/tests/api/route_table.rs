//! The route table (`support::routes`, read from the routers' contract):
//! the routers serve exactly its routes, and the `cargo lambda watch`
//! router sends each to the same function.

use crate::support::files::workspace_manifest;
use crate::support::routes::{Function, ROUTES};
use crate::support::{TestApp, assert_declares, concrete};
use std::collections::{BTreeMap, BTreeSet};

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

/// The parts of the workspace manifest the watch router is in.
#[derive(serde::Deserialize)]
struct Manifest {
    workspace: Workspace,
}

#[derive(serde::Deserialize)]
struct Workspace {
    metadata: Metadata,
}

#[derive(serde::Deserialize)]
struct Metadata {
    lambda: Lambda,
}

#[derive(serde::Deserialize)]
struct Lambda {
    watch: Watch,
}

#[derive(serde::Deserialize)]
struct Watch {
    /// `"/path" = [{ method = "GET", function = "users" }, ...]`.
    router: BTreeMap<String, Vec<WatchRoute>>,
}

#[derive(serde::Deserialize)]
struct WatchRoute {
    method: String,
    function: String,
}

/// `[workspace.metadata.lambda.watch.router]` of the workspace manifest, as
/// (method, path, function); a route listed twice is refused.
fn watch_router() -> BTreeSet<(String, String, String)> {
    let manifest: Manifest = workspace_manifest();
    let mut routes = BTreeSet::new();
    for (path, entries) in manifest.workspace.metadata.lambda.watch.router {
        for WatchRoute { method, function } in entries {
            let listed_twice = format!("Cargo.toml: {method} {path} is in the watch router twice");
            assert!(routes.insert((method, path.clone(), function)), "{listed_twice}");
        }
    }
    routes
}

#[test]
fn the_cargo_lambda_watch_router_matches_the_route_table() {
    assert_declares("Cargo.toml [workspace.metadata.lambda.watch.router]", &watch_router(), &table());
}
