//! The caller's inbox (docs/api.md#alerts): the alerts of their
//! saved searches and favourites, newest first, with how many are unread;
//! and the one-click unsubscribe of an alert e-mail (RFC 8058), which
//! needs no sign-in, only the link's token. Part of the users route group.

use super::{Group, routes};
use crate::domain::{
    AlertEvent, DigestMatch, Frequency, Notification, NotificationId, NotificationKind, PropertyId, SavedSearchId,
    Timestamp, UnsubscribeToken,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::request::extract::{Caller, JsonBody};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::paging::{PageQuery, encode_cursor};
use crate::http::request::query::Query;
use crate::http::responses::{BodyFailures, CallerFailures, NotFound, QueryFailures, ServerFailures};
use crate::http::{Json, Private, UsersState, html_escaped};
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub fn routes<S: Store>() -> Group<UsersState<S>> {
    Group::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(unsubscribe_page, unsubscribe))
}

/// One match of a digest.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DigestMatchView {
    event: AlertEvent,
    #[schema(value_type = uuid::Uuid)]
    property_id: PropertyId,
    version: u64,
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
}

impl From<&DigestMatch> for DigestMatchView {
    fn from(found: &DigestMatch) -> Self {
        Self { event: found.event, property_id: found.property_id, version: found.version, at: found.at }
    }
}

/// A notification: an `alert` (one event of one listing) or a `digest`
/// (a saved search's matches of the day).
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    #[schema(value_type = uuid::Uuid)]
    id: NotificationId,
    /// `alert` or `digest`.
    #[serde(rename = "type")]
    #[schema(rename = "type", pattern = "^(alert|digest)$")]
    kind: &'static str,
    /// An alert's event.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    event: Option<AlertEvent>,
    /// An alert's listing (`GET /properties/{id}`), at `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>, nullable = false)]
    property_id: Option<PropertyId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    version: Option<u64>,
    /// The saved searches it is for: an alert names every search of the
    /// caller's that the listing matches; a digest its one search.
    #[schema(value_type = Vec<uuid::Uuid>)]
    searches: Vec<SavedSearchId>,
    /// The listing is one of the caller's favourites.
    favourite: bool,
    /// A digest's matches, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    matches: Option<Vec<DigestMatchView>>,
    read: bool,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl NotificationView {
    fn new(notification: &Notification, read_up_to: Option<NotificationId>) -> Self {
        let read = read_up_to.is_some_and(|mark| notification.id <= mark);
        let base = Self {
            id: notification.id,
            kind: "alert",
            event: None,
            property_id: None,
            version: None,
            searches: Vec::new(),
            favourite: false,
            matches: None,
            read,
            created_at: notification.created_at,
        };
        match &notification.kind {
            NotificationKind::Alert { event, property_id, version, searches, favourite } => Self {
                event: Some(*event),
                property_id: Some(*property_id),
                version: Some(*version),
                searches: searches.clone(),
                favourite: *favourite,
                ..base
            },
            NotificationKind::Digest { search, matches } => Self {
                kind: "digest",
                searches: vec![*search],
                matches: Some(matches.iter().map(DigestMatchView::from).collect()),
                ..base
            },
        }
    }
}

/// A page of the caller's inbox.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    /// Newest first.
    items: Vec<NotificationView>,
    /// How many of the inbox's notifications are unread.
    unread_count: u64,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/users/me/notifications", tag = "notifications", operation_id = "list_notifications",
    summary = "Your notifications",
    description = "The caller's notifications, newest first, one page at a time, with how many are unread. Each is kept 90 days.",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of notifications", body = NotificationPage),
        QueryFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn list_notifications<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Private<Json<NotificationPage>>> {
    let request = page_query.of_query("notifications", |raw| NotificationId::parse(raw).is_some())?;
    let inbox = state.app.store.inbox(caller, request).await?;
    if inbox.page.items.is_empty() && !state.app.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    let items = inbox.page.items.iter().map(|item| NotificationView::new(item, inbox.read_up_to)).collect();
    let next_cursor = inbox.page.next.map(|after| encode_cursor("notifications", after));
    Ok(Private(Json(NotificationPage { items, unread_count: inbox.unread, next_cursor })))
}

/// How far the caller has read.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"up_to": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60"}))]
pub(crate) struct ReadMark {
    /// The newest notification read: it and every older one are read.
    #[serde(default)]
    #[schema(value_type = uuid::Uuid, required = true)]
    up_to: Member<String>,
}

