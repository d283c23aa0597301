//! A DynamoDB that fails without refusing: one that accepts connections and
//! never answers, or answers too slowly. Every call is bounded by the
//! store's `Limits`, so the request ends in a 503 with `Retry-After` well
//! before the function's timeout, instead of hanging until it.

use crate::support::files::{sam_functions, sam_template};
use crate::support::fixtures::{hash, user};
use crate::support::routes::ROUTES;
use crate::support::{TestApp, registration};
use estate::aws::Limits;
use estate::domain::{Timestamp, UserId};
use estate::store::dynamodb::{LIMITS, client_config};
use estate::store::{DynamoStore, StoreError, UserStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Slack over a bound, for a debug build on a busy machine: the checks are
/// of behaviour (an answer within the bound, not at the function's timeout),
/// not of speed.
const MARGIN: Duration = Duration::from_millis(1500);

/// A DynamoDB endpoint on 127.0.0.1 that accepts every connection, then
/// reads nothing and answers nothing, holding each socket open until the
/// test's runtime ends: the store that hangs a client without timeouts. It
/// counts the connections.
///
/// Written by hand, not with wiremock: a wiremock server reads and answers
/// every request (at best after a `set_delay`), and it counts requests, not
/// connections; these tests need a server that never answers, and count
/// connections to see that a timed-out one is never reused.
struct SilentDynamo {
    endpoint: String,
    connections: Arc<AtomicUsize>,
}

impl SilentDynamo {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        Self { endpoint, connections }
    }

    fn store(&self, limits: &Limits) -> DynamoStore {
        store_on(&self.endpoint, limits)
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A DynamoDB that answers every request, after `delay`, with a transaction
/// cancelled by a conflict (TransactionCanceledException, reasons
/// TransactionConflict, in DynamoDB's JSON 1.0 protocol): the race that
/// `transact` retries. The server records the requests it receives.
async fn always_conflicting(delay: Duration) -> MockServer {
    const BODY: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#;
    let dynamo = MockServer::builder().start().await;
    let cancelled = ResponseTemplate::new(400)
        .insert_header("x-amzn-requestid", "fault")
        .set_body_raw(BODY, "application/x-amz-json-1.0")
        .set_delay(delay);
    Mock::given(method("POST")).respond_with(cancelled).mount(&dynamo).await;
    dynamo
}

/// A store on the DynamoDB at `endpoint`, its client bounded by `limits`
/// through the library's one `client_config`.
fn store_on(endpoint: &str, limits: &Limits) -> DynamoStore {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(client_config(builder, limits).build()), "faults")
}

/// `future`'s output, and how long it took.
async fn timed<T>(future: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = future.await;
    (output, started.elapsed())
}

#[tokio::test]
async fn a_store_that_never_answers_is_a_503_within_one_call() {
    let limits = LIMITS;
    let dynamo = SilentDynamo::start().await;
    let app = TestApp::new(dynamo.store(&limits));
    let token = app.issuer.issue(UserId::generate(), Timestamp::now()).unwrap();
    // A read, a transaction and a route of several calls, at once: the
    // test waits one bound, not three.
    let path = format!("/users/{}", UserId::generate());
    let (read, write, delete) = tokio::join!(
        timed(app.get(&path, None)),
        timed(app.call("POST", "/users", None, Some(registration("silent@example.com")))),
        timed(app.call("DELETE", "/users/me", Some(&token), None)),
    );
    let host = dynamo.endpoint.trim_start_matches("http://");
    for (what, (reply, elapsed)) in [("GET /users/{id}", read), ("POST /users", write), ("DELETE /users/me", delete)] {
        let problem = reply.problem(503);
        assert_eq!(reply.header("retry-after"), "1", "{what}: a 503 says when to retry");
        let text = problem.to_string().to_lowercase();
        for internal in [host, "127.0.0.1", "timeout", "timed out", "dispatch", "dynamodb", "transaction", "sdk"] {
            assert!(!text.contains(internal), "{what}: internals ({internal}) leaked: {problem}");
        }
        assert!(elapsed >= limits.attempt, "{what}: answered in {elapsed:?}, without waiting for the store");
        assert!(elapsed < limits.call + MARGIN, "{what}: answered in {elapsed:?}, past the bound of {:?}", limits.call);
    }
    assert!(dynamo.count() >= 3, "each request reached the store: {} connections", dynamo.count());
}

#[tokio::test]
async fn attempts_out_of_time_are_retried_then_unavailable() {
    // Attempts short enough to run out before the call does: the last
    // attempt's timeout is the error, and it must read as unavailable.
    let limits = Limits {
        connect: Duration::from_secs(1),
        attempt: Duration::from_millis(200),
        call: Duration::from_secs(30),
        max_attempts: 3,
    };
    let dynamo = SilentDynamo::start().await;
    let store = dynamo.store(&limits);

    let started = Instant::now();
    let read = store.get_user(UserId::generate()).await;
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    let elapsed = started.elapsed();
    assert!(elapsed < limits.attempt * limits.max_attempts + MARGIN, "the attempts ended it, in {elapsed:?}");
    // A timed-out connection is never reused: one connection per attempt.
    assert_eq!(dynamo.count(), 3, "each attempt was made");

    let write = store.create_user(&user("late@example.com"), &hash("late"), None).await;
    assert!(matches!(write, Err(StoreError::Unavailable(_))), "{write:?}");
    assert_eq!(dynamo.count(), 6, "each attempt of the transaction was made");
}

#[tokio::test]
async fn a_transaction_retrying_its_cancellations_ends_within_one_call() {
    // Each answer is in time for its call, but the cancellations would be
    // retried for longer than a call: the retries stop at the bound.
    let limits = Limits {
        connect: Duration::from_secs(1),
        attempt: Duration::from_millis(900),
        call: Duration::from_secs(1),
        max_attempts: 3,
    };
    let dynamo = always_conflicting(Duration::from_millis(400)).await;
    let store = store_on(&dynamo.uri(), &limits);
    let started = Instant::now();
    let write = store.create_user(&user("contested@example.com"), &hash("contested"), None).await;
    let elapsed = started.elapsed();
    assert!(matches!(write, Err(StoreError::Unavailable(_))), "{write:?}");
    let requests = dynamo.received_requests().await.expect("the server records its requests").len();
    assert!(requests >= 2, "the cancellation was retried: {requests} requests");
    assert!(elapsed < limits.call + MARGIN, "the retries went on for {elapsed:?}, past the bound of {:?}", limits.call);
}

/// The `Timeout` of each function of `template.yaml`, in seconds, by name
/// (`UsersFunction` is `users`): its own, else that of `Globals`, else SAM's
/// default of 3.
fn sam_timeouts() -> BTreeMap<String, u64> {
    let template = sam_template();
    let seconds = |timeout: &serde_json::Value| {
        timeout.as_u64().unwrap_or_else(|| panic!("template.yaml: a Timeout in seconds, not {timeout}"))
    };
    let global = &template["Globals"]["Function"]["Timeout"];
    let default = if global.is_null() { 3 } else { seconds(global) };
    let timeouts = sam_functions(&template).map(|(function, resource)| {
        let timeout = &resource["Properties"]["Timeout"];
        (function, if timeout.is_null() { default } else { seconds(timeout) })
    });
    timeouts.collect()
}

#[test]
fn one_call_is_well_within_every_api_function_timeout() {
    let timeouts = sam_timeouts();
    let limits = LIMITS;
    assert!(limits.connect <= limits.attempt && limits.attempt <= limits.call, "{limits:?}");
    assert!(limits.max_attempts >= 2, "a timed-out attempt is retried: {limits:?}");
    for route in ROUTES.iter() {
        let name = route.function.name();
        let timeout = timeouts.get(name).unwrap_or_else(|| panic!("template.yaml: no function {name}"));
        let timeout = Duration::from_secs(*timeout);
        // Well within: a store that never answers gets its 503 before half
        // the function's time, with room for a second call that answered.
        assert!(
            limits.call * 2 <= timeout,
            "{} {}: a DynamoDB call may take {:?}, the {name} function has {timeout:?}",
            route.method,
            route.path,
            limits.call
        );
    }
}

/// On Lambda a request that would outlive the function (a route of many
/// calls, each within its bound) is answered 503 a second before the
/// function's deadline, not cut off by it.
#[tokio::test]
async fn a_request_near_the_function_deadline_is_a_503() {
    let silent = SilentDynamo::start().await;
    let patient = Limits { attempt: Duration::from_secs(30), call: Duration::from_secs(60), ..LIMITS };
    let app = TestApp::new(silent.store(&patient));
    let left = Duration::from_millis(2500);
    let deadline = std::time::SystemTime::now() + left;
    let mut context = lambda_http::Context::default();
    context.deadline = deadline.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let mut request =
        axum::http::Request::get(format!("/users/{}", UserId::generate())).body(axum::body::Body::empty()).unwrap();
    request.extensions_mut().insert(context);
    let started = Instant::now();
    let reply = app.send(request).await;
    let elapsed = started.elapsed();
    reply.problem(503);
    assert_eq!(reply.header("retry-after"), "1");
    assert!(elapsed >= left - Duration::from_secs(1) - Duration::from_millis(100), "answered too early: {elapsed:?}");
    assert!(elapsed < left, "answered after the deadline: {elapsed:?}");
}

/// `cargo lambda watch` sends its deadline as a duration (600000 ms), not as
/// an instant: that is no deadline, not one long past.
#[tokio::test]
async fn a_deadline_given_as_a_duration_is_no_deadline() {
    let app = TestApp::memory();
    let mut context = lambda_http::Context::default();
    context.deadline = 600_000;
    // Registering waits for the password hash, so it cannot answer at once.
    let body = registration("watch@example.com").to_string();
    let mut request = axum::http::Request::post("/users")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    request.extensions_mut().insert(context);
    assert_eq!(app.send(request).await.status.as_u16(), 201);
}

/// A cold start whose DynamoDB never answers still starts: the warm-up
/// only logs, within the bound of one call.
#[tokio::test]
async fn warming_up_a_store_that_never_answers_neither_fails_nor_hangs() {
    let limits = LIMITS;
    let dynamo = SilentDynamo::start().await;
    let ((), elapsed) = timed(dynamo.store(&limits).warm_up()).await;
    assert!(dynamo.count() >= 1, "the warm-up reached the store");
    assert!(elapsed < limits.call + MARGIN, "warmed up in {elapsed:?}, past the bound of {:?}", limits.call);
}
