//! The route groups, one per Lambda function that serves the API (the
//! sessions are part of the users function): each declares its routes
//! with their contract and builds its router.
//!
//! A group lists its handlers once, each with its `#[utoipa::path]`
//! contract, in a [`Group`]; from that one list come the contract
//! ([`Group::into_openapi`]: `openapi.json`, and the tests that hold the
//! infrastructure to it) and the router ([`Group::with_state`]: what every
//! entry point serves). Building the contract (operations, every schema
//! they name, then dropping them) was a quarter of the instructions a
//! Lambda function spent before its first answer, which never serves it:
//! the router is now built without it.

pub mod changes;
pub mod favourites;
pub mod listings;
pub mod notifications;
pub mod photos;
pub mod properties;
pub mod rooms;
pub mod saved_searches;
pub mod sessions;
pub mod users;
pub mod webhooks;

use crate::domain::{Property, PropertyId, Room, UserId};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::store::{Store, StoreError};
use axum::Router;
use axum::routing::MethodRouter;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// A route group's handlers, each with its contract: see the module.
pub struct Group<S> {
    entries: Vec<Entry<S>>,
}

/// Handlers that share a path, as [`routes!`] lists them: how to register
/// them with their contract (what `utoipa_axum::routes!` makes), and how to
/// register them alone (their paths, and one method router for them all).
pub struct Entry<S> {
    documented: fn() -> UtoipaMethodRouter<S>,
    routed: fn() -> (Vec<String>, MethodRouter<S>),
}

impl<S> Entry<S> {
    #[doc(hidden)]
    pub fn new(documented: fn() -> UtoipaMethodRouter<S>, routed: fn() -> (Vec<String>, MethodRouter<S>)) -> Self {
        Self { documented, routed }
    }
}

impl<S: Clone + Send + Sync + 'static> Group<S> {
    pub fn new() -> Self {
        Self { entries: Vec::new() }
    }

    /// Adds handlers (one [`routes!`]), as `OpenApiRouter::routes` does.
    pub fn routes(mut self, entry: Entry<S>) -> Self {
        self.entries.push(entry);
        self
    }

    /// Adds another group's handlers, as `OpenApiRouter::merge` does.
    pub fn merge(mut self, other: Self) -> Self {
        self.entries.extend(other.entries);
        self
    }

    /// The contract of these routes, as `utoipa_axum` builds it.
    pub fn into_openapi(self) -> utoipa::openapi::OpenApi {
        let documented =
            self.entries.into_iter().fold(OpenApiRouter::new(), |router, entry| router.routes((entry.documented)()));
        documented.into_openapi()
    }

    /// The router of these routes, given its state: the routes
    /// `OpenApiRouter` registers for them, without their contract.
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        let router = self.entries.into_iter().fold(Router::new(), |router, entry| {
            let (paths, method_router) = (entry.routed)();
            // As `OpenApiRouter::routes` mounts them.
            paths.iter().fold(router, |router, path| {
                router.route(if path.is_empty() { "/" } else { path }, method_router.clone())
            })
        });
        router.with_state(state)
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Group<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// `utoipa_axum::routes!`, deferred: handlers of one path, each annotated
/// with `#[utoipa::path]`, as an [`Entry`] of a [`Group`]. The contract is
/// built only if the group's is asked for; the router reads only each
/// handler's path and methods from its annotation.
macro_rules! routes {
    ($($handler:ident),+ $(,)?) => {
        $crate::http::routes::Entry::new(
            || utoipa_axum::routes!($($handler),+),
            || {
                let mut paths = Vec::<String>::new();
                let mut method_router = axum::routing::MethodRouter::new();
                $(
                    utoipa_axum::paste! {
                        let path = <[<__path_ $handler>] as utoipa::Path>::path();
                        for method in <[<__path_ $handler>] as utoipa::Path>::methods() {
                            method_router =
                                method_router.on(utoipa_axum::PathItemExt::to_method_filter(&method), $handler);
                        }
                        if !paths.contains(&path) {
                            paths.push(path);
                        }
                    }
                )+
                (paths, method_router)
            },
        )
    };
}

pub(crate) use routes;

/// The property and its rooms, if `caller` may see it: a draft or
/// withdrawn listing only its owner does; anyone else gets the 404 of a
/// property that does not exist.
pub(crate) async fn visible_property<S: Store>(
    state: &AppState<S>,
    id: PropertyId,
    caller: Option<UserId>,
) -> ApiResult<(Property, Vec<Room>)> {
    visible(state.store.get_property(id).await?, caller)
}

/// A property found with what goes with it (its rooms, a page of its
/// price history), if `caller` may see it (else 404).
pub(crate) fn visible<T>(found: Option<(Property, T)>, caller: Option<UserId>) -> ApiResult<(Property, T)> {
    Ok(found.filter(|(property, _)| property.visible_to(caller)).ok_or(StoreError::PropertyNotFound)?)
}
