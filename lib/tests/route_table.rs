//! The route table in `lib/src/http/routes.rs` is the one source of truth:
//! the routers serve exactly its routes, and the `cargo lambda watch`
//! router sends each to the same function.

mod support;

use estate::http::routes::{Function, ROUTES};
use std::collections::BTreeSet;
use support::TestApp;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn concrete(path: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    path.split('/')
        .map(|segment| if segment.starts_with('{') { id.as_str() } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

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

#[test]
fn each_function_serves_its_own_routes_only() {
    for route in ROUTES {
        let group = match route.function {
            Function::Users => "users",
            Function::Properties => "properties",
            Function::Rooms => "rooms",
        };
        let source = std::fs::read_to_string(format!("{}/src/http/{group}.rs", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(
            source.contains(&format!("\"{}\"", route.path)),
            "{} {} is not routed in http/{group}.rs",
            route.method,
            route.path
        );
    }
}

/// Reads `[workspace.metadata.lambda.watch.router]` from the workspace
/// manifest: `"/path" = [{ method = "GET", function = "users" }, ...]`.
fn watch_router() -> BTreeSet<(String, String, String)> {
    let manifest = std::fs::read_to_string(format!("{}/../Cargo.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
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
