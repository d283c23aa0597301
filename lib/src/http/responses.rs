//! The response sets that handlers name in their contract: the failures
//! every route, body, caller or listing shares, each a problem+json
//! [`Problem`]. They are written once here and composed per operation.

use super::error::Problem;
use utoipa::IntoResponses;

/// Errors any route may answer. 500 and 503 carry no internals.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ServerFailures {
    /// A bug: the detail went to the log with the request id.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
    /// DynamoDB is throttling or unreachable; retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// What a route with a JSON body answers to a body it cannot take.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyFailures {
    /// The body is not parseable JSON, or repeats a member; or, on an
    /// operation that takes `If-Match`, that header is not `*` or an entity
    /// tag.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The body is larger than 64 KiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// Invalid, unknown, missing or `null` fields; `errors` lists each one.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// What a route that needs a caller answers without a valid token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CallerFailures {
    /// No token, or one that is forged, expired, for another audience, or
    /// whose account no longer exists. Sent with `WWW-Authenticate: Bearer`.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
}

/// What a public route answers to a token it was sent but cannot accept:
/// none is needed, but one sent must be valid.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum PublicCallerFailures {
    /// The token sent is forged, expired or for another audience. Sent
    /// with `WWW-Authenticate: Bearer`.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
}

/// What a listing's status change answers when it is not allowed.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum StatusConflict {
    /// The status cannot change to the one asked from the current one;
    /// `detail` names the statuses it may change to. Nothing changed.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
}

/// What a route answers for an id that names nothing.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFound {
    /// No such resource (a malformed id names nothing either).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// What an owner-only write answers to anyone else.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum OwnerFailures {
    /// The caller does not own the property; nothing changed.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// What a write guarded by `If-Match` answers when the property moved on.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Stale {
    /// `If-Match` names a version of the property that is no longer
    /// current; nothing was written. Read it again, then retry.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Problem),
}

/// What a bodiless write guarded by `If-Match` answers to that header:
/// the preconditions of a DELETE.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Preconditions {
    /// `If-Match` is not `*` or an entity tag as sent in `ETag`.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `If-Match` names a version of the property that is no longer
    /// current; nothing was deleted. Read it again, then retry.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Problem),
}

/// What a listing answers to parameters it cannot take.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum QueryFailures {
    /// An unreadable query string, or a cursor that cannot be read or
    /// belongs to another query.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// An unknown, repeated or invalid parameter; `errors` lists each one.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// What a route with attempt limits answers past them (docs/api.md#identity).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Throttled {
    /// Too many attempts: retry after `Retry-After` seconds.
    #[response(status = 429, content_type = "application/problem+json",
        headers(("Retry-After" = i64, description = "Seconds to wait")))]
    TooManyRequests(Problem),
}

/// What the change feed answers to a position it no longer holds.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum FeedFailures {
    /// `after` is older than the feed keeps (30 days): copy the catalogue
    /// again, from `GET /changes/snapshot`.
    #[response(status = 410, content_type = "application/problem+json")]
    Gone(Problem),
}
