//! What API Gateway does on AWS before a function sees a request, done by
//! the local server itself: a 414 problem for a request target over the
//! limit, and CORS (for any origin, otherwise as `template.yaml` configures
//! it, see `cors`).
//!
//! A service of its own rather than tower-http's CORS layer alone: that
//! layer builds its headers into a fresh map for every request, `Origin`
//! or not, where a request without one (curl, a server, a page of the same
//! origin) needs none of them. Such a request goes straight on, and its
//! answer gets only `Vary: Origin`, which caches need.

use crate::http::error::ApiError;
use crate::http::{CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE};
use axum::extract::Request;
use axum::http::header::{ORIGIN, VARY};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

/// Puts [`Gateway`] around a service.
#[derive(Debug, Clone)]
pub struct GatewayLayer {
    cors: CorsLayer,
    max_target_bytes: usize,
}

impl GatewayLayer {
    pub fn new(max_target_bytes: usize) -> Self {
        Self { cors: cors(), max_target_bytes }
    }
}

/// API Gateway's CORS as `template.yaml` configures it (the same headers,
/// methods and max age), but for any origin: the stacks allow none unless
/// given some, and a developer's front end may be on any port. The origin
/// is echoed, as API Gateway echoes a listed one, never `*`.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(CORS_ALLOWED_METHODS)
        .allow_headers(CORS_ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(CORS_EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(CORS_MAX_AGE)
        // The answers vary with the origin alone: the methods and headers
        // allowed are fixed lists (tower-http names the preflight's request
        // headers too by default).
        .vary([ORIGIN])
}

impl<S: Clone> Layer<S> for GatewayLayer {
    type Service = Gateway<S>;

    fn layer(&self, inner: S) -> Gateway<S> {
        Gateway { cors: self.cors.layer(inner.clone()), inner, max_target_bytes: self.max_target_bytes }
    }
}

/// See the module's description.
#[derive(Debug, Clone)]
pub struct Gateway<S> {
    /// `inner` behind tower-http's CORS, for the requests with an `Origin`.
    cors: Cors<S>,
    inner: S,
    max_target_bytes: usize,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for Gateway<S>
where
    S: Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
    Cors<S>: Service<Request, Error = Infallible>,
    <Cors<S> as Service<Request>>::Response: IntoResponse,
    <Cors<S> as Service<Request>>::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        ready!(self.inner.poll_ready(cx))?;
        self.cors.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        let target = request.uri().path_and_query().map_or(0, |target| target.as_str().len());
        if target > self.max_target_bytes {
            let refused = ApiError::UriTooLong(self.max_target_bytes).into_response();
            return Box::pin(std::future::ready(Ok(refused)));
        }
        if request.headers().contains_key(ORIGIN) {
            let answer = self.cors.call(request);
            return Box::pin(async move { Ok(answer.await?.into_response()) });
        }
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?.into_response();
            response.headers_mut().insert(VARY, HeaderValue::from_static("origin"));
            Ok(response)
        })
    }
}
