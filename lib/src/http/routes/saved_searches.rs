//! The caller's saved searches (docs/api.md#saved-searches): a name, a
//! filter (the parameters of `GET /properties`, checked by the search's
//! own parser) and when to alert. Part of the users route group, but for
//! their results: a search, which the properties group runs.

use super::listings::{PropertyPage, page};
use super::{Group, routes};
use crate::blobs::BlobStore;
use crate::domain::{
    AlertEvent, AlertSettings, Frequency, Invalid, SavedSearch, SavedSearchId, SearchName, TimeZoneName, Timestamp,
    UnsubscribeToken, UserId,
};
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::request::extract::{Caller, JsonBody, deserialize_value};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::paging::PageQuery;
use crate::http::request::path::{PathIds, PathParams};
use crate::http::request::query::Query;
use crate::http::request::search::saved_filter;
use crate::http::responses::{BodyFailures, CallerFailures, NotFound, QueryFailures, ServerFailures};
use crate::http::{AppState, Json, MediaLinks, Private, PropertiesState, UsersState};
use crate::store::{Listing, Store, StoreError};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub fn routes<S: Store>() -> Group<UsersState<S>> {
    Group::new().routes(routes!(create_saved_search, list_saved_searches)).routes(routes!(
        show_saved_search,
        update_saved_search,
        delete_saved_search
    ))
}

/// The route of the properties group, which runs searches.
pub fn results_routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new().routes(routes!(saved_search_results))
}

/// `{id}` of a saved search's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SavedSearchPath {
    /// The saved search's id
    #[param(value_type = uuid::Uuid)]
    pub id: SavedSearchId,
}

impl PathIds for SavedSearchPath {
    fn not_found(_: &str) -> StoreError {
        StoreError::SavedSearchNotFound
    }
}

/// When and how a saved search alerts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertsView {
    frequency: Frequency,
    events: Vec<AlertEvent>,
    /// Each notification also by e-mail, with a one-click unsubscribe link.
    email: bool,
    /// A daily digest's IANA time zone and hour.
    time_zone: String,
    #[schema(minimum = 0, maximum = 23)]
    hour: u8,
}

impl From<&AlertSettings> for AlertsView {
    fn from(alerts: &AlertSettings) -> Self {
        Self {
            frequency: alerts.frequency,
            events: alerts.events.clone(),
            email: alerts.email,
            time_zone: alerts.time_zone.as_str().to_owned(),
            hour: alerts.hour,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedSearchView {
    #[schema(value_type = uuid::Uuid)]
    id: SavedSearchId,
    name: String,
    /// The parameters of `GET /properties`, as given.
    #[schema(value_type = Object)]
    filter: Map<String, Value>,
    alerts: AlertsView,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<&SavedSearch> for SavedSearchView {
    fn from(search: &SavedSearch) -> Self {
        Self {
            id: search.id,
            name: search.name.as_str().to_owned(),
            filter: search.filter.clone(),
            alerts: AlertsView::from(&search.alerts),
            created_at: search.created_at,
            updated_at: search.updated_at,
        }
    }
}

/// A saved search; `alerts` may be left out (instant, every event, no e-mail).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Two-bedroom flats in Lyon", "filter": {"city": "Lyon", "type": "apartment", "min_bedrooms": 2, "currency": "EUR", "max_price": 320000}, "alerts": {"frequency": "instant", "events": ["new_match", "price_drop"], "email": true}}))]
pub(crate) struct SavedSearchBody {
    #[serde(default)]
    #[schema(value_type = String, required = true, max_length = 100)]
    name: Member<String>,
    /// The parameters of `GET /properties` as a JSON object (numbers may be
    /// JSON numbers); it must name a `city`, or a map area (`bbox`, or
    /// `near` with `radius_km`).
    #[serde(default)]
    #[schema(value_type = Object, required = true)]
    filter: Member<Map<String, Value>>,
    #[serde(default)]
    #[schema(value_type = Option<AlertsBody>)]
    alerts: Member<Value>,
}

/// Changes of a saved search; each member may be left out, and so may
/// each member of `alerts`.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"alerts": {"frequency": "daily", "hour": 8, "time_zone": "Europe/Paris"}}))]
pub(crate) struct SavedSearchPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 100)]
    name: Member<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    filter: Member<Map<String, Value>>,
    #[serde(default)]
    #[schema(value_type = Option<AlertsBody>)]
    alerts: Member<Value>,
}

/// A saved search's alerts, as written.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct AlertsBody {
    /// instant (default), daily (one digest a day at `hour` in `time_zone`) or off.
    #[serde(default)]
    #[schema(value_type = Option<Frequency>)]
    frequency: Member<String>,
    /// Default: every event.
    #[serde(default)]
    #[schema(value_type = Option<Vec<AlertEvent>>)]
    events: Member<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    email: Member<bool>,
    /// An IANA name; default UTC.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Europe/Paris")]
    time_zone: Member<String>,
    /// The hour of a daily digest, 0 to 23; default 8.
    #[serde(default)]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 23)]
    hour: Member<u64>,
}

