use crate::on_both_stores;
use crate::support::{PASSWORD, TestApp, registration};
use serde_json::json;

on_both_stores!(
    app:
    registration_returns_the_user_and_its_location,
    registration_refuses_a_taken_email_in_any_case,
    registration_reports_every_invalid_field,
    registration_rejects_fields_a_client_must_not_set,
    sign_in_answers_unknown_email_and_wrong_password_alike,
    public_profile_shows_no_private_detail,
    own_account_shows_private_details,
    profile_patch_changes_only_given_fields,
    profile_patch_cannot_touch_email_or_nulls,
    password_change_needs_the_current_password,
    deleting_the_account_ends_it,
    private_answers_are_never_cached,
);

async fn registration_returns_the_user_and_its_location(app: TestApp) {
    let reply = app.call("POST", "/users", None, Some(registration("  Ada@Example.com "))).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let user = &reply.body;
    let id = user["id"].as_str().unwrap();
    assert_eq!(reply.header("location"), format!("/users/{id}"));
    assert_eq!(user["email"], "Ada@Example.com");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "Lovelace");
    assert_eq!(user["birth_date"], "1990-12-10");
    assert!(user["created_at"].is_string() && user["updated_at"].is_string());
    let members: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(members, ["birth_date", "created_at", "email", "first_name", "id", "last_name", "updated_at"]);
    assert!(!reply.body.to_string().contains("argon2"));

    let location = app.get(reply.header("location"), None).await;
    assert_eq!(location.status, 200);
    assert_eq!(location.body["id"], id);
}

async fn registration_refuses_a_taken_email_in_any_case(app: TestApp) {
    app.register("grace@example.com").await;
    let again = app.call("POST", "/users", None, Some(registration("GRACE@Example.COM"))).await;
    again.problem(409);
}

async fn registration_reports_every_invalid_field(app: TestApp) {
    let body = json!({
        "email": "not-an-email",
        "password": "short",
        "first_name": "  ",
        "last_name": "x".repeat(101),
        "birth_date": "2999-01-01",
    });
    let reply = app.call("POST", "/users", None, Some(body)).await;
    assert_eq!(reply.invalid_fields(), ["email", "password", "first_name", "last_name", "birth_date"]);

    let mut missing = registration("someone@example.com");
    missing.as_object_mut().unwrap().remove("birth_date");
    let reply = app.call("POST", "/users", None, Some(missing)).await;
    assert_eq!(reply.invalid_fields(), ["birth_date"]);

    let mut wrong_type = registration("someone@example.com");
    wrong_type["first_name"] = json!(42);
    let reply = app.call("POST", "/users", None, Some(wrong_type)).await;
    assert_eq!(reply.invalid_fields(), ["first_name"]);
}

async fn registration_rejects_fields_a_client_must_not_set(app: TestApp) {
    for field in ["id", "created_at", "password_hash", "is_admin"] {
        let mut body = registration("sneaky@example.com");
        body[field] = json!("x");
        let reply = app.call("POST", "/users", None, Some(body)).await;
        assert_eq!(reply.invalid_fields(), [field]);
    }
}

async fn sign_in_answers_unknown_email_and_wrong_password_alike(app: TestApp) {
    app.register("known@example.com").await;
    let good =
        app.call("POST", "/auth/token", None, Some(json!({"email": "KNOWN@example.com", "password": PASSWORD}))).await;
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(good.body["token_type"], "Bearer");
    assert_eq!(good.body["expires_in"], 3600);
    assert_eq!(good.header("cache-control"), "no-store");
    assert!(good.body["access_token"].as_str().unwrap().split('.').count() == 3);

    let wrong_password = app
        .call("POST", "/auth/token", None, Some(json!({"email": "known@example.com", "password": "wrong password"})))
        .await;
    let unknown_email = app
        .call("POST", "/auth/token", None, Some(json!({"email": "unknown@example.com", "password": PASSWORD})))
        .await;
    wrong_password.problem(401);
    unknown_email.problem(401);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.header("www-authenticate"), "Bearer");
}

async fn public_profile_shows_no_private_detail(app: TestApp) {
    let (id, _) = app.register("private@example.com").await;
    let reply = app.get(&format!("/users/{id}"), None).await;
    assert_eq!(reply.status, 200);
    let members: Vec<&String> = reply.body.as_object().unwrap().keys().collect();
    assert_eq!(members, ["created_at", "first_name", "id", "last_name"]);

    app.get(&format!("/users/{}", uuid::Uuid::now_v7()), None).await.problem(404);
    app.get("/users/not-an-id", None).await.problem(404);
}