#[utoipa::path(
    post, path = "/users/me/notifications/read", tag = "notifications", operation_id = "read_notifications",
    summary = "Mark notifications read",
    description = "Marks `up_to` and every older notification read. The mark only moves forward: an older `up_to` changes nothing.",
    security(("bearer" = [])),
    request_body = ReadMark,
    responses((status = 204, description = "Marked"), BodyFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn read_notifications<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<ReadMark>,
) -> ApiResult<StatusCode> {
    // First: a gone account's token is a 401 whatever the body.
    if !state.app.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    let mut fields = Fields::new();
    let up_to = fields.required("up_to", body.up_to, |raw| {
        NotificationId::parse(&raw).ok_or_else(|| crate::domain::Invalid::new("must be a notification's id"))
    });
    let up_to = fields.finish(|| up_to)?;
    state.app.store.mark_read(caller, up_to).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An unsubscribe link's query string.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UnsubscribeQuery {
    /// The token of the e-mail's link
    #[serde(default)]
    #[param(value_type = String)]
    token: Member<crate::http::request::fields::Scalar>,
}

impl UnsubscribeQuery {
    fn token(self) -> ApiResult<UnsubscribeToken> {
        let mut fields = Fields::new();
        let token = fields.required("token", self.token, |raw| {
            UnsubscribeToken::parse(&raw.0).ok_or_else(|| crate::domain::Invalid::new("is not an unsubscribe token"))
        });
        fields.finish(|| token)
    }
}

/// A small page for people, in the answer's `text/html`.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    );
    let mut response = (status, html).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

#[utoipa::path(
    get, path = "/unsubscribe", tag = "notifications", operation_id = "unsubscribe_page",
    summary = "Unsubscribe page",
    description = "What an alert e-mail's unsubscribe link opens: a page with one button that turns the saved search's alerts off (a POST). Opening the link changes nothing, so that a mail scanner fetching it does not unsubscribe anyone.",
    params(UnsubscribeQuery),
    responses((status = 200, description = "The page", content_type = "text/html", body = String), NotFound, QueryFailures, ServerFailures)
)]
pub(crate) async fn unsubscribe_page<S: Store>(
    State(state): State<UsersState<S>>,
    Query(query): Query<UnsubscribeQuery>,
) -> ApiResult<Response> {
    let token = query.token()?;
    let search = opened(&state, &token).await?;
    let body = format!(
        "<p>Stop the alerts of your saved search “{}”?</p><form method=\"post\" action=\"/unsubscribe?token={}\"><button type=\"submit\" name=\"List-Unsubscribe\" value=\"One-Click\">Unsubscribe</button></form>",
        html_escaped(search.name.as_str()),
        token.encode()
    );
    Ok(Private(page(StatusCode::OK, "Unsubscribe", &body)).into_response())
}

#[utoipa::path(
    post, path = "/unsubscribe", tag = "notifications", operation_id = "unsubscribe",
    summary = "Unsubscribe in one click",
    description = "Turns the saved search's alerts off (`frequency: off`) without signing in: the RFC 8058 one-click POST of the e-mail's `List-Unsubscribe` header, or the page's button. Sent again, it answers the same.",
    params(UnsubscribeQuery),
    responses((status = 200, description = "Unsubscribed", content_type = "text/html", body = String), NotFound, QueryFailures, ServerFailures)
)]
pub(crate) async fn unsubscribe<S: Store>(
    State(state): State<UsersState<S>>,
    Query(query): Query<UnsubscribeQuery>,
) -> ApiResult<Response> {
    let token = query.token()?;
    let search = opened(&state, &token).await?;
    if search.alerts.frequency != Frequency::Off {
        let mut off = search.clone();
        off.alerts.frequency = Frequency::Off;
        off.updated_at = Timestamp::now();
        off.version += 1;
        state.app.store.replace_saved_search(&search, &off).await?;
    }
    let body = format!("<p>You will get no more alerts for “{}”.</p>", html_escaped(search.name.as_str()));
    Ok(Private(page(StatusCode::OK, "Unsubscribed", &body)).into_response())
}

/// The saved search `token` opens; a 404 for any other token (a search
/// deleted since, a token made up).
async fn opened<S: Store>(state: &UsersState<S>, token: &UnsubscribeToken) -> ApiResult<crate::domain::SavedSearch> {
    let search = state.app.store.get_saved_search(token.owner, token.search).await?;
    search.filter(|search| token.opens(search)).ok_or_else(|| {
        ApiError::NotFound(
            "This unsubscribe link is not valid any more: its saved search was deleted or changed.".into(),
        )
    })
}
