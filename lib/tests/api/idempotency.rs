//! `Idempotency-Key` on the three creations, on both stores: the same key
//! with the same request answers the first 201 again and creates nothing;
//! with another request it is a 422; keys are scoped to their caller (to the
//! email address for a registration) and expire after a day.

use crate::on_both_stores;
use crate::support::fixtures::{hash, publish, room, user};
use crate::support::{PASSWORD, Reply, TestApp, new_property, new_room, registration};
use axum::body::Body;
use axum::http::Request;
use estate::domain::{PropertyType, Timestamp};
use estate::store::{Edit, KeptAnswer, Store, StoreError};
use serde_json::{Value, json};

on_both_stores!(app: creations_answer_a_key_once, registration_replays_only_to_its_password, malformed_keys_are_refused);
on_both_stores!(store: stores_keep_answers_until_they_expire);

const KEY: &str = "\"5f1f8a0e-2c3d-4b5a-9e6f-7a8b9c0d1e2f\"";

/// A POST with `Idempotency-Key: <key>`.
async fn post(app: &TestApp, path: &str, token: Option<&str>, key: &str, body: &Value) -> Reply {
    app.call_with("POST", path, token, Some(body.clone()), &[("idempotency-key", key)]).await
}

/// Sends `body` twice under one key, then another body under it; asserts
/// one creation and returns its answer.
async fn replayed(app: &TestApp, path: &str, token: Option<&str>, body: Value, other: Value) -> Reply {
    let first = post(app, path, token, KEY, &body).await;
    assert_eq!(first.status, 201, "{path}: {}", first.body);
    let again = post(app, path, token, KEY, &body).await;
    assert_eq!(again.status, 201, "{path}: {}", again.body);
    assert_eq!(again.body, first.body, "{path}: the first answer again");
    assert_eq!((again.header("location"), again.header("etag")), (first.header("location"), first.header("etag")));
    assert_eq!(post(app, path, token, KEY, &other).await.invalid_fields(), ["Idempotency-Key"], "{path}");
    first
}

async fn creations_answer_a_key_once(app: TestApp) {
    let (_, token) = app.register("keyed@example.com").await;
    let body = new_property("Keyed", "Lyon", "apartment", 1);
    let first =
        replayed(&app, "/properties", Some(&token), body.clone(), new_property("Other", "Lyon", "apartment", 1)).await;
    let id = first.body["id"].as_str().unwrap();
    let mine = app.get("/users/me/properties", Some(&token)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "one property: {}", mine.body);

    // The caller's key, sent to another route, is another request.
    let rooms = format!("/properties/{id}/rooms");
    let study = new_room("Study", "office", "9");
    assert_eq!(post(&app, &rooms, Some(&token), KEY, &study).await.invalid_fields(), ["Idempotency-Key"]);
    let first_room = post(&app, &rooms, Some(&token), "room-1", &study).await;
    let again = post(&app, &rooms, Some(&token), "\"room-1\"", &study).await;
    assert_eq!((first_room.status.as_u16(), &again.body), (201, &first_room.body), "quoted or not, one key");
    assert_eq!(app.property(id).await["room_count"], 2, "one room added");

    // Another caller's key is theirs alone; without a key, every POST creates.
    let (_, stranger) = app.register("stranger@example.com").await;
    assert_eq!(post(&app, "/properties", Some(&stranger), KEY, &body).await.status, 201);
    for _ in 0..2 {
        assert_eq!(app.call("POST", "/properties", Some(&token), Some(body.clone())).await.status, 201);
    }
    let mine = app.get("/users/me/properties", Some(&token)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 3, "{}", mine.body);
}

async fn registration_replays_only_to_its_password(app: TestApp) {
    let email = "retry@example.com";
    let renamed = json!({"first_name": "Augusta"});
    let mut other = registration(email);
    other.as_object_mut().unwrap().extend(renamed.as_object().unwrap().clone());
    let first = replayed(&app, "/users", None, registration(email), other).await;
    assert!(first.header("location").ends_with(first.body["id"].as_str().unwrap()));
    app.sign_in(email, PASSWORD).await;

    // The kept answer holds the account's details: without its password,
    // the same key gets nothing.
    let mut guessed = registration(email);
    guessed["password"] = json!("not the password");
    let reply = post(&app, "/users", None, KEY, &guessed).await;
    assert_eq!(reply.invalid_fields(), ["Idempotency-Key"]);
    assert!(!reply.body.to_string().contains("Lovelace"), "{}", reply.body);
    // A new key for a taken address is the usual conflict.
    post(&app, "/users", None, "fresh", &registration(email)).await.problem(409);
}

