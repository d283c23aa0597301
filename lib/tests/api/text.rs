//! Text input on both stores: stored in one Unicode spelling (NFC), and
//! refused (422 naming the member) when it holds what a reader cannot see
//! or that reorders what they see; a body that repeats a member is a 400.

use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room, registration};
use axum::body::Body;
use axum::http::Request;
use serde_json::json;

on_both_stores!(app: text_is_stored_in_normal_form_c, invisible_and_reordering_text_is_refused, repeated_members_are_refused);

async fn text_is_stored_in_normal_form_c(app: TestApp) {
    let mut body = registration("nfc@example.com");
    body["first_name"] = json!("Ine\u{0301}s");
    let reply = app.call("POST", "/users", None, Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["first_name"], "Inés");

    let token = app.sign_in("nfc@example.com", crate::support::PASSWORD).await;
    let id = app.publish(&token, new_property("Maison", "Saint-E\u{0301}tienne", "house", 0)).await;
    assert_eq!(app.property(&id).await["city"], "Saint-Étienne");
    for spelling in ["Saint-%C3%89tienne", "Saint-E%CC%81tienne"] {
        let listed = app.get(&format!("/properties?city={spelling}"), None).await;
        assert_eq!(listed.body["items"][0]["id"], id.as_str(), "{spelling}");
    }
}

async fn invisible_and_reordering_text_is_refused(app: TestApp) {
    let hostile =
        ["evil\u{202E}gnp", "zero\u{200B}width", "\u{200B}\u{200B}", "\u{3164}", "non\u{FDD0}char", "a\u{2066}b"];
    for text in hostile {
        let mut body = registration("hostile@example.com");
        body["first_name"] = json!(text);
        body["email"] = json!(format!("ho\u{200B}stile@example.com"));
        let reply = app.call("POST", "/users", None, Some(body)).await;
        assert_eq!(reply.invalid_fields(), ["email", "first_name"], "{text:?}");
    }
    let (_, token) = app.register("honest@example.com").await;
    for text in hostile {
        let mut body = new_property(text, text, "house", 0);
        body["description"] = json!(text);
        let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
        assert_eq!(reply.invalid_fields(), ["name", "description", "city"], "{text:?}");
        let mut room = new_room("Room", "bedroom", "10");
        room["features"] = json!([text]);
        let reply = app
            .call(
                "POST",
                "/properties",
                Some(&token),
                Some(json!({
                    "name": "N", "type": "loft", "city": "Lyon", "rooms": [room]
                })),
            )
            .await;
        assert_eq!(reply.invalid_fields(), ["rooms[0].features"], "{text:?}");
    }
    let reply = app.get("/properties?city=%E2%80%AEsiraP", None).await;
    assert_eq!(reply.invalid_fields(), ["city"]);
}

async fn repeated_members_are_refused(app: TestApp) {
    let body = r#"{"email": "twice@example.com", "email": "other@example.com", "password": "correct horse battery",
                   "first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}"#;
    let request = Request::post("/users").header("content-type", "application/json").body(Body::from(body)).unwrap();
    let reply = app.send(request).await;
    assert!(reply.problem(400)["detail"].as_str().unwrap().contains("appears twice"), "{}", reply.body);
    assert_eq!(
        app.call("POST", "/auth/token", None, Some(json!({"email": "twice@example.com", "password": "x"})))
            .await
            .status,
        401
    );
}
