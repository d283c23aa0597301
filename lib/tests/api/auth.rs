//! Every protected route refuses a missing, forged, expired or misaddressed
//! token; during a key rotation, tokens of both keys are accepted.

use crate::on_both_stores;
use crate::support::routes::ROUTES;
use crate::support::{PASSWORD, TestApp, concrete, registration, test_keys, test_policy};
use estate::auth::Claims;
use estate::domain::{Timestamp, UserId};
use estate::store::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

on_both_stores!(app: protected_routes_refuse_bad_tokens, identity_comes_only_from_a_verified_token);

async fn protected_routes_refuse_bad_tokens(app: TestApp) {
    let (id, _) = app.register("victim@example.com").await;
    let now = estate::domain::Timestamp::now().unix_seconds();
    let claims = |exp: i64, aud: &str| Claims {
        sub: id.clone(),
        iat: now - 7200,
        exp,
        iss: test_policy().issuer,
        aud: aud.into(),
    };
    let (forger, _) = test_keys();
    let bad_tokens = [
        ("forged", forger.sign(&claims(now + 600, &test_policy().audience)).unwrap()),
        ("expired", app.issuer.sign(&claims(now - 60, &test_policy().audience)).unwrap()),
        ("wrong audience", app.issuer.sign(&claims(now + 600, "another-api")).unwrap()),
        ("garbage", "garbage".to_owned()),
    ];
    let protected: Vec<_> = ROUTES.iter().filter(|route| route.needs_caller).collect();
    assert!(!protected.is_empty());
    for route in protected {
        let path = concrete(route.path);
        let body = (route.method != "GET" && route.method != "DELETE").then(|| json!({}));
        let missing = app.call(route.method, &path, None, body.clone()).await;
        missing.problem(401);
        assert_eq!(missing.header("www-authenticate"), "Bearer");
        for (kind, token) in &bad_tokens {
            let reply = app.call(route.method, &path, Some(token), body.clone()).await;
            assert_eq!(reply.status, 401, "{} {} accepted a {kind} token", route.method, route.path);
            reply.problem(401);
        }
    }
    // Nothing was changed by any of it.
    assert_eq!(app.get(&format!("/users/{id}"), None).await.status, 200);
}

async fn identity_comes_only_from_a_verified_token(app: TestApp) {
    let (id, _) = app.register("spoofed@example.com").await;
    let request = axum::http::Request::get("/users/me")
        .header("x-user-id", &id)
        .header("x-amzn-oidc-identity", &id)
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(request).await.problem(401);
}

/// `method path` on `router` with an optional bearer token and JSON body:
/// the status and the body.
async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(axum::body::Body::empty, |body| axum::body::Body::from(body.to_string()));
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Midway through a rotation: the users function signs with the next key
/// while tokens of the current one are still out; verifiers hold both.
#[tokio::test]
async fn during_a_key_rotation_tokens_of_both_keys_are_accepted() {
    let (current, current_verifier) = test_keys();
    let (next, next_verifier) = test_keys();
    let (stranger, _) = test_keys();
    let next = Arc::new(next);
    let verifier = Arc::new(current_verifier.with_next(next_verifier));
    let router = estate::entrypoints::api(
        MemoryStore::new(),
        next.clone(),
        verifier,
        estate::entrypoints::PhotoFiles::local("http://localhost:3000"),
        &estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE),
    );

    let (status, user) = call(&router, "POST", "/users", None, Some(registration("rotation@example.com"))).await;
    assert_eq!(status, 201, "{user}");
    let credentials = json!({ "email": "rotation@example.com", "password": PASSWORD });
    let (status, signed_in) = call(&router, "POST", "/auth/token", None, Some(credentials)).await;
    assert_eq!(status, 200, "{signed_in}");
    let fresh = signed_in["access_token"].as_str().unwrap().to_owned();
    let kid = jsonwebtoken::decode_header(&fresh).unwrap().kid;
    assert_eq!(kid.as_deref(), Some(next.key_id()), "new tokens name the key that signed them");

    let id = UserId::parse(user["id"].as_str().unwrap()).unwrap();
    let older = current.issue(id, Timestamp::now()).unwrap();
    for (kind, token) in [("the next key's", &fresh), ("the current key's", &older)] {
        let (status, me) = call(&router, "GET", "/users/me", Some(token), None).await;
        assert_eq!((status, &me["id"]), (200, &user["id"]), "{kind} token");
    }
    let foreign = stranger.issue(id, Timestamp::now()).unwrap();
    assert_eq!(call(&router, "GET", "/users/me", Some(&foreign), None).await.0, 401);
}
