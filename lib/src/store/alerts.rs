//! Favourites, saved searches, their alerts' index and the inbox of
//! notifications (docs/data-model.md#alerts). A saved search with alerts
//! on is indexed under what bounds it (`AlertBounds`: its city key, or the
//! map cells its area meets), so that a change is matched by reading the
//! candidates of its city and its cell, never by running every search.

use super::{Page, PageRequest, StoreResult};
use crate::domain::{
    DigestMatch, Favourite, Notification, NotificationId, Property, PropertyId, SavedSearch, SavedSearchId, Timestamp,
    UserId,
};
use std::future::Future;

/// A page of an inbox, with what its owner has read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    pub page: Page<Notification>,
    /// Every notification up to this one (in the inbox's order) is read.
    pub read_up_to: Option<NotificationId>,
    /// How many of the inbox's notifications are past `read_up_to`.
    pub unread: u64,
}

/// A daily digest with matches held for it, due at `due`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDigest {
    pub owner: UserId,
    pub search: SavedSearchId,
    pub due: Timestamp,
}

/// The most matches one digest closes: what fits in one transaction with
/// its notification and its due mark. More wait for the next.
pub const MAX_DIGEST_MATCHES: usize = 97;

pub trait AlertStore: Send + Sync {
    /// Keeps `favourite`: `true` if it is new, `false` if its owner kept
    /// the listing already (nothing is written then). `AccountGone` if the
    /// owner is gone, `FavouriteLimitReached` at `MAX_FAVOURITES_PER_USER`.
    fn save_favourite(&self, favourite: &Favourite) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Forgets the favourite, if there is one: whether there was.
    fn remove_favourite(&self, owner: UserId, property: PropertyId) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Every favourite of `owner` (at most `MAX_FAVOURITES_PER_USER`: one
    /// read), newest saved first.
    fn favourites_of(&self, owner: UserId) -> impl Future<Output = StoreResult<Vec<Favourite>>> + Send;

    /// The users who keep `property` as a favourite.
    fn favourited_by(&self, property: PropertyId) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;

    /// The properties of `ids` that exist, whatever their status, in one
    /// batch read (at most 100 ids).
    fn properties(&self, ids: &[PropertyId]) -> impl Future<Output = StoreResult<Vec<Property>>> + Send;

    /// Stores a new saved search and, with alerts on, its index entries.
    /// `AccountGone` if its owner is gone, `SavedSearchLimitReached` at
    /// `MAX_SAVED_SEARCHES_PER_USER`; nothing is written on a refusal.
    fn create_saved_search(&self, search: &SavedSearch) -> impl Future<Output = StoreResult<()>> + Send;

    /// The saved searches of `owner`, oldest first.
    fn saved_searches_of(&self, owner: UserId) -> impl Future<Output = StoreResult<Vec<SavedSearch>>> + Send;

    /// The saved search `id` of `owner`; `None` if it is another's or absent.
    fn get_saved_search(
        &self,
        owner: UserId,
        id: SavedSearchId,
    ) -> impl Future<Output = StoreResult<Option<SavedSearch>>> + Send;

    /// Replaces `previous` (as read) with `search`, index entries included,
    /// if it is still at `previous.version` (else `VersionMismatch`;
    /// `SavedSearchNotFound` if it is gone).
    fn replace_saved_search(
        &self,
        previous: &SavedSearch,
        search: &SavedSearch,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Removes the saved search and its index entries;
    /// `SavedSearchNotFound` if `owner` has no such search.
    fn delete_saved_search(&self, owner: UserId, id: SavedSearchId) -> impl Future<Output = StoreResult<()>> + Send;

    /// The saved searches with alerts on indexed under the city key `city`
    /// or the map cell `cell`: one Query each.
    fn alert_candidates(
        &self,
        city: &str,
        cell: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<SavedSearch>>> + Send;

    /// Adds `notification` to its owner's inbox, unless an alert with the
    /// same `dedup_key` was added before (then `false`, nothing written):
    /// the same event of the same listing version is notified once,
    /// however often its change comes.
    fn notify(&self, notification: &Notification) -> impl Future<Output = StoreResult<bool>> + Send;

    /// A page of `owner`'s inbox, newest first; positions are the
    /// notifications' ids.
    fn inbox(&self, owner: UserId, page: PageRequest) -> impl Future<Output = StoreResult<Inbox>> + Send;

    /// Marks every notification of `owner` up to `up_to` read; never moves
    /// the mark back.
    fn mark_read(&self, owner: UserId, up_to: NotificationId) -> impl Future<Output = StoreResult<()>> + Send;

    /// Holds `found` for the daily digest of `search`, due at `due`, unless
    /// its owner was told of it already, by an alert or a digest (then
    /// `false`, nothing written): the marker of `notify` is its guard.
    fn hold_for_digest(
        &self,
        search: &SavedSearch,
        found: &DigestMatch,
        due: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The digests due by `now`, earliest first, at most `limit`.
    fn due_digests(&self, now: Timestamp, limit: usize) -> impl Future<Output = StoreResult<Vec<DueDigest>>> + Send;

    /// The matches held for the digest, oldest first.
    fn held_matches(&self, digest: &DueDigest) -> impl Future<Output = StoreResult<Vec<DigestMatch>>> + Send;

    /// Ends the digest's wait for `matches` (at most `MAX_DIGEST_MATCHES`
    /// of those held), adding `notification` (none: the search is gone or
    /// off) in the same write; the digest stays due if matches are left.
    fn close_digest(
        &self,
        digest: &DueDigest,
        matches: &[DigestMatch],
        notification: Option<&Notification>,
        all: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}
