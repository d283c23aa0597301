//! What each Lambda function runs, so their `main.rs` files stay a few
//! lines long, and the whole API in one router (`api`), which the local
//! server (`crate::local_server`) and the tests serve.

use crate::auth::{TokenIssuer, TokenVerifier, passwords};
use crate::authorizer::{AuthorizerRequest, authorize};
use crate::config;
use crate::http::{self, AppState, UsersState};
use crate::store::{DynamoStore, Store};
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

/// Every route group in one router, before [`http::finish`].
pub(crate) fn api_routes<S: Store>(store: S, issuer: Arc<TokenIssuer>, verifier: Arc<TokenVerifier>) -> Router {
    let app = AppState { store, verifier };
    let users = http::users::router(UsersState { app: app.clone(), issuer });
    let properties = http::properties::router(app.clone());
    let rooms = http::rooms::router(app);
    users.merge(properties).merge(rooms)
}

/// Every route group in one router: the local server's whole API.
pub fn api<S: Store>(store: S, issuer: Arc<TokenIssuer>, verifier: Arc<TokenVerifier>) -> Router {
    http::finish(api_routes(store, issuer, verifier))
}
