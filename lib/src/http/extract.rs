//! Request extractors whose every failure is an `ApiError`, so that a bad
//! request gets our problem+json and never the framework's plain text.

use super::error::{ApiError, ApiResult, FieldError};
use crate::auth::{TokenVerifier, bearer_token};
use crate::domain::{Invalid, UserId};
use axum::extract::{FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
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
        let declared_length =
            request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(essence) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = essence.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}.")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        ApiError::Validation(vec![serde_field_error(&path, &error.into_inner().to_string())])
    })
}

/// Turns serde's messages into `{field, message}`. The path already ends
/// with an unknown field's name; a missing field is named only in the message.
fn serde_field_error(path: &str, message: &str) -> FieldError {
    let quoted = || message.split('`').nth(1).unwrap_or_default();
    let within = |field: &str| match path {
        "." | "" => field.to_owned(),
        parent => format!("{parent}.{field}"),
    };
    if message.starts_with("unknown field") {
        FieldError::new(path, "is not a known field")
    } else if message.starts_with("missing field") {
        FieldError::new(within(quoted()), "is required")
    } else {
        let field = if path == "." { "body" } else { path };
        FieldError::new(field, message)
    }
}

/// Deserializes a field that may be absent but, when present, must not be
/// `null`: `{"first_name": null}` is a 422, not a silent no-op.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Deserializes a field that may be absent (leave it), `null` (clear it)
/// or a value (set it): `None`, `Some(None)`, `Some(Some(value))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Attaches a field name to a value type's complaint.
pub fn at(field: &'static str) -> impl Fn(Invalid) -> FieldError {
    move |invalid| FieldError::new(field, invalid.0)
}

/// The authenticated caller of a route that needs one.
///
/// Behind API Gateway, the authorizer has already verified the token and
/// passes the user id in its context; anywhere else (the local server,
/// `cargo lambda watch`) the `Authorization: Bearer` token is verified here
/// with the same code. Nothing else a client sends establishes identity.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub UserId);

impl<S> FromRequestParts<S> for Caller
where
    Arc<TokenVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        if let Some(subject) = authorizer_subject(parts) {
            return UserId::parse(&subject)
                .map(Caller)
                .ok_or_else(|| ApiError::Unauthorized("The access token is not valid.".into()));
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
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("The access token is invalid or has expired.".into()))
    }
}

/// A valid token whose user has since been deleted no longer identifies anyone.
pub fn account_gone() -> ApiError {
    ApiError::Unauthorized("The account of this access token no longer exists.".into())
}

/// The `sub` that API Gateway's Lambda authorizer put in the request context.
fn authorizer_subject(parts: &Parts) -> Option<String> {
    let context = parts.extensions.get::<lambda_http::request::RequestContext>()?;
    let subject = context.authorizer()?.fields.get("sub")?;
    subject.as_str().map(str::to_owned)
}

/// The path parameters of the matched route, for typed id parsing.
pub struct PathParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("No resource exists at this path.".into()))?;
        Ok(Self(raw.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()))
    }
}

impl PathParams {
    /// Parses the parameter `name` as an id. A malformed id cannot name
    /// anything that exists, so it is a 404 like any unknown id.
    pub fn id<T>(&self, name: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> ApiResult<T> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| parse(value))
            .ok_or_else(|| ApiError::NotFound(format!("No {what} exists with this id.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        #[serde(default, deserialize_with = "present")]
        nickname: Option<String>,
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
        assert_eq!(errors(r#"{}"#), [FieldError::new("name", "is required")]);
        assert_eq!(errors(r#"{"name":1}"#)[0].field, "name");
        assert_eq!(errors(r#"{"name":"a","nickname":null}"#)[0].field, "nickname");
        assert_eq!(errors(r#"[1]"#), [FieldError::new("body", "must be a JSON object")]);
    }

    #[test]
    fn unparseable_json_is_a_bad_request() {
        assert!(matches!(parse_json::<Sample>(b"{\"name\":"), Err(ApiError::BadRequest(_))));
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
