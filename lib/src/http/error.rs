//! The one error type of the HTTP layer, and the one place where errors
//! become RFC 9457 `application/problem+json` responses.

use crate::store::StoreError;
use crate::telemetry::Causes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A rule broken by one field of the request body or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as a path into the body (`rooms[2].area_m2`) or a query parameter name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, or a query parameter cannot be read.
    BadRequest(String),
    /// 401: no caller, or a token that is forged, expired or not for us.
    Unauthorized(String),
    /// 403: the caller is known but may not do this.
    Forbidden(String),
    /// 404, also for routes that do not exist.
    NotFound(String),
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 408: the request did not arrive in time (local server only).
    RequestTimeout(String),
    /// 409: the request clashes with the current state.
    Conflict(String),
    /// 410: what the request names existed, and is gone for good.
    Gone(String),
    /// 412: an `If-Match` precondition no longer holds.
    PreconditionFailed(String),
    /// 413: the body is larger than we accept.
    PayloadTooLarge(usize),
    /// 414: the request target is longer than this many bytes (local server only).
    UriTooLong(usize),
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 422: well-formed JSON that breaks the rules, field by field.
    Validation(Vec<FieldError>),
    /// 429: too many attempts (sign-ins, password checks, registrations);
    /// retry after this many seconds.
    TooManyRequests(i64),
    /// 500: our fault. The cause, with its sources, goes to the log, never
    /// to the client.
    Internal(BoxError),
    /// 503: a dependency is overloaded or unreachable; retrying may work.
    Unavailable(String),
}

impl ApiError {
    /// A 500 for `cause`, kept whole for the log.
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `detail` shown to the client: internals are replaced by a fixed text.
    fn detail(&self) -> String {
        match self {
            Self::BadRequest(detail)
            | Self::Unauthorized(detail)
            | Self::Forbidden(detail)
            | Self::NotFound(detail)
            | Self::Conflict(detail)
            | Self::Gone(detail)
            | Self::PreconditionFailed(detail)
            | Self::RequestTimeout(detail) => detail.clone(),
            Self::MethodNotAllowed => "This method is not allowed on this resource.".into(),
            Self::PayloadTooLarge(limit) => format!("The request body must not exceed {limit} bytes."),
            Self::UriTooLong(limit) => format!("The request target (path and query) must not exceed {limit} bytes."),
            Self::UnsupportedMediaType => {
                "The request body must be JSON, sent with Content-Type: application/json.".into()
            }
            Self::Validation(_) => "The request contains invalid fields.".into(),
            // The same words for every address, registered or not.
            Self::TooManyRequests(seconds) => {
                format!("Too many attempts: retry in {seconds} seconds.")
            }
            Self::Internal(_) => "An unexpected error occurred. It has been logged; please retry later.".into(),
            Self::Unavailable(_) => "The service is temporarily unavailable; please retry shortly.".into(),
        }
    }
}

/// An RFC 9457 problem details object, the body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request contains invalid fields.",
    "errors": [{"field": "birth_date", "message": "must be in the past"}]
}))]
pub struct Problem {
    /// Always `about:blank`: the status code and `title` say what happened,
    /// as RFC 9457 intends when no finer problem type is defined.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    kind: &'static str,
    /// The HTTP reason phrase of `status`.
    title: &'static str,
    /// The HTTP status code.
    status: u16,
    /// What happened, for a person to read.
    detail: String,
    /// For 422 only: each invalid field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(cause) => tracing::error!(cause = %Causes(cause.as_ref()), "request failed"),
            Self::Unavailable(cause) => tracing::warn!(cause = %cause, "dependency unavailable"),
            _ => {}
        }
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors: match &self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).expect("a problem always serializes");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::TooManyRequests(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            _ => {}
        }
        response
    }
}

/// The one reading of a store answer as an HTTP answer.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UserNotFound => Self::NotFound("No user exists with this id.".into()),
            StoreError::AccountGone => Self::Unauthorized("The account of this access token no longer exists.".into()),
            StoreError::PropertyNotFound => Self::NotFound("No property exists with this id.".into()),
            StoreError::RoomNotFound => Self::NotFound("No room with this id exists in this property.".into()),
            StoreError::NotOwner => Self::Forbidden("Only the owner of this property may change it.".into()),
            StoreError::VersionMismatch => Self::PreconditionFailed(
                "The property changed since the ETag you sent: read it again, then retry with the new ETag.".into(),
            ),
            StoreError::RoomLimitReached => {
                Self::Conflict(format!("A property has at most {} rooms.", crate::domain::MAX_ROOMS))
            }
            StoreError::PhotoNotFound => Self::NotFound("No photo with this id exists in this property.".into()),
            StoreError::PhotoLimitReached => Self::Conflict(format!(
                "A property has at most {} photos: delete one before adding another.",
                crate::domain::MAX_PHOTOS
            )),
            StoreError::StatusChange(refused) => Self::Conflict(format!("The status {refused}.")),
            StoreError::WebhookNotFound => Self::NotFound("You have no webhook with this id.".into()),
            StoreError::WebhookLimitReached => Self::Conflict(format!(
                "A user has at most {} webhooks: delete one before adding another.",
                crate::domain::MAX_WEBHOOKS_PER_USER
            )),
            StoreError::FavouriteLimitReached => Self::Conflict(format!(
                "A user keeps at most {} favourites: remove one before adding another.",
                crate::domain::MAX_FAVOURITES_PER_USER
            )),
            StoreError::SavedSearchNotFound => Self::NotFound("You have no saved search with this id.".into()),
            StoreError::SavedSearchLimitReached => Self::Conflict(format!(
                "A user has at most {} saved searches: delete one before adding another.",
                crate::domain::MAX_SAVED_SEARCHES_PER_USER
            )),
            StoreError::EmailTaken => Self::Conflict("An account with this email address already exists.".into()),
            StoreError::PasswordChanged => {
                Self::Conflict("The password was changed by another request; sign in again.".into())
            }
            // Only a creation with a key gets it, and answers it itself
            // (`idempotency::Created::answer`); anywhere else it is a bug.
            StoreError::KeyUsed(_) => Self::internal("an Idempotency-Key conflict reached no creation"),
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Internal(cause) => Self::internal(cause),
        }
    }
}

/// A blob store failure: the client may retry, or it is ours.
impl From<crate::blobs::BlobError> for ApiError {
    fn from(error: crate::blobs::BlobError) -> Self {
        match error {
            crate::blobs::BlobError::Unavailable(cause) => Self::Unavailable(cause),
            crate::blobs::BlobError::Internal(cause) => Self::internal(cause),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
