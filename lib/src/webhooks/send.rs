//! One webhook delivery: a single POST over a fresh connection to an
//! address checked before connecting and again once connected, with no
//! redirect followed, all within one time limit.

use super::address::{self, Reach, Refused, Target};
use crate::telemetry::Causes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, RETRY_AFTER, USER_AGENT};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{InvalidDnsNameError, ServerName};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use time::format_description::BorrowedFormatItem;
use time::{OffsetDateTime, PrimitiveDateTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Tells receivers who calls, and which version of the delivery format.
const USER_AGENT_VALUE: &str = "real-estate-webhooks/1";

/// How much of a refusal's body is kept: enough to tell why, small enough
/// to store with every attempt.
const KEPT_BODY_BYTES: usize = 1024;

/// HTTP-date in the one form senders may generate (RFC 9110, IMF-fixdate).
const HTTP_DATE: &[BorrowedFormatItem<'_>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// The TLS set-up of every delivery, built on first use: the platform's
/// roots (receivers' certificates chain to any public CA, not only the
/// Amazon ones the SDK trusts), on the aws-lc-rs provider the SDK uses.
/// `None` if the platform holds no usable root.
static TLS: LazyLock<Option<Arc<rustls::ClientConfig>>> = LazyLock::new(tls_config);

/// What one delivery attempt came to, and how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with a 2xx.
    Delivered { status: u16 },
    /// The receiver answered with anything else, a redirect included.
    /// `body`: its first KiB, as text. `retry_after`: its `Retry-After`,
    /// on a 429 or a 503 only.
    Rejected { status: u16, retry_after: Option<Duration>, body: String },
    /// No answer: a refused address, DNS, connection, TLS, protocol or time.
    Failed { error: String },
}

/// POSTs `body` to `target` with `headers` (besides `host`,
/// `content-type: application/json` and `user-agent`), and reads the
/// answer; all of it ends within `timeout`.
pub async fn post(
    target: &Target,
    reach: Reach,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Attempt {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, deliver(target, reach, headers, body)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(failure)) => Outcome::Failed { error: Causes(&failure).to_string() },
        Err(_elapsed) => Outcome::Failed { error: format!("timed out after {timeout:?}") },
    };
    Attempt { outcome, duration: started.elapsed() }
}

