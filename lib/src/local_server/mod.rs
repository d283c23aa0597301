//! The local server: the whole API on one port, on the embedded store or
//! DynamoDB, with the routes only a developer's machine serves (`/docs`).
//! hyper serves the connections, keep-alive on, with its own head limits
//! (`serve`); tower-http bounds how long a body may take; `gateway` does
//! what API Gateway does on AWS before a function sees a request.

mod feed;
mod gateway;
mod media;
mod serve;
pub mod webhooks;

use crate::alerts::Alerts;
use crate::alerts::mail::Mailer;
use crate::auth::{TokenIssuer, TokenVerifier, ephemeral_keys};
use crate::blobs::LocalBlobs;
use crate::config::{HELP_HEADING, Settings};
use crate::entrypoints::{BoxError, PhotoFiles, api_routes};
use crate::http;
use crate::store::dynamodb::StreamFollower;
use crate::store::{DynamoStore, MemoryStore, Store};
use crate::webhooks::DeliverySetup;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// What the local server serves: the whole API, photo uploads and files
/// on `blobs` (see `media`), and `extra` (the routes
/// only a developer's machine serves, such as `/docs`), finished once
/// together, so every response carries `x-request-id` (and unknown paths
/// get problem+json) whichever part answers. What API Gateway does on AWS
/// is done here by `gateway`: a request target over
/// `limits.max_target_bytes` gets 414, and CORS is answered for any
/// origin. A body that stalls for `limits.body_read_timeout` gets 408.
pub fn local_app<S: Store>(
    store: S,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
    files: PhotoFiles<LocalBlobs>,
    extra: Router,
    limits: &ServerLimits,
    webhooks: &DeliverySetup,
) -> Router {
    let routes = extra
        .merge(media::routes(store.clone(), files.blobs.clone()))
        .merge(api_routes(store, issuer, verifier, files, webhooks));
    // In `finish_with`'s one stack: a layer of its own would box every
    // route again, and each request would clone that box too.
    let edge = tower::ServiceBuilder::new()
        .layer(gateway::GatewayLayer::new(limits.max_target_bytes))
        .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout));
    http::finish_with(routes, edge)
}

/// What the local server is asked to do, where it listens and what it
/// serves from, and the API's settings: its command line, which
/// `functions/local` reads (the doc comments are its `--help`).
#[derive(Debug, clap::Args)]
pub struct LocalOptions {
    /// Load the demo data set first (every demo user signs in with the password "demo password 1")
    ///
    /// With `--store dynamodb`, only into a DynamoDB on this machine:
    /// `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_DYNAMODB`) on localhost or a
    /// loopback address.
    #[arg(long)]
    pub seed: bool,

    /// Let --seed load the demo data into any other DynamoDB, AWS included
    #[arg(long)]
    pub allow_remote_seed: bool,

    /// Create TABLE_NAME first if it is missing (--store dynamodb)
    #[arg(long)]
    pub create_table: bool,

    /// Put every property item of TABLE_NAME again as this version writes it (--store dynamodb)
    ///
    /// The upgrade of a table written before listings (docs/deploy.md).
    #[arg(long)]
    pub reindex: bool,

    /// Exit after the steps above instead of serving
    #[arg(long)]
    pub no_serve: bool,

    /// Where the data lives: in this process, or in DynamoDB (TABLE_NAME, with the standard AWS_REGION, AWS_ENDPOINT_URL and credential variables) (local)
    #[arg(long, env = "STORE", value_enum, default_value_t = StoreKind::Memory, help_heading = HELP_HEADING)]
    pub store: StoreKind,

    /// The address to listen on (local)
    #[arg(long, env = "HOST", default_value = "127.0.0.1", help_heading = HELP_HEADING)]
    pub host: String,

    /// The port to listen on (local)
    #[arg(long, env = "PORT", default_value_t = 3000, help_heading = HELP_HEADING)]
    pub port: u16,

    /// Where the server keeps files: each alert e-mail as an .eml file in its mail/ folder (local)
    #[arg(long, env = "DATA_DIR", value_name = "DIR", default_value = "target/local", help_heading = HELP_HEADING)]
    pub data_dir: std::path::PathBuf,

    /// The URL clients reach the server at, for the upload and photo links it hands out; default: its own address (local)
    #[arg(long, env = "PUBLIC_URL", value_name = "URL", help_heading = HELP_HEADING)]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub settings: Settings,
}

/// Where the local server's data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// The embedded store: data lives as long as the process.
    Memory,
    /// The DynamoDB table `TABLE_NAME`.
    Dynamodb,
}

