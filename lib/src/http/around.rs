//! What every request meets first and every answer last, whatever answers
//! it: a span that puts the request id on every log line and logs the
//! answer, the Lambda deadline, then the `x-request-id` header and the
//! headers every answer carries (`shared_headers`).
//!
//! A tower layer of its own rather than `axum::middleware::from_fn`: an
//! async function with `Next` needs a clone of everything inside it (the
//! CORS layer's configuration, the panic guard, the route with its state)
//! for each request, where a service can hand the request on and wrap only
//! the future it gets back.

use super::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tower::{Layer, Service};
use tracing::Instrument;

/// Puts [`Around`] around a service.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AroundLayer;

impl<S> Layer<S> for AroundLayer {
    type Service = Around<S>;

    fn layer(&self, inner: S) -> Around<S> {
        Around { inner }
    }
}

/// See the module's description.
#[derive(Debug, Clone)]
pub(crate) struct Around<S> {
    inner: S,
}

impl<S> Service<Request> for Around<S>
where
    S: Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let request_id = request_id(&request);
        let span = tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            path = %request.uri().path(),
        );
        let started = Instant::now();
        let time_left = time_left(&request);
        let answer = span.in_scope(|| self.inner.call(request));
        Box::pin(async move {
            let answer = async move {
                let Some(left) = time_left else {
                    return into_response(answer.await);
                };
                match tokio::time::timeout(left, answer).await {
                    Ok(answer) => into_response(answer),
                    Err(_) => {
                        ApiError::Unavailable("the request ran out of the function's time".into()).into_response()
                    }
                }
            };
            let mut response = answer.instrument(span.clone()).await;
            let status = response.status();
            span.in_scope(|| {
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(status = status.as_u16(), elapsed_ms, "request answered");
                } else {
                    tracing::info!(status = status.as_u16(), elapsed_ms, "request answered");
                }
            });
            // The id's own bytes, not a copy of them.
            if let Ok(value) = HeaderValue::from_maybe_shared(axum::body::Bytes::from(request_id)) {
                response.headers_mut().insert("x-request-id", value);
            }
            shared_headers(&mut response);
            Ok(response)
        })
    }
}

fn into_response<T: IntoResponse>(answer: Result<T, Infallible>) -> Response {
    match answer {
        Ok(answer) => answer.into_response(),
        Err(never) => match never {},
    }
}

/// What every answer carries, whatever made it: `X-Content-Type-Options:
/// nosniff`, so no browser reads a JSON answer (or a problem quoting the
/// caller's input) as HTML or script.
fn shared_headers(response: &mut Response) {
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// How long before the Lambda function's deadline a request still running
/// is answered 503: time to send that answer and flush the logs.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// On Lambda, how long the request may still run: it is answered 503
/// (retry later) just before the function would be stopped, instead of
/// letting API Gateway answer its own error. Each store call is bounded;
/// this bounds the routes that make many (deleting an account with many
/// properties), which leave nothing half-written that a retry does not
/// finish.
fn time_left(request: &Request) -> Option<Duration> {
    // Off Lambda there is no context, or one without a deadline; `cargo lambda
    // watch` sends a duration (600000) where Lambda sends an instant in Unix
    // milliseconds, so a "deadline" before 2001 is no deadline either.
    let context =
        request.extensions().get::<lambda_http::Context>().filter(|context| context.deadline > 1_000_000_000_000)?;
    let deadline = UNIX_EPOCH + Duration::from_millis(context.deadline);
    let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
    Some(left.saturating_sub(DEADLINE_MARGIN))
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
        .unwrap_or_else(|| fresh_request_id().to_string())
}

/// A UUIDv7 for a request that came with no id: the time in milliseconds,
/// then 74 random bits from std's hasher, keyed at random for each thread
/// and re-keyed for each id. Not `Uuid::now_v7`: that takes a lock shared
/// by every thread and asks the system for random bits for every id (a
/// system call), which under load made the local server's workers wait on
/// each other; a request id needs to be unique, not secret.
fn fresh_request_id() -> uuid::Uuid {
    use std::hash::{BuildHasher, RandomState};
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64);
    let high = RandomState::new().hash_one(millis).to_le_bytes();
    let low = RandomState::new().hash_one(millis).to_le_bytes();
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&high);
    random[8..].copy_from_slice(&low[..2]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::fresh_request_id;

    /// Fresh ids are version 7, carry the time, and do not repeat.
    #[test]
    fn fresh_request_ids_are_distinct_uuid_v7s() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let ids: std::collections::HashSet<uuid::Uuid> = (0..10_000).map(|_| fresh_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(10) {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            let (seconds, nanos) = id.get_timestamp().unwrap().to_unix();
            let millis = seconds * 1000 + u64::from(nanos) / 1_000_000;
            assert!(millis >= before && millis < before + 60_000, "{id}: {millis} against {before}");
        }
    }
}
