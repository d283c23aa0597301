//! Webhooks through the API, on the embedded store, delivered as the local
//! server delivers them: to a receiver on this machine, signed (checked
//! here with Python's `hmac`, not with the project's code), a burst of
//! edits merged, failures retried on the schedule and logged, a 410
//! disabling the endpoint; and the rules of registration.

use crate::support::receiver::{Received, Receiver};
use crate::support::{TestApp, new_property};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

/// Whether one of the signatures of `received` verifies with `secret`,
/// computed by Python's `hmac`: an implementation independent of ours.
fn python_verifies(secret: &str, received: &Received) -> bool {
    let script = r#"
import base64, hashlib, hmac, sys
secret, msg_id, timestamp, signatures = sys.argv[1:5]
body = sys.stdin.read()
key = base64.b64decode(secret.removeprefix("whsec_"))
expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()).decode()
sys.exit(0 if any(hmac.compare_digest(s.removeprefix("v1,"), expected) for s in signatures.split()) else 1)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, secret, &received.id, &received.timestamp, &received.signature])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(received.body.as_bytes()).unwrap();
    child.wait().unwrap().success()
}

async fn register_webhook(app: &TestApp, token: &str, address: SocketAddr, events: &[&str]) -> (String, String) {
    let body = json!({"url": format!("http://{address}/hook"), "events": events, "description": "CRM"});
    let reply = app.call("POST", "/webhooks", Some(token), Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (reply.body["id"].as_str().unwrap().to_owned(), secret)
}

fn price(euros: u64) -> Value {
    json!({"price": {"amount": euros, "currency": "EUR"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_follow_a_listing_and_merge_a_burst() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, integrator) = app.register("crm@example.com").await;
    let (_, owner) = app.register("seller@example.com").await;
    let (receiver, address) = Receiver::start(&[]).await;
    let all = ["listing.published", "listing.updated", "listing.unpublished", "listing.deleted", "listing.closed"];
    let (_, secret) = register_webhook(&app, &integrator, address, &all).await;

    let id = app.publish(&owner, new_property("Loft", "Lyon", "loft", 1)).await;
    let published = receiver.until(|got| !got.is_empty()).await;
    assert_eq!(published[0].json()["type"], "listing.published");
    // A burst of five price changes: merged while they wait, one or two calls.
    for euros in [300_000, 299_000, 298_000, 297_000, 296_000] {
        let reply = app.call("PATCH", &format!("/properties/{id}"), Some(&owner), Some(price(euros))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let version = app.property(&id).await["version"].as_u64().unwrap();
    let updated = receiver.until(|got| got.last().is_some_and(|last| last.json()["data"]["version"] == version)).await;
    let updates = updated.len() - 1;
    assert!((1..=2).contains(&updates), "five edits arrived as {updates} calls");
    assert_eq!(updated.last().unwrap().json()["data"]["changed"], json!(["price"]));
    let withdrawn = json!({"status": "withdrawn"});
    app.call("PATCH", &format!("/properties/{id}"), Some(&owner), Some(withdrawn)).await;
    receiver.until(|got| got.last().unwrap().json()["type"] == "listing.unpublished").await;
    app.call("PATCH", &format!("/properties/{id}"), Some(&owner), Some(json!({"status": "active"}))).await;
    receiver.until(|got| got.last().unwrap().json()["type"] == "listing.published").await;
    assert_eq!(app.call("DELETE", &format!("/properties/{id}"), Some(&owner), None).await.status, 204);
    let got = receiver.until(|got| got.last().unwrap().json()["type"] == "listing.deleted").await;

    for received in &got {
        assert!(python_verifies(&secret, received), "Python verifies {received:?}");
        let body = received.json();
        assert_eq!(body["data"]["property_id"], id.as_str());
        assert_eq!(body["data"]["city"], "Lyon");
    }
    let mut tampered = got[0].clone();
    tampered.body = tampered.body.replace("Lyon", "Nice");
    assert!(!python_verifies(&secret, &tampered), "a changed body fails verification");
    // The feed tells the same changes, in the same order.
    let feed = app.get("/changes?city=Lyon", None).await;
    let seqs: Vec<u64> = got.iter().map(|received| received.json()["data"]["seq"].as_u64().unwrap()).collect();
    let fed: Vec<u64> =
        feed.body["items"].as_array().unwrap().iter().map(|item| item["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "in feed order: {seqs:?}");
    assert!(seqs.iter().all(|seq| fed.contains(seq)), "every delivery is a change of the feed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_and_the_log_shows_every_attempt() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, integrator) = app.register("retry@example.com").await;
    let (receiver, address) = Receiver::start(&[500, 503]).await;
    let (webhook, _) = register_webhook(&app, &integrator, address, &["listing.published"]).await;
    app.publish(&integrator, new_property("Flat", "Nice", "apartment", 1)).await;
    let got = receiver.until(|got| got.len() == 3).await;
    assert!(got.iter().all(|received| received.id == got[0].id), "one webhook-id on every retry");

    let log = app.get(&format!("/webhooks/{webhook}/deliveries"), Some(&integrator)).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let attempts = log.body["items"].as_array().unwrap().clone();
    let summary: Vec<(u64, Value)> =
        attempts.iter().map(|attempt| (attempt["attempt"].as_u64().unwrap(), attempt["status"].clone())).collect();
    assert_eq!(summary, [(3, json!(204)), (2, json!(503)), (1, json!(500))], "newest first");
    assert!(attempts[1]["next_retry_at"].is_string() && attempts[0]["next_retry_at"].is_null());
    assert!(attempts[2]["error"].as_str().unwrap().starts_with("HTTP 500"));
    let paged = app.get(&format!("/webhooks/{webhook}/deliveries?limit=2"), Some(&integrator)).await;
    let cursor = paged.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/webhooks/{webhook}/deliveries?limit=2&cursor={cursor}"), Some(&integrator)).await;
    assert_eq!(rest.body["items"][0]["attempt"], 1);
    let shown = app.get(&format!("/webhooks/{webhook}"), Some(&integrator)).await;
    assert_eq!(shown.body["failing_since"], Value::Null, "a success ends the failing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_asking_to_wait_is_retried_when_it_asked() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, integrator) = app.register("busy@example.com").await;
    let (receiver, address) = Receiver::start(&[429]).await;
    receiver.ask_to_wait(3);
    let (webhook, _) = register_webhook(&app, &integrator, address, &["listing.published"]).await;
    app.publish(&integrator, new_property("Flat", "Nice", "apartment", 1)).await;
    let got = receiver.until(|got| got.len() == 2).await;
    // The local schedule would have tried again after 1 s.
    let waited = got[1].at - got[0].at;
    assert!(waited >= Duration::from_millis(2_900), "tried again after {waited:?}, not the 3 s asked");
    let log = app.get(&format!("/webhooks/{webhook}/deliveries"), Some(&integrator)).await;
    let statuses: Vec<&Value> = log.body["items"].as_array().unwrap().iter().map(|item| &item["status"]).collect();
    assert_eq!(statuses, [&json!(204), &json!(429)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_disables_the_endpoint_and_enabling_it_resumes() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, integrator) = app.register("gone@example.com").await;
    let (receiver, address) = Receiver::start(&[410]).await;
    let (webhook, _) = register_webhook(&app, &integrator, address, &["listing.published"]).await;
    app.publish(&integrator, new_property("Flat", "Nice", "apartment", 1)).await;
    receiver.until(|got| got.len() == 1).await;
    let path = format!("/webhooks/{webhook}");
    let mut shown = Value::Null;
    for _ in 0..50 {
        shown = app.get(&path, Some(&integrator)).await.body;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["enabled"], false);
    assert_eq!(shown["disabled_reason"], "the receiver answered 410 Gone");
    // Disabled: the next change waits.
    app.publish(&integrator, new_property("House", "Nice", "house", 1)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.got().len(), 1, "nothing is sent to a disabled endpoint");
    let enabled = app.call("PATCH", &path, Some(&integrator), Some(json!({"enabled": true}))).await;
    assert_eq!((enabled.status, enabled.body["enabled"].clone()), (StatusCode::OK, json!(true)));
    let got = receiver.until(|got| got.len() == 3).await;
    let ids: std::collections::BTreeSet<String> =
        got[1..].iter().map(|received| received.json()["data"]["property_id"].to_string()).collect();
    assert_eq!(ids.len(), 2, "both waiting deliveries resume");
}

#[tokio::test]
async fn registration_refuses_what_may_not_be_reached() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, token) = app.register("rules@example.com").await;
    let (_, other) = app.register("other@example.com").await;
    for (body, field) in [
        (json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["listing.published"]}), "url"),
        (json!({"url": "https://10.0.0.1/hook", "events": ["listing.published"]}), "url"),
        (json!({"url": "https://user:pass@example.com/hook", "events": ["listing.published"]}), "url"),
        (json!({"url": "ftp://example.com/hook", "events": ["listing.published"]}), "url"),
        (json!({"url": "http://127.0.0.1:9/hook", "events": ["listing.moved"]}), "events"),
        (json!({"url": "http://127.0.0.1:9/hook", "events": []}), "events"),
        (json!({"url": "http://127.0.0.1:9/hook"}), "events"),
        (json!({"url": "http://127.0.0.1:9/hook", "events": ["listing.published"], "city": ""}), "city"),
    ] {
        let reply = app.call("POST", "/webhooks", Some(&token), Some(body.clone())).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.invalid_fields(), [field], "{body}");
    }
    let fine = json!({"url": "http://127.0.0.1:9/hook", "events": ["listing.published"]});
    let mut ids = Vec::new();
    for _ in 0..10 {
        let reply = app.call("POST", "/webhooks", Some(&token), Some(fine.clone())).await;
        assert_eq!(reply.status, 201);
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.call("POST", "/webhooks", Some(&token), Some(fine.clone())).await.status, 409, "10 at most");
    let listed = app.get("/webhooks", Some(&token)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 10);
    assert!(listed.body["items"][0].get("secret").is_none(), "the secret is shown once");
    // Another user's endpoint does not exist for them.
    let theirs = format!("/webhooks/{}", ids[0]);
    assert_eq!(app.get(&theirs, Some(&other)).await.status, 404);
    assert_eq!(app.call("DELETE", &theirs, Some(&other), None).await.status, 404);
    assert_eq!(app.call("POST", &format!("{theirs}/rotate-secret"), Some(&other), None).await.status, 404);
    let disable = json!({"enabled": false});
    assert_eq!(app.call("PATCH", &theirs, Some(&other), Some(disable)).await.status, 404);
    assert_eq!(app.call("POST", &format!("{theirs}/test"), Some(&other), None).await.status, 404);
    assert_eq!(app.get(&format!("{theirs}/deliveries"), Some(&other)).await.status, 404);
    assert_eq!(app.get(&theirs, Some(&token)).await.body["enabled"], true, "untouched by the others' calls");
    // Rotation: the answer shows the new secret and when the old one stops.
    let rotated = app.call("POST", &format!("{theirs}/rotate-secret"), Some(&token), None).await;
    assert_eq!(rotated.status, 200);
    assert!(rotated.body["secret"].as_str().unwrap().starts_with("whsec_"));
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    assert_eq!(app.call("DELETE", &theirs, Some(&token), None).await.status, 204);
    assert_eq!(app.get(&theirs, Some(&token)).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_signs_beside_the_new_one_and_a_test_is_sent_at_once() {
    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, token) = app.register("rotate@example.com").await;
    let (receiver, address) = Receiver::start(&[]).await;
    let (webhook, old) = register_webhook(&app, &token, address, &["listing.published"]).await;
    let rotated = app.call("POST", &format!("/webhooks/{webhook}/rotate-secret"), Some(&token), None).await;
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    let test = app.call("POST", &format!("/webhooks/{webhook}/test"), Some(&token), None).await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!((test.body["event_type"].clone(), test.body["status"].clone()), (json!("webhook.test"), json!(204)));
    let got = receiver.got();
    assert_eq!(got.len(), 1, "sent before the answer");
    assert_eq!(got[0].json()["type"], "webhook.test");
    assert_eq!(got[0].signature.split(' ').count(), 2, "two signatures during the rotation");
    assert!(python_verifies(&old, &got[0]) && python_verifies(&new, &got[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_days_of_failures_disable_the_endpoint() {
    use estate::store::WebhookStore;
    let store = estate::store::MemoryStore::new();
    let app = TestApp::with_webhooks(store.clone());
    let (user, token) = app.register("failing@example.com").await;
    let (receiver, address) = Receiver::start(&[500]).await;
    let (webhook, _) = register_webhook(&app, &token, address, &["listing.published"]).await;
    // It has failed since three days ago (the time a test cannot wait).
    let (owner, id) =
        (estate::domain::UserId::parse(&user).unwrap(), estate::domain::WebhookId::parse(&webhook).unwrap());
    let mut stored = store.get_webhook(owner, id).await.unwrap().unwrap();
    let three_days_ago = estate::domain::Timestamp::now().unix_seconds() - 3 * 24 * 60 * 60 - 1;
    stored.failing_since = Some(estate::domain::Timestamp::from_unix_seconds(three_days_ago));
    stored.version += 1;
    store.replace_webhook(&stored, stored.version - 1).await.unwrap();

    app.publish(&token, new_property("Flat", "Nice", "apartment", 1)).await;
    receiver.until(|got| got.len() == 1).await;
    let path = format!("/webhooks/{webhook}");
    for _ in 0..50 {
        let shown = app.get(&path, Some(&token)).await.body;
        if shown["enabled"] == false {
            assert_eq!(shown["disabled_reason"], "every delivery failed for 3 days");
            let log = app.get(&format!("{path}/deliveries"), Some(&token)).await.body;
            assert_eq!(log["items"][0]["next_retry_at"], Value::Null, "no retry once disabled");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the endpoint is still enabled");
}
