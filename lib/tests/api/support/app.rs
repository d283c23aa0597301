//! The whole API as the local server serves it, called in process, and the
//! request bodies and tokens the tests send it.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use estate::auth::{TokenIssuer, TokenPolicy, TokenVerifier, ephemeral_keys};
use estate::config::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use estate::store::{MemoryStore, Store};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub fn test_policy() -> TokenPolicy {
    TokenPolicy { issuer: DEFAULT_ISSUER.into(), audience: DEFAULT_AUDIENCE.into() }
}

/// A fresh key pair under the test policy; its tokens last an hour.
pub fn test_keys() -> (TokenIssuer, TokenVerifier) {
    ephemeral_keys(test_policy(), 3600)
}

/// A route's path with a fresh id in each of its `{parameters}`.
pub fn concrete(path: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    path.split('/')
        .map(|segment| if segment.starts_with('{') { id.as_str() } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// The whole API as the local server serves it, called in process.
#[derive(Clone)]
pub struct TestApp {
    router: Router,
    pub issuer: Arc<TokenIssuer>,
    /// Where webhook deliveries are queued (in memory, as locally).
    pub webhooks: estate::webhooks::DeliverySetup,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent (`body` is its JSON reading, or its text).
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body: {}", self.body);
        assert_eq!(self.header("content-type"), "application/problem+json");
        assert_eq!(self.body["status"], status);
        for member in ["type", "title", "detail"] {
            assert!(self.body[member].is_string(), "problem without {member}: {}", self.body);
        }
        &self.body
    }

    /// The fields named by a 422 problem.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.problem(422)["errors"]
            .as_array()
            .expect("a 422 lists its errors")
            .iter()
            .map(|error| error["field"].as_str().expect("each error names its field").to_owned())
            .collect()
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// Where the test app's upload and media links point (its requests never
/// leave the process: `upload` and `get` take the path of such a link).
pub const LOCAL_URL: &str = "http://localhost:3000";

impl TestApp {
    pub fn new<S: Store>(store: S) -> Self {
        // Warnings and errors (a 500's cause) show with a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_max_level(tracing::Level::WARN).try_init();
        let (issuer, verifier) = test_keys();
        let issuer = Arc::new(issuer);
        let files = estate::entrypoints::PhotoFiles::local(LOCAL_URL);
        let (extra, limits) = (Router::new(), estate::local_server::ServerLimits::LOCAL);
        let webhooks = estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE);
        let router = estate::local_server::local_app(
            store,
            issuer.clone(),
            Arc::new(verifier),
            files,
            extra,
            &limits,
            &webhooks,
        );
        Self { router, issuer, webhooks }
    }

    /// The API with webhooks delivered as the local server delivers them,
    /// by background tasks that follow the change feed (calls no request
    /// makes, which the tests of calls per request cannot have).
    pub fn with_webhooks<S: Store>(store: S) -> Self {
        let app = Self::new(store.clone());
        estate::local_server::webhooks::start(app.webhooks.on(store));
        app
    }

    pub fn memory() -> Self {
        Self::new(MemoryStore::new())
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a readable body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body, raw: bytes.to_vec() }
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.send(request(method, path, token, body, &[])).await
    }

    /// A call with more headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send(request(method, path, token, body, headers)).await
    }

    /// A call from the source address `peer`, as the local server sees a
    /// client (the attempt limits count per source address). Calls without
    /// it come from no address at all (`unknown`), like any request made
    /// in process.
    pub async fn call_from(
        &self,
        peer: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = request(method, path, token, body, &[]);
        let address = std::net::SocketAddr::new(peer.parse().expect("an IP address"), 40_000);
        request.extensions_mut().insert(axum::extract::ConnectInfo(address));
        self.send(request).await
    }

    /// Sends `bytes` as an announced photo's `upload` object says, to this
    /// app (the local server's upload route); `headers` replace the signed
    /// ones where given.
    pub async fn upload(&self, upload: &Value, bytes: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let url = upload["url"].as_str().expect("an upload URL");
        let path = url.strip_prefix(LOCAL_URL).expect("an upload URL of the test app");
        let mut request = Request::builder().method(upload["method"].as_str().unwrap()).uri(path);
        for (name, value) in upload["headers"].as_object().expect("upload headers") {
            if !headers.iter().any(|(replaced, _)| replaced.eq_ignore_ascii_case(name)) {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(bytes)).unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    /// A write with `If-Match: <tag>`.
    pub async fn call_if_match(&self, method: &str, path: &str, token: &str, tag: &str, body: Option<Value>) -> Reply {
        self.call_with(method, path, Some(token), body, &[("if-match", tag)]).await
    }

    /// Registers a user with `email` and returns their id and a token. Each
    /// registration comes from an address of its own, as a crowd's would,
    /// so that the registration limit per address stays out of the tests
    /// about other things.
    pub async fn register(&self, email: &str) -> (String, String) {
        static NEXT_ADDRESS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT_ADDRESS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let peer = std::net::Ipv4Addr::from(0xC612_0000 | (n & 0xFFFF)).to_string();
        let reply = self.call_from(&peer, "POST", "/users", None, Some(registration(email))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let id = reply.body["id"].as_str().unwrap().to_owned();
        (id, self.sign_in(email, PASSWORD).await)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let body = serde_json::json!({ "email": email, "password": password });
        let reply = self.call("POST", "/auth/token", None, Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    /// The property `id` with its rooms, as anyone reads it.
    pub async fn property(&self, id: &str) -> Value {
        self.get(&format!("/properties/{id}"), None).await.body
    }

    /// Publishes a property as the owner of `token`; returns its id.
    pub async fn publish(&self, token: &str, body: Value) -> String {
        let reply = self.call("POST", "/properties", Some(token), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }
}

fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut request = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    request.unwrap()
}

pub fn registration(email: &str) -> Value {
    serde_json::json!({
        "email": email,
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "birth_date": "1990-12-10",
    })
}

/// A property body with `rooms` rooms of 10.5 m² each.
pub fn new_property(name: &str, city: &str, kind: &str, rooms: usize) -> Value {
    let rooms: Vec<Value> = (0..rooms).map(|i| new_room(&format!("Room {i}"), "bedroom", "10.5")).collect();
    serde_json::json!({ "name": name, "description": "Bright and quiet.", "type": kind, "city": city, "rooms": rooms })
}

/// A room body; `area` is the JSON number text, so tests control decimals exactly.
pub fn new_photo(content_type: &str, content_length: u64) -> Value {
    serde_json::json!({ "content_type": content_type, "content_length": content_length })
}

pub fn new_room(name: &str, kind: &str, area: &str) -> Value {
    let area: serde_json::Number = serde_json::from_str(area).unwrap();
    serde_json::json!({ "name": name, "kind": kind, "area_m2": area })
}
