//! Sessions, served by the users function: sign-in (with its attempt
//! limits), refresh with rotation, a grace window and reuse detection,
//! sign-out, and signing out everywhere.

use super::{Group, routes};
use crate::auth::passwords;
use crate::domain::{
    Admission, AttemptCounter, Email, Password, PasswordHash, Presented, REFRESH_LIFETIME_SECONDS, RefreshToken,
    Session, Timestamp, UserId,
};
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::request::extract::{Caller, JsonBody, SourceAddress};
use crate::http::request::fields::{Fields, Member};
use crate::http::responses::{BodyFailures, CallerFailures, ServerFailures, Throttled};
use crate::http::{Json, Private, UsersState};
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub fn routes<S: Store>() -> Group<UsersState<S>> {
    Group::new()
        .routes(routes!(issue_token))
        .routes(routes!(refresh))
        .routes(routes!(sign_out))
        .routes(routes!(sign_out_everywhere))
}

/// Credentials to exchange for tokens.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery"}))]
pub(crate) struct SignIn {
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email)]
    email: Member<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Password)]
    password: Member<String>,
}

/// A refresh token, to renew or to end its session.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"refresh_token": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62.0.c2FtcGxlIHJlZnJlc2ggdG9rZW4gb2YgdGhlIGRlbW8"}))]
pub(crate) struct RefreshRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    refresh_token: Member<String>,
}

impl RefreshRequest {
    fn parse(self) -> ApiResult<String> {
        let mut fields = Fields::new();
        let token = fields.required("refresh_token", self.refresh_token, Ok);
        fields.finish(|| token)
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// An EdDSA JWT; send it as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; send it to `POST /auth/refresh` for new tokens (it is spent
    /// then: use the new one), or to `POST /auth/sign-out`.
    pub refresh_token: String,
    /// Seconds until the refresh token expires unless used.
    pub refresh_expires_in: i64,
}

/// The answer that hands out an access token and `refresh`.
fn tokens<S>(state: &UsersState<S>, user: UserId, refresh: &RefreshToken) -> ApiResult<Response> {
    let access_token = state.issuer.issue(user, Timestamp::now()).map_err(ApiError::internal)?;
    let body = TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.issuer.lifetime_seconds(),
        refresh_token: refresh.to_string(),
        refresh_expires_in: REFRESH_LIFETIME_SECONDS,
    };
    Ok(Private(Json(body)).into_response())
}

/// Checks `password` against `hash` (a dummy one when `None`, which never
/// matches), counted first in `limits`, per account and source address and
/// per account: 429 past either, and no password checked. A match clears
/// the first and takes its attempt back from the second.
pub(crate) async fn check_password<S: Store>(
    store: &S,
    limits: [AttemptCounter; 2],
    password: Password,
    hash: Option<PasswordHash>,
) -> ApiResult<bool> {
    let now = Timestamp::now();
    if let Admission::Refused { retry_after } = store.count_attempt(&limits, now).await? {
        return Err(ApiError::TooManyRequests(retry_after));
    }
    let matches = passwords::verify(password, hash).await.map_err(ApiError::internal)?;
    if matches {
        store.settle_attempt(&limits, now).await?;
    }
    Ok(matches)
}

