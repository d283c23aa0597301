//! Interactive documentation at `/docs`: Swagger UI from assets compiled
//! into this binary (it works with no internet access), reading the
//! contract the API serves at `/openapi.json`, with an "Authorize" button
//! for the bearer token. Only the local server carries it: the Lambda
//! packages stay small.

use utoipa_swagger_ui::{Config, SwaggerUi};

pub fn router() -> axum::Router {
    let config = Config::new(["/openapi.json"]).persist_authorization(true).try_it_out_enabled(true);
    SwaggerUi::new("/docs").config(config).into()
}

#[cfg(test)]
mod tests {
    use estate::local_server::{ServerLimits, local_app, serve_on};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The documentation is served as `serve_local` serves it, and its
    /// responses carry a request id like the API's.
    #[tokio::test]
    async fn docs_answer_with_a_request_id() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (issuer, verifier) =
            estate::auth::ephemeral_keys(estate::config::Settings::from_env().unwrap().token_policy(), 60);
        let limits = ServerLimits::LOCAL;
        let app = local_app(
            estate::store::MemoryStore::new(),
            Arc::new(issuer),
            Arc::new(verifier),
            estate::entrypoints::PhotoFiles::local(&format!("http://{address}")),
            super::router(),
            &limits,
            &estate::webhooks::DeliverySetup::local(&estate::webhooks::deliver::LOCAL_SCHEDULE),
        );
        tokio::spawn(serve_on(listener, app, limits, std::future::pending()));
        for path in ["/docs/", "/docs/swagger-ui.css"] {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream
                .write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.unwrap();
            let answer = String::from_utf8_lossy(&answer);
            let head = answer.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200 "), "{path}: {head}");
            assert!(head.contains("\r\nx-request-id: "), "{path}: {head}");
        }
    }
}
