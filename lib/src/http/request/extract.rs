//! Request extractors whose every failure is an `ApiError`, so that a bad
//! request gets our problem+json and never the framework's plain text.

use crate::auth::tokens::has_expired;
use crate::auth::{TokenVerifier, bearer_token};
use crate::domain::{Timestamp, UserId};
use crate::http::error::{ApiError, ApiResult, FieldError};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The largest request body we read: far above any valid request.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body, parsed into `T` with field-by-field errors: 415 if
/// it is not declared as JSON, 413 if too large, 400 if not parseable, 422
/// if it is not an object, has an unknown field, or a field of the wrong type.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> ApiResult<Self> {
        parse_json(&read_json_body(request).await?).map(JsonBody)
    }
}

/// The bytes of a body declared as JSON: 415 if it is not, 413 if too large.
pub async fn read_json_body(request: Request) -> ApiResult<axum::body::Bytes> {
    let declared_length =
        request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    if !is_json(request.headers().get(header::CONTENT_TYPE)) {
        return Err(ApiError::UnsupportedMediaType);
    }
    axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(unreadable_body)
}

/// Why a body could not be read: over the limit (413), stalled past the
/// local server's body deadline (408), or cut short (400).
fn unreadable_body(error: axum::Error) -> ApiError {
    let error = error.into_inner();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge(MAX_BODY_BYTES);
        }
        if current.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::RequestTimeout("The request body stopped arriving before its end.".into());
        }
        cause = current.source();
    }
    ApiError::BadRequest(format!("The request body could not be read: {error}."))
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(essence) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = essence.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    // First a pass that refuses repeated members, which JSON parsers
    // disagree on (most keep the last): the body must mean one thing.
    serde_json::from_slice::<NoRepeatedMembers>(bytes)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}.")))?;
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}.")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    deserialize_value(value).map_err(ApiError::Validation)
}

/// A JSON document in which no object repeats a member name.
struct NoRepeatedMembers;

impl<'de> serde::Deserialize<'de> for NoRepeatedMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoRepeatedMembers)
    }
}

impl<'de> serde::de::Visitor<'de> for NoRepeatedMembers {
    type Value = NoRepeatedMembers;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<NoRepeatedMembers>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut members: A) -> Result<Self, A::Error> {
        let mut names = std::collections::HashSet::new();
        while let Some(name) = members.next_key::<String>()? {
            if !names.insert(name.clone()) {
                return Err(serde::de::Error::custom(format!("the member {name:?} appears twice")));
            }
            members.next_value::<NoRepeatedMembers>()?;
        }
        Ok(self)
    }
}

/// The most unknown members one answer names: enough for any honest
/// mistake, and a bound on the answer a 64 KiB body of them could cost.
const MAX_REPORTED_UNKNOWN: usize = 20;

/// Deserializes `value`, naming every unknown member (each with its path:
/// `rooms[2].colour`), else the first member serde could not read.
pub fn deserialize_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Vec<FieldError>> {
    let (read, unknown) = read_members::<T>(&value);
    if unknown.is_empty() {
        return read.map_err(|error| vec![error]);
    }
    let unknown = unknown.into_iter().take(MAX_REPORTED_UNKNOWN);
    Err(unknown.map(|path| FieldError::new(path, "is not a known field")).chain(read.err()).collect())
}

/// Reads `value` into `T` in one pass: `T` (or the first member serde
/// could not read), and the path of every member `T` does not declare,
/// in the order met. `T` must not deny unknown fields: they are reported
/// here, all of them, instead of serde stopping at the first.
pub(crate) fn read_members<T: DeserializeOwned>(value: &serde_json::Value) -> (Result<T, FieldError>, Vec<String>) {
    let mut unknown = Vec::new();
    let read = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut |path| {
        unknown.push(member_path(&path));
    }));
    let read = read.map_err(|error| serde_field_error(&error.path().to_string(), &error.inner().to_string()));
    (read, unknown)
}

/// A member's path as a `FieldError` names it: `price.amount`, `rooms[2].name`.
fn member_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", member_path(parent)),
        Path::Map { parent, key } => match member_path(parent) {
            parent if parent.is_empty() => key.clone(),
            parent => format!("{parent}.{key}"),
        },
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => member_path(parent),
    }
}

/// Serde's complaint about the member at `path` (`.` is the body itself).
fn serde_field_error(path: &str, message: &str) -> FieldError {
    FieldError::new(if path == "." { "body" } else { path }, message)
}

/// Where a request comes from, for the attempt limits: API Gateway's
/// `requestContext.http.sourceIp` on Lambda, the peer's address on the
/// local server; never a header the client writes. `unknown` for a request
/// made in process, with neither.
pub struct SourceAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SourceAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        if let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>()
            && let Some(address) = &context.http.source_ip
        {
            return Ok(Self(address.clone()));
        }
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Self(peer.map_or_else(|| "unknown".into(), |peer| peer.0.ip().to_canonical().to_string())))
    }
}

/// The authenticated caller of a route that needs one.
///
/// Behind API Gateway, the authorizer has already verified the token and
/// passes the user id and the token's expiry in its context; anywhere else
/// (the local server, `cargo lambda watch`) the `Authorization: Bearer`
/// token is verified here with the same code. Nothing else a client sends
/// establishes identity.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub UserId);