/// How much of a client the local server waits for and reads.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// The request target (path and query), in bytes: longer gets a 414
    /// problem.
    pub max_target_bytes: usize,
    /// The request line and headers together, in bytes: larger gets
    /// hyper's bare 431.
    pub max_head_bytes: usize,
    /// Header fields: more gets hyper's bare 431.
    pub max_headers: usize,
    /// For a request's head, from its first byte or from the end of the
    /// previous request on the connection: slower closes the connection.
    pub header_read_timeout: Duration,
    /// The longest wait for the next part of a body that a handler reads:
    /// longer gets a 408 problem.
    pub body_read_timeout: Duration,
}

impl ServerLimits {
    /// The local server's limits: 8 KiB of target, 32 KiB of head in at
    /// most 100 fields, 10 seconds for the head and 10 between parts of
    /// the body.
    pub const LOCAL: Self = Self {
        max_target_bytes: 8 * 1024,
        max_head_bytes: 32 * 1024,
        max_headers: 100,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(10),
    };
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self::LOCAL
    }
}

/// Refuses to load the demo accounts, whose password is published, into a
/// DynamoDB that is not on this machine, unless `allow_remote`. `endpoint`
/// is the one the store calls; `None` is AWS itself. Local means a host of
/// `localhost` or a loopback address.
pub fn check_seed_endpoint(endpoint: Option<&str>, allow_remote: bool) -> Result<(), String> {
    if allow_remote || endpoint.is_some_and(is_local_endpoint) {
        return Ok(());
    }
    let target = match endpoint {
        Some(url) => format!("the DynamoDB at {url}, which is not on this machine"),
        None => "DynamoDB on AWS itself: no AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_DYNAMODB) is set".into(),
    };
    Err(format!(
        "refusing to --seed {target}. The demo accounts sign in with the published password {:?}: \
         point AWS_ENDPOINT_URL at a DynamoDB on localhost, 127.0.0.1 or [::1], \
         or add --allow-remote-seed if this table may really hold them.",
        crate::seed::DEMO_PASSWORD
    ))
}

fn is_local_endpoint(url: &str) -> bool {
    let Some(host) = url.parse::<axum::http::Uri>().ok().and_then(|uri| uri.host().map(str::to_owned)) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.to_canonical().is_loopback())
}

/// The endpoint the DynamoDB store calls, resolved as the SDK resolves it
/// (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, then the profile's
/// `endpoint_url`s); `None` is AWS itself.
fn dynamodb_endpoint(config: &aws_config::SdkConfig) -> Option<String> {
    use aws_types::service_config::ServiceConfigKey;
    let key = ServiceConfigKey::builder()
        .service_id("DynamoDB")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .expect("every part of the key is set");
    config
        .service_config()
        .and_then(|services| services.load_config(key))
        .or_else(|| config.endpoint_url().map(str::to_owned))
}

/// Seeds the store if asked, then serves the whole API (and `extra`, the
/// local-only routes such as `/docs`) unless asked not to.
async fn prepare_and_serve<S: Store>(
    store: S,
    options: &LocalOptions,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
    files: PhotoFiles<LocalBlobs>,
    extra: Router,
) -> Result<(), BoxError> {
    if options.seed {
        let report = crate::seed::seed(&store).await?;
        tracing::info!(
            users = report.users,
            properties = report.properties,
            already_there = report.skipped_users,
            "demo data loaded; every demo user signs in with the password {:?}",
            crate::seed::DEMO_PASSWORD
        );
    }
    if options.no_serve {
        return Ok(());
    }
    let limits = ServerLimits::LOCAL;
    let schedule = options.settings.webhook_retry_schedule(&crate::webhooks::deliver::LOCAL_SCHEDULE)?;
    let webhooks = DeliverySetup::local(&schedule);
    self::webhooks::start(webhooks.on(store.clone()));
    let from = options.settings.alerts_from_address().to_owned();
    let mailer = Mailer::Files { dir: options.data_dir.join("mail"), from };
    start_alerts(Alerts { store: store.clone(), mailer, public_url: public_url(options) });
    serve(local_app(store, issuer, verifier, files, extra, &limits, &webhooks), limits, options).await
}

