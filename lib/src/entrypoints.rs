//! What each binary runs: the Lambda functions and the local server only
//! call one of these, so their `main.rs` files stay a few lines long.

use crate::auth::{TokenIssuer, TokenVerifier, ephemeral_keys, passwords};
use crate::authorizer::{AuthorizerRequest, authorize};
use crate::config;
use crate::http::{self, AppState, UsersState};
use crate::store::{DynamoStore, MemoryStore, Store};
use axum::Router;
use std::sync::Arc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn deployed_state() -> Result<AppState<DynamoStore>, BoxError> {
    let store = DynamoStore::from_env(config::table_name()?).await;
    Ok(AppState { store, verifier: Arc::new(config::token_verifier()?) })
}

/// The users function: registration, sign-in, accounts.
pub async fn run_users() -> Result<(), BoxError> {
    let state = UsersState { app: deployed_state().await?, issuer: Arc::new(config::token_issuer().await?) };
    passwords::warm_up();
    lambda_http::run(http::finish(http::users::router(state))).await
}

/// The properties function: publishing and browsing.
pub async fn run_properties() -> Result<(), BoxError> {
    lambda_http::run(http::finish(http::properties::router(deployed_state().await?))).await
}

/// The rooms function: a property's rooms.
pub async fn run_rooms() -> Result<(), BoxError> {
    lambda_http::run(http::finish(http::rooms::router(deployed_state().await?))).await
}

/// The authorizer function: token in, allow or deny out.
pub async fn run_authorizer() -> Result<(), BoxError> {
    let verifier = Arc::new(config::token_verifier()?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<AuthorizerRequest>| {
        let verifier = verifier.clone();
        async move { Ok::<_, BoxError>(authorize(&verifier, &event.payload)) }
    }))
    .await
}

/// Every route group in one router: the local server's whole API.
pub fn api<S: Store>(store: S, issuer: Arc<TokenIssuer>, verifier: Arc<TokenVerifier>) -> Router {
    let app = AppState { store, verifier };
    let users = http::users::router(UsersState { app: app.clone(), issuer });
    let properties = http::properties::router(app.clone());
    let rooms = http::rooms::router(app);
    http::finish(users.merge(properties).merge(rooms))
}

/// What the local server is asked to do besides serving (its command
/// line, which `functions/local` reads).
#[derive(Debug, Default)]
pub struct LocalOptions {
    /// Load the demo data set into the store first.
    pub seed: bool,
    /// Create the DynamoDB table first, if it does not exist.
    pub create_table: bool,
    /// Stop after the steps above instead of serving.
    pub no_serve: bool,
}

/// Seeds the store if asked, then serves the whole API (and `extra`, the
/// local-only routes such as `/docs`) unless asked not to.
async fn prepare_and_serve<S: Store>(
    store: S,
    options: &LocalOptions,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
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
    serve(extra.merge(api(store, issuer, verifier))).await
}

async fn serve(app: Router) -> Result<(), BoxError> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}")).await?;
    tracing::info!("serving the API on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The local server: the whole API on one port, on the embedded store
/// unless `STORE=dynamodb` (with `TABLE_NAME` and the usual AWS variables),
/// plus `extra`, the routes only a developer's machine serves.
pub async fn serve_local(options: LocalOptions, extra: Router) -> Result<(), BoxError> {
    let (issuer, verifier) = if config::signing_key_configured() {
        (config::token_issuer().await?, config::token_verifier()?)
    } else {
        tracing::warn!(
            "no JWT key configured: using an ephemeral key pair generated at start-up; \
             tokens stop working when the server restarts"
        );
        ephemeral_keys(config::token_policy(), config::token_lifetime_seconds()?)
    };
    let (issuer, verifier) = (Arc::new(issuer), Arc::new(verifier));
    passwords::warm_up();
    match std::env::var("STORE").as_deref() {
        Ok("dynamodb") => {
            let table = config::table_name()?;
            tracing::info!(table = %table, "using the DynamoDB store");
            let store = DynamoStore::from_env(table).await;
            if options.create_table {
                create_table_if_missing(&store).await?;
            }
            prepare_and_serve(store, &options, issuer, verifier, extra).await
        }
        Ok("memory") | Err(_) => {
            tracing::info!("using the embedded in-memory store: data lives as long as the process");
            prepare_and_serve(MemoryStore::new(), &options, issuer, verifier, extra).await
        }
        Ok(other) => Err(format!("STORE must be memory or dynamodb, not {other:?}").into()),
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
