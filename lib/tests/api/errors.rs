//! The error model: every failure is RFC 9457 problem+json with the right status.

use crate::api_cases;
use crate::support::{TestApp, registration, unreachable_dynamo_store};
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use estate::http::extract::MAX_BODY_BYTES;

api_cases!(malformed_bodies_get_precise_statuses, unknown_routes_and_methods_are_problems);

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
