//! The error model: every failure is RFC 9457 problem+json with the right status.

use crate::on_both_stores;
use crate::support::{TestApp, registration, unreachable_dynamo_store};
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use estate::http::request::extract::MAX_BODY_BYTES;

on_both_stores!(
    app:
    malformed_bodies_get_precise_statuses,
    every_missing_null_or_invalid_member_is_named_at_once,
    unknown_routes_and_methods_are_problems
);

async fn malformed_bodies_get_precise_statuses(app: TestApp) {
    let post = |content_type: &str, body: String| {
        Request::post("/users").header("content-type", content_type).body(Body::from(body)).unwrap()
    };
    let reply = app.send(post("application/json", "{\"email\": ".into())).await;
    reply.problem(400);
    let reply = app.send(post("text/plain", registration("a@example.com").to_string())).await;
    reply.problem(415);
    let reply = app.send(Request::post("/users").body(Body::from("{}")).unwrap()).await;
    reply.problem(415);
    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
    let reply = app.send(post("application/json", huge)).await;
    reply.problem(413);
    let reply = app.send(post("application/json", "[]".into())).await;
    assert_eq!(reply.invalid_fields(), ["body"]);
}

async fn every_missing_null_or_invalid_member_is_named_at_once(app: TestApp) {
    let reply = app.call("POST", "/users", None, Some(serde_json::json!({}))).await;
    assert_eq!(reply.invalid_fields(), ["email", "password", "first_name", "last_name", "birth_date"]);
    let body = serde_json::json!({"email": null, "password": 8, "first_name": "", "last_name": "L"});
    let reply = app.call("POST", "/users", None, Some(body)).await;
    assert_eq!(reply.invalid_fields(), ["email", "password", "first_name", "birth_date"]);

    let (_, token) = app.register("many@example.com").await;
    let body = serde_json::json!({
        "name": null,
        "type": "castle",
        "rooms": [{"name": "", "kind": "bedroom", "area_m2": 10}, {"kind": "hall", "area_m2": 0, "colour": "red"}],
    });
    let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
    let fields = reply.invalid_fields();
    assert_eq!(
        fields,
        ["name", "type", "city", "rooms[0].name", "rooms[1].colour"],
        "an unknown member of a room is named before that room's other members are read"
    );
    let body =
        serde_json::json!({"name": "N", "type": "loft", "city": "Lyon", "rooms": [{"kind": "hall", "area_m2": 0}]});
    let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
    assert_eq!(reply.invalid_fields(), ["rooms[0].name", "rooms[0].kind", "rooms[0].area_m2"]);
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    app.get("/no/such/route", None).await.problem(404);
    app.get("/", None).await.problem(404);
    let reply = app.call("POST", "/users/me", None, None).await;
    reply.problem(405);
    let reply = app.call("DELETE", "/auth/token", None, None).await;
    reply.problem(405);
    assert_eq!(app.get("/health", None).await.status, 200);
}

#[tokio::test]
async fn a_panicking_handler_answers_a_problem_not_a_dropped_connection() {
    async fn explode() -> &'static str {
        panic!("boom")
    }
    let router = estate::http::finish(axum::Router::new().route("/boom", get(explode)));
    let response =
        tower::ServiceExt::oneshot(router, Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff", "finished like every answer");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("boom"), "the panic message leaked");
}

#[tokio::test]
async fn an_unreachable_store_is_a_503_without_internals() {
    let app = TestApp::new(unreachable_dynamo_store());
    let reply = app.get(&format!("/users/{}", uuid::Uuid::now_v7()), None).await;
    let problem = reply.problem(503);
    assert!(!problem.to_string().contains("127.0.0.1"), "internals leaked: {problem}");
    assert_eq!(reply.header("retry-after"), "1");
}