/// Alerts on the local server: the same work as the notifications
/// function on AWS (`crate::alerts`), following the change feed as the
/// table's stream feeds the function.
pub fn start_alerts<S: Store>(alerts: Alerts<S>) {
    // The digests due, every minute (hourly on AWS).
    let digests = alerts.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            if let Err(error) = digests.send_digests(crate::domain::Timestamp::now()).await {
                tracing::warn!(error = %error, "sending the daily digests failed; trying again");
            }
        }
    });
    let store = alerts.store.clone();
    tokio::spawn(feed::follow(store, "alerts", move |event| {
        let alerts = alerts.clone();
        async move { alerts.handle(&event).await.map_err(|error| error.to_string()) }
    }));
}

/// The URL clients reach the local server at, for the upload and media
/// links it hands out: `PUBLIC_URL`, else its own address (a wildcard
/// host read as this machine).
fn public_url(options: &LocalOptions) -> String {
    if let Some(url) = &options.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = options.host.as_str();
    let host = if host == "0.0.0.0" || host == "::" { "127.0.0.1" } else { host };
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    format!("http://{host}:{}", options.port)
}

async fn serve(app: Router, limits: ServerLimits, options: &LocalOptions) -> Result<(), BoxError> {
    let listener = TcpListener::bind(format!("{}:{}", options.host, options.port)).await?;
    tracing::info!("serving the API on http://{}", listener.local_addr()?);
    serve_on(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}

pub use serve::serve_on;

/// The local server: the whole API on one port, on the embedded store
/// unless `STORE=dynamodb` (with `TABLE_NAME` and the usual AWS variables),
/// plus `extra`, the routes only a developer's machine serves.
pub async fn serve_local(options: LocalOptions, extra: Router) -> Result<(), BoxError> {
    let settings = &options.settings;
    let (issuer, verifier) = if settings.signing_key_configured() {
        let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
        (settings.token_issuer(&aws).await?, settings.token_verifier()?)
    } else {
        tracing::warn!(
            "no JWT key configured: using an ephemeral key pair generated at start-up; \
             tokens stop working when the server restarts"
        );
        ephemeral_keys(settings.token_policy(), settings.token_lifetime_seconds()?)
    };
    let (issuer, verifier) = (Arc::new(issuer), Arc::new(verifier));
    let files = PhotoFiles::local(&public_url(&options));
    match options.store {
        StoreKind::Dynamodb => {
            let table = settings.table_name()?;
            let aws = crate::aws::load(settings.aws_ca_bundle()).await?;
            if options.seed {
                check_seed_endpoint(dynamodb_endpoint(&aws).as_deref(), options.allow_remote_seed)?;
            }
            tracing::info!(table = %table, "using the DynamoDB store");
            let store = DynamoStore::from_sdk_config(&aws, table);
            if options.create_table {
                create_table_if_missing(&store).await?;
            }
            if options.reindex {
                let report = store.reindex_properties().await?;
                tracing::info!(properties = report.properties, retried = report.retried, "property items reindexed");
            }
            // The media function reads the table's stream on AWS; on a
            // DynamoDB on this machine, the server reads it itself for the
            // map clusters. Removed photos keep their files until the
            // server stops (they live in memory).
            if dynamodb_endpoint(&aws).as_deref().is_some_and(is_local_endpoint) {
                let streams = aws_sdk_dynamodbstreams::Client::new(&aws);
                tokio::spawn(follow_stream(StreamFollower::new(store.clone(), streams)));
            }
            prepare_and_serve(store, &options, issuer, verifier, files, extra).await
        }
        StoreKind::Memory if options.reindex => {
            Err("--reindex upgrades a DynamoDB table: set STORE=dynamodb and TABLE_NAME".into())
        }
        StoreKind::Memory => {
            tracing::info!("using the embedded in-memory store: data lives as long as the process");
            let store = MemoryStore::new();
            tokio::spawn(media::forget_removed_photos(store.clone(), files.blobs.clone()));
            prepare_and_serve(store, &options, issuer, verifier, files, extra).await
        }
    }
}

/// How often the server reads a local table's stream: the clusters' delay.
const STREAM_POLL: Duration = Duration::from_secs(1);

/// Applies the table's stream to the clusters, as the media function does
/// on AWS, for as long as the server runs.
async fn follow_stream(mut follower: StreamFollower) {
    loop {
        if let Err(error) = follower.catch_up().await {
            tracing::warn!(error = %error, "reading the table's stream failed; trying again");
        }
        tokio::time::sleep(STREAM_POLL).await;
    }
}

async fn create_table_if_missing(store: &DynamoStore) -> Result<(), BoxError> {
    let exists = store.client().describe_table().table_name(store.table()).send().await.is_ok();
    if !exists {
        crate::store::dynamodb::create_table(store.client(), store.table()).await?;
        tracing::info!(table = store.table(), "created the table");
    }
    Ok(())
}
