//! A user's webhook endpoints (docs/api.md#webhooks): register one for the
//! public feed, optionally for one city and some event types; read,
//! change, disable or enable, delete it; rotate its secret; send it a test;
//! read the log of its deliveries. Part of the users route group: every
//! route needs a caller, who sees and changes only their own endpoints.

use super::{Group, routes};
use crate::domain::{
    City, DeliveryAttempt, EventTypes, Invalid, MAX_DESCRIPTION, PropertyId, Timestamp, UserId, Webhook, WebhookId,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::request::extract::{Caller, JsonBody};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::paging::{PageQuery, encode_cursor};
use crate::http::request::path::{PathParams, WebhookPath};
use crate::http::request::query::Query;
use crate::http::responses::{BodyFailures, CallerFailures, NotFound, QueryFailures, ServerFailures};
use crate::http::{Json, Private, UsersState};
use crate::store::{Store, StoreError};
use crate::webhooks::address::{check_url, resolve};
use crate::webhooks::deliver::update_webhook;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub fn routes<S: Store>() -> Group<UsersState<S>> {
    Group::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(show_webhook, update_webhook_route, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(test_webhook))
        .routes(routes!(list_deliveries))
}

/// An endpoint as its owner sees it; its secret only when made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    #[schema(value_type = uuid::Uuid)]
    id: WebhookId,
    url: String,
    /// The event types it takes.
    #[schema(value_type = Vec<crate::domain::ChangeType>)]
    events: Vec<&'static str>,
    /// Only the changes of listings in this city; `null`: everywhere.
    #[schema(required = true)]
    city: Option<String>,
    description: String,
    /// `false` once disabled, by its owner or by failures (`disabled_reason`).
    enabled: bool,
    #[schema(required = true)]
    disabled_reason: Option<String>,
    /// Since when every attempt failed; `null` after a success.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    failing_since: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<&Webhook> for WebhookView {
    fn from(webhook: &Webhook) -> Self {
        Self {
            id: webhook.id,
            url: webhook.url.clone(),
            events: webhook.events.as_slice().iter().map(|kind| kind.code()).collect(),
            city: webhook.city.as_ref().map(|city| city.name().to_owned()),
            description: webhook.description.clone(),
            enabled: webhook.enabled,
            disabled_reason: webhook.disabled_reason.clone(),
            failing_since: webhook.failing_since,
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
        }
    }
}

/// A new endpoint, with the secret it verifies signatures with.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewWebhookView {
    #[serde(flatten)]
    webhook: WebhookView,
    /// `whsec_` and the base64 of 32 random bytes: shown this once.
    secret: String,
}

/// A new endpoint.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"url": "https://crm.example.com/hooks/listings", "events": ["listing.published", "listing.deleted"], "city": "Lyon"}))]
pub(crate) struct WebhookRegistration {
    /// An https URL with a host name whose every address is public.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    url: Member<String>,
    /// The event types to send, at least one.
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::ChangeType>, required = true)]
    events: Member<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    city: Member<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 500)]
    description: Member<String>,
}

/// Changes of an endpoint; each member may be left out.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"events": ["listing.published", "listing.updated", "listing.deleted"], "enabled": true}))]
pub(crate) struct WebhookPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    url: Member<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::domain::ChangeType>>)]
    events: Member<Vec<String>>,
    /// `null`: every city.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable = true)]
    city: Member<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 500)]
    description: Member<String>,
    /// `false` stops deliveries; `true` resumes them where they stopped.
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    enabled: Member<bool>,
}

fn description(raw: String) -> Result<String, Invalid> {
    crate::domain::Description::<MAX_DESCRIPTION>::parse(&raw).map(|text| text.into_string())
}

fn events(raw: Vec<String>) -> Result<EventTypes, Invalid> {
    EventTypes::parse(&raw)
}

