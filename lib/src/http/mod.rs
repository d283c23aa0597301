//! The HTTP layer: one router per route group, and the shared finishing
//! (fallbacks, panic guard, request span) that every deployment applies.
//! The Lambda functions, the local server and `cargo lambda watch` all serve
//! routers built here, so no route exists twice.

pub mod error;
pub mod openapi;
pub mod request;
pub mod responses;
pub mod routes;
mod schemas;

use crate::auth::{TokenIssuer, TokenVerifier};
use axum::Router;
use axum::extract::{FromRef, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use error::ApiError;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

/// What every route group's handlers share.
#[derive(Clone)]
pub struct AppState<S> {
    pub store: S,
    pub verifier: Arc<TokenVerifier>,
}

impl<S> FromRef<AppState<S>> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState<S>) -> Self {
        state.verifier.clone()
    }
}

/// The properties group also presigns photo uploads, and writes the links
/// of photos' files.
#[derive(Clone)]
pub struct PropertiesState<S, B> {
    pub app: AppState<S>,
    pub blobs: B,
    pub media: MediaLinks,
}

impl<S: Clone, B> FromRef<PropertiesState<S, B>> for AppState<S> {
    fn from_ref(state: &PropertiesState<S, B>) -> Self {
        state.app.clone()
    }
}

impl<S, B> FromRef<PropertiesState<S, B>> for MediaLinks {
    fn from_ref(state: &PropertiesState<S, B>) -> Self {
        state.media.clone()
    }
}

impl<S, B> FromRef<PropertiesState<S, B>> for Arc<TokenVerifier> {
    fn from_ref(state: &PropertiesState<S, B>) -> Self {
        state.app.verifier.clone()
    }
}

/// Where photos' files are served from (CloudFront deployed, the local
/// server's `/media` locally): a base URL, to which a file's key is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLinks(Arc<str>);

impl MediaLinks {
    /// Links under `base` (`https://…`, no trailing slash needed).
    pub fn new(base: &str) -> Self {
        Self(base.trim_end_matches('/').into())
    }

    /// The absolute URL of the file at `key`.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.0)
    }
}

/// The users group also signs tokens: it alone holds the private key.
#[derive(Clone)]
pub struct UsersState<S> {
    pub app: AppState<S>,
    pub issuer: Arc<TokenIssuer>,
}

impl<S> FromRef<UsersState<S>> for Arc<TokenVerifier> {
    fn from_ref(state: &UsersState<S>) -> Self {
        state.app.verifier.clone()
    }
}

/// Adds what every deployed router needs around its routes: problem+json
/// for unknown routes and methods, a panic guard, a request span that
/// puts the request id on every log line, and the headers every answer
/// carries (`shared_headers`).
pub fn finish(routes: Router) -> Router {
    finish_with(routes, |app| app)
}

/// [`finish`], with `around` applied to the routes, their fallbacks and the
/// panic guard, inside the request span and the shared headers: the local
/// server's CORS, so its preflight answers carry them too.
pub(crate) fn finish_with(routes: Router, around: impl FnOnce(Router) -> Router) -> Router {
    let app = routes
        .fallback(|| async { ApiError::NotFound("No resource exists at this path.".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(CatchPanicLayer::custom(|_panic| {
            // The panic message itself went to stderr through the panic hook.
            ApiError::internal("a handler panicked").into_response()
        }));
    around(app)
        .layer(middleware::from_fn(within_deadline))
        .layer(middleware::from_fn(request_span))
        .layer(middleware::map_response(shared_headers))
}

/// What every answer carries, whatever made it: `X-Content-Type-Options:
/// nosniff`, so no browser reads a JSON answer (or a problem quoting the
/// caller's input) as HTML or script.
async fn shared_headers(mut response: Response) -> Response {
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// How long before the Lambda function's deadline a request still running
/// is answered 503: time to send that answer and flush the logs.
const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(1);

/// On Lambda, answers 503 (retry later) just before the function would be
/// stopped, instead of letting API Gateway answer its own error. Each store
/// call is bounded; this bounds the routes that make many (deleting an
/// account with many properties), which leave nothing half-written that a
/// retry does not finish.
async fn within_deadline(request: Request, next: Next) -> Response {
    // Off Lambda there is no context, or one without a deadline; `cargo lambda
    // watch` sends a duration (600000) where Lambda sends an instant in Unix
    // milliseconds, so a "deadline" before 2001 is no deadline either.
    let Some(context) =
        request.extensions().get::<lambda_http::Context>().filter(|context| context.deadline > 1_000_000_000_000)
    else {
        return next.run(request).await;
    };
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(context.deadline);
    let left = deadline.duration_since(std::time::SystemTime::now()).unwrap_or_default();
    match tokio::time::timeout(left.saturating_sub(DEADLINE_MARGIN), next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable("the request ran out of the function's time".into()).into_response(),
    }
}

async fn request_span(request: Request, next: Next) -> Response {
    let request_id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(status = status.as_u16(), elapsed_ms, "request answered");
        } else {
            tracing::info!(status = status.as_u16(), elapsed_ms, "request answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// API Gateway's request id (the one in its access logs) when there is one,
/// else Lambda's, else a fresh one for the local server.
fn request_id(request: &Request) -> String {
    use lambda_http::request::RequestContext;
    let gateway = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    gateway
        .or_else(|| request.extensions().get::<lambda_http::Context>().map(|context| context.request_id.clone()))
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// The request headers a browser may send across origins: the token, the
/// body's type, a creation's idempotency key and the preconditions. `template.yaml` and `terraform/`
/// allow exactly these (a test checks it).
pub const CORS_ALLOWED_HEADERS: [&str; 5] =
    ["authorization", "content-type", "idempotency-key", "if-match", "if-none-match"];

/// The response headers a browser script may read across origins: the
/// version, where a creation lives, when to retry (429, 503), why a caller
/// was refused (401), and the id to quote in a report.
pub const CORS_EXPOSED_HEADERS: [&str; 5] = ["etag", "location", "retry-after", "www-authenticate", "x-request-id"];

/// The methods a browser may use across origins: the API's, and `OPTIONS`
/// for the preflight itself, as `template.yaml` and `terraform/` allow them.
pub const CORS_ALLOWED_METHODS: [Method; 6] =
    [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS];

/// How long a browser may keep a preflight's answer, as `template.yaml` and
/// `terraform/` set it.
pub const CORS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// An answer that carries the caller's own data (their account, their
/// tokens, their properties): `Cache-Control: no-store`, so no browser or
/// shared cache keeps a copy.
pub struct Private<T>(pub T);

impl<T: IntoResponse> IntoResponse for Private<T> {
    fn into_response(self) -> Response {
        ([(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], self.0).into_response()
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}
