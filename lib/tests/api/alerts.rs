//! Favourites, saved searches and their alerts through the API, on the
//! embedded store, alerted as the local server alerts: by a background
//! task that follows the change feed, writing each e-mail as an `.eml`
//! file. The walk: a search for two-bedroom flats under a price in
//! Lyon and a favourite; another user publishes a match and lowers the
//! favourite's price; one `new_match` and one `price_drop` arrive, once.

use crate::support::{TestApp, new_property};
use axum::http::StatusCode;
use estate::alerts::Alerts;
use estate::alerts::mail::Mailer;
use estate::domain::Timestamp;
use estate::store::feed::FeedQuery;
use estate::store::{FeedStore, MemoryStore};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// The API with alerts running, and where their e-mails are written.
async fn alerted_app() -> (TestApp, Alerts<MemoryStore>, PathBuf) {
    let store = MemoryStore::new();
    let app = TestApp::new(store.clone());
    let dir = std::env::temp_dir().join(format!("estate-alerts-{}", uuid::Uuid::now_v7()));
    let mailer = Mailer::Files { dir: dir.clone(), from: "alerts@example.com".into() };
    let alerts = Alerts { store, mailer, public_url: "http://localhost:3000".into() };
    estate::local_server::start_alerts(alerts.clone());
    // The follower starts from where the feed stands: let it get there.
    tokio::time::sleep(Duration::from_millis(100)).await;
    (app, alerts, dir)
}

fn flat(name: &str, city: &str, bedrooms: usize, euros: u64) -> Value {
    let mut body = new_property(name, city, "apartment", bedrooms);
    body["price"] = json!({"amount": euros, "currency": "EUR"});
    body
}

fn lyon_search() -> Value {
    json!({
        "name": "Two-bedroom flats in Lyon",
        "filter": {"city": "Lyon", "type": "apartment", "min_bedrooms": 2, "currency": "EUR", "max_price": 320000},
        "alerts": {"frequency": "instant", "events": ["new_match", "price_drop"], "email": true},
    })
}