impl<S: Store> UsersState<S> {
    /// `raw` if webhooks may be sent there: the URL's form, and every
    /// address its host resolves to now.
    async fn checked_url(&self, fields: &mut Fields, raw: Option<String>) -> Option<String> {
        let reach = self.deliveries.rules.reach;
        let target = match check_url(raw.as_deref()?, reach) {
            Ok(target) => target,
            Err(why) => {
                fields.reject("url", why.0);
                return None;
            }
        };
        match resolve(&target, reach).await {
            Ok(_) => raw,
            Err(refused) => {
                fields.reject("url", refused.to_string());
                None
            }
        }
    }
}

#[utoipa::path(
    post, path = "/webhooks", tag = "webhooks", operation_id = "create_webhook", summary = "Register a webhook",
    description = "Registers an endpoint for the public change feed (docs/api.md#webhooks), optionally for one city. The answer holds its `secret`, shown this once: each delivery is signed with it the Standard Webhooks way. The URL must be https with a host name whose every address is public (no loopback, private, link-local, CGNAT, multicast or unspecified address, in any form), checked now and again at each delivery. At most 10 endpoints a user.",
    security(("bearer" = [])),
    request_body = WebhookRegistration,
    responses(
        (status = 201, description = "The endpoint and its secret", body = NewWebhookView,
            headers(("Location" = String, description = "/webhooks/{id}"))),
        (status = 409, description = "The caller has 10 endpoints already", body = crate::http::error::Problem,
            content_type = "application/problem+json"),
        BodyFailures, CallerFailures, ServerFailures,
    )
)]
pub(crate) async fn create_webhook<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<WebhookRegistration>,
) -> ApiResult<Response> {
    // Before the URL's host is resolved: a gone account's token is a 401
    // whatever the body.
    if !state.app.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    let mut fields = Fields::new();
    let url = fields.required("url", body.url, Ok);
    let events = fields.required("events", body.events, events);
    let city = fields.optional("city", body.city, |raw| City::parse(&raw));
    let description = fields.optional("description", body.description, description);
    let url = state.checked_url(&mut fields, url).await;
    let webhook = fields.finish(|| {
        let description = description?.unwrap_or_default();
        Some(Webhook::register(caller, url?, events?, city?, description, Timestamp::now()))
    })?;
    state.app.store.create_webhook(&webhook).await?;
    let secret = webhook.secrets[0].secret.reveal();
    let view = NewWebhookView { webhook: WebhookView::from(&webhook), secret };
    let location = format!("/webhooks/{}", webhook.id);
    Ok(Private((StatusCode::CREATED, [(header::LOCATION, location)], Json(view))).into_response())
}

/// The caller's endpoints.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    /// Oldest first; at most 10.
    items: Vec<WebhookView>,
}

#[utoipa::path(
    get, path = "/webhooks", tag = "webhooks", operation_id = "list_webhooks", summary = "Your webhooks",
    description = "The caller's endpoints, oldest first, without their secrets.",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's endpoints", body = WebhookList), CallerFailures, ServerFailures)
)]
pub(crate) async fn list_webhooks<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
) -> ApiResult<Private<Json<WebhookList>>> {
    let webhooks = state.app.store.webhooks_of(caller).await?;
    if webhooks.is_empty() && !state.app.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    Ok(Private(Json(WebhookList { items: webhooks.iter().map(WebhookView::from).collect() })))
}

/// The caller's endpoint `id`, or 404 (another's is not theirs to know
/// of); 401 if the caller's account is gone.
async fn own<S: Store>(state: &UsersState<S>, caller: UserId, id: WebhookId) -> ApiResult<Webhook> {
    match state.app.store.get_webhook(caller, id).await? {
        Some(webhook) => Ok(webhook),
        None => Err(refusal(state, caller, StoreError::WebhookNotFound).await),
    }
}

/// The caller's endpoint `id` as `change` leaves it, written under the
/// version read (`update_webhook`); 404 or 401 as `own` answers.
async fn change_own<S: Store>(
    state: &UsersState<S>,
    caller: UserId,
    id: WebhookId,
    change: impl Fn(&mut Webhook),
) -> ApiResult<Webhook> {
    let changed = update_webhook::<S, StoreError>(&state.app.store, caller, id, |webhook| {
        change(webhook);
        Ok(())
    });
    match changed.await {
        Ok(webhook) => Ok(webhook),
        Err(error @ StoreError::WebhookNotFound) => Err(refusal(state, caller, error).await),
        Err(error) => Err(error.into()),
    }
}

