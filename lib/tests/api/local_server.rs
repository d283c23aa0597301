//! The local server on a real socket, as `serve_local` runs it: keep-alive,
//! hyper's own answers to heads it cannot take, problem+json with an
//! `x-request-id` for everything the router answers (a target too long, a
//! body too slow, local-only routes included). Also the rule that keeps
//! `--seed` off remote DynamoDB tables.

use crate::support::{registration, test_keys};
use axum::Router;
use axum::routing::get;
use estate::local_server::{ServerLimits, check_seed_endpoint, local_app, serve_on};
use estate::store::MemoryStore;
use estate::webhooks::DeliverySetup;
use estate::webhooks::deliver::LOCAL_SCHEDULE;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The read timeouts the tests serve with: short, so stalls end quickly.
const TIMEOUT: Duration = Duration::from_millis(300);
/// How long any answer may take: the timeouts, and room for a slow machine.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The local server's limits, with the tests' timeouts.
fn limits() -> ServerLimits {
    ServerLimits { header_read_timeout: TIMEOUT, body_read_timeout: TIMEOUT, ..ServerLimits::LOCAL }
}

/// The local server on a free port of 127.0.0.1, on the embedded store,
/// with a route of its own standing in for `/docs` (which only the `local`
/// binary carries), passed as `serve_local` passes it.
async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    let (issuer, verifier) = test_keys();
    let extra = Router::new().route("/docs/", get(|| async { "local only" }));
    let app = local_app(
        MemoryStore::new(),
        Arc::new(issuer),
        Arc::new(verifier),
        estate::entrypoints::PhotoFiles::local("http://localhost:3000"),
        extra,
        &limits(),
        &DeliverySetup::local(&LOCAL_SCHEDULE),
    );
    tokio::spawn(serve_on(listener, app, limits(), std::future::pending()));
    address
}

/// What came back on a connection, up to its close.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }

    fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(field, _)| field == name).count()
    }

    /// Asserts an RFC 9457 problem with this status and one request id,
    /// and returns it.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        self.assert_request_id();
        let problem: Value = serde_json::from_slice(&self.body).expect("a JSON problem");
        assert_eq!(problem["status"], status);
        assert_eq!(problem["type"], "about:blank");
        for member in ["title", "detail"] {
            assert!(problem[member].is_string(), "problem without {member}: {problem}");
        }
        problem
    }

    fn assert_request_id(&self) {
        assert_eq!(self.count("x-request-id"), 1, "one x-request-id in {:?}", self.headers);
        assert!(!self.header("x-request-id").unwrap_or_default().is_empty());
    }
}

/// Sends `request` as is, without closing our side (so a partial request
/// stalls), and reads until the server closes: `None` if it closed
/// without a byte. Fails if the server neither answers nor closes in time.
async fn exchange(address: SocketAddr, request: &[u8]) -> Option<Answer> {
    let mut stream = TcpStream::connect(address).await.expect("the server accepts");
    // The server may answer and stop reading before all of a large request is sent.
    let _ = stream.write_all(request).await;
    let mut received = Vec::new();
    let mut chunk = [0; 8192];
    let read = tokio::time::timeout(ANSWER_WITHIN, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(count) => received.extend_from_slice(&chunk[..count]),
            }
        }
    });
    read.await.unwrap_or_else(|_| panic!("no answer or close within {ANSWER_WITHIN:?}"));
    if received.is_empty() {
        return None;
    }
    let end = received.windows(4).position(|window| window == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8(received[..end].to_vec()).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status code");
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header field");
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Some(Answer { status, headers, body: received[end + 4..].to_vec() })
}

async fn answer(address: SocketAddr, request: &[u8]) -> Answer {
    exchange(address, request).await.expect("an answer, not a bare close")
}

