//! `Idempotency-Key` on the creations (the IETF httpapi draft "The
//! Idempotency-Key HTTP Header Field"): a client that did not get the answer
//! to a POST sends it again with the same key, and gets the first answer
//! (same id, same `Location`) instead of a second resource. The answer is
//! kept for a day, written in the same transaction as the resource. The
//! same key with another request is a 422. Keys are scoped: to the caller,
//! or to the email address for a registration.

use super::extract::{parse_json, read_json_body};
use crate::domain::Timestamp;
use crate::http::error::{ApiError, ApiResult};
use crate::store::{KeptAnswer, StoreError, StoreResult};
use aws_lc_rs::digest::{SHA256, digest};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const HEADER: &str = "idempotency-key";

/// The longest key accepted: room for any UUID or random token.
pub const MAX_KEY_LENGTH: usize = 255;

/// Members left out of a request's fingerprint because they hold a secret
/// (kept a day, a fast hash of a password would be an offline guessing
/// target). A registration sent again proves the password instead.
const SECRET_MEMBERS: [&str; 1] = ["password"];

/// A creation's JSON body with the `Idempotency-Key` the client sent, if any.
pub struct Creation<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

/// A key and the fingerprint of the request that carries it: its method,
/// path and body (as parsed, so member order and spacing do not count).
pub struct IdempotencyKey {
    key: String,
    fingerprint: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Creation<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> ApiResult<Self> {
        let key = request.headers().get(HEADER).map(parse_key).transpose()?;
        let target = format!("{} {}", request.method(), request.uri().path());
        let bytes = read_json_body(request).await?;
        let body = parse_json(&bytes)?;
        let key = key.map(|key| {
            // `parse_json` accepted the body: it is a JSON object.
            let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if let Some(members) = value.as_object_mut() {
                for secret in SECRET_MEMBERS {
                    members.remove(secret);
                }
            }
            // serde_json's objects are sorted maps: one spelling per body.
            let text = format!("{target}\n{value}");
            let fingerprint =
                digest(&SHA256, text.as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
            IdempotencyKey { key, fingerprint }
        });
        Ok(Self { body, key })
    }
}

/// The key itself: a structured-field string (`"…"`, as the draft writes
/// it) or the same text bare, of visible ASCII.
fn parse_key(value: &HeaderValue) -> ApiResult<String> {
    let text = value.to_str().unwrap_or_default().trim();
    let key = text.strip_prefix('"').and_then(|quoted| quoted.strip_suffix('"')).unwrap_or(text);
    let visible = key.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\');
    if key.is_empty() || key.len() > MAX_KEY_LENGTH || !visible {
        return Err(ApiError::BadRequest(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, quoted or not, such as \"0d1f…\"."
        )));
    }
    Ok(key.to_owned())
}

/// A creation's 201: the resource's `Location`, its `ETag` when it has
/// one, and its representation.
pub struct Created {
    location: String,
    etag: Option<HeaderValue>,
    body: String,
}

impl Created {
    pub fn new(location: String, etag: Option<HeaderValue>, body: &impl Serialize) -> Self {
        let body = serde_json::to_string(body).expect("a view always serializes");
        Self { location, etag, body }
    }

    /// The answer to keep under `key`, scoped to `scope`.
    pub fn to_keep(&self, key: Option<&IdempotencyKey>, scope: &str) -> Option<KeptAnswer> {
        let key = key?;
        Some(KeptAnswer {
            scope: scope.to_owned(),
            key: key.key.clone(),
            fingerprint: key.fingerprint.clone(),
            location: self.location.clone(),
            etag: self.etag.as_ref().and_then(|etag| etag.to_str().ok()).map(str::to_owned),
            body: self.body.clone(),
            expires_at: Timestamp::now().unix_seconds() + KeptAnswer::LIFETIME_SECONDS,
        })
    }

    /// The answer to the creation that stored (or refused) this one: the
    /// 201, or the kept answer when this request was answered before.
    pub fn answer(self, stored: StoreResult<()>, key: Option<&IdempotencyKey>) -> ApiResult<Response> {
        match stored {
            Ok(()) => Ok(self.into_response()),
            Err(StoreError::KeyUsed(earlier)) => {
                check_same_request(&earlier, key)?;
                let etag = earlier.etag.as_deref().and_then(|etag| HeaderValue::from_str(etag).ok());
                Ok(Created { location: earlier.location, etag, body: earlier.body }.into_response())
            }
            Err(error) => Err(error.into()),
        }
    }
}

impl IntoResponse for Created {
    fn into_response(self) -> Response {
        // A kept answer comes back from the store: a Location that is not
        // header text there is a fault of ours, not a reason to panic.
        let Ok(location) = HeaderValue::from_str(&self.location) else {
            return ApiError::internal(format!("a kept Location is not header text: {:?}", self.location))
                .into_response();
        };
        let mut response = (
            StatusCode::CREATED,
            [(header::LOCATION, location), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            self.body,
        )
            .into_response();
        if let Some(etag) = self.etag {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}

/// 422 unless `earlier` answered this very request (same fingerprint).
fn check_same_request(earlier: &KeptAnswer, key: Option<&IdempotencyKey>) -> ApiResult<()> {
    if key.is_some_and(|key| key.fingerprint == earlier.fingerprint) {
        return Ok(());
    }
    Err(key_reused())
}

pub fn key_reused() -> ApiError {
    ApiError::invalid(
        "Idempotency-Key",
        "was used in the last 24 hours with another request: send a new key for a new request",
    )
}

/// `Idempotency-Key`, as the contract declares it on every creation.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// A key the client makes up for this request (a random UUID, say), to
    /// send the request again safely: for 24 hours the same key with the
    /// same request gets the first answer again (same id, same `Location`)
    /// and creates nothing; with another request it is a 422. Scoped to the
    /// caller (to the email address for a registration).
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        max_length = 257,
        pattern = r#"^("[!#-\[\]-~]{1,255}"|[!#-\[\]-~]{1,255})$"#
    )]
    idempotency_key: Option<String>,
}