async fn malformed_keys_are_refused(app: TestApp) {
    let (_, token) = app.register("careless@example.com").await;
    let body = new_property("Careless", "Nice", "apartment", 0);
    let too_long = "k".repeat(256);
    for key in ["", "\"\"", "two words", "caf\u{e9}", "\"a\\\"b\"", &too_long] {
        let mut request = Request::post("/properties")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"));
        request = request.header("idempotency-key", axum::http::HeaderValue::from_bytes(key.as_bytes()).unwrap());
        let reply = app.send(request.body(Body::from(body.to_string())).unwrap()).await;
        assert!(reply.problem(400)["detail"].as_str().unwrap().contains("Idempotency-Key"), "{key:?}");
    }
    let mine = app.get("/users/me/properties", Some(&token)).await;
    assert_eq!(mine.body["items"], json!([]), "nothing created");
}

fn answer(scope: &str, key: &str, expires_at: i64) -> KeptAnswer {
    KeptAnswer {
        scope: scope.into(),
        key: key.into(),
        fingerprint: "f1".into(),
        location: "/somewhere".into(),
        etag: Some("\"1\"".into()),
        body: "{}".into(),
        expires_at,
    }
}

async fn stores_keep_answers_until_they_expire(store: impl Store) {
    let owner = user("keeper@example.com");
    store.create_user(&owner, &hash("k"), None).await.unwrap();
    let now = Timestamp::now().unix_seconds();
    let kept = answer(&KeptAnswer::caller_scope(owner.id), "k1", now + 60);

    let (first, rooms) = publish(owner.id, "Paris", PropertyType::House, &[1000]);
    store.create_property(&first, &rooms, Some(&kept)).await.unwrap();
    // Sent again (its answer lost), or another creation under the same key:
    // the earlier answer, and nothing written.
    let again = store.create_property(&first, &rooms, Some(&kept)).await;
    assert_eq!(again, Err(StoreError::KeyUsed(Box::new(kept.clone()))));
    let (second, rooms) = publish(owner.id, "Paris", PropertyType::House, &[1000]);
    let other = KeptAnswer { fingerprint: "f2".into(), ..kept.clone() };
    assert_eq!(
        store.create_property(&second, &rooms, Some(&other)).await,
        Err(StoreError::KeyUsed(Box::new(kept.clone())))
    );
    assert_eq!(store.get_property(second.id).await, Ok(None));
    let extra = room(first.id, 500);
    assert_eq!(store.add_room(&extra, Edit::by(owner.id), Some(&kept)).await, Err(StoreError::KeyUsed(Box::new(kept))));
    assert_eq!(store.get_room(first.id, extra.id).await, Ok(None));

    // An expired answer frees its key, even before it is deleted.
    let expired = answer(&KeptAnswer::caller_scope(owner.id), "k2", now - 1);
    store.add_room(&extra, Edit::by(owner.id), Some(&expired)).await.unwrap();
    let later = room(first.id, 600);
    let renewed = answer(&KeptAnswer::caller_scope(owner.id), "k2", now + 60);
    store.add_room(&later, Edit::by(owner.id), Some(&renewed)).await.unwrap();
    assert_eq!(
        store.add_room(&room(first.id, 700), Edit::by(owner.id), Some(&renewed)).await,
        Err(StoreError::KeyUsed(Box::new(renewed)))
    );
    let other_user = user("other-keeper@example.com");
    let scoped = answer(&KeptAnswer::email_scope(&other_user.email), "k1", now + 60);
    store.create_user(&other_user, &hash("o"), Some(&scoped)).await.unwrap();
    assert_eq!(store.get_user(other_user.id).await.unwrap().map(|found| found.id), Some(other_user.id));
}
