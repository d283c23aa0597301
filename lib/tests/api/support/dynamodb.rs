//! DynamoDB stores for the tests: each on a fresh table of the DynamoDB-API
//! server that `make test` starts, optionally with its calls recorded.

use estate::aws::Limits;
use estate::store::DynamoStore;
use estate::store::dynamodb::{LIMITS, StreamFollower, create_table};
use std::sync::Arc;
use std::time::Duration;

/// The limits of the test server's clients: the deployed ones but for the
/// times. That server answers one request at a time, so a busy suite queues
/// requests for seconds, as DynamoDB never does; with the deployed times an
/// attempt done late would be retried and fail its own condition. Still
/// bounded: a stuck server fails the tests rather than hang them.
const TEST_SERVER_LIMITS: Limits = Limits { attempt: Duration::from_secs(30), call: Duration::from_secs(60), ..LIMITS };

/// The DynamoDB-API server that `make test` starts. The tests that need it
/// are `#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]`, so a plain `cargo test`
/// lists them as ignored; one run without the server (`--include-ignored`,
/// or by name) fails here rather than passing without having run.
fn test_endpoint() -> String {
    std::env::var("DYNAMODB_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "DYNAMODB_TEST_ENDPOINT is not set: this test needs a DynamoDB-API server. `make test` starts one; \
             or run `.venv/dev/bin/python scripts/dynamodb_server.py 127.0.0.1 PORT` and set \
             DYNAMODB_TEST_ENDPOINT=http://127.0.0.1:PORT"
        )
    })
}

/// A store on a fresh table of that server.
pub async fn dynamo_store() -> DynamoStore {
    new_table(&test_endpoint(), CallLog::default()).await
}

/// A store on a fresh table of that server, whose every call is recorded.
pub async fn counted_dynamo_store() -> (DynamoStore, CallLog) {
    let calls = CallLog::default();
    (new_table(&test_endpoint(), calls.clone()).await, calls)
}

/// A store whose every call fails to connect: nothing listens on port 1.
pub fn unreachable_dynamo_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::from_conf(client_config("http://127.0.0.1:1", &LIMITS).build());
    DynamoStore::new(client, "unreachable")
}

/// The DynamoDB requests sent, in order.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<std::sync::Mutex<Vec<Call>>>);

/// One DynamoDB request: its operation and its JSON body.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation name, as in `x-amz-target`: `GetItem`, `Query`, ...
    pub operation: String,
    /// The request as sent (`Key`, `Item`, `TransactItems`, `IndexName`, ...);
    /// `Null` if the body could not be read.
    pub body: serde_json::Value,
}

impl CallLog {
    /// The names of the operations recorded since the last `take`.
    pub fn take(&self) -> Vec<String> {
        self.take_calls().into_iter().map(|call| call.operation).collect()
    }

    /// The same, sorted: calls made in parallel arrive in any order.
    pub fn take_sorted(&self) -> Vec<String> {
        let mut operations = self.take();
        operations.sort();
        operations
    }

    /// The requests recorded since the last `take`, bodies included.
    pub fn take_calls(&self) -> Vec<Call> {
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
        let body = context.request().body().bytes().and_then(|bytes| serde_json::from_slice(bytes).ok());
        self.0.lock().unwrap().push(Call { operation, body: body.unwrap_or_default() });
        Ok(())
    }
}

/// A client of the server at `endpoint`, bounded by `limits`.
fn client_config(endpoint: &str, limits: &Limits) -> aws_sdk_dynamodb::config::Builder {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    estate::store::dynamodb::client_config(builder, limits)
}

/// A reader of the test table's stream, as the media function's event
/// source reads it on AWS: `catch_up` applies what was written so far.
pub fn stream_follower(store: &DynamoStore) -> StreamFollower {
    use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(test_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    StreamFollower::new(store.clone(), aws_sdk_dynamodbstreams::Client::from_conf(config))
}

/// A store on a table of its own, its calls recorded in `calls`.
async fn new_table(endpoint: &str, calls: CallLog) -> DynamoStore {
    let client =
        aws_sdk_dynamodb::Client::from_conf(client_config(endpoint, &TEST_SERVER_LIMITS).interceptor(calls).build());
    let table = format!("test-{}", uuid::Uuid::now_v7());
    create_table(&client, &table).await.expect("creating a test table");
    DynamoStore::new(client, table).with_feed_settle(TEST_FEED_SETTLE)
}

/// How old a change of the test table's feed must be to be read. The
/// deployed bound (`FEED_SETTLE`, 5 s) rests on a transaction committing
/// within the 3 s call limit; the test server may queue a request for
/// seconds when the suite is busy, so the tests give it twice the time.
pub const TEST_FEED_SETTLE: Duration = Duration::from_secs(10);