/// `error`, unless the caller's account is gone: then 401, as on every
/// route that needs a caller.
async fn refusal<S: Store>(state: &UsersState<S>, caller: UserId, error: StoreError) -> ApiError {
    match state.app.store.account_exists(caller).await {
        Ok(true) => error.into(),
        Ok(false) => StoreError::AccountGone.into(),
        Err(failure) => failure.into(),
    }
}

#[utoipa::path(
    get, path = "/webhooks/{id}", tag = "webhooks", operation_id = "show_webhook", summary = "A webhook",
    description = "One of the caller's endpoints, without its secret: whether it is enabled, why not, and since when its deliveries fail.",
    security(("bearer" = [])),
    params(WebhookPath),
    responses((status = 200, description = "The endpoint", body = WebhookView), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn show_webhook<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
) -> ApiResult<Private<Json<WebhookView>>> {
    Ok(Private(Json(WebhookView::from(&own(&state, caller, id).await?))))
}

#[utoipa::path(
    patch, path = "/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook", summary = "Change a webhook",
    description = "Changes the members sent. `enabled: false` stops deliveries (they wait); `enabled: true` resumes a disabled endpoint from where it stopped: every delivery waiting is sent again, in order per listing.",
    security(("bearer" = [])),
    params(WebhookPath),
    request_body = WebhookPatch,
    responses((status = 200, description = "The endpoint", body = WebhookView), NotFound, BodyFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn update_webhook_route<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
    JsonBody(body): JsonBody<WebhookPatch>,
) -> ApiResult<Private<Json<WebhookView>>> {
    let mut fields = Fields::new();
    let url = fields.optional("url", body.url, Ok).flatten();
    let events = fields.optional("events", body.events, events);
    let city = fields.clearable("city", body.city, |raw| City::parse(&raw));
    let description = fields.optional("description", body.description, description);
    let enabled = fields.optional("enabled", body.enabled, Ok);
    let checked = state.checked_url(&mut fields, url.clone()).await;
    let (url, events, city, description, enabled) =
        fields.finish(|| Some((checked, events?, city?, description?, enabled?)))?;
    let now = Timestamp::now();
    let webhook = change_own(&state, caller, id, |webhook| {
        if let Some(url) = &url {
            webhook.url = url.clone();
        }
        if let Some(events) = &events {
            webhook.events = events.clone();
        }
        if let Some(city) = &city {
            webhook.city = city.clone();
        }
        if let Some(description) = &description {
            webhook.description = description.clone();
        }
        match enabled {
            Some(true) if !webhook.enabled => webhook.enable(now),
            Some(false) if webhook.enabled => webhook.disable("disabled by its owner", now),
            _ => webhook.touch(now),
        }
    })
    .await?;
    // Asked to be enabled, even if it already was: what waits is queued
    // again (a resumption that failed half-way finishes).
    if enabled == Some(true) {
        state.deliveries.resume(webhook.id).await.map_err(ApiError::internal)?;
    }
    Ok(Private(Json(WebhookView::from(&webhook))))
}

#[utoipa::path(
    delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook", summary = "Delete a webhook",
    description = "Deletes the endpoint, what waits for it and its log.",
    security(("bearer" = [])),
    params(WebhookPath),
    responses((status = 204, description = "Deleted"), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn delete_webhook<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
) -> ApiResult<Private<StatusCode>> {
    match state.app.store.delete_webhook(caller, id).await {
        Ok(()) => Ok(Private(StatusCode::NO_CONTENT)),
        Err(error) => Err(refusal(&state, caller, error).await),
    }
}

