//! Conditional requests on a property, on both stores: `If-Match` guards
//! every write to the property or its rooms (412, nothing written, when
//! stale), and `If-None-Match` on reading it answers 304 when the client's
//! copy is current. `If-Match` compares entity tags strongly, as text
//! (RFC 9110, section 13.1.1), and takes a list of them.

use crate::on_both_stores;
use crate::support::{Reply, TestApp, new_property, new_room};
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use serde_json::{Value, json};

on_both_stores!(
    app: every_write_honours_if_match,
    if_match_compares_tags_as_text_and_strongly,
    if_match_takes_a_list_of_tags,
    a_malformed_if_match_is_refused,
    reading_honours_if_none_match,
);

/// A write with one `If-Match` header line per entry of `lines` (any
/// bytes a header may hold).
async fn write(app: &TestApp, method: &str, path: &str, token: &str, lines: &[&[u8]], body: Option<Value>) -> Reply {
    let mut request =
        Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    for line in lines {
        request = request.header(header::IF_MATCH, HeaderValue::from_bytes(line).expect("header text"));
    }
    let request = match body {
        Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    app.send(request.unwrap()).await
}

/// A published property with one room: its path and its room's path.
async fn guarded(app: &TestApp, token: &str) -> (String, String) {
    let id = app.publish(token, new_property("Guarded", "Paris", "house", 1)).await;
    let path = format!("/properties/{id}");
    let first = app.property(&id).await["rooms"][0]["id"].as_str().unwrap().to_owned();
    let room = format!("{path}/rooms/{first}");
    (path, room)
}

/// Every kind of write to the property at `path` or its room at `room`.
fn writes<'a>(path: &'a str, room: &'a str, rooms: &'a str) -> [(&'static str, &'a str, Option<Value>); 5] {
    [
        ("POST", rooms, Some(new_room("Late", "office", "9"))),
        ("PATCH", room, Some(json!({"name": "Late"}))),
        ("DELETE", room, None),
        ("PATCH", path, Some(json!({"name": "Late"}))),
        ("DELETE", path, None),
    ]
}

