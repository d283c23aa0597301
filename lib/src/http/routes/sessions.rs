//! Sessions, served by the users function: sign-in (throttled per email
//! address), refresh with rotation and reuse detection, sign-out, and
//! signing out everywhere.

use crate::auth::passwords;
use crate::domain::{Email, Password, REFRESH_LIFETIME_SECONDS, RefreshToken, Session, Timestamp, UserId};
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::request::extract::{Caller, JsonBody};
use crate::http::request::fields::{Fields, Member};
use crate::http::responses::{BodyFailures, CallerFailures, ServerFailures};
use crate::http::{Private, UsersState};
use crate::store::{Rotation, Store};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes<S: Store>() -> OpenApiRouter<UsersState<S>> {
    OpenApiRouter::new()
        .routes(routes!(issue_token))
        .routes(routes!(refresh))
        .routes(routes!(sign_out))
        .routes(routes!(sign_out_everywhere))
}

/// Credentials to exchange for tokens.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62.c2FtcGxlIHJlZnJlc2ggdG9rZW4gb2YgdGhlIGRlbW8"}))]
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

#[utoipa::path(
    post, path = "/auth/token", tag = "users", operation_id = "issue_token", summary = "Sign in",
    description = "Exchanges an email and password for a short-lived access token and a refresh token, which starts a session. An unknown email and a wrong password get the same answer. After 5 failed sign-ins for an address within 15 minutes, further ones get 429 until `Retry-After` has passed, registered address or not (from 1 minute, doubling with each further failure, to 15 at most); a successful sign-in resets the count.",
    request_body = SignIn,
    responses(
        (status = 200, description = "An access token and a refresh token", body = TokenResponse),
        (status = 401, description = "Unknown email or wrong password (one answer for both)", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this address: retry after `Retry-After` seconds",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
        BodyFailures, ServerFailures,
    )
)]
pub(crate) async fn issue_token<S: Store>(
    State(state): State<UsersState<S>>,
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
    let now = Timestamp::now();
    let failures = store.failed_sign_ins(&email, now).await?;
    if let Some(seconds) = failures.and_then(|failures| failures.retry_after(now.unix_seconds())) {
        return Err(ApiError::TooManyRequests(seconds));
    }
    let credentials = store.find_credentials(&email).await?;
    let user_id = credentials.as_ref().map(|found| found.user_id);
    // An unknown email is checked against a dummy hash: same time, same answer.
    let matches =
        passwords::verify(password, credentials.map(|found| found.password_hash)).await.map_err(ApiError::internal)?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        store.record_failed_sign_in(&email, now).await?;
        return Err(refused());
    };
    if failures.is_some() {
        store.forget_failed_sign_ins(&email).await?;
    }
    let (session, refresh) = Session::start(user_id, now);
    store.start_session(&session).await?;
    tokens(&state, user_id, &refresh)
}

#[utoipa::path(
    post, path = "/auth/refresh", tag = "users", operation_id = "refresh", summary = "Renew the tokens",
    description = "Spends a refresh token for a new access token and a new refresh token of the same session. A refresh token works once: presenting a spent one again ends its whole session (one of its copies was stolen), and gets 401.",
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
    let next = presented.next();
    match state.app.store.rotate_session(&presented.hash(), &next.session(Timestamp::now())).await? {
        Rotation::Rotated => tokens(&state, next.user, &next),
        Rotation::Reused => {
            tracing::warn!(user = %presented.user, "a spent refresh token was presented: its session is ended");
            Err(refused())
        }
        Rotation::Unknown => Err(refused()),
    }
}

#[utoipa::path(
    post, path = "/auth/sign-out", tag = "users", operation_id = "sign_out", summary = "Sign out",
    description = "Ends the session of a refresh token: none of its refresh tokens works any more. Access tokens already issued stay valid until they expire (minutes). Answers 204 whatever the token, so it tells nothing about it.",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is ended"), BodyFailures, ServerFailures)
)]
pub(crate) async fn sign_out<S: Store>(
    State(state): State<UsersState<S>>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> ApiResult<Private<StatusCode>> {
    if let Some(token) = RefreshToken::parse(&body.parse()?) {
        state.app.store.end_session(token.user, token.family).await?;
    }
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
