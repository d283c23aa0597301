//! The local server's connections: the request head read and checked
//! before hyper parses it again, and the request body's deadline.

use super::ServerLimits;
use crate::http::error::ApiError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderName, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as _, Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long a shutdown waits for the connections in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// After a refusal, how long and how much of the rest of the request
/// is read and dropped, so that closing does not reset the connection
/// (and lose the answer) while the client is still sending.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;
/// The longest method read before the request line is refused.
const MAX_METHOD_BYTES: usize = 32;
const READ_CHUNK: usize = 8 * 1024;
/// RFC 9110's IMF-fixdate, for the `Date` of a refusal.
const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

pub async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        // Most likely out of file descriptors: give some back first.
        tracing::error!(%error, "cannot accept connections");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One connection: its request head read and checked, then served by
/// hyper, or refused with a problem.
///
/// `stopping` turns true when the server shuts down: a connection that
/// has not sent a byte by then is closed.
pub async fn serve(mut stream: TcpStream, app: Router, limits: ServerLimits, stopping: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let read = match read_head(&mut stream, &limits, stopping).await {
        Head::Complete(read) => read,
        Head::Gone => return,
        Head::Refused(error) => return refuse(stream, error).await,
    };
    let service = hyper::service::service_fn(move |request| app.clone().oneshot(request));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .keep_alive(false)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_header_size(limits.max_head_bytes);
    let io = hyper_util::rt::TokioIo::new(Replay { read, position: 0, stream });
    if let Err(error) = http1.serve_connection(io, service).await {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// What reading a request head came to.
enum Head {
    /// A head hyper will accept: the bytes read, head and perhaps some body.
    Complete(Vec<u8>),
    /// Nothing to answer: the client closed, or sent nothing in time.
    Gone,
    /// A head to answer with this problem.
    Refused(ApiError),
}

async fn read_head(stream: &mut TcpStream, limits: &ServerLimits, mut stopping: watch::Receiver<bool>) -> Head {
    let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
    let mut read = Vec::with_capacity(READ_CHUNK);
    loop {
        read.reserve(READ_CHUNK);
        let more = tokio::select! {
            more = tokio::time::timeout_at(deadline, stream.read_buf(&mut read)) => more,
            _ = stopping.wait_for(|&stop| stop), if read.is_empty() => return Head::Gone,
        };
        match more {
            Ok(Ok(0) | Err(_)) => return Head::Gone,
            Ok(Ok(_)) => {}
            Err(_elapsed) if read.is_empty() => return Head::Gone,
            Err(_elapsed) => {
                return Head::Refused(ApiError::RequestTimeout(format!(
                    "The request line and headers did not arrive within {}.",
                    describe(limits.header_read_timeout)
                )));
            }
        }
        match check_head(&read, limits) {
            Check::Incomplete => {}
            Check::Acceptable => return Head::Complete(read),
            Check::Refused(error) => return Head::Refused(error),
        }
    }
}

enum Check {
    Incomplete,
    Acceptable,
    Refused(ApiError),
}

/// Checks the head read so far against `limits` and against what hyper
/// would refuse with a bare status.
fn check_head(bytes: &[u8], limits: &ServerLimits) -> Check {
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut request = httparse::Request::new(&mut headers);
    let parsed = request.parse(bytes);
    if request.path.is_some_and(|target| target.len() > limits.max_target_bytes) {
        return Check::Refused(ApiError::UriTooLong(limits.max_target_bytes));
    }
    match parsed {
        Ok(httparse::Status::Complete(length)) if length > limits.max_head_bytes => head_too_large(limits),
        Ok(httparse::Status::Complete(_)) => match unreadable(&request) {
            Some(problem) => Check::Refused(ApiError::BadRequest(problem.into())),
            None => Check::Acceptable,
        },
        Ok(httparse::Status::Partial) if request.path.is_none() => request_line_so_far(bytes, limits),
        Ok(httparse::Status::Partial) if bytes.len() > limits.max_head_bytes => head_too_large(limits),
        Ok(httparse::Status::Partial) => Check::Incomplete,
        Err(httparse::Error::TooManyHeaders) => Check::Refused(ApiError::HeadersTooLarge(format!(
            "A request may carry at most {} header fields.",
            limits.max_headers
        ))),
        Err(httparse::Error::Token) if request.method.is_some() => {
            Check::Refused(ApiError::BadRequest("The request target is not valid.".into()))
        }
        Err(error) => Check::Refused(ApiError::BadRequest(format!("The request is not valid HTTP/1.1 ({error})."))),
    }
}

fn head_too_large(limits: &ServerLimits) -> Check {
    Check::Refused(ApiError::HeadersTooLarge(format!(
        "The request line and headers must not exceed {} bytes in all.",
        limits.max_head_bytes
    )))
}

/// A request line still arriving: refused once its target or method
/// is already too long.
fn request_line_so_far(bytes: &[u8], limits: &ServerLimits) -> Check {
    let start = bytes.iter().position(|byte| !matches!(byte, b'\r' | b'\n')).unwrap_or(bytes.len());
    let line = &bytes[start..];
    match line.iter().position(|&byte| byte == b' ') {
        Some(space) if line.len() - space - 1 > limits.max_target_bytes => {
            Check::Refused(ApiError::UriTooLong(limits.max_target_bytes))
        }
        None if line.len() > MAX_METHOD_BYTES => {
            Check::Refused(ApiError::BadRequest("The request line does not start with a method.".into()))
        }
        _ if bytes.len() > limits.max_head_bytes => head_too_large(limits),
        _ => Check::Incomplete,
    }
}

/// What hyper would refuse in a head `httparse` accepts (its rules for
/// the method, target, header names and body framing).
fn unreadable(request: &httparse::Request) -> Option<&'static str> {
    if Method::from_bytes(request.method?.as_bytes()).is_err() {
        return Some("The request method is not valid.");
    }
    if Uri::try_from(request.path?).is_err() {
        return Some("The request target is not a valid URI.");
    }
    let http_1_1 = request.version == Some(1);
    let mut chunked = None;
    let mut length = None;
    for field in request.headers.iter() {
        if HeaderName::from_bytes(field.name.as_bytes()).is_err() {
            return Some("A header name is not valid.");
        }
        if field.name.eq_ignore_ascii_case(header::TRANSFER_ENCODING.as_str()) {
            if !http_1_1 {
                return Some("An HTTP/1.0 request cannot carry Transfer-Encoding.");
            }
            chunked = Some(ends_with_chunked(field.value));
        } else if field.name.eq_ignore_ascii_case(header::CONTENT_LENGTH.as_str()) && chunked.is_none() {
            let Some(value) = decimal(field.value) else {
                return Some("The Content-Length header is not a valid length.");
            };
            if length.is_some_and(|previous| previous != value) {
                return Some("The request carries Content-Length headers that disagree.");
            }
            length = Some(value);
        }
    }
    if chunked == Some(false) {
        return Some("The last Transfer-Encoding of a request must be chunked.");
    }
    None
}

fn ends_with_chunked(value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else { return false };
    let visible = value.bytes().all(|byte| byte == b'\t' || (0x20..0x7f).contains(&byte));
    visible && value.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
}

/// A Content-Length as hyper reads it: digits only, within bounds.
fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value
        .iter()
        .try_fold(0u64, |total, &byte| match byte {
            b'0'..=b'9' => total.checked_mul(10)?.checked_add(u64::from(byte - b'0')),
            _ => None,
        })
        .filter(|&length| length <= u64::MAX - 2)
}