/// The property at `path` is at `version`, with `rooms` rooms and its
/// name as published.
async fn unchanged(app: &TestApp, path: &str, version: u64, rooms: u64) {
    let read = app.get(path, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let seen = (read.body["version"].clone(), read.body["room_count"].clone(), read.body["name"].clone());
    assert_eq!(seen, (json!(version), json!(rooms), json!("Guarded")));
}

async fn if_match_compares_tags_as_text_and_strongly(app: TestApp) {
    let (_, token) = app.register("strong@example.com").await;
    let (path, room) = guarded(&app, &token).await;
    let rooms = format!("{path}/rooms");
    // Version 1 is current, but none of these tags is the text of its
    // ETag ("1"), or it is weak: no write happens.
    let others: [&[u8]; 10] = [
        b"\"01\"",
        b"\"+1\"",
        b"\"1.0\"",
        b"\"0x1\"",
        b"\"1e0\"",
        b"\"18446744073709551617\"",
        b"\"\"",
        b"W/\"1\"",
        b"\"1,\"",
        "\"\u{661}\"".as_bytes(),
    ];
    for tag in others {
        for (method, target, body) in writes(&path, &room, &rooms) {
            let reply = write(&app, method, target, &token, &[tag], body).await;
            assert_eq!(reply.status, 412, "{method} {target} with {}: {}", String::from_utf8_lossy(tag), reply.body);
            reply.problem(412);
        }
    }
    unchanged(&app, &path, 1, 1).await;

    // Who may write, and whether the property exists, are answered first.
    let (_, stranger) = app.register("stranger@example.com").await;
    write(&app, "PATCH", &path, &stranger, &[b"\"01\""], Some(json!({"name": "Late"}))).await.problem(403);
    let missing = "/properties/00000000-0000-7000-8000-000000000000";
    write(&app, "PATCH", missing, &token, &[b"\"01\""], Some(json!({"name": "Late"}))).await.problem(404);

    // The tag as sent in ETag does match.
    let reply = write(&app, "PATCH", &path, &token, &[b"\"1\""], Some(json!({"name": "Guarded"}))).await;
    assert_eq!((reply.status.as_u16(), reply.header("etag")), (200, "\"2\""), "{}", reply.body);
}

async fn if_match_takes_a_list_of_tags(app: TestApp) {
    let (_, token) = app.register("listed@example.com").await;
    let (path, room) = guarded(&app, &token).await;
    let rooms = format!("{path}/rooms");
    let same = Some(json!({"name": "Guarded"}));

    // Any listed tag may be the current one.
    let reply = write(&app, "PATCH", &path, &token, &[b"\"7\", \"1\""], same.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    unchanged(&app, &path, 2, 1).await;
    // None of them is: nothing is written, whatever the write.
    for list in [&b"\"1\", \"3\""[..], b"\"1\",W/\"2\",\"02\"", b"W/\"2\""] {
        for (method, target, body) in writes(&path, &room, &rooms) {
            let reply = write(&app, method, target, &token, &[list], body).await;
            assert_eq!(reply.status, 412, "{method} {target} with {}: {}", String::from_utf8_lossy(list), reply.body);
        }
    }
    unchanged(&app, &path, 2, 1).await;
    // Several header lines make one list.
    let added =
        write(&app, "POST", &rooms, &token, &[b"\"9\"", b"\"2\""], Some(new_room("Study", "office", "9"))).await;
    assert_eq!(added.status, 201, "{}", added.body);
    unchanged(&app, &path, 3, 2).await;
    let reply = write(&app, "PATCH", &room, &token, &[b"\"1\"", b"\"2\""], Some(json!({"name": "Late"}))).await;
    assert_eq!(reply.status, 412, "{}", reply.body);
    // Empty list elements are ignored (RFC 9110, section 5.6.1).
    let reply = write(&app, "PATCH", &room, &token, &[b"\"3\",, "], Some(json!({"name": "Lounge"}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    unchanged(&app, &path, 4, 2).await;
    // `*`: any version.
    let reply = write(&app, "PATCH", &path, &token, &[b"*"], same.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    unchanged(&app, &path, 5, 2).await;
    // Up to 20 tags.
    let twenty = (1..=20).map(|version| format!("\"{version}\"")).collect::<Vec<_>>().join(", ");
    let reply = write(&app, "PATCH", &path, &token, &[twenty.as_bytes()], same.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    unchanged(&app, &path, 6, 2).await;
    let twenty_one = format!("{twenty}, \"21\"");
    write(&app, "PATCH", &path, &token, &[twenty_one.as_bytes()], same.clone()).await.problem(400);
    let reply = write(&app, "DELETE", &path, &token, &[b"\"5\", \"6\""], None).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    app.get(&path, None).await.problem(404);
}

async fn a_malformed_if_match_is_refused(app: TestApp) {
    let (_, token) = app.register("malformed@example.com").await;
    let (path, room) = guarded(&app, &token).await;
    let rooms = format!("{path}/rooms");
    let malformed: [&[&[u8]]; 14] = [
        &[b"1"],
        &[b"\"1"],
        &[b"1\""],
        &[b"\" 1\""],
        &[b"\"1 \""],
        &[b"\"1\" \"2\""],
        &[b"\"1\"x"],
        &[b"w/\"1\""],
        &[b"W/ \"1\""],
        &[b","],
        &[b""],
        &[b"*, \"1\""],
        &[b"*", b"\"1\""],
        &[b"\"1\"", b"1"],
    ];
    for lines in malformed {
        for (method, target, body) in writes(&path, &room, &rooms) {
            let reply = write(&app, method, target, &token, lines, body).await;
            assert_eq!(reply.status, 400, "{method} {target} with {lines:?}: {}", reply.body);
            reply.problem(400);
        }
    }
    unchanged(&app, &path, 1, 1).await;
}

async fn every_write_honours_if_match(app: TestApp) {
    let (_, token) = app.register("guarded@example.com").await;
    let id = app.publish(&token, new_property("Guarded", "Paris", "house", 1)).await;
    let path = format!("/properties/{id}");
    let rooms = format!("{path}/rooms");
    let first = app.property(&id).await["rooms"][0]["id"].as_str().unwrap().to_owned();
    let room = format!("{rooms}/{first}");

    // Version 1 is current: one room write moves the property to version 2.
    let added = app.call_if_match("POST", &rooms, &token, "\"1\"", Some(new_room("Study", "office", "9"))).await;
    assert_eq!(added.status, 201, "{}", added.body);
    let stale: [(&str, &str, Option<Value>); 5] = [
        ("POST", &rooms, Some(new_room("Late", "office", "9"))),
        ("PATCH", &room, Some(json!({"name": "Late"}))),
        ("DELETE", &room, None),
        ("PATCH", &path, Some(json!({"name": "Late"}))),
        ("DELETE", &path, None),
    ];
    for (method, target, body) in stale {
        let reply = app.call_if_match(method, target, &token, "\"1\"", body).await;
        reply.problem(412);
    }
    let unchanged = app.property(&id).await;
    assert_eq!((unchanged["version"].clone(), unchanged["room_count"].clone()), (json!(2), json!(2)));
    assert_eq!(unchanged["name"], "Guarded");

    let reply = app.call_if_match("PATCH", &room, &token, "\"2\"", Some(json!({"name": "Lounge"}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(app.call_if_match("DELETE", &room, &token, "\"3\"", None).await.status, 204);
    assert_eq!(app.call_if_match("DELETE", &path, &token, "W/\"4\"", None).await.problem(412)["status"], 412);
    assert_eq!(app.call_if_match("DELETE", &path, &token, "4", None).await.problem(400)["status"], 400);
    assert_eq!(app.call_if_match("DELETE", &path, &token, "\"4\"", None).await.status, 204);
    app.get(&path, None).await.problem(404);
}

async fn reading_honours_if_none_match(app: TestApp) {
    let (_, token) = app.register("cached@example.com").await;
    let id = app.publish(&token, new_property("Cached", "Paris", "house", 1)).await;
    let path = format!("/properties/{id}");
    let read = |tag: &'static str| {
        let request = Request::get(&path).header("if-none-match", tag).body(Body::empty()).unwrap();
        app.send(request)
    };
    for current in ["\"1\"", "W/\"1\"", "\"9\", \"1\"", "*"] {
        let reply = read(current).await;
        assert_eq!(reply.status, 304, "{current}");
        assert_eq!(reply.body, Value::Null, "{current}: a 304 has no body");
        assert_eq!(reply.header("etag"), "\"1\"");
    }
    // Several header lines make one list, compared weakly.
    let request = Request::get(&path)
        .header("if-none-match", "\"9\"")
        .header("if-none-match", "W/\"1\"")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, 304);
    // Not the current tag: "01" is another tag, "1,2" one tag.
    for other in ["\"2\"", "\"01\"", "\"1,2\""] {
        assert_eq!(read(other).await.status, 200, "{other}");
    }
    let reply = read("\"2\"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["id"], id.as_str());
    app.call("PATCH", &path, Some(&token), Some(json!({"name": "Renamed"}))).await;
    assert_eq!(read("\"1\"").await.status, 200, "an old copy is not current");
}