#[utoipa::path(
    post, path = "/auth/token", tag = "users", operation_id = "issue_token", summary = "Sign in",
    description = "Exchanges an email and password for a short-lived access token and a refresh token, which starts a session. An unknown email and a wrong password get the same answer. Each attempt is counted before the password is checked, registered address or not: at most 5 per 15-minute window for one address from one source address (a success clears them), and 20 per 10-minute window for one address from anywhere; past either, 429 until `Retry-After` has passed. A user holds at most 10 sessions: a new one ends the oldest.",
    request_body = SignIn,
    responses(
        (status = 200, description = "An access token and a refresh token", body = TokenResponse),
        (status = 401, description = "Unknown email or wrong password (one answer for both)", body = Problem,
            content_type = "application/problem+json"),
        Throttled, BodyFailures, ServerFailures,
    )
)]
pub(crate) async fn issue_token<S: Store>(
    State(state): State<UsersState<S>>,
    SourceAddress(source): SourceAddress,
    JsonBody(body): JsonBody<SignIn>,
) -> ApiResult<Response> {
    let mut fields = Fields::new();
    let email = fields.required("email", body.email, Ok);
    let password = fields.required("password", body.password, Ok);
    let (email, password) = fields.finish(|| Some((email?, password?)))?;
    let refused = || ApiError::Unauthorized("The email or password is incorrect.".into());
    // Malformed, they cannot belong to anyone: refuse them like wrong ones.
    let (Ok(email), Ok(password)) = (Email::parse(&email), Password::parse(password)) else {
        return Err(refused());
    };
    let store = &state.app.store;
    // An unknown email is checked against a dummy hash: same time, same
    // answer, and the same limits.
    let credentials = store.find_credentials(&email).await?;
    let limits = [AttemptCounter::sign_in_from(&email, &source), AttemptCounter::sign_in(&email)];
    let hash = credentials.as_ref().map(|found| found.password_hash.clone());
    let matches = check_password(store, limits, password, hash).await?;
    let Some(credentials) = credentials.filter(|_| matches) else {
        return Err(refused());
    };
    let (session, refresh) = Session::start(credentials.user_id, Timestamp::now());
    // Only if the password just checked is still the account's.
    match store.start_session(&session, credentials.version).await {
        Ok(()) => tokens(&state, credentials.user_id, &refresh),
        Err(StoreError::PasswordChanged | StoreError::AccountGone) => Err(refused()),
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(
    post, path = "/auth/refresh", tag = "users", operation_id = "refresh", summary = "Renew the tokens",
    description = "Spends a refresh token for a new access token and a new refresh token of the same session. A refresh token works once: presented again within 10 seconds of its use (a second tab, a retry), it gets the same new refresh token again; later, it ends its whole session (one of its copies was stolen) and gets 401. A token the session never issued changes nothing and gets 401.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and a new refresh token", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, spent or its session ended", body = Problem,
            content_type = "application/problem+json"),
        BodyFailures, ServerFailures,
    )
)]
pub(crate) async fn refresh<S: Store>(
    State(state): State<UsersState<S>>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> ApiResult<Response> {
    let refused = || ApiError::Unauthorized("The refresh token is not valid: sign in again.".into());
    let presented = RefreshToken::parse(&body.parse()?).ok_or_else(refused)?;
    let (store, key) = (&state.app.store, state.issuer.refresh_key());
    // Twice at most: a rotation that loses a race looks again, and finds
    // the winner's successor, the same one, just rotated.
    for _ in 0..2 {
        let now = Timestamp::now();
        let session = store.get_session(presented.user, presented.family).await?;
        let Some(session) = session.filter(|session| !session.expired(now)) else {
            return Err(refused());
        };
        match session.recognise(&presented, key, now) {
            Presented::Live => {
                let next = presented.successor(key);
                if store.replace_session(&session, &session.rotated_to(&next, now)).await? {
                    return tokens(&state, next.user, &next);
                }
            }
            Presented::JustRotated(next) => return tokens(&state, next.user, &next),
            Presented::Spent => {
                tracing::warn!(user = %presented.user, "a spent refresh token was presented: its session is ended");
                store.end_session(presented.user, presented.family).await?;
                return Err(refused());
            }
            Presented::Foreign => return Err(refused()),
        }
    }
    Err(refused())
}

#[utoipa::path(
    post, path = "/auth/sign-out", tag = "users", operation_id = "sign_out", summary = "Sign out",
    description = "Ends the session of a refresh token (its live one or one it spent): none of its refresh tokens works any more. Access tokens already issued stay valid until they expire (minutes). A session already ended gets 204 too; a token its session never issued gets 401 and ends nothing.",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is ended"),
        (status = 401, description = "The session exists but never issued this token", body = Problem,
            content_type = "application/problem+json"),
        BodyFailures, ServerFailures,
    )
)]
pub(crate) async fn sign_out<S: Store>(
    State(state): State<UsersState<S>>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> ApiResult<Private<StatusCode>> {
    let foreign = || ApiError::Unauthorized("This refresh token was not issued by its session.".into());
    let token = RefreshToken::parse(&body.parse()?).ok_or_else(foreign)?;
    let store = &state.app.store;
    let Some(session) = store.get_session(token.user, token.family).await? else {
        return Ok(Private(StatusCode::NO_CONTENT));
    };
    if session.recognise(&token, state.issuer.refresh_key(), Timestamp::now()) == Presented::Foreign {
        return Err(foreign());
    }
    store.end_session(token.user, token.family).await?;
    Ok(Private(StatusCode::NO_CONTENT))
}

#[utoipa::path(
    delete, path = "/users/me/sessions", tag = "users", operation_id = "sign_out_everywhere",
    summary = "Sign out everywhere",
    description = "Ends every session of the caller: no refresh token of theirs works any more. Access tokens already issued stay valid until they expire (minutes).",
    security(("bearer" = [])),
    responses((status = 204, description = "Every session is ended"), CallerFailures, ServerFailures)
)]
pub(crate) async fn sign_out_everywhere<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(me): Caller,
) -> ApiResult<Private<StatusCode>> {
    state.app.store.end_all_sessions(me).await?;
    Ok(Private(StatusCode::NO_CONTENT))
}