/// A new secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RotatedSecret {
    /// Shown this once.
    secret: String,
    /// Until then, the previous secret signs too: each delivery carries
    /// both signatures.
    #[schema(value_type = String, format = DateTime)]
    previous_secret_expires_at: Timestamp,
}

#[utoipa::path(
    post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", operation_id = "rotate_webhook_secret",
    summary = "Rotate a webhook's secret",
    description = "Makes a new secret. The previous one keeps signing beside it for 24 hours (two signatures in `webhook-signature`), so the receiver can switch without losing a delivery.",
    security(("bearer" = [])),
    params(WebhookPath),
    responses((status = 200, description = "The new secret", body = RotatedSecret), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn rotate_secret<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
) -> ApiResult<Private<Json<RotatedSecret>>> {
    let now = Timestamp::now();
    let webhook = change_own(&state, caller, id, |webhook| {
        webhook.rotate_secret(now);
    })
    .await?;
    let previous_secret_expires_at = webhook.secrets.get(1).and_then(|previous| previous.retires_at).unwrap_or(now);
    Ok(Private(Json(RotatedSecret { secret: webhook.secrets[0].secret.reveal(), previous_secret_expires_at })))
}

/// One attempt of a delivery.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// The event's id: its `webhook-id`, the same on every attempt.
    event_id: uuid::Uuid,
    /// `listing.*`, or `webhook.test`.
    event_type: String,
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    property_id: Option<PropertyId>,
    /// 1 for the first attempt.
    attempt: u32,
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    /// The receiver's status; `null` if it did not answer.
    #[schema(required = true)]
    status: Option<u16>,
    /// Why it failed: the connection's error, or the status and the first
    /// KiB of the receiver's answer.
    #[schema(required = true)]
    error: Option<String>,
    duration_ms: u64,
    /// When it is tried again; `null` once delivered, or if the endpoint
    /// was disabled.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    next_retry_at: Option<Timestamp>,
}

impl From<DeliveryAttempt> for DeliveryView {
    fn from(attempt: DeliveryAttempt) -> Self {
        Self {
            event_id: attempt.event_id,
            event_type: attempt.event_type,
            property_id: attempt.property_id,
            attempt: attempt.attempt,
            at: attempt.at,
            status: attempt.status,
            error: attempt.error,
            duration_ms: attempt.duration_ms,
            next_retry_at: attempt.next_retry_at,
        }
    }
}

#[utoipa::path(
    post, path = "/webhooks/{id}/test", tag = "webhooks", operation_id = "test_webhook", summary = "Send a test event",
    description = "Sends a signed `webhook.test` event to the endpoint now, whether it is enabled or not, and answers the attempt (also in its log). Nothing is retried.",
    security(("bearer" = [])),
    params(WebhookPath),
    responses((status = 200, description = "The attempt", body = DeliveryView), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn test_webhook<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
) -> ApiResult<Private<Json<DeliveryView>>> {
    let webhook = own(&state, caller, id).await?;
    let attempt = state.deliveries.send_test(&webhook).await.map_err(ApiError::internal)?;
    Ok(Private(Json(DeliveryView::from(attempt))))
}

/// A page of an endpoint's log, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    summary = "A webhook's deliveries",
    description = "Every attempt of the last 30 days, newest first: the event, the attempt's number, the status or the error, how long it took and when it is retried.",
    security(("bearer" = [])),
    params(WebhookPath, PageQuery),
    responses((status = 200, description = "A page of attempts", body = DeliveryPage), NotFound, QueryFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn list_deliveries<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(WebhookPath { id }): PathParams<WebhookPath>,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Private<Json<DeliveryPage>>> {
    own(&state, caller, id).await?;
    let query = format!("deliveries:{id}");
    let request = page_query.of_query(&query, |raw| uuid::Uuid::try_parse(raw).is_ok())?;
    let page = state.app.store.delivery_attempts(id, request).await?;
    let next_cursor = page.next.map(|after| encode_cursor(&query, after));
    Ok(Private(Json(DeliveryPage { items: page.items.into_iter().map(DeliveryView::from).collect(), next_cursor })))
}
