//! The sign-in limits and sessions under requests that arrive at once, on
//! the embedded store, where each race is decided by the store's own
//! atomicity. (The DynamoDB-compatible test server applies conditional
//! writes non-atomically under concurrency, so a race there proves
//! nothing; on DynamoDB these guarantees rest on its documented
//! conditional writes and transactions: docs/api.md#identity.)

use crate::support::{PASSWORD, TestApp};
use estate::domain::{Admission, AttemptCounter, Email, Timestamp};
use estate::store::{MemoryStore, SessionStore};
use serde_json::{Value, json};

async fn sign_in_from(app: &TestApp, peer: &str, email: &str, password: &str) -> (u16, Value) {
    let body = json!({ "email": email, "password": password });
    let reply = app.call_from(peer, "POST", "/auth/token", None, Some(body)).await;
    (reply.status.as_u16(), reply.body)
}

async fn refresh(app: &TestApp, token: &Value) -> (u16, Value) {
    let reply = app.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": token }))).await;
    (reply.status.as_u16(), reply.body)
}

/// Runs `count` sign-ins at once, the `right`th with the right password
/// and every other with a wrong one, from one address; their statuses.
async fn guesses_at_once(app: &TestApp, email: &str, count: usize, right: Option<usize>) -> Vec<u16> {
    let guesses = (0..count).map(|n| {
        let (app, email) = (app.clone(), email.to_owned());
        let password = if Some(n) == right { PASSWORD.to_owned() } else { format!("wrong guess {n}") };
        tokio::spawn(async move { sign_in_from(&app, "203.0.113.9", &email, &password).await.0 })
    });
    let mut statuses = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        statuses.push(guess.await.unwrap());
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|each| **each == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_guesses_at_once_check_five_passwords_at_most() {
    let app = TestApp::memory();
    app.register("besieged@example.com").await;
    let statuses = guesses_at_once(&app, "besieged@example.com", 30, None).await;
    assert_eq!((count(&statuses, 401), count(&statuses, 429)), (5, 25), "{statuses:?}");
}

/// After four failures one more password may be checked, however many
/// arrive at once, the right one among them or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_four_failures_guesses_at_once_check_one_password() {
    let app = TestApp::memory();
    app.register("almost@example.com").await;
    for n in 0..4 {
        assert_eq!(sign_in_from(&app, "203.0.113.9", "almost@example.com", &format!("wrong guess {n}")).await.0, 401);
    }
    let statuses = guesses_at_once(&app, "almost@example.com", 30, Some(17)).await;
    assert_eq!(count(&statuses, 429), 29, "{statuses:?}");
}

/// The counter itself: concurrent attempts are all counted, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_are_all_counted() {
    let store = MemoryStore::new();
    let counter = AttemptCounter::sign_in(&Email::parse("counted@example.com").unwrap());
    let now = Timestamp::now();
    let attempts = (0..60).map(|_| {
        let (store, counter) = (store.clone(), counter.clone());
        tokio::spawn(async move { store.count_attempt(&[counter], now).await.unwrap() })
    });
    let mut admitted = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        admitted += usize::from(attempt.await.unwrap() == Admission::Admitted);
    }
    assert_eq!(admitted, counter.limit.attempts as usize);
}

/// Eight sign-ins with the right password started, then `end` (which
/// must end every session of the account) run while they are under way:
/// once `end` has answered, no sign-in that got tokens keeps a refresh
/// token that works. Four trials, each on a fresh store.
async fn sign_ins_racing(name: &str, end: impl AsyncFn(&TestApp, &str) -> u16) {
    for trial in 0..4 {
        let app = TestApp::memory();
        let email = format!("{name}{trial}@example.com");
        let (_, token) = app.register(&email).await;
        let sign_ins: Vec<_> = (0..8)
            .map(|n| {
                let (app, email) = (app.clone(), email.clone());
                tokio::spawn(async move { sign_in_from(&app, &format!("198.51.100.{n}"), &email, PASSWORD).await })
            })
            .collect();
        assert_eq!(end(&app, &token).await, 204);
        for sign_in in sign_ins {
            let (status, body) = sign_in.await.unwrap();
            if status == 200 {
                let (after, _) = refresh(&app, &body["refresh_token"]).await;
                assert_eq!(after, 401, "{name}, trial {trial}: a session outlived the end of every session");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_racing_a_password_change_keep_no_session() {
    sign_ins_racing("changer", async |app, token| {
        let change = json!({ "current_password": PASSWORD, "new_password": "changed in the race" });
        app.call("PUT", "/users/me/password", Some(token), Some(change)).await.status.as_u16()
    })
    .await;
}

/// The same for the account's deletion: no session the user could no
/// longer end.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_racing_a_deletion_keep_no_session() {
    sign_ins_racing("leaver", async |app, token| {
        app.call("DELETE", "/users/me", Some(token), None).await.status.as_u16()
    })
    .await;
}

/// Five refreshes of one token at once (tabs, retries): each gets the same
/// successor, and it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_share_one_live_successor() {
    let app = TestApp::memory();
    app.register("tabs@example.com").await;
    let (_, tokens) = sign_in_from(&app, "198.51.100.1", "tabs@example.com", PASSWORD).await;
    let refreshes: Vec<_> = (0..5)
        .map(|_| {
            let (app, token) = (app.clone(), tokens["refresh_token"].clone());
            tokio::spawn(async move { refresh(&app, &token).await })
        })
        .collect();
    let mut successors = std::collections::BTreeSet::new();
    for each in refreshes {
        let (status, body) = each.await.unwrap();
        assert_eq!(status, 200, "{body}");
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = json!(successors.pop_first().unwrap());
    assert_eq!(refresh(&app, &successor).await.0, 200, "the successor is live");
}
