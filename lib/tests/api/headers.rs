//! The headers every answer carries, whatever answers: a route, the
//! error model, the fallbacks or the panic guard.

use crate::support::{Reply, TestApp, new_property};

/// `X-Content-Type-Options: nosniff` on every answer, so no browser reads a
/// JSON answer (or a problem quoting the caller's input) as HTML or script.
#[tokio::test]
async fn every_answer_forbids_content_sniffing() {
    let app = TestApp::memory();
    let (_, token) = app.register("nosniff@example.com").await;
    let mut answers: Vec<(&str, Reply)> = Vec::new();

    answers.push(("200 JSON", app.get("/health", None).await));
    let created = app.call("POST", "/properties", Some(&token), Some(new_property("Loft", "Lyon", "loft", 1))).await;
    let id = created.body["id"].as_str().expect("the created property's id").to_owned();
    answers.push(("201", created));
    answers.push(("204", app.call("DELETE", &format!("/properties/{id}"), Some(&token), None).await));
    answers.push(("401 problem", app.get("/users/me", None).await));
    answers.push(("422 problem", app.call("POST", "/users", None, Some(serde_json::json!({}))).await));
    answers.push(("404 fallback", app.get("/no/such/route", None).await));
    answers.push(("405 fallback", app.call("DELETE", "/auth/token", None, None).await));

    let statuses: Vec<u16> = answers.iter().map(|(_, reply)| reply.status.as_u16()).collect();
    assert_eq!(statuses, [200, 201, 204, 401, 422, 404, 405], "the answers meant to be checked");
    for (what, reply) in &answers {
        let values: Vec<_> = reply.headers.get_all("x-content-type-options").iter().collect();
        assert_eq!(values, ["nosniff"], "{what}: one X-Content-Type-Options: nosniff in {:?}", reply.headers);
    }

    // The panic guard's 500 is checked in errors.rs.
}
