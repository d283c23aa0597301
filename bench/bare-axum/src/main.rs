//! The fastest the local server could answer over HTTP: axum on tokio's
//! multi-thread runtime (as `local` runs), `axum::serve` with keep-alive,
//! and handlers that only serialise a fixed JSON value. `make bench` runs
//! wrk against it beside the local server and reports the ratio. It is a
//! workspace member only for that; nothing deploys it.
//!
//!   GET /properties/{id}  one property as `GET /properties/{id}` shows it
//!                         (three rooms), whatever the id
//!   GET /properties       a page of 25 properties as listings show them
//!
//! It listens on 127.0.0.1:$PORT (3000 by default).

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::LazyLock;

const ID: &str = "01980000-0000-7000-8000-000000000001";
const OWNER: &str = "01980000-0000-7000-8000-000000000002";
const AT: &str = "2025-06-01T12:00:00.000000Z";

/// A property's fields in a listing (no rooms).
fn summary(n: usize) -> Value {
    json!({
        "id": ID, "owner_id": OWNER, "name": format!("Bench flat {n}"), "description": "Bright and quiet.",
        "type": "apartment", "city": "Lyon", "room_count": 3, "total_area_m2": 58.45,
        "created_at": AT, "updated_at": AT, "version": 4,
    })
}

static PROPERTY: LazyLock<Value> = LazyLock::new(|| {
    let rooms: Vec<Value> =
        [("Living room", "living_room", 32.5), ("Kitchen", "kitchen", 11.75), ("Bedroom", "bedroom", 14.2)]
            .into_iter()
            .map(|(name, kind, area)| {
                json!({
                    "id": ID, "property_id": ID, "name": name, "kind": kind, "area_m2": area, "floor": 1,
                    "description": null, "features": ["south-facing"], "created_at": AT, "updated_at": AT,
                })
            })
            .collect();
    let mut property = summary(0);
    property["rooms"] = Value::Array(rooms);
    property
});

static PAGE: LazyLock<Value> =
    LazyLock::new(|| json!({ "items": (0..25).map(summary).collect::<Vec<_>>(), "next_cursor": null }));

async fn property(Path(_id): Path<String>) -> Json<&'static Value> {
    Json(&PROPERTY)
}

async fn properties() -> Json<&'static Value> {
    Json(&PAGE)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|e| std::io::Error::other(format!("PORT={port}: {e}")))?,
        Err(_) => 3000,
    };
    let app = Router::new().route("/properties", get(properties)).route("/properties/{id}", get(property));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
