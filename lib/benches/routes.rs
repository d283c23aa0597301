//! Warm latency of every route through the whole API router (the local
//! server's, `estate::entrypoints::api`) on the embedded store, called in
//! process: no network, no DynamoDB, so it measures the routers, the
//! validation, the token checks and the serialisation. `make bench` runs it;
//! alone: `BENCH_ITERATIONS=200 cargo bench -p estate --bench routes`.
//!
//! It seeds its data through the router, then sends each route's request
//! BENCH_ITERATIONS times (1000 by default; a twentieth of that, at least 3,
//! for the routes that hash a password with argon2id), timing the router's
//! answer with its body. What a request needs first (a fresh property to
//! delete, a session to end) is made before its clock starts. Every answer
//! must have its route's success status. It prints p50/p99 per route, and
//! writes them as JSON to the file BENCH_ROUTES_JSON names, if any.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use estate::auth::{TokenPolicy, ephemeral_keys};
use estate::config::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use estate::domain::{MAX_SESSIONS_PER_USER, Timestamp, UserId};
use estate::store::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";
const OTHER_PASSWORD: &str = "another long secret";
const CITY: &str = "Saint-Étienne";

struct Bench {
    router: Router,
    samples: Vec<(&'static str, Vec<Duration>)>,
}

impl Bench {
    /// Sends `request`, which must be answered `expected`; returns how long
    /// the answer took, body included, and the body.
    async fn send(&self, request: Request<Body>, expected: u16) -> (Duration, Value) {
        let label = format!("{} {}", request.method(), request.uri());
        let start = Instant::now();
        let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a readable body");
        let elapsed = start.elapsed();
        assert_eq!(status.as_u16(), expected, "{label}: {}", String::from_utf8_lossy(&bytes));
        (elapsed, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Sends `request` and records its time under `route`.
    async fn timed(&mut self, route: &'static str, request: Request<Body>, expected: u16) -> Value {
        let (elapsed, body) = self.send(request, expected).await;
        match self.samples.iter_mut().find(|(name, _)| *name == route) {
            Some((_, samples)) => samples.push(elapsed),
            None => self.samples.push((route, vec![elapsed])),
        }
        body
    }

    /// Sends `request` untimed: set-up.
    async fn call(&self, request: Request<Body>, expected: u16) -> Value {
        self.send(request, expected).await.1
    }
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    match body {
        Some(body) => request.header("content-type", "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("a valid request")
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    request("GET", path, token, None)
}

fn registration(email: &str) -> Value {
    json!({ "email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
            "birth_date": "1990-12-10" })
}

/// A registration from the `n`th address of 10.0.0.0/8: one address may
/// register 10 times an hour, and a full run makes a hundred.
fn register(body: Value, n: usize) -> Request<Body> {
    let mut request = request("POST", "/users", None, Some(body));
    let peer = std::net::SocketAddr::from((std::net::Ipv4Addr::from(0x0A00_0001 + n as u32), 40_000));
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

fn sign_in(email: &str, password: &str) -> Request<Body> {
    request("POST", "/auth/token", None, Some(json!({ "email": email, "password": password })))
}

fn new_property(name: &str) -> Value {
    let room = |name: &str, kind: &str, area: f64| json!({ "name": name, "kind": kind, "area_m2": area, "floor": 1 });
    json!({ "name": name, "description": "Bright and quiet.", "type": "apartment", "city": CITY,
            "rooms": [room("Living room", "living_room", 32.5), room("Kitchen", "kitchen", 11.75),
                      room("Bedroom", "bedroom", 14.2)] })
}

/// The centre of the dense map, and a viewport over part of it.
const CENTRE: &str = "45.4397,4.3872";
const VIEWPORT: &str = "4.37,45.43,4.40,45.45";

/// The `n`th listing of the dense map: scattered within about 2.5 km of
/// `CENTRE`, deterministically.
fn located_property(n: u64) -> Value {
    let mut body = new_property(&format!("Mapped flat {n}"));
    let (along, across) = ((n * 7919 % 1000) as f64 / 1000.0, (n * 104_729 % 1000) as f64 / 1000.0);
    body["location"] = json!({ "lat": 45.4397 + (along - 0.5) * 0.04, "lon": 4.3872 + (across - 0.5) * 0.06 });
    body
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The nearest-rank percentile `p` of sorted `samples`, in microseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank - 1].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let hashing = (iterations / 20).max(3);
    let policy = TokenPolicy { issuer: DEFAULT_ISSUER.into(), audience: DEFAULT_AUDIENCE.into() };
    let (issuer, verifier) = ephemeral_keys(policy, 3600);
    let issuer = Arc::new(issuer);
    let router = estate::entrypoints::api(
        MemoryStore::new(),
        issuer.clone(),
        Arc::new(verifier),
        estate::entrypoints::PhotoFiles::local("http://localhost:3000"),
        &estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE),
    );
    let mut b = Bench { router, samples: Vec::new() };

    // The data: an owner with 25 properties of three rooms in one city.
    let owner = "owner@example.com";
    let me = text(&b.call(request("POST", "/users", None, Some(registration(owner))), 201).await["id"]);
    let token = text(&b.call(sign_in(owner, PASSWORD), 200).await["access_token"]);
    let token = token.as_str();
    let mut property = Value::Null;
    for n in 0..25 {
        property =
            b.call(request("POST", "/properties", Some(token), Some(new_property(&format!("Flat {n}")))), 201).await;
    }
    let (id, room) = (text(&property["id"]), text(&property["rooms"][0]["id"]));

    for _ in 0..iterations {
        b.timed("GET /health", get("/health", None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /openapi.json", get("/openapi.json", None), 200).await;
    }
    for i in 0..hashing {
        let body = registration(&format!("user{i}@example.com"));
        b.timed("POST /users", register(body, i), 201).await;
    }
    let mut refresh_tokens = Vec::new();
    for _ in 0..hashing {
        refresh_tokens.push(b.timed("POST /auth/token", sign_in(owner, PASSWORD), 200).await["refresh_token"].clone());
    }
    // A user holds at most MAX_SESSIONS_PER_USER sessions: each sign-in
    // past that ended the oldest one.
    let held = refresh_tokens.split_off(refresh_tokens.len().saturating_sub(MAX_SESSIONS_PER_USER));
    let mut refresh_tokens = held;
    let newest = refresh_tokens.len() - 1;
    for _ in 0..iterations {
        let body = json!({ "refresh_token": refresh_tokens[newest] });
        refresh_tokens[newest] = b
            .timed("POST /auth/refresh", request("POST", "/auth/refresh", None, Some(body)), 200)
            .await["refresh_token"]
            .clone();
    }
    for refresh_token in refresh_tokens {
        let body = json!({ "refresh_token": refresh_token });
        b.timed("POST /auth/sign-out", request("POST", "/auth/sign-out", None, Some(body)), 204).await;
    }
    for _ in 0..iterations {
        b.timed("GET /users/{id}", get(&format!("/users/{me}"), None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /users/me", get("/users/me", Some(token)), 200).await;
    }
    for i in 0..iterations {
        let last_name = ["King", "Lovelace"][i % 2];
        let body = json!({ "last_name": last_name });
        b.timed("PATCH /users/me", request("PATCH", "/users/me", Some(token), Some(body)), 200).await;
    }
    for i in 0..hashing {
        let (current, new) = if i % 2 == 0 { (PASSWORD, OTHER_PASSWORD) } else { (OTHER_PASSWORD, PASSWORD) };
        let body = json!({ "current_password": current, "new_password": new });
        b.timed("PUT /users/me/password", request("PUT", "/users/me/password", Some(token), Some(body)), 204).await;
    }
    for i in 0..hashing {
        let email = format!("leaving{i}@example.com");
        let id = text(&b.call(register(registration(&email), hashing + i), 201).await["id"]);
        let leaving = issuer.issue(UserId::parse(&id).expect("a user id"), Timestamp::now()).expect("a token");
        b.timed("DELETE /users/me", request("DELETE", "/users/me", Some(&leaving), None), 204).await;
    }
    for _ in 0..iterations {
        b.timed("DELETE /users/me/sessions", request("DELETE", "/users/me/sessions", Some(token), None), 204).await;
    }
    for _ in 0..iterations {
        b.timed("GET /property-types", get("/property-types", None), 200).await;
    }
    // A dense map: 400 more listings within 2.5 km of the city centre, so
    // that a viewport and a nearest search (issue 29's geo row) page
    // through as many listings as the city's page reads.
    for n in 0..400 {
        let body = located_property(n);
        b.call(request("POST", "/properties", Some(token), Some(body)), 201).await;
    }
    for _ in 0..iterations {
        b.timed("GET /properties", get("/properties", None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /properties?city=", get("/properties?city=saint%20etienne", None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /properties?bbox=", get(&format!("/properties?bbox={VIEWPORT}"), None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /properties?near=", get(&format!("/properties?near={CENTRE}&radius_km=2"), None), 200).await;
    }
    let mut published = Vec::new();
    for i in 0..iterations {
        let body = new_property(&format!("New flat {i}"));
        published.push(text(
            &b.timed("POST /properties", request("POST", "/properties", Some(token), Some(body)), 201).await["id"],
        ));
    }
    for _ in 0..iterations {
        b.timed("GET /properties/{id}", get(&format!("/properties/{id}"), None), 200).await;
    }
    for i in 0..iterations {
        let body = json!({ "name": format!("Renamed flat {i}") });
        b.timed("PATCH /properties/{id}", request("PATCH", &format!("/properties/{id}"), Some(token), Some(body)), 200)
            .await;
    }
    for published in published {
        let path = format!("/properties/{published}");
        b.timed("DELETE /properties/{id}", request("DELETE", &path, Some(token), None), 204).await;
    }
    for _ in 0..iterations {
        b.timed("GET /users/me/properties", get("/users/me/properties", Some(token)), 200).await;
    }
    let rooms = format!("/properties/{id}/rooms");
    for _ in 0..iterations {
        b.timed("GET /properties/{id}/rooms", get(&rooms, None), 200).await;
    }
    for _ in 0..iterations {
        b.timed("GET /properties/{id}/rooms/{room_id}", get(&format!("{rooms}/{room}"), None), 200).await;
    }
    // Each room added is resized and removed again: the property stays small.
    for _ in 0..iterations {
        let body = json!({ "name": "Office", "kind": "office", "area_m2": 9.5 });
        let added = b.timed("POST /properties/{id}/rooms", request("POST", &rooms, Some(token), Some(body)), 201).await;
        let path = format!("{rooms}/{}", text(&added["id"]));
        let body = json!({ "area_m2": 10.25 });
        b.timed("PATCH /properties/{id}/rooms/{room_id}", request("PATCH", &path, Some(token), Some(body)), 200).await;
        b.timed("DELETE /properties/{id}/rooms/{room_id}", request("DELETE", &path, Some(token), None), 204).await;
    }

    let mut routes = Vec::new();
    println!("{:<42} {:>7} {:>10} {:>10}", "route (in process, embedded store)", "calls", "p50 µs", "p99 µs");
    for (route, mut samples) in b.samples {
        samples.sort();
        let (p50, p99) = (percentile(&samples, 50.0), percentile(&samples, 99.0));
        println!("{route:<42} {:>7} {p50:>10.1} {p99:>10.1}", samples.len());
        routes.push(json!({ "route": route, "calls": samples.len(), "p50_us": p50, "p99_us": p99 }));
    }
    if let Ok(path) = std::env::var("BENCH_ROUTES_JSON") {
        let report = json!({ "iterations": iterations, "hashing_iterations": hashing, "routes": routes });
        std::fs::write(&path, format!("{report:#}\n")).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}