/// The inbox of `token`, once it holds `count` notifications (or after 5 s).
async fn inbox(app: &TestApp, token: &str, count: usize) -> Value {
    for _ in 0..100 {
        let reply = app.get("/users/me/notifications", Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        if reply.body["items"].as_array().unwrap().len() >= count {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.get("/users/me/notifications", Some(token)).await.body
}

fn events(inbox: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| (item["event"].as_str().unwrap().to_owned(), item["property_id"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn a_match_and_a_price_drop_are_notified_once_each() {
    let (app, alerts, mail) = alerted_app().await;
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let favourite = app.publish(&bob, flat("Old town loft", "Lyon", 1, 400_000)).await;
    let search = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(lyon_search())).await;
    assert_eq!(search.status, StatusCode::CREATED, "{}", search.body);
    let kept = app.call("PUT", &format!("/users/me/favourites/{favourite}"), Some(&ada), None).await;
    assert_eq!(kept.status, StatusCode::CREATED, "{}", kept.body);

    let matching = app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    app.publish(&bob, flat("Too dear", "Lyon", 2, 500_000)).await;
    app.publish(&bob, flat("Elsewhere", "Paris", 2, 300_000)).await;
    let lowered = json!({"price": {"amount": 380000, "currency": "EUR"}});
    let reply = app.call("PATCH", &format!("/properties/{favourite}"), Some(&bob), Some(lowered)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let held = inbox(&app, &ada, 2).await;
    let expected = {
        let mut expected =
            vec![("new_match".to_owned(), matching.clone()), ("price_drop".to_owned(), favourite.clone())];
        expected.sort();
        expected
    };
    assert_eq!(events(&held), expected, "{held}");
    assert_eq!(held["unread_count"], 2);
    let new_match = held["items"].as_array().unwrap().iter().find(|item| item["event"] == "new_match").unwrap();
    assert_eq!(new_match["searches"], json!([search.body["id"]]));
    assert_eq!(new_match["favourite"], false);
    // The publisher hears nothing of their own listings.
    assert_eq!(app.get("/users/me/notifications", Some(&bob)).await.body["items"], json!([]));

    // The search asked for e-mail: one file, the match's.
    let files: Vec<PathBuf> = std::fs::read_dir(&mail).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let message = std::fs::read_to_string(&files[0]).unwrap();
    assert!(message.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), "{message}");
    assert!(message.contains("Content-Type: text/plain; charset=utf-8") && message.contains("Content-Type: text/html"));

    // The whole feed again (a replay, a redelivery): nothing twice.
    let page = alerts.store.changes(&FeedQuery { after: Some(0), limit: 500, city: None, types: Vec::new() }).await;
    for event in &page.unwrap().events {
        alerts.handle(event).await.unwrap();
    }
    assert_eq!(events(&app.get("/users/me/notifications", Some(&ada)).await.body), expected);
    assert_eq!(std::fs::read_dir(&mail).unwrap().count(), 1);

    // Read up to the newest: nothing unread.
    let newest = held["items"][0]["id"].clone();
    let read = app.call("POST", "/users/me/notifications/read", Some(&ada), Some(json!({"up_to": newest}))).await;
    assert_eq!(read.status, StatusCode::NO_CONTENT, "{}", read.body);
    let after = app.get("/users/me/notifications", Some(&ada)).await.body;
    assert_eq!(after["unread_count"], 0);
    assert!(after["items"].as_array().unwrap().iter().all(|item| item["read"] == true));
    std::fs::remove_dir_all(&mail).unwrap();
}

#[tokio::test]
async fn the_same_change_handled_at_once_many_times_notifies_once() {
    let (app, alerts, mail) = alerted_app().await;
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let reply = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(lyon_search())).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    let page = alerts.store.changes(&FeedQuery { after: Some(0), limit: 500, city: None, types: Vec::new() }).await;
    let event = page.unwrap().events.last().cloned().unwrap();
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let (alerts, event) = (alerts.clone(), event.clone());
            tokio::spawn(async move { alerts.handle(&event).await })
        })
        .collect();
    for racer in racers {
        racer.await.unwrap().unwrap();
    }
    let held = inbox(&app, &ada, 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        app.get("/users/me/notifications", Some(&ada)).await.body["items"].as_array().unwrap().len(),
        1,
        "{held}"
    );
    assert_eq!(std::fs::read_dir(&mail).unwrap().count(), 1);
    std::fs::remove_dir_all(&mail).unwrap();
}

#[tokio::test]
async fn a_daily_search_gathers_its_day_in_one_digest() {
    let (app, alerts, mail) = alerted_app().await;
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let mut daily = lyon_search();
    daily["alerts"] = json!({"frequency": "daily", "time_zone": "Europe/Paris", "hour": 7, "email": true});
    let search = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(daily)).await;
    assert_eq!(search.status, StatusCode::CREATED, "{}", search.body);
    let first = app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    let second = app.publish(&bob, flat("Part-Dieu flat", "Lyon", 3, 310_000)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.get("/users/me/notifications", Some(&ada)).await.body["items"], json!([]), "nothing at once");
    assert_eq!(alerts.send_digests(Timestamp::now()).await.unwrap(), 0, "not due before its hour");

    // A day on, whatever the hour now: due.
    let tomorrow = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() + 25 * 3600);
    assert_eq!(alerts.send_digests(tomorrow).await.unwrap(), 1);
    let held = inbox(&app, &ada, 1).await;
    let digest = &held["items"][0];
    assert_eq!((digest["type"].clone(), digest["searches"].clone()), (json!("digest"), json!([search.body["id"]])));
    let listed: Vec<&str> =
        digest["matches"].as_array().unwrap().iter().map(|m| m["property_id"].as_str().unwrap()).collect();
    assert_eq!(listed, [first.as_str(), second.as_str()]);
    assert_eq!(std::fs::read_dir(&mail).unwrap().count(), 1, "one e-mail, the digest's");

    // Sent once; the feed again holds nothing again.
    assert_eq!(alerts.send_digests(tomorrow).await.unwrap(), 0);
    let page = alerts.store.changes(&FeedQuery { after: Some(0), limit: 500, city: None, types: Vec::new() }).await;
    for event in &page.unwrap().events {
        alerts.handle(event).await.unwrap();
    }
    assert_eq!(alerts.send_digests(tomorrow).await.unwrap(), 0);
    assert_eq!(app.get("/users/me/notifications", Some(&ada)).await.body["items"].as_array().unwrap().len(), 1);
    std::fs::remove_dir_all(&mail).unwrap();
}