#[tokio::test]
async fn a_target_over_the_limit_gets_414_problem() {
    let address = start().await;
    let long =
        format!("GET /properties?q={} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "a".repeat(20_000));
    let problem = answer(address, long.as_bytes()).await.problem(414);
    assert_eq!(problem["title"], "URI Too Long");
    assert!(problem["detail"].as_str().unwrap().contains("8192 bytes"), "{problem}");

    let target = format!("/health?q={}", "a".repeat(ServerLimits::LOCAL.max_target_bytes - "/health?q=".len()));
    let longest = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let reply = answer(address, longest.as_bytes()).await;
    assert_eq!(reply.status, 200, "a target of exactly the limit is served");
    reply.assert_request_id();
}

/// hyper refuses these before routing, with its own bare answer: API
/// Gateway answers them itself on AWS, so no deployed client sees ours.
#[tokio::test]
async fn heads_over_hyper_limits_get_its_431() {
    let address = start().await;
    let large = format!("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Large: {}\r\n\r\n", "a".repeat(40_000));
    assert_eq!(answer(address, large.as_bytes()).await.status, 431);
    let target = format!("GET /health?q={} HTTP/1.1\r\nHost: localhost\r\n\r\n", "a".repeat(40_000));
    assert_eq!(answer(address, target.as_bytes()).await.status, 431);

    let fields: String = (0..ServerLimits::LOCAL.max_headers).map(|n| format!("X-Field-{n}: {n}\r\n")).collect();
    let many = format!("GET /health HTTP/1.1\r\nHost: localhost\r\n{fields}\r\n");
    assert_eq!(answer(address, many.as_bytes()).await.status, 431);
}

#[tokio::test]
async fn malformed_heads_get_hyper_400() {
    let address = start().await;
    let malformed: [&[u8]; 5] = [
        b"GARBAGE\r\n\r\n",
        b"GET /hea\x01lth HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /health HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n",
        b"POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    ];
    for request in malformed {
        let reply = answer(address, request).await;
        assert_eq!(reply.status, 400, "for {:?}", String::from_utf8_lossy(request));
    }
}

#[tokio::test]
async fn a_stalled_body_gets_408_within_the_timeout() {
    let address = start().await;
    let started = Instant::now();
    let stalled =
        b"POST /users HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"";
    let problem = answer(address, stalled).await.problem(408);
    assert!(problem["detail"].as_str().unwrap().contains("body"), "{problem}");
    assert!(started.elapsed() >= TIMEOUT, "answered before the timeout: {:?}", started.elapsed());
}

/// A body cut short (the client closed its side) cannot be read: 400.
#[tokio::test]
async fn a_truncated_body_gets_400_problem() {
    let address = start().await;
    let mut stream = TcpStream::connect(address).await.expect("the server accepts");
    let truncated =
        b"POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"";
    stream.write_all(truncated).await.expect("the request is sent");
    stream.shutdown().await.expect("our side closes");
    let mut received = Vec::new();
    tokio::time::timeout(ANSWER_WITHIN, stream.read_to_end(&mut received)).await.expect("an answer").expect("a read");
    let received = String::from_utf8_lossy(&received);
    assert!(received.starts_with("HTTP/1.1 400 "), "{received}");
    assert!(received.contains("application/problem+json") && received.contains("could not be read"), "{received}");
}

#[tokio::test]
async fn a_stalled_head_and_a_silent_connection_are_closed() {
    let address = start().await;
    let started = Instant::now();
    assert!(exchange(address, b"GET /health HTTP/1.1\r\nHost: local").await.is_none(), "closed without a word");
    assert!(started.elapsed() >= TIMEOUT, "closed before the timeout: {:?}", started.elapsed());
    // Nothing sent, nothing to answer: the connection is just closed.
    assert!(exchange(address, b"").await.is_none());
}

/// One connection carries request after request, as API clients and load
/// generators expect: the server measures the API, not TCP set-up.
#[tokio::test]
async fn a_connection_is_kept_alive_for_the_next_request() {
    let address = start().await;
    let two = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let mut stream = TcpStream::connect(address).await.expect("the server accepts");
    stream.write_all(two).await.expect("the requests are sent");
    let mut received = Vec::new();
    tokio::time::timeout(ANSWER_WITHIN, stream.read_to_end(&mut received))
        .await
        .expect("both answered, then closed")
        .expect("a clean read");
    let received = String::from_utf8_lossy(&received);
    let statuses: Vec<&str> = received.match_indices("HTTP/1.1 ").map(|(at, _)| &received[at + 9..at + 12]).collect();
    assert_eq!(statuses, ["200", "404"], "{received}");
    assert_eq!(received.to_ascii_lowercase().matches("x-request-id: ").count(), 2, "{received}");
}

#[tokio::test]
async fn every_response_carries_one_request_id() {
    let address = start().await;
    let local_only = answer(address, b"GET /docs/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert_eq!(local_only.status, 200);
    assert_eq!(local_only.body, b"local only");
    local_only.assert_request_id();

    let api = answer(address, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert_eq!(api.status, 200);
    api.assert_request_id();
    assert_ne!(api.header("x-request-id"), local_only.header("x-request-id"));

    answer(address, b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.problem(404);
    answer(address, b"DELETE /docs/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.problem(405);

    // A body that arrives in time goes through the body deadline whole.
    let body = registration("local-server@example.com").to_string();
    let post = format!(
        "POST /users HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let created = answer(address, post.as_bytes()).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    created.assert_request_id();
}

#[tokio::test]
async fn shutdown_closes_silent_connections_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    let (issuer, verifier) = test_keys();
    let slow = ServerLimits { header_read_timeout: ANSWER_WITHIN, ..limits() };
    let app = local_app(
        MemoryStore::new(),
        Arc::new(issuer),
        Arc::new(verifier),
        estate::entrypoints::PhotoFiles::local("http://localhost:3000"),
        Router::new(),
        &slow,
        &DeliverySetup::local(&LOCAL_SCHEDULE),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on(listener, app, slow, async {
        let _ = stopped.await;
    }));
    let mut silent = TcpStream::connect(address).await.expect("the server accepts");
    // Accepted before the shutdown: a request answered proves it.
    answer(address, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    let started = Instant::now();
    stop.send(()).expect("the server waits for the signal");
    tokio::time::timeout(ANSWER_WITHIN, server).await.expect("a prompt shutdown").expect("no panic");
    assert!(started.elapsed() < Duration::from_secs(1), "shutdown took {:?}", started.elapsed());
    let mut rest = Vec::new();
    assert_eq!(silent.read_to_end(&mut rest).await.map(|_| rest.len()).unwrap_or(0), 0, "closed without a word");
}

#[test]
fn seed_loads_demo_accounts_only_into_a_dynamodb_on_this_machine() {
    for local in [
        "http://localhost:8000",
        "http://LOCALHOST:8000/",
        "http://127.0.0.1:4566",
        "http://127.1.2.3",
        "http://[::1]:8000",
        "http://[::ffff:127.0.0.1]:8000",
    ] {
        assert_eq!(check_seed_endpoint(Some(local), false), Ok(()), "{local}");
    }
    for remote in [
        None,
        Some("https://dynamodb.eu-west-1.amazonaws.com"),
        Some("http://10.0.0.5:8000"),
        Some("http://0.0.0.0:8000"),
        Some("http://localhost.example.com:8000"),
        Some("http://localhost@example.com:8000"),
        Some("not a url"),
    ] {
        let refusal = check_seed_endpoint(remote, false).expect_err(&format!("{remote:?} is not local"));
        assert!(refusal.contains("--allow-remote-seed"), "{refusal}");
        assert!(refusal.contains(estate::seed::DEMO_PASSWORD), "{refusal}");
        assert_eq!(check_seed_endpoint(remote, true), Ok(()), "{remote:?} with --allow-remote-seed");
    }
}

/// The local-only routes, and the local server's own problems, say nosniff
/// like the API's answers.
#[tokio::test]
async fn local_answers_forbid_content_sniffing() {
    let address = start().await;
    let local_only = answer(address, b"GET /docs/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert_eq!(local_only.status, 200);
    let long =
        format!("GET /properties?q={} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "a".repeat(9000));
    let too_long = answer(address, long.as_bytes()).await;
    too_long.problem(414);
    for reply in [local_only, too_long] {
        assert_eq!(reply.count("x-content-type-options"), 1, "{:?}", reply.headers);
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
}

/// The CORS configuration of the HTTP API in `template.yaml` (the
/// configuration of its `!If [HasCors, configuration, !Ref AWS::NoValue]`),
/// which API Gateway answers preflights from on AWS.
fn gateway_cors() -> Value {
    use crate::support::files::{sam_resources, sam_template};
    let template = sam_template();
    let (_, api) = sam_resources(&template, "AWS::Serverless::HttpApi").next().expect("template.yaml: an HttpApi");
    let cors = &api["Properties"]["CorsConfiguration"];
    let configuration = cors.get("Fn::If").map_or(cors, |choice| &choice[1]);
    assert!(configuration.is_object(), "template.yaml: no CORS configuration in {cors}");
    configuration.clone()
}

/// A list of the configuration, lowercased, as a set.
fn gateway_list(cors: &Value, key: &str) -> std::collections::BTreeSet<String> {
    let list = cors[key].as_array().unwrap_or_else(|| panic!("template.yaml: CORS {key} is not a list: {cors}"));
    list.iter().map(|item| item.as_str().expect("a string").to_ascii_lowercase()).collect()
}

/// A comma-separated header value, lowercased, as a set.
fn header_list(answer: &Answer, name: &str) -> BTreeSet<String> {
    let value = answer.header(name).unwrap_or_else(|| panic!("no {name} in {:?}", answer.headers));
    value.split(',').map(|item| item.trim().to_ascii_lowercase()).filter(|item| !item.is_empty()).collect()
}

const ORIGIN: &str = "http://localhost:5173";

/// The local server answers a browser's preflight as API Gateway does on
/// AWS from `template.yaml`'s CORS configuration, for any origin.
#[tokio::test]
async fn a_cors_preflight_is_answered_as_api_gateway_answers_it() {
    let address = start().await;
    let preflight = format!(
        "OPTIONS /properties HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nOrigin: {ORIGIN}\r\n\
         Access-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: authorization, content-type, idempotency-key\r\n\r\n"
    );
    let reply = answer(address, preflight.as_bytes()).await;
    assert!((200..300).contains(&reply.status), "preflight answered {}: {:?}", reply.status, reply.headers);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(reply.header("access-control-allow-credentials"), None, "the API takes bearer tokens, not cookies");

    let cors = gateway_cors();
    let methods = header_list(&reply, "access-control-allow-methods");
    assert!(methods.contains("post"), "{methods:?}");
    assert_eq!(methods, gateway_list(&cors, "AllowMethods"), "the methods template.yaml allows");
    let headers = header_list(&reply, "access-control-allow-headers");
    for requested in ["authorization", "content-type", "idempotency-key"] {
        assert!(headers.contains(requested), "{requested} not allowed: {headers:?}");
    }
    assert_eq!(headers, gateway_list(&cors, "AllowHeaders"), "the headers template.yaml allows");
    assert_eq!(reply.header("access-control-max-age"), Some(cors["MaxAge"].to_string().as_str()));
    reply.assert_request_id();
}

/// A cross-origin answer lets the browser read it and the headers a client
/// needs, errors included: when to retry, why it was refused.
#[tokio::test]
async fn a_cross_origin_answer_exposes_the_headers_clients_read() {
    let address = start().await;
    let exposed = gateway_list(&gateway_cors(), "ExposeHeaders");
    for expected in ["retry-after", "www-authenticate", "etag", "location", "x-request-id"] {
        assert!(exposed.contains(expected), "template.yaml does not expose {expected}: {exposed:?}");
    }
    let get =
        |path: &str| format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nOrigin: {ORIGIN}\r\n\r\n");

    let health = answer(address, get("/health").as_bytes()).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(header_list(&health, "access-control-expose-headers"), exposed);

    let refused = answer(address, get("/users/me").as_bytes()).await;
    refused.problem(401);
    assert!(refused.header("www-authenticate").is_some_and(|value| value.starts_with("Bearer")));
    assert_eq!(refused.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(header_list(&refused, "access-control-expose-headers"), exposed);

    let nowhere = answer(address, get("/nowhere").as_bytes()).await;
    nowhere.problem(404);
    assert_eq!(nowhere.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(header_list(&nowhere, "vary"), BTreeSet::from(["origin".to_owned()]));
}

/// A request without an `Origin` (curl, a server, a page of the same
/// origin) gets no CORS headers, but still `Vary: Origin`, so that no cache
/// hands its answer to a page of another origin.
#[tokio::test]
async fn a_same_origin_answer_varies_with_the_origin_only() {
    let address = start().await;
    let health = answer(address, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert_eq!(health.status, 200);
    assert_eq!(header_list(&health, "vary"), BTreeSet::from(["origin".to_owned()]));
    let cors: Vec<_> = health.headers.iter().filter(|(name, _)| name.starts_with("access-control-")).collect();
    assert!(cors.is_empty(), "{cors:?}");
    health.assert_request_id();
}
