//! Every protected route refuses a missing, forged, expired or misaddressed token.

use crate::on_both_stores;
use crate::support::{TestApp, concrete, test_keys, test_policy};
use estate::auth::Claims;
use estate::http::routes::ROUTES;
use serde_json::json;

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
