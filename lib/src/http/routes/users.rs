//! The users route group: registration, sign-in, and a user's own account.

use super::sessions::check_password;
use super::{Group, routes};
use crate::auth::passwords;
use crate::domain::{
    Admission, AttemptCounter, BirthDate, Email, Password, PersonName, ProfileChanges, Timestamp, User, UserId,
};
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::request::extract::{Caller, JsonBody, SourceAddress};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::idempotency::{self, Created, Creation, IdempotencyKeyHeader};
use crate::http::request::path::{PathParams, UserPath};
use crate::http::responses::{BodyFailures, CallerFailures, NotFound, ServerFailures, Throttled};
use crate::http::{Health, Json, Private, UsersState};
use crate::store::{Store, StoreError, WriteId};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

#[utoipa::path(
    get, path = "/health", tag = "service", operation_id = "health", summary = "Liveness",
    description = "Answers 200 while the process serves requests; touches no dependency.",
    responses((status = 200, description = "The process is up and serving", body = Health))
)]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The group's routes, each registered with its contract.
pub fn routes<S: Store>() -> Group<UsersState<S>> {
    Group::new()
        .routes(routes!(health))
        .routes(routes!(register))
        .routes(routes!(show_me, update_me, delete_me))
        .routes(routes!(change_password))
        .routes(routes!(show_profile))
        .merge(super::sessions::routes())
        .merge(super::webhooks::routes())
        .merge(super::saved_searches::routes())
        .merge(super::notifications::routes())
}

pub fn router<S: Store>(state: UsersState<S>) -> Router {
    routes().with_state(state)
}

/// A user as they see themselves.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserView {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    #[schema(format = Email)]
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[schema(format = Date)]
    pub birth_date: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email.into(),
            first_name: user.first_name.into(),
            last_name: user.last_name.into(),
            birth_date: user.birth_date.to_string(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// A user as anyone may see them, for instance as a property's owner.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicProfile {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A new account. The email is unique regardless of letter case.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "email": "ada@example.com",
    "password": "correct horse battery",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "birth_date": "1990-12-10"
}))]
pub(crate) struct Registration {
    #[serde(default)]
    #[schema(inline, value_type = Email, required = true)]
    email: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = Password, required = true)]
    password: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = PersonName, required = true)]
    first_name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = PersonName, required = true)]
    last_name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = BirthDate, required = true)]
    birth_date: Member<String>,
}

/// A valid registration: the account to create and its password.
struct NewAccount {
    password: Password,
    email: Email,
    first_name: PersonName,
    last_name: PersonName,
    birth_date: BirthDate,
}

impl Registration {
    fn parse(self) -> ApiResult<NewAccount> {
        let mut fields = Fields::new();
        let email = fields.required("email", self.email, |raw| Email::parse(&raw));
        let password = fields.required("password", self.password, Password::parse);
        let first_name = fields.required("first_name", self.first_name, |raw| PersonName::parse(&raw));
        let last_name = fields.required("last_name", self.last_name, |raw| PersonName::parse(&raw));
        let birth_date = fields.required("birth_date", self.birth_date, |raw| BirthDate::parse(&raw));
        fields.finish(|| {
            Some(NewAccount {
                email: email?,
                password: password?,
                first_name: first_name?,
                last_name: last_name?,
                birth_date: birth_date?,
            })
        })
    }
}

#[utoipa::path(
    post, path = "/users", tag = "users", operation_id = "register", summary = "Register",
    description = "Creates an account. The email is unique regardless of letter case; the password is stored only as an argon2id hash. At most 10 registrations an hour from one source address; past that, 429 until `Retry-After` has passed.",
    params(IdempotencyKeyHeader),
    request_body = Registration,
    responses(
        (status = 201, description = "The new user", body = UserView,
            headers(("Location" = String, description = "/users/{id}"))),
        (status = 409, description = "The email is taken (in any letter case)", body = Problem,
            content_type = "application/problem+json"),
        Throttled, BodyFailures, ServerFailures,
    )
)]
pub(crate) async fn register<S: Store>(
    State(state): State<UsersState<S>>,
    SourceAddress(source): SourceAddress,
    Creation { body, key }: Creation<Registration>,
) -> ApiResult<Response> {
    let account = body.parse()?;
    // Counted before anything is looked up: a 409 tells whether an address
    // is registered, so probing addresses is bounded like guessing passwords.
    let limit = [AttemptCounter::registration_from(&source)];
    if let Admission::Refused { retry_after } = state.app.store.count_attempt(&limit, Timestamp::now()).await? {
        return Err(ApiError::TooManyRequests(retry_after));
    }
    let password_hash = passwords::hash(account.password.clone()).await.map_err(ApiError::internal)?;
    let user =
        User::register(account.email, account.first_name, account.last_name, account.birth_date, Timestamp::now());
    let created = Created::new(format!("/users/{}", user.id), None, &UserView::from(user.clone()));
    // Scoped to the address: the client has no account yet.
    let answer = created.to_keep(key.as_ref(), &crate::store::KeptAnswer::email_scope(&user.email));
    let stored = state.app.store.create_user(&user, &password_hash, answer.as_ref()).await;
    if let Err(StoreError::KeyUsed(earlier)) = &stored {
        // The kept answer holds the account's details: only whoever knows
        // its password gets them again.
        let credentials = state.app.store.find_credentials(&user.email).await?;
        let holder = credentials.as_ref().map(|credentials| format!("/users/{}", credentials.user_id));
        let hash = credentials.map(|credentials| credentials.password_hash);
        let proven = passwords::verify(account.password, hash).await.map_err(ApiError::internal)?;
        if !proven || holder.as_deref() != Some(earlier.location.as_str()) {
            return Err(idempotency::key_reused());
        }
    }
    created.answer(stored, key.as_ref())
}

