//! Shared by the integration tests: stores to run against, and an app to
//! call without a socket.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use estate::auth::{TokenIssuer, TokenPolicy, ephemeral_keys};
use estate::config::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use estate::store::{DynamoStore, MemoryStore, Store, dynamodb::create_table};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// The DynamoDB-API server that `make test` starts, or `None` when there
/// is none. Under CI a missing server is a failure: a DynamoDB test never
/// skips there.
fn test_endpoint() -> Option<String> {
    let endpoint = std::env::var("DYNAMODB_TEST_ENDPOINT").ok();
    if endpoint.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DYNAMODB_TEST_ENDPOINT is not set under CI: run the tests with `make test`"
        );
        eprintln!("skipped: DYNAMODB_TEST_ENDPOINT is not set (`make test` starts a DynamoDB-API server)");
    }
    endpoint
}

/// A store on a fresh table of that server, or `None` as above.
pub async fn dynamo_store() -> Option<DynamoStore> {
    Some(new_table(&test_endpoint()?, CallLog::default()).await)
}

/// A store on a fresh table whose every call is recorded, or `None` as above.
pub async fn counted_dynamo_store() -> Option<(DynamoStore, CallLog)> {
    let calls = CallLog::default();
    Some((new_table(&test_endpoint()?, calls.clone()).await, calls))
}

/// A store whose every call fails to connect: nothing listens on port 1.
pub fn unreachable_dynamo_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::from_conf(client_config("http://127.0.0.1:1").build());
    DynamoStore::new(client, "unreachable")
}

/// The names of the DynamoDB operations sent, in order.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<std::sync::Mutex<Vec<String>>>);

impl CallLog {
    /// The calls recorded since the last `take`.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_dynamodb::config::Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context.request().headers().get("x-amz-target").unwrap_or("unknown");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(operation);
        Ok(())
    }
}

fn client_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
}

/// A store on a table of its own, its calls recorded in `calls`.
async fn new_table(endpoint: &str, calls: CallLog) -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::from_conf(client_config(endpoint).interceptor(calls).build());
    let table = format!("test-{}", uuid::Uuid::now_v7());
    create_table(&client, &table).await.expect("creating a test table");
    DynamoStore::new(client, table)
}

/// Runs each named `async fn(store)` case on both adapters.
#[macro_export]
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn memory() {
                super::$case(estate::store::MemoryStore::new()).await;
            }

            #[tokio::test]
            async fn dynamodb() {
                if let Some(store) = $crate::support::dynamo_store().await {
                    super::$case(store).await;
                }
            }
        }
    )*};
}

pub fn test_policy() -> TokenPolicy {
    TokenPolicy { issuer: DEFAULT_ISSUER.into(), audience: DEFAULT_AUDIENCE.into() }
}

/// The whole API as the local server serves it, called in process.
#[derive(Clone)]
pub struct TestApp {
    router: Router,
    pub issuer: Arc<TokenIssuer>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
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

impl TestApp {
    pub fn new<S: Store>(store: S) -> Self {
        // Warnings and errors (a 500's cause) show with a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
        let (issuer, verifier) = ephemeral_keys(test_policy(), 3600);
        let issuer = Arc::new(issuer);
        Self { router: estate::entrypoints::api(store, issuer.clone(), Arc::new(verifier)), issuer }
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
        Reply { status, headers, body }
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    /// Registers a user with `email` and returns their id and a token.
    pub async fn register(&self, email: &str) -> (String, String) {
        let reply = self.call("POST", "/users", None, Some(registration(email))).await;
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
pub fn new_room(name: &str, kind: &str, area: &str) -> Value {
    let area: serde_json::Number = serde_json::from_str(area).unwrap();
    serde_json::json!({ "name": name, "kind": kind, "area_m2": area })
}

impl TestApp {
    /// Publishes a property as the owner of `token`; returns its id.
    pub async fn publish(&self, token: &str, body: Value) -> String {
        let reply = self.call("POST", "/properties", Some(token), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }
}