/// Why a delivery got no answer.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("a header cannot be sent")]
    Header(#[source] hyper::http::Error),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("cannot connect to {address}")]
    Connect {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS with {host} impossible: the platform holds no root certificate")]
    NoRoots { host: String },
    #[error("TLS with {host} impossible: not a server name")]
    ServerName {
        host: String,
        #[source]
        source: InvalidDnsNameError,
    },
    #[error("TLS with {host} failed")]
    Tls {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the HTTP exchange failed")]
    Http(#[from] hyper::Error),
}

async fn deliver(target: &Target, reach: Reach, headers: &[(&str, String)], body: Vec<u8>) -> Result<Outcome, Failure> {
    let request = request(target, headers, body)?;
    let stream = connect(target, reach).await?;
    if target.https() { exchange(tls(target, stream).await?, request).await } else { exchange(stream, request).await }
}

fn request(target: &Target, headers: &[(&str, String)], body: Vec<u8>) -> Result<Request<Full<Bytes>>, Failure> {
    let mut request = Request::post(target.path_and_query())
        .header(HOST, target.authority())
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, USER_AGENT_VALUE);
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    request.body(Full::new(Bytes::from(body))).map_err(Failure::Header)
}

/// A connection to the first of the host's checked addresses that accepts
/// one. We connect to the very addresses we checked, never resolving the
/// name again, so a second DNS answer cannot slip a forbidden one in.
async fn connect(target: &Target, reach: Reach) -> Result<TcpStream, Failure> {
    let mut failure = None;
    for address in address::resolve(target, reach).await? {
        match TcpStream::connect(address).await {
            Ok(stream) => return check_peer(stream, address, target, reach),
            Err(source) => failure = Some(Failure::Connect { address, source }),
        }
    }
    Err(failure.expect("resolve returns at least one address"))
}

/// `stream` if the address it is connected to may be reached: checked on
/// the socket itself, before a byte is sent.
fn check_peer(stream: TcpStream, address: SocketAddr, target: &Target, reach: Reach) -> Result<TcpStream, Failure> {
    let peer = stream.peer_addr().map_err(|source| Failure::Connect { address, source })?;
    address::check_address(target, reach, peer.ip())?;
    Ok(stream)
}

async fn tls(target: &Target, stream: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    let host = || target.host().to_owned();
    let config = TLS.clone().ok_or_else(|| Failure::NoRoots { host: host() })?;
    let server_name = ServerName::try_from(host()).map_err(|source| Failure::ServerName { host: host(), source })?;
    let connector = tokio_rustls::TlsConnector::from(config);
    connector.connect(server_name, stream).await.map_err(|source| Failure::Tls { host: host(), source })
}

/// Reading the platform's roots is blocking file I/O, done once per
/// process on the first https delivery; later ones share the result.
fn tls_config() -> Option<Arc<rustls::ClientConfig>> {
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!(%error, "a platform root certificate cannot be read");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (_, unusable) = roots.add_parsable_certificates(loaded.certs);
    if unusable > 0 {
        tracing::warn!(unusable, "platform root certificates that rustls cannot use");
    }
    if roots.is_empty() {
        return None;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs's default provider supports the safe protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(Arc::new(config))
}

/// Sends `request` over `io` in HTTP/1.1 and reads the answer.
async fn exchange<T>(io: T, request: Request<Full<Bytes>>) -> Result<Outcome, Failure>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    // Driven here rather than spawned, so that the connection ends with the
    // attempt, on time or not, and none outlives its time limit.
    let mut connection = std::pin::pin!(connection);
    let mut answer = std::pin::pin!(async move { read_answer(sender.send_request(request).await?).await });
    tokio::select! {
        outcome = &mut answer => outcome,
        closed = &mut connection => {
            closed?;
            answer.await
        }
    }
}

async fn read_answer(response: Response<Incoming>) -> Result<Outcome, Failure> {
    let status = response.status();
    if status.is_success() {
        return Ok(Outcome::Delivered { status: status.as_u16() });
    }
    let retry_after = retry_after(status, response.headers(), OffsetDateTime::now_utc());
    let body = excerpt(response.into_body()).await;
    Ok(Outcome::Rejected { status: status.as_u16(), retry_after, body })
}

/// How long the receiver asks us to wait, read where HTTP gives
/// `Retry-After` that meaning (429 and 503): delta-seconds or an HTTP-date.
fn retry_after(status: StatusCode, headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = PrimitiveDateTime::parse(value, HTTP_DATE).ok()?.assume_utc();
    Some(Duration::try_from(date - now).unwrap_or(Duration::ZERO))
}

/// The body's first KiB as text, read no further.
async fn excerpt(mut body: Incoming) -> String {
    let mut kept = Vec::new();
    while kept.len() <= KEPT_BODY_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    kept.extend_from_slice(data);
                }
            }
            // The status already says why: a body cut short only loses detail.
            Some(Err(_)) | None => break,
        }
    }
    if kept.len() > KEPT_BODY_BYTES {
        kept.truncate(KEPT_BODY_BYTES);
        kept.truncate(without_split_character(&kept));
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The length of `bytes` without the UTF-8 character that a cut at their
/// end split, if it split one.
fn without_split_character(bytes: &[u8]) -> usize {
    let end = bytes.len();
    // A character is at most 4 bytes: a split one began in the last 3.
    for back in 1..=end.min(3) {
        let byte = bytes[end - back];
        let continues_a_character = byte & 0b1100_0000 == 0b1000_0000;
        if !continues_a_character {
            let width = (byte.leading_ones() as usize).max(1);
            return if width > back { end - back } else { end };
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::address::check_url;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    const TIMEOUT: Duration = Duration::from_secs(5);
    const BODY: &[u8] = br#"{"type":"property.listed","data":{"id":"7"}}"#;

    fn headers() -> Vec<(&'static str, String)> {
        vec![
            ("webhook-id", "msg_1".to_owned()),
            ("webhook-timestamp", "1614265330".to_owned()),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned()),
        ]
    }

    /// A receiver on 127.0.0.1 and a development target for it.
    async fn listener() -> (TcpListener, Target) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = check_url(&format!("http://127.0.0.1:{port}/hooks/in?tenant=7"), Reach::LocalDevelopment);
        (listener, target.unwrap())
    }

    /// A receiver that reads one request, answers `response` and hands back
    /// the request as it read it.
    async fn receiver(response: Vec<u8>) -> (Target, JoinHandle<String>) {
        let (listener, target) = listener().await;
        let seen = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let request = read_request(&mut stream).await;
            // The client may hang up without reading it all (a long body).
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
            request
        });
        (target, seen)
    }

    async fn read_request(stream: &mut TcpStream) -> String {
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        while !is_complete(&request) {
            let read = stream.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8(request).unwrap()
    }

    fn is_complete(request: &[u8]) -> bool {
        let text = String::from_utf8_lossy(request);
        let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
        let length = head.lines().find_map(|line| line.strip_prefix("content-length: "));
        body.len() >= length.map_or(0, |length| length.parse().unwrap())
    }

    fn answer(head: &str, body: &[u8]) -> Vec<u8> {
        let mut answer = format!("{head}\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
        answer.extend_from_slice(body);
        answer
    }

    async fn post_to(target: &Target, timeout: Duration) -> Attempt {
        post(target, Reach::LocalDevelopment, &headers(), BODY.to_vec(), timeout).await
    }

    #[tokio::test]
    async fn a_204_is_delivered_with_the_headers_and_the_body() {
        let (target, seen) = receiver(answer("HTTP/1.1 204 No Content", b"")).await;
        let attempt = post_to(&target, TIMEOUT).await;
        assert_eq!(attempt.outcome, Outcome::Delivered { status: 204 });
        let request = seen.await.unwrap();
        let (head, body) = request.split_once("\r\n\r\n").unwrap();
        let lines: Vec<&str> = head.lines().collect();
        assert_eq!(lines[0], "POST /hooks/in?tenant=7 HTTP/1.1");
        for expected in [
            format!("host: 127.0.0.1:{}", target.port()),
            "content-type: application/json".to_owned(),
            "user-agent: real-estate-webhooks/1".to_owned(),
            "webhook-id: msg_1".to_owned(),
            "webhook-timestamp: 1614265330".to_owned(),
            "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned(),
            format!("content-length: {}", BODY.len()),
        ] {
            assert!(lines.contains(&expected.as_str()), "{expected} not in {lines:?}");
        }
        assert_eq!(body.as_bytes(), BODY);
    }

    #[tokio::test]
    async fn a_503_is_rejected_with_its_retry_after() {
        let head = "HTTP/1.1 503 Service Unavailable\r\nretry-after: 7";
        let (target, _) = receiver(answer(head, b"down for maintenance")).await;
        let attempt = post_to(&target, TIMEOUT).await;
        let expected = Outcome::Rejected {
            status: 503,
            retry_after: Some(Duration::from_secs(7)),
            body: "down for maintenance".into(),
        };
        assert_eq!(attempt.outcome, expected);
    }

    #[tokio::test]
    async fn a_redirect_is_rejected_not_followed() {
        let head = "HTTP/1.1 301 Moved Permanently\r\nlocation: http://169.254.169.254/latest/meta-data/";
        let (target, seen) = receiver(answer(head, b"")).await;
        let attempt = post_to(&target, TIMEOUT).await;
        assert_eq!(attempt.outcome, Outcome::Rejected { status: 301, retry_after: None, body: String::new() });
        assert!(seen.await.unwrap().starts_with("POST /hooks/in"));
    }

    #[tokio::test]
    async fn only_the_first_kib_of_a_refusals_body_is_kept() {
        let (target, _) = receiver(answer("HTTP/1.1 500 Internal Server Error", &[b'x'; 5 * 1024])).await;
        let Outcome::Rejected { status: 500, body, .. } = post_to(&target, TIMEOUT).await.outcome else {
            panic!("not rejected with a 500");
        };
        assert_eq!(body, "x".repeat(1024));
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_times_out_on_time() {
        let (listener, target) = listener().await;
        let _silent = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            std::future::pending::<()>().await;
        });
        let attempt = post_to(&target, Duration::from_millis(300)).await;
        assert_eq!(attempt.outcome, Outcome::Failed { error: "timed out after 300ms".into() });
        assert!((Duration::from_millis(300)..Duration::from_secs(1)).contains(&attempt.duration), "{attempt:?}");
    }

    #[tokio::test]
    async fn a_closed_port_fails() {
        let (listener, target) = listener().await;
        drop(listener);
        let Outcome::Failed { error } = post_to(&target, TIMEOUT).await.outcome else { panic!("not failed") };
        assert!(error.starts_with(&format!("cannot connect to 127.0.0.1:{}: ", target.port())), "{error}");
    }

    #[tokio::test]
    async fn a_public_server_refuses_this_machine_without_connecting() {
        let (listener, target) = listener().await;
        let attempt = post(&target, Reach::Public, &headers(), BODY.to_vec(), TIMEOUT).await;
        let refused = "127.0.0.1 is at 127.0.0.1, a loopback address";
        assert_eq!(attempt.outcome, Outcome::Failed { error: refused.into() });
        let connection = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(connection.is_err(), "a connection was made");
    }

    #[tokio::test]
    async fn https_to_a_plain_http_receiver_fails_in_tls() {
        let (listener, _) = listener().await;
        let port = listener.local_addr().unwrap().port();
        let target = check_url(&format!("https://127.0.0.1:{port}/hooks/in"), Reach::LocalDevelopment).unwrap();
        let _plain = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let _ = stream.read(&mut [0; 4096]).await;
            let _ = stream.write_all(&answer("HTTP/1.1 400 Bad Request", b"")).await;
        });
        let Outcome::Failed { error } = post_to(&target, TIMEOUT).await.outcome else { panic!("not failed") };
        assert!(error.starts_with("TLS with 127.0.0.1 "), "{error}");
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_on_429_and_503_only() {
        let now = time::macros::datetime!(2026-03-01 12:00:00 UTC);
        let with = |value: &str| HeaderMap::from_iter([(RETRY_AFTER, value.parse().unwrap())]);
        let cases = [
            (StatusCode::SERVICE_UNAVAILABLE, "7", Some(Duration::from_secs(7))),
            (StatusCode::TOO_MANY_REQUESTS, " 120 ", Some(Duration::from_secs(120))),
            (StatusCode::TOO_MANY_REQUESTS, "Sun, 01 Mar 2026 12:01:30 GMT", Some(Duration::from_secs(90))),
            (StatusCode::SERVICE_UNAVAILABLE, "Sun, 01 Mar 2026 11:00:00 GMT", Some(Duration::ZERO)),
            (StatusCode::SERVICE_UNAVAILABLE, "soon", None),
            (StatusCode::SERVICE_UNAVAILABLE, "-5", None),
            (StatusCode::INTERNAL_SERVER_ERROR, "7", None),
            (StatusCode::MOVED_PERMANENTLY, "7", None),
        ];
        for (status, value, expected) in cases {
            assert_eq!(retry_after(status, &with(value), now), expected, "{status} {value}");
        }
        assert_eq!(retry_after(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), now), None);
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let text = "aé€😀";
        let ends = [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10];
        for (cut, end) in ends.into_iter().enumerate() {
            assert_eq!(without_split_character(&text.as_bytes()[..cut]), end, "cut at {cut}");
        }
    }

    #[test]
    fn a_delivery_can_run_on_any_thread() {
        fn is_send<T: Send>(_: &T) {}
        let target = check_url("https://hooks.example.com/in", Reach::Public).unwrap();
        is_send(&post(&target, Reach::Public, &[], Vec::new(), TIMEOUT));
    }
}
