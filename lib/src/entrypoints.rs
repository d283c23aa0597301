//! What each Lambda function runs, so their `main.rs` files stay a few
//! lines long, and the whole API in one router (`api`), which the local
//! server (`crate::local_server`) and the tests serve.

use crate::auth::{TokenIssuer, TokenVerifier};
use crate::authorizer::{AuthorizerRequest, authorize};
use crate::blobs::{BlobStore, S3Blobs};
use crate::config::Settings;
use crate::http::{self, AppState, MediaLinks, PropertiesState, UsersState};
use crate::store::{DynamoStore, Store};
use crate::webhooks::address::Reach;
use crate::webhooks::{DeliveryQueue, DeliveryRules, DeliverySetup, deliver};
use axum::Router;
use std::sync::Arc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs a function's `run_*` with its settings, read from the environment
/// (no argument parsed: microseconds), and its logging set up, on one
/// thread: Lambda hands a function one invocation at a time, so a runtime
/// with a worker per core would only add threads to start and wake
/// (docs/performance.md#what-a-cold-start-does). Password hashing still
/// leaves it, on tokio's blocking pool.
pub fn start<F>(function: impl FnOnce(Settings) -> F) -> Result<(), BoxError>
where
    F: Future<Output = Result<(), BoxError>>,
{
    let settings = Settings::from_env();
    crate::telemetry::init(settings.as_ref().map_or(crate::telemetry::DEFAULT_LOG_FILTER, Settings::log_filter));
    let outcome = settings.map_err(BoxError::from).and_then(|settings| {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(function(settings))
    });
    if let Err(error) = &outcome {
        // The runtime prints only the error's Debug form: log why, whole.
        tracing::error!(cause = %crate::telemetry::Causes(error.as_ref()), "the function stopped");
    }
    outcome
}

/// What every function that serves the API holds, its connection to
/// DynamoDB already open (see [`DynamoStore::warm_up`]), and the SDK
/// configuration it loaded.
async fn deployed_state(settings: &Settings) -> Result<(AppState<DynamoStore>, aws_config::SdkConfig), BoxError> {
    let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
    let store = DynamoStore::from_sdk_config(&aws, settings.table_name()?);
    let verifier = Arc::new(settings.token_verifier()?);
    Ok((AppState { store, verifier }, aws))
}

/// The users function: registration, sign-in, accounts. Its signing key (a
/// Secrets Manager read) and the DynamoDB warm-up are two round trips:
/// made at once.
pub async fn run_users(settings: Settings) -> Result<(), BoxError> {
    let (app, aws) = deployed_state(&settings).await?;
    let webhooks = deployed_webhooks(&settings, &aws)?;
    let (issuer, ()) = tokio::join!(settings.token_issuer(&aws), app.store.warm_up());
    let deliveries = webhooks.on(app.store.clone());
    let state = UsersState { app, issuer: Arc::new(issuer?), deliveries };
    lambda_http::run(http::finish(users_routes(state))).await
}

/// What the users function serves, before [`http::finish`]: its route
/// group and the contract, `GET /openapi.json`.
pub fn users_routes<S: Store>(state: UsersState<S>) -> Router {
    http::routes::users::router(state).merge(http::openapi::routes().with_state(()))
}

/// The properties function: publishing and browsing, photos included.
pub async fn run_properties(settings: Settings) -> Result<(), BoxError> {
    let media = settings.media_links()?;
    let (app, aws) = deployed_state(&settings).await?;
    let blobs = S3Blobs::from_sdk_config(&aws, settings.media_bucket()?);
    app.store.warm_up().await;
    let state = PropertiesState { app, blobs, media };
    lambda_http::run(http::finish(http::routes::properties::router(state))).await
}

/// The media function: photo uploads (S3 events) and the files of removed
/// photos (the table's stream), see [`crate::media`].
pub async fn run_media(settings: Settings) -> Result<(), BoxError> {
    let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
    let store = DynamoStore::from_sdk_config(&aws, settings.table_name()?);
    let blobs = S3Blobs::from_sdk_config(&aws, settings.media_bucket()?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
        let (store, blobs) = (store.clone(), blobs.clone());
        async move { crate::media::events::handle_event(&store, &blobs, &event.payload).await.map_err(BoxError::from) }
    }))
    .await
}

