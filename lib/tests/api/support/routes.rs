//! The route table, read from the routers' own contract: every route, the
//! function that serves it and whether it needs a caller. The tests hold
//! `template.yaml`, `terraform/`, the events and the `cargo lambda watch`
//! router to it, so the routers are the one source of truth.

use estate::http::{openapi, routes};
use estate::store::MemoryStore;
use std::sync::LazyLock;

/// The Lambda function (and route group) that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Users,
    Properties,
    Rooms,
}

impl Function {
    pub const ALL: [Function; 3] = [Function::Users, Function::Properties, Function::Rooms];

    pub fn name(self) -> &'static str {
        match self {
            Function::Users => "users",
            Function::Properties => "properties",
            Function::Rooms => "rooms",
        }
    }

    /// The contract of the routes this function serves: its route group's,
    /// and for the users function also `GET /openapi.json`, which
    /// `entrypoints::run_users` mounts.
    pub fn contract(self) -> utoipa::openapi::OpenApi {
        match self {
            Function::Users => {
                let mut contract = routes::users::routes::<MemoryStore>().into_openapi();
                contract.merge(openapi::routes().into_openapi());
                contract
            }
            Function::Properties => {
                routes::properties::routes::<MemoryStore, estate::blobs::LocalBlobs>().into_openapi()
            }
            Function::Rooms => routes::rooms::routes::<MemoryStore>().into_openapi(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper case: `GET`.
    pub method: &'static str,
    /// In API Gateway and axum syntax alike: `/users/{id}`.
    pub path: &'static str,
    pub function: Function,
    /// Whether the route needs an authenticated caller (and so the authorizer).
    pub needs_caller: bool,
}

/// Every route of the API, in the order of the functions' contracts.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut table = Vec::new();
    for function in Function::ALL {
        let paths = serde_json::to_value(function.contract().paths).expect("paths serialize");
        for (path, item) in paths.as_object().expect("paths are an object") {
            for (method, operation) in item.as_object().expect("a path item is an object") {
                let security = operation["security"].as_array().map(Vec::as_slice).unwrap_or_default();
                table.push(Route {
                    method: Box::leak(method.to_uppercase().into_boxed_str()),
                    path: Box::leak(path.clone().into_boxed_str()),
                    function,
                    // A public route that takes an optional token lists an
                    // empty requirement beside the bearer one.
                    needs_caller: !security.is_empty()
                        && security.iter().all(|requirement| requirement.get("bearer").is_some()),
                });
            }
        }
    }
    table
});
