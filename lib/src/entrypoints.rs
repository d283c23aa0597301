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
    http::finish(users)
}

/// The local server: the whole API on one port, on the embedded store
/// unless `STORE=dynamodb` (with `TABLE_NAME` and the usual AWS variables).
pub async fn serve_local() -> Result<(), BoxError> {
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
    let app = match std::env::var("STORE").as_deref() {
        Ok("dynamodb") => {
            let table = config::table_name()?;
            tracing::info!(table = %table, "using the DynamoDB store");
            api(DynamoStore::from_env(table).await, issuer, verifier)
        }
        Ok("memory") | Err(_) => {
            tracing::info!("using the embedded in-memory store: data lives as long as the process");
            api(MemoryStore::new(), issuer, verifier)
        }
        Ok(other) => return Err(format!("STORE must be memory or dynamodb, not {other:?}").into()),
    };
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
