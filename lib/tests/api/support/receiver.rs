//! A webhook receiver on 127.0.0.1 for the tests: it answers a script of
//! statuses and keeps every request it got.

use axum::http::StatusCode;
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A receiver on 127.0.0.1: it answers the statuses of `script` in turn,
/// then 204, and keeps what it got.
#[derive(Clone, Default)]
pub struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    /// The `Retry-After` (seconds) its failures ask for, if any.
    retry_after: Arc<Mutex<Option<u64>>>,
}

impl Receiver {
    pub async fn start(script: &[u16]) -> (Self, SocketAddr) {
        let receiver = Self::default();
        receiver.script.lock().unwrap().extend(script);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let kept = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let kept = kept.clone();
                async move {
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    kept.got.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                        at: std::time::Instant::now(),
                    });
                    let status = StatusCode::from_u16(kept.script.lock().unwrap().pop_front().unwrap_or(204)).unwrap();
                    let mut answer = axum::http::HeaderMap::new();
                    if let Some(seconds) = *kept.retry_after.lock().unwrap()
                        && !status.is_success()
                    {
                        answer.insert("retry-after", seconds.into());
                    }
                    (status, answer)
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, address)
    }

    /// Makes its failures ask for a retry in `seconds` (`Retry-After`).
    pub fn ask_to_wait(&self, seconds: u64) {
        *self.retry_after.lock().unwrap() = Some(seconds);
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds of what it got, for up to 20 s.
    pub async fn until(&self, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver never got what was expected: {:#?}", self.got());
    }
}