#[tokio::test]
async fn a_favourite_stays_when_its_listing_goes() {
    let app = TestApp::memory();
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let listing = app.publish(&bob, flat("Old town loft", "Lyon", 1, 400_000)).await;
    let mut draft = flat("Draft", "Lyon", 1, 1);
    draft["status"] = json!("draft");
    let hidden = app.publish(&bob, draft).await;
    let path = format!("/users/me/favourites/{listing}");
    assert_eq!(app.call("PUT", &path, Some(&ada), None).await.status, StatusCode::CREATED);
    let again = app.call("PUT", &path, Some(&ada), None).await;
    assert_eq!(again.status, StatusCode::OK);
    let hidden_path = format!("/users/me/favourites/{hidden}");
    assert_eq!(app.call("PUT", &hidden_path, Some(&ada), None).await.status, StatusCode::NOT_FOUND);

    let listed = app.get("/users/me/favourites", Some(&ada)).await.body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let item = &listed["items"][0];
    assert_eq!((item["available"].clone(), item["listing"]["city"].clone()), (json!(true), json!("Lyon")));
    assert_eq!(item["saved_at"], again.body["saved_at"], "kept again, it keeps its first time");

    assert_eq!(
        app.call("DELETE", &format!("/properties/{listing}"), Some(&bob), None).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = app.get("/users/me/favourites", Some(&ada)).await.body;
    assert_eq!(listed["items"][0]["available"], false);
    assert!(listed["items"][0].get("listing").is_none());
    assert_eq!(app.call("DELETE", &path, Some(&ada), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call("DELETE", &path, Some(&ada), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/users/me/favourites", Some(&ada)).await.body["items"], json!([]));
}

#[tokio::test]
async fn favourites_page_newest_saved_first() {
    let app = TestApp::memory();
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let mut saved = Vec::new();
    for n in 0..5 {
        let id = app.publish(&bob, flat(&format!("Flat {n}"), "Lyon", 1, 100_000)).await;
        assert_eq!(
            app.call("PUT", &format!("/users/me/favourites/{id}"), Some(&ada), None).await.status,
            StatusCode::CREATED
        );
        saved.push(id);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    saved.reverse();
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/users/me/favourites?limit=2&cursor={cursor}"),
            None => "/users/me/favourites?limit=2".to_owned(),
        };
        let page = app.get(&path, Some(&ada)).await.body;
        seen.extend(
            page["items"].as_array().unwrap().iter().map(|item| item["property_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, saved);
}

#[tokio::test]
async fn a_saved_filter_is_checked_by_the_search_itself() {
    let app = TestApp::memory();
    let (_, ada) = app.register("ada@example.com").await;
    let saved = |filter: Value| json!({"name": "Mine", "filter": filter});
    let cases = [
        (saved(json!({"city": "Lyon", "max_price": 5})), vec!["filter.max_price"]),
        (saved(json!({"city": "Lyon", "bedrooms": 2})), vec!["filter.bedrooms"]),
        (saved(json!({"type": "apartment"})), vec!["filter"]),
        (
            json!({"name": "", "filter": {"city": "Lyon"}, "alerts": {"frequency": "hourly", "hour": 24}}),
            vec!["alerts.frequency", "alerts.hour", "name"],
        ),
        (
            json!({"name": "Mine", "filter": {"city": "Lyon"}, "alerts": {"time_zone": "Mars/Olympus", "events": []}}),
            vec!["alerts.events", "alerts.time_zone"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.body);
        let mut named = reply.invalid_fields();
        named.sort();
        assert_eq!(named, fields, "{body}");
    }
}

#[tokio::test]
async fn a_saved_search_is_kept_changed_run_and_deleted() {
    let app = TestApp::memory();
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let matching = app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    app.publish(&bob, flat("Too small", "Lyon", 1, 200_000)).await;
    let created = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(lyon_search())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = created.header("location").to_owned();
    assert_eq!(created.body["alerts"]["hour"], 8);
    let results = app.get(&format!("{path}/results"), Some(&ada)).await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    let ids: Vec<&str> =
        results.body["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [matching.as_str()]);

    let patch = json!({"name": "Lyon, daily", "alerts": {"frequency": "daily", "time_zone": "Europe/Paris"}});
    let changed = app.call("PATCH", &path, Some(&ada), Some(patch)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["alerts"]["frequency"], "daily");
    assert_eq!(changed.body["alerts"]["time_zone"], "Europe/Paris");
    assert_eq!(changed.body["alerts"]["events"], json!(["new_match", "price_drop"]), "untouched members stay");
    assert_eq!(app.get(&path, Some(&ada)).await.body["name"], "Lyon, daily");
    // Another's search is not theirs to know of.
    assert_eq!(app.get(&path, Some(&bob)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{path}/results"), Some(&bob)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/users/me/saved-searches", Some(&ada)).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.call("DELETE", &path, Some(&ada), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call("DELETE", &path, Some(&ada), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_click_unsubscribes_without_signing_in() {
    let (app, _alerts, mail) = alerted_app().await;
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let created = app.call("POST", "/users/me/saved-searches", Some(&ada), Some(lyon_search())).await;
    let path = created.header("location").to_owned();
    app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    inbox(&app, &ada, 1).await;
    let files: Vec<PathBuf> = std::fs::read_dir(&mail).unwrap().map(|entry| entry.unwrap().path()).collect();
    let message = std::fs::read_to_string(&files[0]).unwrap();
    let link = message.lines().find_map(|line| line.strip_prefix("List-Unsubscribe: <")).unwrap().trim_end_matches('>');
    let target = link.strip_prefix("http://localhost:3000").unwrap();

    let page = app.get(target, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(
        app.get(&path, Some(&ada)).await.body["alerts"]["frequency"],
        "instant",
        "opening the link changes nothing"
    );
    assert_eq!(app.call("POST", target, None, None).await.status, StatusCode::OK);
    assert_eq!(app.get(&path, Some(&ada)).await.body["alerts"]["frequency"], "off");
    assert_eq!(app.call("POST", target, None, None).await.status, StatusCode::OK, "sent again");

    // The same search's token with another secret: its first character
    // changed (the last one carries 2 bits, so "changing" it to a fixed
    // character left it as it was in a quarter of the runs).
    let (ids, secret) = target.rsplit_once('.').unwrap();
    let other = if secret.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{ids}.{other}{}", &secret[1..]);
    assert_eq!(app.call("POST", &forged, None, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call("POST", "/unsubscribe?token=nonsense", None, None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    app.publish(&bob, flat("Another flat", "Lyon", 2, 300_000)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.get("/users/me/notifications", Some(&ada)).await.body["items"].as_array().unwrap().len(), 1);
    std::fs::remove_dir_all(&mail).unwrap();
}

#[tokio::test]
async fn deleting_the_account_forgets_its_favourites_searches_and_inbox() {
    let (app, _alerts, mail) = alerted_app().await;
    let (_, ada) = app.register("ada@example.com").await;
    let (_, bob) = app.register("bob@example.com").await;
    let listing = app.publish(&bob, flat("Old town loft", "Lyon", 2, 300_000)).await;
    app.call("PUT", &format!("/users/me/favourites/{listing}"), Some(&ada), None).await;
    app.call("POST", "/users/me/saved-searches", Some(&ada), Some(lyon_search())).await;
    app.publish(&bob, flat("Croix-Rousse flat", "Lyon", 2, 300_000)).await;
    inbox(&app, &ada, 1).await;
    assert_eq!(app.call("DELETE", "/users/me", Some(&ada), None).await.status, StatusCode::NO_CONTENT);
    for path in ["/users/me/favourites", "/users/me/saved-searches", "/users/me/notifications"] {
        assert_eq!(app.get(path, Some(&ada)).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let _ = std::fs::remove_dir_all(&mail);
}