/// The members of `alerts` given, applied to `settings`.
fn alerts(fields: &mut Fields, raw: Member<Value>, settings: &mut AlertSettings) {
    let raw = match raw {
        Member::Absent => return,
        Member::Value(raw @ Value::Object(_)) => raw,
        _ => return fields.reject("alerts", "must be a JSON object"),
    };
    let body: AlertsBody = match deserialize_value(raw) {
        Ok(body) => body,
        Err(errors) => {
            return errors
                .into_iter()
                .for_each(|error| fields.reject(&format!("alerts.{}", error.field), error.message));
        }
    };
    let mut nested = Fields::within("alerts.");
    let frequency = nested.optional("frequency", body.frequency, |raw| Frequency::parse(&raw));
    let events = nested.optional("events", body.events, |raw| AlertSettings::parse_events(&raw));
    let email = nested.optional("email", body.email, Ok);
    let time_zone = nested.optional("time_zone", body.time_zone, |raw| TimeZoneName::parse(&raw));
    let hour = nested.optional("hour", body.hour, AlertSettings::parse_hour);
    match nested.finish(|| Some(())) {
        Err(ApiError::Validation(errors)) => {
            errors.into_iter().for_each(|FieldError { field, message }| fields.reject(&field, message))
        }
        _ => {
            let (frequency, events, email, time_zone, hour) =
                (frequency.flatten(), events.flatten(), email.flatten(), time_zone.flatten(), hour.flatten());
            if let Some(frequency) = frequency {
                settings.frequency = frequency;
            }
            if let Some(events) = events {
                settings.events = events;
            }
            if let Some(email) = email {
                settings.email = email;
            }
            if let Some(time_zone) = time_zone {
                settings.time_zone = time_zone;
            }
            if let Some(hour) = hour {
                settings.hour = hour;
            }
        }
    }
}

/// A filter as a saved search keeps it, with what its alerts are indexed
/// under; its errors named inside `filter`.
fn filter(fields: &mut Fields, raw: Map<String, Value>) -> Option<(Map<String, Value>, crate::domain::AlertBounds)> {
    match saved_filter(&raw) {
        Ok((_, bounds)) => Some((raw, bounds)),
        Err(ApiError::Validation(errors)) => {
            errors.into_iter().for_each(|FieldError { field, message }| fields.reject(&field, message));
            None
        }
        Err(_) => {
            fields.reject("filter", "is not a search: see GET /properties");
            None
        }
    }
}

fn name(raw: String) -> Result<SearchName, Invalid> {
    SearchName::parse(&raw)
}

#[utoipa::path(
    post, path = "/users/me/saved-searches", tag = "saved-searches", operation_id = "create_saved_search",
    summary = "Save a search",
    description = "Saves a search and its alerts (docs/api.md#alerts). `filter` takes exactly the parameters of `GET /properties`, checked as the search checks them (a 422 names the member inside `filter`), and must name a city or a map area. At most 20 saved searches a user.",
    security(("bearer" = [])),
    request_body = SavedSearchBody,
    responses(
        (status = 201, description = "The saved search", body = SavedSearchView,
            headers(("Location" = String, description = "/users/me/saved-searches/{id}"))),
        (status = 409, description = "The caller has 20 saved searches already", body = crate::http::error::Problem,
            content_type = "application/problem+json"),
        BodyFailures, CallerFailures, ServerFailures,
    )
)]
pub(crate) async fn create_saved_search<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<SavedSearchBody>,
) -> ApiResult<Response> {
    let mut fields = Fields::new();
    let name = fields.required("name", body.name, name);
    let filter = fields.required("filter", body.filter, Ok).and_then(|raw| filter(&mut fields, raw));
    let mut settings = AlertSettings::default();
    alerts(&mut fields, body.alerts, &mut settings);
    let now = Timestamp::now();
    let search = fields.finish(|| {
        let (filter, bounds) = filter?;
        Some(SavedSearch {
            id: SavedSearchId::generate(),
            owner: caller,
            name: name?,
            filter,
            alerts: settings,
            bounds,
            unsubscribe_secret: UnsubscribeToken::new_secret(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    })?;
    state.app.store.create_saved_search(&search).await?;
    let location = format!("/users/me/saved-searches/{}", search.id);
    Ok(Private((StatusCode::CREATED, [(header::LOCATION, location)], Json(SavedSearchView::from(&search))))
        .into_response())
}

/// The caller's saved searches.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SavedSearchList {
    /// Oldest first; at most 20.
    items: Vec<SavedSearchView>,
}

#[utoipa::path(
    get, path = "/users/me/saved-searches", tag = "saved-searches", operation_id = "list_saved_searches",
    summary = "Your saved searches",
    description = "The caller's saved searches, oldest first.",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's saved searches", body = SavedSearchList), CallerFailures, ServerFailures)
)]
pub(crate) async fn list_saved_searches<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
) -> ApiResult<Private<Json<SavedSearchList>>> {
    let searches = state.app.store.saved_searches_of(caller).await?;
    if searches.is_empty() && !state.app.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    Ok(Private(Json(SavedSearchList { items: searches.iter().map(SavedSearchView::from).collect() })))
}