/// Answers `error` as the request-id middleware would, and closes.
async fn refuse(mut stream: TcpStream, error: ApiError) {
    let request_id = uuid::Uuid::now_v7().to_string();
    let status = error.status();
    tracing::info_span!("request", request_id = %request_id).in_scope(|| {
        tracing::info!(status = status.as_u16(), refused = ?error, "request refused before routing");
    });
    let (parts, body) = error.into_response().into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut answer =
        format!("HTTP/1.1 {} {}\r\n", status.as_str(), status.canonical_reason().unwrap_or("")).into_bytes();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONNECTION {
            answer.extend_from_slice(name.as_str().as_bytes());
            answer.extend_from_slice(b": ");
            answer.extend_from_slice(value.as_bytes());
            answer.extend_from_slice(b"\r\n");
        }
    }
    let date = time::OffsetDateTime::now_utc().format(HTTP_DATE).unwrap_or_default();
    let framing = format!(
        "x-request-id: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\ndate: {date}\r\n\r\n",
        body.len()
    );
    answer.extend_from_slice(framing.as_bytes());
    answer.extend_from_slice(&body);
    if stream.write_all(&answer).await.is_ok() && stream.shutdown().await.is_ok() {
        linger(stream).await;
    }
}

/// Reads and drops what the client still sends, for a while.
async fn linger(mut stream: TcpStream) {
    let mut sink = vec![0; READ_CHUNK];
    let mut dropped = 0;
    let _ = tokio::time::timeout(LINGER, async {
        while dropped < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(read) => dropped += read,
            }
        }
    })
    .await;
}

/// `duration` for a person: "10 seconds", "1 second", "250 milliseconds".
fn describe(duration: Duration) -> String {
    match (duration.as_secs(), duration.subsec_millis()) {
        (1, 0) => "1 second".into(),
        (seconds, 0) => format!("{seconds} seconds"),
        _ => format!("{} milliseconds", duration.as_millis()),
    }
}

/// The bytes read while checking the head, then the rest of the stream.
struct Replay {
    read: Vec<u8>,
    position: usize,
    stream: TcpStream,
}

impl AsyncRead for Replay {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.position < this.read.len() {
            let rest = &this.read[this.position..];
            let count = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..count]);
            this.position += count;
            if this.position == this.read.len() {
                this.read = Vec::new();
                this.position = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Gives the handler `timeout` to read the whole request body; a body
/// that does not arrive by then ends in error, and the answer, whatever
/// the handler made of the error, is 408.
pub async fn body_deadline(timeout: Duration, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        let deadline = Box::pin(tokio::time::sleep(timeout));
        Body::new(DeadlineBody { body, deadline, timed_out: timed_out.clone() })
    });
    let response = next.run(request).await;
    if timed_out.load(Ordering::Acquire) {
        let detail = format!("The request body did not arrive within {}.", describe(timeout));
        return ApiError::RequestTimeout(detail).into_response();
    }
    response
}

struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl hyper::body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new("the request body did not arrive in time"))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