async fn own_account_shows_private_details(app: TestApp) {
    let (id, token) = app.register("me@example.com").await;
    let reply = app.get("/users/me", Some(&token)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["id"], id.as_str());
    assert_eq!(reply.body["email"], "me@example.com");
    assert_eq!(reply.body["birth_date"], "1990-12-10");
}

async fn profile_patch_changes_only_given_fields(app: TestApp) {
    let (_, token) = app.register("patch@example.com").await;
    let before = app.get("/users/me", Some(&token)).await.body;
    let reply = app.call("PATCH", "/users/me", Some(&token), Some(json!({"last_name": " Byron "}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["last_name"], "Byron");
    assert_eq!(reply.body["first_name"], before["first_name"]);
    assert_eq!(reply.body["birth_date"], before["birth_date"]);
    assert_eq!(reply.body["created_at"], before["created_at"]);
    assert_eq!(app.get("/users/me", Some(&token)).await.body, reply.body);

    let reply = app.call("PATCH", "/users/me", Some(&token), Some(json!({"birth_date": "1815-12-10"}))).await;
    assert_eq!(reply.invalid_fields(), ["birth_date"]);
}

async fn profile_patch_cannot_touch_email_or_nulls(app: TestApp) {
    let (_, token) = app.register("fixed@example.com").await;
    for (body, field) in [
        (json!({"email": "other@example.com"}), "email"),
        (json!({"id": "x"}), "id"),
        (json!({"first_name": null}), "first_name"),
    ] {
        let reply = app.call("PATCH", "/users/me", Some(&token), Some(body)).await;
        assert_eq!(reply.invalid_fields(), [field]);
    }
    assert_eq!(app.get("/users/me", Some(&token)).await.body["email"], "fixed@example.com");
}

async fn password_change_needs_the_current_password(app: TestApp) {
    let (_, token) = app.register("secret@example.com").await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let reply =
        app.call("PUT", "/users/me/password", Some(&token), Some(change("wrong password", "new password 1"))).await;
    reply.problem(403);
    let reply = app.call("PUT", "/users/me/password", Some(&token), Some(change(PASSWORD, "short"))).await;
    assert_eq!(reply.invalid_fields(), ["new_password"]);

    let reply = app.call("PUT", "/users/me/password", Some(&token), Some(change(PASSWORD, "new password 1"))).await;
    assert_eq!(reply.status, 204);
    app.sign_in("secret@example.com", "new password 1").await;
    let old =
        app.call("POST", "/auth/token", None, Some(json!({"email": "secret@example.com", "password": PASSWORD}))).await;
    old.problem(401);
}

async fn deleting_the_account_ends_it(app: TestApp) {
    let (id, token) = app.register("bye@example.com").await;
    assert_eq!(app.call("DELETE", "/users/me", Some(&token), None).await.status, 204);
    app.get("/users/me", Some(&token)).await.problem(401);
    app.get(&format!("/users/{id}"), None).await.problem(404);
    let sign_in =
        app.call("POST", "/auth/token", None, Some(json!({"email": "bye@example.com", "password": PASSWORD}))).await;
    sign_in.problem(401);
    app.call("DELETE", "/users/me", Some(&token), None).await.problem(401);
    // The address is free again.
    app.register("bye@example.com").await;
}

async fn private_answers_are_never_cached(app: TestApp) {
    let (id, token) = app.register("private@example.com").await;
    let password = json!({"current_password": PASSWORD, "new_password": "another long secret"});
    let sign_in = json!({"email": "private@example.com", "password": "another long secret"});
    let private: [(&str, &str, Option<serde_json::Value>); 6] = [
        ("GET", "/users/me", None),
        ("PATCH", "/users/me", Some(json!({"first_name": "Bo"}))),
        ("GET", "/users/me/properties", None),
        ("PUT", "/users/me/password", Some(password)),
        ("POST", "/auth/token", Some(sign_in)),
        ("DELETE", "/users/me", None),
    ];
    for (method, path, body) in private {
        let reply = app.call(method, path, Some(&token), body).await;
        assert!(reply.status.is_success(), "{method} {path}: {}", reply.body);
        assert_eq!(reply.header("cache-control"), "no-store", "{method} {path}");
    }
    for path in ["/properties".to_owned(), "/property-types".to_owned(), format!("/users/{id}")] {
        assert_eq!(app.get(&path, None).await.header("cache-control"), "", "{path} is public");
    }
}
