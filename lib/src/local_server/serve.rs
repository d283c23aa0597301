//! The local server's connections, served by hyper with keep-alive.
//!
//! What hyper refuses before routing (a garbled head, a head over its
//! limits) gets hyper's own bare answer or a close: on AWS, API Gateway
//! answers those requests itself, so no deployed client ever sees ours.

use super::ServerLimits;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The most header fields hyper reads when given no limit
/// (`hyper::server::conn::http1::Builder::max_headers`).
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;

/// How long a shutdown waits for the requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` completes, then closes the
/// idle connections at once and lets the requests in flight finish for a
/// few seconds. Each request carries its peer's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve_on(listener: TcpListener, app: Router, limits: ServerLimits, shutdown: impl Future<Output = ()>) {
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_head_bytes);
    // hyper parses into a buffer on the stack for its default limit, and
    // into one allocated (and zeroed) for each request when given any limit:
    // the same limit costs nothing left to hyper (its documentation puts
    // the difference at 5%; here it was 1.5% of an answer's instructions).
    if limits.max_headers != HYPER_DEFAULT_MAX_HEADERS {
        http1.max_headers(limits.max_headers);
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http1.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::info!("closing the connections still busy at shutdown");
    }
}

async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        // Most likely out of file descriptors: give some back first.
        tracing::error!(%error, "cannot accept connections");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
