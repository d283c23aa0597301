//! What no log may hold: a password, a token, a webhook secret or a
//! signature made with one. A story through the API that handles each,
//! with every log line of every level kept, then searched for them.

use crate::support::receiver::Receiver;
use crate::support::{PASSWORD, TestApp, new_property};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Every line written, at every level, from every crate.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the background deliveries run on it too, under its subscriber.
#[tokio::test]
async fn no_password_token_or_webhook_secret_reaches_a_log() {
    let logs = Logs::default();
    let written = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || written.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let app = TestApp::with_webhooks(estate::store::MemoryStore::new());
    let (_, access) = app.register("logged@example.com").await;
    let signed_in = json!({"email": "logged@example.com", "password": PASSWORD});
    let session = app.call("POST", "/auth/token", None, Some(signed_in)).await.body;
    let refresh = json!({"refresh_token": session["refresh_token"]});
    let renewed = app.call("POST", "/auth/refresh", None, Some(refresh)).await.body;
    assert!(renewed["access_token"].is_string(), "{renewed}");

    let (receiver, address) = Receiver::start(&[204, 500]).await;
    let endpoint = |url: String| json!({"url": url, "events": ["listing.published"]});
    let created = app.call("POST", "/webhooks", Some(&access), Some(endpoint(format!("http://{address}/hook")))).await;
    let path = format!("/webhooks/{}", created.body["id"].as_str().unwrap());
    let rotated = app.call("POST", &format!("{path}/rotate-secret"), Some(&access), None).await.body;
    assert_eq!(app.call("POST", &format!("{path}/test"), Some(&access), None).await.status, 200);
    // An endpoint nothing listens at: its failed attempts are logged.
    let refused = app.call("POST", "/webhooks", Some(&access), Some(endpoint("http://127.0.0.1:1/hook".into()))).await;
    app.publish(&access, new_property("Logged", "Nice", "house", 1)).await;
    let got = receiver.until(|got| got.len() == 3).await; // the test; the publication, failed then delivered

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let refused_id = refused.body["id"].as_str().unwrap();
    assert!(text.contains("webhook attempt failed") && text.contains(refused_id), "the logs were kept: {text}");
    let secret = |value: &Value| value["secret"].as_str().unwrap().to_owned();
    let mut never = vec![PASSWORD.to_owned(), access, secret(&created.body), secret(&rotated), secret(&refused.body)];
    for token in ["access_token", "refresh_token"] {
        never.extend([&session, &renewed].map(|answer| answer[token].as_str().unwrap().to_owned()));
    }
    for received in got {
        never.extend(received.signature.split(' ').map(|signature| signature.trim_start_matches("v1,").to_owned()));
    }
    for value in never {
        let key = value.trim_start_matches("whsec_");
        assert!(!text.contains(key), "a log holds {value}");
    }
}
