//! Sessions on both stores: refresh tokens that rotate, reuse detection,
//! sign-out, signing out everywhere, the revocations a password change and
//! an account deletion make, and sign-in throttling per address.

use crate::on_both_stores;
use crate::support::routes::ROUTES;
use crate::support::{PASSWORD, Reply, TestApp, counted_dynamo_store, new_property, new_room, registration};
use serde_json::{Value, json};

on_both_stores!(
    app: refresh_tokens_rotate_and_a_reused_one_ends_its_session,
    signing_out_ends_one_session_or_all,
    a_password_change_and_a_deletion_end_every_session,
    the_fifth_failure_locks_an_address_registered_or_not,
    a_successful_sign_in_forgets_the_failures,
    a_deleted_account_token_gets_401_on_every_route_that_needs_a_caller,
    sign_in_takes_as_long_for_an_unknown_address_as_for_a_registered_one,
);

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Reply {
    app.call("POST", "/auth/token", None, Some(json!({ "email": email, "password": password }))).await
}

/// Signs in and returns the whole token answer.
async fn session(app: &TestApp, email: &str) -> Value {
    let reply = sign_in(app, email, PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    reply.body
}

async fn refresh(app: &TestApp, tokens: &Value) -> Reply {
    app.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": tokens["refresh_token"] }))).await
}

async fn refresh_tokens_rotate_and_a_reused_one_ends_its_session(app: TestApp) {
    app.register("rotating@example.com").await;
    let first = session(&app, "rotating@example.com").await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["refresh_expires_in"], 30 * 24 * 3600);
    assert!(first["refresh_token"].as_str().unwrap().len() > 43 + 36, "256 random bits and the ids");

    let second = refresh(&app, &first).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.header("cache-control"), "no-store");
    assert_ne!(second.body["refresh_token"], first["refresh_token"]);
    let me = app.get("/users/me", second.body["access_token"].as_str()).await;
    assert_eq!(me.body["email"], "rotating@example.com");

    // The first token is spent: presenting it again ends the session, so
    // the thief's copy and the client's current token both stop working.
    refresh(&app, &first).await.problem(401);
    refresh(&app, &second.body).await.problem(401);
    // Another session of the same user is not affected.
    let other = session(&app, "rotating@example.com").await;
    assert_eq!(refresh(&app, &other).await.status, 200);

    for forged in [json!("not a token"), json!(""), json!(format!("{}x", other["refresh_token"].as_str().unwrap()))] {
        let reply = app.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": forged }))).await;
        reply.problem(401);
    }
    assert_eq!(app.call("POST", "/auth/refresh", None, Some(json!({}))).await.invalid_fields(), ["refresh_token"]);
}

async fn signing_out_ends_one_session_or_all(app: TestApp) {
    app.register("leaving@example.com").await;
    let laptop = session(&app, "leaving@example.com").await;
    let phone = session(&app, "leaving@example.com").await;
    let sign_out = |tokens: &Value| {
        app.call("POST", "/auth/sign-out", None, Some(json!({ "refresh_token": tokens["refresh_token"] })))
    };
    assert_eq!(sign_out(&laptop).await.status, 204);
    assert_eq!(sign_out(&laptop).await.status, 204, "signing out twice is fine");
    refresh(&app, &laptop).await.problem(401);
    let phone = refresh(&app, &phone).await.body;
    let nothing = app.call("POST", "/auth/sign-out", None, Some(json!({ "refresh_token": "garbage" }))).await;
    assert_eq!(nothing.status, 204, "a sign-out tells nothing about the token");

    let tablet = session(&app, "leaving@example.com").await;
    let token = tablet["access_token"].as_str();
    let everywhere = app.call("DELETE", "/users/me/sessions", token, None).await;
    assert_eq!((everywhere.status.as_u16(), everywhere.header("cache-control")), (204, "no-store"));
    refresh(&app, &phone).await.problem(401);
    refresh(&app, &tablet).await.problem(401);
    app.call("DELETE", "/users/me/sessions", None, None).await.problem(401);
}

async fn a_password_change_and_a_deletion_end_every_session(app: TestApp) {
    app.register("careful@example.com").await;
    let old = session(&app, "careful@example.com").await;
    let current = session(&app, "careful@example.com").await;
    let change = json!({ "current_password": PASSWORD, "new_password": "a brand new secret" });
    let reply = app.call("PUT", "/users/me/password", current["access_token"].as_str(), Some(change)).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    refresh(&app, &old).await.problem(401);
    refresh(&app, &current).await.problem(401);

    let fresh = sign_in(&app, "careful@example.com", "a brand new secret").await.body;
    assert_eq!(app.call("DELETE", "/users/me", fresh["access_token"].as_str(), None).await.status, 204);
    refresh(&app, &fresh).await.problem(401);
    // A token of the deleted account can no longer sign out everywhere.
    app.call("DELETE", "/users/me/sessions", fresh["access_token"].as_str(), None).await.problem(401);
}