/// How the deployed functions deliver webhooks: through the SQS queue, to
/// public addresses only, on the configured schedule.
fn deployed_webhooks(settings: &Settings, aws: &aws_config::SdkConfig) -> Result<DeliverySetup, BoxError> {
    let queue = DeliveryQueue::sqs(aws, settings.webhook_queue_url()?);
    let rules = DeliveryRules::new(Reach::Public, &settings.webhook_retry_schedule(&deliver::STANDARD_SCHEDULE)?);
    Ok(DeliverySetup { queue, rules })
}

/// The webhooks function: new changes of the feed from the table's stream
/// (fanned out to the endpoints that asked), and deliveries from the
/// queue, see [`crate::webhooks`]. It answers the records that failed.
pub async fn run_webhooks(settings: Settings) -> Result<(), BoxError> {
    let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
    let store = DynamoStore::from_sdk_config(&aws, settings.table_name()?);
    let deliveries = deployed_webhooks(&settings, &aws)?.on(store);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
        let deliveries = deliveries.clone();
        // Boxed: the handler's future nests deep enough (fan-out, delivery,
        // TLS, HTTP) that the compiler's layout queries would overflow.
        async move {
            let handled = Box::pin(crate::webhooks::events::handle_event(&deliveries, &event.payload));
            Ok::<_, BoxError>(handled.await)
        }
    }))
    .await
}

/// The notifications function: new changes of the feed from the table's
/// stream, matched against saved searches and favourites into
/// notifications and e-mails (SES), see [`crate::alerts`]. It answers the
/// records that failed.
pub async fn run_notifications(settings: Settings) -> Result<(), BoxError> {
    let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
    let store = DynamoStore::from_sdk_config(&aws, settings.table_name()?);
    let from = settings.alerts_from_address().to_owned();
    let mailer = crate::alerts::mail::Mailer::Ses { client: aws_sdk_sesv2::Client::new(&aws), from };
    let alerts = crate::alerts::Alerts { store, mailer, public_url: settings.public_base_url()? };
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
        let alerts = alerts.clone();
        async move {
            let handled = Box::pin(crate::alerts::events::handle_event(&alerts, &event.payload));
            handled.await.map_err(BoxError::from)
        }
    }))
    .await
}

/// The rooms function: a property's rooms.
pub async fn run_rooms(settings: Settings) -> Result<(), BoxError> {
    let (app, _) = deployed_state(&settings).await?;
    app.store.warm_up().await;
    lambda_http::run(http::finish(http::routes::rooms::router(app))).await
}

/// The authorizer function: token in, allow or deny out.
pub async fn run_authorizer(settings: Settings) -> Result<(), BoxError> {
    let verifier = Arc::new(settings.token_verifier()?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<AuthorizerRequest>| {
        let verifier = verifier.clone();
        async move { Ok::<_, BoxError>(authorize(&verifier, &event.payload)) }
    }))
    .await
}

/// Where photos' files live and are served from, for a whole API.
#[derive(Clone)]
pub struct PhotoFiles<B> {
    pub blobs: B,
    pub media: MediaLinks,
}

impl PhotoFiles<crate::blobs::LocalBlobs> {
    /// Files in memory, uploaded to and served by the local server at
    /// `base_url` (`/uploads`, `/media`).
    pub fn local(base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/');
        Self { blobs: crate::blobs::LocalBlobs::new(base_url), media: MediaLinks::new(&format!("{base_url}/media")) }
    }
}

/// Every route group in one router, before [`http::finish`].
pub(crate) fn api_routes<S: Store, B: BlobStore>(
    store: S,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
    files: PhotoFiles<B>,
    webhooks: &DeliverySetup,
) -> Router {
    let deliveries = webhooks.on(store.clone());
    let app = AppState { store, verifier };
    let users = users_routes(UsersState { app: app.clone(), issuer, deliveries });
    let state = PropertiesState { app: app.clone(), blobs: files.blobs, media: files.media };
    let properties = http::routes::properties::router(state);
    let rooms = http::routes::rooms::router(app);
    users.merge(properties).merge(rooms)
}

/// Every route group in one router: the local server's whole API.
pub fn api<S: Store, B: BlobStore>(
    store: S,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
    files: PhotoFiles<B>,
    webhooks: &DeliverySetup,
) -> Router {
    http::finish(api_routes(store, issuer, verifier, files, webhooks))
}