impl<S> FromRequestParts<S> for Caller
where
    Arc<TokenVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        if let Some(context) = authorizer_context(parts) {
            return context.caller(Timestamp::now().unix_seconds());
        }
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("This route needs an access token: send Authorization: Bearer <token>.".into())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or_else(|| ApiError::Unauthorized("The Authorization header must read: Bearer <token>.".into()))?;
        Arc::<TokenVerifier>::from_ref(state)
            .verify(token)
            .map(|verified| Caller(verified.user))
            .ok_or_else(|| ApiError::Unauthorized("The access token is invalid or has expired.".into()))
    }
}

/// The caller of a public route, when the request carries an access token:
/// a token sent must be valid (else 401), but none is needed. On Lambda a
/// public route has no authorizer, so the token is verified here.
#[derive(Debug, Clone, Copy)]
pub struct MaybeCaller(pub Option<UserId>);

impl<S> FromRequestParts<S> for MaybeCaller
where
    Arc<TokenVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        if authorizer_context(parts).is_none() && !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(None));
        }
        Caller::from_request_parts(parts, state).await.map(|Caller(caller)| Self(Some(caller)))
    }
}

/// What API Gateway's Lambda authorizer put in the request context: the
/// token's `sub`, and its `exp` (Unix seconds, a number or a numeric string).
struct AuthorizerContext {
    subject: String,
    expires_at: Option<i64>,
}

impl AuthorizerContext {
    /// The caller, while the token is current. API Gateway caches the
    /// authorizer's answer per token (300 s): without this check a cached
    /// "allow" would outlive a token that expires sooner.
    fn caller(&self, now: i64) -> ApiResult<Caller> {
        let expires_at =
            self.expires_at.ok_or_else(|| ApiError::Unauthorized("The access token is not valid.".into()))?;
        if has_expired(expires_at, now) {
            return Err(ApiError::Unauthorized("The access token is invalid or has expired.".into()));
        }
        UserId::parse(&self.subject)
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("The access token is not valid.".into()))
    }
}

/// The authorizer's context, when the request came through it (it carries a `sub`).
fn authorizer_context(parts: &Parts) -> Option<AuthorizerContext> {
    let fields = &parts.extensions.get::<lambda_http::request::RequestContext>()?.authorizer()?.fields;
    let subject = fields.get("sub")?.as_str()?.to_owned();
    let expires_at = fields.get("exp").and_then(|exp| match exp {
        serde_json::Value::Number(number) => number.as_i64(),
        serde_json::Value::String(text) => text.parse().ok(),
        _ => None,
    });
    Some(AuthorizerContext { subject, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        nickname: Option<String>,
        #[serde(default)]
        pets: Vec<Pet>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Pet {
        name: String,
    }

    fn errors(body: &str) -> Vec<FieldError> {
        match parse_json::<Sample>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_offending_field() {
        assert_eq!(errors(r#"{"name":"a","id":"x"}"#), [FieldError::new("id", "is not a known field")]);
        assert_eq!(
            errors(r#"{"name":"a","id":"x","colour":"red"}"#),
            [FieldError::new("colour", "is not a known field"), FieldError::new("id", "is not a known field")]
        );
        assert_eq!(errors(r#"{"name":1}"#)[0].field, "name");
        assert_eq!(
            errors(r#"{"name":"a","pets":[{"name":"b"},{"name":"c","age":2,"legs":4}],"x":0}"#),
            [
                FieldError::new("pets[1].age", "is not a known field"),
                FieldError::new("pets[1].legs", "is not a known field"),
                FieldError::new("x", "is not a known field"),
            ]
        );
        let mut many: serde_json::Map<_, _> = (0..100).map(|i| (format!("m{i:03}"), 0.into())).collect();
        many.insert("name".into(), "a".into());
        let reported = errors(&serde_json::Value::Object(many).to_string());
        assert_eq!(reported.len(), MAX_REPORTED_UNKNOWN);
        assert_eq!(errors(r#"[1]"#), [FieldError::new("body", "must be a JSON object")]);
    }

    #[test]
    fn unparseable_json_is_a_bad_request() {
        assert!(matches!(parse_json::<Sample>(b"{\"name\":"), Err(ApiError::BadRequest(_))));
        let repeated: &[&[u8]] = &[
            br#"{"name":"a","name":"b"}"#,
            br#"{"name":"a","nickname":{"x":1,"x":2}}"#,
            br#"{"name":"a","nickname":[{"y":1,"y":1}]}"#,
            br#"{"name":"a","n\u0061me":"b"}"#,
        ];
        for body in repeated {
            assert!(
                matches!(parse_json::<Sample>(body), Err(ApiError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn json_media_types_are_recognised() {
        let value = |text: &'static str| header::HeaderValue::from_static(text);
        assert!(is_json(Some(&value("application/json"))));
        assert!(is_json(Some(&value("Application/JSON; charset=utf-8"))));
        assert!(is_json(Some(&value("application/merge-patch+json"))));
        assert!(!is_json(Some(&value("text/plain"))));
        assert!(!is_json(None));
    }
}
