//! The route table: every route of the API, which function serves it and
//! whether it needs a caller. It is declared here once; tests check that
//! the routers, `template.yaml`, `terraform/` and the `cargo lambda watch`
//! router all agree with it.

/// The Lambda function (and route group) that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Users,
    Properties,
    Rooms,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Users => "users",
            Function::Properties => "properties",
            Function::Rooms => "rooms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// In API Gateway and axum syntax alike: `/users/{id}`.
    pub path: &'static str,
    pub function: Function,
    /// Whether the route needs an authenticated caller (and so the authorizer).
    pub needs_caller: bool,
}

const fn route(method: &'static str, path: &'static str, function: Function, needs_caller: bool) -> Route {
    Route { method, path, function, needs_caller }
}

use Function::*;

pub const ROUTES: &[Route] = &[
    route("GET", "/health", Users, false),
    route("GET", "/openapi.json", Users, false),
    route("POST", "/users", Users, false),
    route("POST", "/auth/token", Users, false),
    route("POST", "/auth/refresh", Users, false),
    route("POST", "/auth/sign-out", Users, false),
    route("GET", "/users/{id}", Users, false),
    route("GET", "/users/me", Users, true),
    route("PATCH", "/users/me", Users, true),
    route("PUT", "/users/me/password", Users, true),
    route("DELETE", "/users/me", Users, true),
    route("DELETE", "/users/me/sessions", Users, true),
    route("GET", "/property-types", Properties, false),
    route("GET", "/properties", Properties, false),
    route("POST", "/properties", Properties, true),
    route("GET", "/properties/{id}", Properties, false),
    route("PATCH", "/properties/{id}", Properties, true),
    route("DELETE", "/properties/{id}", Properties, true),
    route("GET", "/users/me/properties", Properties, true),
    route("GET", "/properties/{id}/rooms", Rooms, false),
    route("GET", "/properties/{id}/rooms/{room_id}", Rooms, false),
    route("POST", "/properties/{id}/rooms", Rooms, true),
    route("PATCH", "/properties/{id}/rooms/{room_id}", Rooms, true),
    route("DELETE", "/properties/{id}/rooms/{room_id}", Rooms, true),
];