#[utoipa::path(
    get, path = "/users/{id}", tag = "users", operation_id = "show_profile", summary = "A user's public profile",
    description = "Anyone may read a user's name and the date they registered, for instance a property's owner.",
    params(UserPath),
    responses((status = 200, description = "The public profile", body = PublicProfile), NotFound, ServerFailures)
)]
pub(crate) async fn show_profile<S: Store>(
    State(state): State<UsersState<S>>,
    PathParams(UserPath { id }): PathParams<UserPath>,
) -> ApiResult<Json<PublicProfile>> {
    let user = state.app.store.get_user(id).await?.ok_or(StoreError::UserNotFound)?;
    Ok(Json(PublicProfile {
        id: user.id,
        first_name: user.first_name.into(),
        last_name: user.last_name.into(),
        created_at: user.created_at,
    }))
}

#[utoipa::path(
    get, path = "/users/me", tag = "users", operation_id = "show_me", summary = "Your account",
    description = "The caller's own account, with their email and birth date.", security(("bearer" = [])),
    responses((status = 200, description = "The caller's account", body = UserView), CallerFailures, ServerFailures)
)]
pub(crate) async fn show_me<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(me): Caller,
) -> ApiResult<Private<Json<UserView>>> {
    let user = state.app.store.get_user(me).await?.ok_or(StoreError::AccountGone)?;
    Ok(Private(Json(user.into())))
}

/// The personal details to change; an absent field is left as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"last_name": "King"}))]
pub(crate) struct ProfilePatch {
    #[serde(default)]
    #[schema(inline, value_type = PersonName)]
    first_name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = PersonName)]
    last_name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = BirthDate)]
    birth_date: Member<String>,
}

impl ProfilePatch {
    fn parse(self) -> ApiResult<ProfileChanges> {
        let mut fields = Fields::new();
        let first_name = fields.optional("first_name", self.first_name, |raw| PersonName::parse(&raw));
        let last_name = fields.optional("last_name", self.last_name, |raw| PersonName::parse(&raw));
        let birth_date = fields.optional("birth_date", self.birth_date, |raw| BirthDate::parse(&raw));
        fields
            .finish(|| Some(ProfileChanges { first_name: first_name?, last_name: last_name?, birth_date: birth_date? }))
    }
}

#[utoipa::path(
    patch, path = "/users/me", tag = "users", operation_id = "update_me", summary = "Change your personal details",
    description = "Changes the members present in the body; absent members are left as they are.", security(("bearer" = [])),
    request_body = ProfilePatch,
    responses((status = 200, description = "The updated account", body = UserView),
        BodyFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn update_me<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<ProfilePatch>,
) -> ApiResult<Private<Json<UserView>>> {
    let changes = body.parse()?;
    let user = state.app.store.update_profile(me, &changes, Timestamp::now()).await?;
    Ok(Private(Json(user.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery", "new_password": "another long secret"}))]
pub(crate) struct PasswordChange {
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = Password, required = true)]
    new_password: Member<String>,
}

#[utoipa::path(
    put, path = "/users/me/password", tag = "users", operation_id = "change_password", summary = "Change your password",
    description = "Needs the current password, checked under the same limits as sign-in (per account and source address, and per account). Ends every session of the account. Fails with 409 when another request changed the password meanwhile.", security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "The current password is wrong", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Another request changed the password meanwhile", body = Problem,
            content_type = "application/problem+json"),
        Throttled, BodyFailures, CallerFailures, ServerFailures,
    )
)]
pub(crate) async fn change_password<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(me): Caller,
    SourceAddress(source): SourceAddress,
    JsonBody(body): JsonBody<PasswordChange>,
) -> ApiResult<Private<StatusCode>> {
    let mut fields = Fields::new();
    let current_password = fields.required("current_password", body.current_password, Ok);
    let new_password = fields.required("new_password", body.new_password, Password::parse);
    let (current_password, new_password) = fields.finish(|| Some((current_password?, new_password?)))?;
    let wrong_password = || ApiError::Forbidden("The current password is incorrect.".into());
    let Ok(current_password) = Password::parse(current_password) else {
        return Err(wrong_password());
    };
    let store = &state.app.store;
    let current = store.get_credentials(me).await?.ok_or(StoreError::AccountGone)?;
    let limits = [AttemptCounter::password_check_from(me, &source), AttemptCounter::password_check(me)];
    if !check_password(store, limits, current_password, Some(current.password_hash.clone())).await? {
        return Err(wrong_password());
    }
    let new_hash = passwords::hash(new_password).await.map_err(ApiError::internal)?;
    // The change bumps the credentials' version first, so no sign-in checked
    // against the old password starts a session after it; then whoever
    // else holds a session (a thief, an old device) is signed out.
    store.replace_password_hash(me, &current.password_hash, &new_hash, Timestamp::now(), WriteId::new()).await?;
    store.end_all_sessions(me).await?;
    Ok(Private(StatusCode::NO_CONTENT))
}

#[utoipa::path(
    delete, path = "/users/me", tag = "users", operation_id = "delete_me", summary = "Delete your account",
    description = "Deletes the account, every property it published and their rooms, and frees the email.", security(("bearer" = [])),
    responses((status = 204, description = "The account, its properties and their rooms are gone"),
        CallerFailures, ServerFailures)
)]
pub(crate) async fn delete_me<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(me): Caller,
) -> ApiResult<Private<StatusCode>> {
    state.app.store.delete_user(me).await?;
    Ok(Private(StatusCode::NO_CONTENT))
}
