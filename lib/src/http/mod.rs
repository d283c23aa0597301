//! The HTTP layer: one router per route group, and the shared finishing
//! (fallbacks, panic guard, request span) that every deployment applies.
//! The Lambda functions, the local server and `cargo lambda watch` all serve
//! routers built here, so no route exists twice.

mod around;
pub mod error;
pub mod openapi;
pub mod request;
pub mod responses;
pub mod routes;
mod schemas;

use crate::auth::{TokenIssuer, TokenVerifier};
use axum::Router;
use axum::extract::{FromRef, Request};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use error::ApiError;
use std::any::Any;
use std::convert::Infallible;
use std::sync::Arc;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer};

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
    /// Webhook deliveries: a test event, and the resumption of an endpoint.
    pub deliveries: crate::webhooks::Deliveries<S>,
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
    finish_with(routes, tower::layer::util::Identity::new())
}

/// [`finish`], with `around` between the panic guard and the request span:
/// the local server's stand-in for API Gateway, so that its own answers (a
/// CORS preflight, a 414) carry the request id and the shared headers too.
///
/// The layers go on as one stack, in one `Router::layer`: each layer that
/// axum adds on its own boxes every route again, and a request then clones
/// each of those boxes, with the route's state, on its way in.
pub(crate) fn finish_with<L>(routes: Router, around: L) -> Router
where
    L: Layer<Guarded> + Clone + Send + Sync + 'static,
    L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Response: IntoResponse + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    routes
        .fallback(|| async { ApiError::NotFound("No resource exists at this path.".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(
            ServiceBuilder::new()
                .layer(around::AroundLayer)
                .layer(around)
                .layer(CatchPanicLayer::custom(panicked as PanicAnswer)),
        )
}

/// A route inside its panic guard: what [`finish_with`]'s `around` wraps.
pub(crate) type Guarded = CatchPanic<Route, PanicAnswer>;

type PanicAnswer = fn(Box<dyn Any + Send>) -> Response;

/// A handler panicked: the panic message itself went to stderr through the
/// panic hook, and the client gets a problem that does not quote it.
fn panicked(_panic: Box<dyn Any + Send>) -> Response {
    ApiError::internal("a handler panicked").into_response()
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

/// A JSON answer, as `axum::Json` makes it (`Content-Type:
/// application/json`), serialised into a `Vec` sized for a typical answer:
/// axum's grows a `BytesMut` from 128 bytes, through an adapter that costs
/// more per write than a `Vec` does, and serde_json makes about 370 writes
/// for one property with three rooms. A value that does not serialise
/// (none of ours) is an internal error, logged, as any other.
pub struct Json<T>(pub T);

/// What most answers fit in: one property with its rooms, a photo list.
const JSON_CAPACITY: usize = 2048;

/// The header fields of a typical answer, `Date` aside (hyper writes it).
const ANSWER_HEADERS: usize = 8;

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(JSON_CAPACITY);
        if let Err(error) = serde_json::to_writer(&mut body, &self.0) {
            return ApiError::internal(format!("an answer did not serialise: {error}")).into_response();
        }
        let mut response = Response::new(axum::body::Body::from(body));
        // Room for the headers every answer gets on its way out (length,
        // ETag, the CORS pair, request id, nosniff), so that the map is not
        // grown and rehashed halfway.
        response.headers_mut().reserve(ANSWER_HEADERS);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// An answer that carries the caller's own data (their account, their
/// tokens, their properties): `Cache-Control: no-store`, so no browser or
/// shared cache keeps a copy.
/// `text` as HTML shows it literally: the unsubscribe pages' and alert
/// e-mails' names.
pub(crate) fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

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
