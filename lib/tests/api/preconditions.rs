//! Conditional requests on a property, on both stores: `If-Match` guards
//! every write to the property or its rooms (412, nothing written, when
//! stale), and `If-None-Match` on reading it answers 304 when the client's
//! copy is current.

use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room};
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

on_both_stores!(app: every_write_honours_if_match, reading_honours_if_none_match);

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
    let reply = read("\"2\"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["id"], id.as_str());
    app.call("PATCH", &path, Some(&token), Some(json!({"name": "Renamed"}))).await;
    assert_eq!(read("\"1\"").await.status, 200, "an old copy is not current");
}