async fn the_fifth_failure_locks_an_address_registered_or_not(app: TestApp) {
    app.register("guessed@example.com").await;
    let mut answers = Vec::new();
    for email in ["guessed@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            sign_in(&app, email, "wrong password").await.problem(401);
        }
        // Locked: refused without checking the password, right or wrong.
        let locked = sign_in(&app, email, PASSWORD).await;
        let mut problem = locked.problem(429).clone();
        let retry_after: i64 = locked.header("retry-after").parse().expect("Retry-After in seconds");
        assert!((55..=60).contains(&retry_after), "{retry_after}");
        // The seconds left depend on when each lock began, not on the address.
        let detail = problem["detail"].as_str().expect("a detail").replace(&retry_after.to_string(), "N");
        problem["detail"] = json!(detail);
        answers.push(problem);
        // Any letter case is the same address.
        sign_in(&app, &email.to_uppercase(), PASSWORD).await.problem(429);
    }
    assert_eq!(answers[0], answers[1], "the 429 does not tell a registered address from an unknown one");
    // Other addresses are not affected.
    app.register("bystander@example.com").await;
    session(&app, "bystander@example.com").await;
}

async fn a_successful_sign_in_forgets_the_failures(app: TestApp) {
    app.register("forgetful@example.com").await;
    for _ in 0..4 {
        sign_in(&app, "forgetful@example.com", "wrong password").await.problem(401);
    }
    session(&app, "forgetful@example.com").await;
    for _ in 0..4 {
        sign_in(&app, "forgetful@example.com", "wrong password").await.problem(401);
    }
    session(&app, "forgetful@example.com").await;
}

async fn a_deleted_account_token_gets_401_on_every_route_that_needs_a_caller(app: TestApp) {
    let (_, owner) = app.register("staying@example.com").await;
    let property = app.publish(&owner, new_property("Staying", "Paris", "house", 1)).await;
    let room = app.property(&property).await["rooms"][0]["id"].as_str().unwrap().to_owned();
    let (_, gone) = app.register("gone@example.com").await;
    assert_eq!(app.call("DELETE", "/users/me", Some(&gone), None).await.status, 204);

    for route in ROUTES.iter().filter(|route| route.needs_caller) {
        // Someone else's property and room, where the route names them.
        let path = route.path.replace("{id}", &property).replace("{room_id}", &room);
        let body = match (route.method, path.ends_with("/rooms")) {
            ("POST", true) => Some(new_room("Intruder", "office", "9")),
            ("POST", false) => Some(new_property("Intruder", "Paris", "house", 0)),
            ("PATCH", _) if path == "/users/me" => Some(json!({"first_name": "Intruder"})),
            ("PATCH", _) => Some(json!({"name": "Intruder"})),
            ("PUT", _) => Some(json!({"current_password": PASSWORD, "new_password": "whatever it is"})),
            _ => None,
        };
        let reply = app.call(route.method, &path, Some(&gone), body).await;
        assert_eq!(reply.status, 401, "{} {}: {}", route.method, route.path, reply.body);
    }
    assert_eq!(app.property(&property).await["name"], "Staying");
}

/// Wrong passwords for registered and unknown addresses, in alternating
/// pairs (each address fails once, far from its lock): the medians must be
/// close, or the time of a sign-in tells who is registered. The call-count
/// test below holds the store work equal; this holds the whole path.
async fn sign_in_takes_as_long_for_an_unknown_address_as_for_a_registered_one(app: TestApp) {
    const PAIRS: usize = 11;
    for i in 0..PAIRS {
        app.call("POST", "/users", None, Some(registration(&format!("timed{i}@example.com")))).await;
    }
    let timed = |email: String| {
        let app = app.clone();
        async move {
            let started = std::time::Instant::now();
            sign_in(&app, &email, "wrong password").await.problem(401);
            started.elapsed()
        }
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..PAIRS {
        let (registered, nobody) = (format!("timed{i}@example.com"), format!("nobody{i}@example.com"));
        if i % 2 == 0 {
            known.push(timed(registered).await);
            unknown.push(timed(nobody).await);
        } else {
            unknown.push(timed(nobody).await);
            known.push(timed(registered).await);
        }
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[PAIRS / 2], unknown[PAIRS / 2]);
    let gap = known.abs_diff(unknown);
    assert!(gap < known.max(unknown) / 4, "median {known:?} registered against {unknown:?} unknown");
}

/// The DynamoDB calls of the session routes, and the same store work for a
/// sign-in with a registered address as with an unknown one.
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn session_routes_make_the_calls_the_data_model_promises() {
    let (store, calls) = counted_dynamo_store().await;
    let app = TestApp::new(store);
    app.call("POST", "/users", None, Some(registration("counted@example.com"))).await;
    calls.take();

    let tokens = session(&app, "counted@example.com").await;
    assert_eq!(calls.take(), ["GetItem", "GetItem", "GetItem", "TransactWriteItems"], "sign-in");
    sign_in(&app, "counted@example.com", "wrong password").await.problem(401);
    let registered = calls.take();
    sign_in(&app, "unknown@example.com", "wrong password").await.problem(401);
    assert_eq!(calls.take(), registered, "the same calls whether the address is registered or not");
    assert_eq!(registered, ["GetItem", "GetItem", "GetItem", "UpdateItem", "PutItem"]);

    let renewed = refresh(&app, &tokens).await.body;
    assert_eq!(calls.take(), ["UpdateItem"], "refresh");
    let body = json!({ "refresh_token": renewed["refresh_token"] });
    app.call("POST", "/auth/sign-out", None, Some(body)).await;
    assert_eq!(calls.take(), ["DeleteItem"], "sign-out");
    session(&app, "counted@example.com").await;
    let tokens = session(&app, "counted@example.com").await;
    calls.take();
    app.call("DELETE", "/users/me/sessions", tokens["access_token"].as_str(), None).await;
    assert_eq!(calls.take(), ["GetItem", "Query", "DeleteItem", "DeleteItem"], "sign out everywhere");
}