/// The caller's saved search `id`, or 404 (another's is not theirs to
/// know of); 401 if the caller's account is gone.
async fn own<S: Store>(state: &AppState<S>, caller: UserId, id: SavedSearchId) -> ApiResult<SavedSearch> {
    match state.store.get_saved_search(caller, id).await? {
        Some(search) => Ok(search),
        None if state.store.account_exists(caller).await? => Err(StoreError::SavedSearchNotFound.into()),
        None => Err(StoreError::AccountGone.into()),
    }
}

#[utoipa::path(
    get, path = "/users/me/saved-searches/{id}", tag = "saved-searches", operation_id = "show_saved_search",
    summary = "A saved search",
    description = "One of the caller's saved searches: its filter as given and its alerts.",
    security(("bearer" = [])),
    params(SavedSearchPath),
    responses((status = 200, description = "The saved search", body = SavedSearchView), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn show_saved_search<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(SavedSearchPath { id }): PathParams<SavedSearchPath>,
) -> ApiResult<Private<Json<SavedSearchView>>> {
    Ok(Private(Json(SavedSearchView::from(&own(&state.app, caller, id).await?))))
}

#[utoipa::path(
    patch, path = "/users/me/saved-searches/{id}", tag = "saved-searches", operation_id = "update_saved_search",
    summary = "Change a saved search",
    description = "Changes its name, its filter (replaced whole) or members of its alerts; `alerts.frequency: off` stops them.",
    security(("bearer" = [])),
    params(SavedSearchPath),
    request_body = SavedSearchPatch,
    responses((status = 200, description = "The saved search", body = SavedSearchView), NotFound, BodyFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn update_saved_search<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(SavedSearchPath { id }): PathParams<SavedSearchPath>,
    JsonBody(body): JsonBody<SavedSearchPatch>,
) -> ApiResult<Private<Json<SavedSearchView>>> {
    let previous = own(&state.app, caller, id).await?;
    let mut fields = Fields::new();
    let name = fields.optional("name", body.name, name);
    let filter = fields.optional("filter", body.filter, Ok).map(|raw| raw.and_then(|raw| filter(&mut fields, raw)));
    let mut settings = previous.alerts.clone();
    alerts(&mut fields, body.alerts, &mut settings);
    let search = fields.finish(|| {
        let mut search = previous.clone();
        if let Some(name) = name? {
            search.name = name;
        }
        if let Some(Some((filter, bounds))) = filter {
            search.filter = filter;
            search.bounds = bounds;
        }
        search.alerts = settings;
        search.updated_at = Timestamp::now();
        search.version += 1;
        Some(search)
    })?;
    state.app.store.replace_saved_search(&previous, &search).await?;
    Ok(Private(Json(SavedSearchView::from(&search))))
}

#[utoipa::path(
    delete, path = "/users/me/saved-searches/{id}", tag = "saved-searches", operation_id = "delete_saved_search",
    summary = "Delete a saved search",
    description = "Deletes the saved search and stops its alerts; the notifications it made stay in the inbox.",
    security(("bearer" = [])),
    params(SavedSearchPath),
    responses((status = 204, description = "Deleted"), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn delete_saved_search<S: Store>(
    State(state): State<UsersState<S>>,
    Caller(caller): Caller,
    PathParams(SavedSearchPath { id }): PathParams<SavedSearchPath>,
) -> ApiResult<StatusCode> {
    match state.app.store.delete_saved_search(caller, id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::SavedSearchNotFound) if !state.app.store.account_exists(caller).await? => {
            Err(StoreError::AccountGone.into())
        }
        Err(error) => Err(error.into()),
    }
}

#[utoipa::path(
    get, path = "/users/me/saved-searches/{id}/results", tag = "saved-searches", operation_id = "saved_search_results",
    summary = "A saved search's results",
    description = "Runs the saved search and pages it as `GET /properties` would with its filter.",
    security(("bearer" = [])),
    params(SavedSearchPath, PageQuery),
    responses((status = 200, description = "A page of listings", body = PropertyPage),
        NotFound, QueryFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn saved_search_results<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    PathParams(SavedSearchPath { id }): PathParams<SavedSearchPath>,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Private<Json<PropertyPage>>> {
    let saved = own(&state, caller, id).await?;
    // Checked when saved: a filter the rules no longer take is the
    // platform's to mend, not the caller's.
    let (search, _) = saved_filter(&saved.filter)
        .map_err(|refused| ApiError::internal(format!("a saved filter no longer reads: {refused:?}")))?;
    Ok(Private(page(&state, &media, Listing::Search(search), page_query).await?))
}
