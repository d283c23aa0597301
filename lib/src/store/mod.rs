//! The store port: what the application needs from persistence, and the two
//! adapters that provide it. Both adapters pass the same conformance suite
//! (`lib/tests/api/store_conformance.rs`), so the embedded store behaves like
//! DynamoDB: same conditions, same uniqueness, same atomicity.

pub mod alerts;
pub mod clusters;
pub mod dynamodb;
mod edit;
pub mod feed;
pub mod memory;
pub(crate) mod retry;
pub mod search;
pub mod webhooks;

use crate::domain::{
    Admission, AttemptCounter, Email, PasswordHash, Photo, PhotoChanges, PhotoId, PhotoOutcome, PriceChange,
    ProfileChanges, Property, PropertyChanges, PropertyId, Room, RoomChanges, RoomId, Session, SettleRefused,
    StatusChangeRefused, Timestamp, User, UserId,
};
use std::future::Future;

pub use alerts::{AlertStore, DueDigest, Inbox};
pub use clusters::{Cluster, ClusterQuery, ListingChange};
pub use dynamodb::DynamoStore;
pub use edit::{Edit, Versions, WriteId};
pub use feed::{FeedPage, FeedQuery, FeedStore};
pub use memory::MemoryStore;
pub use search::{Bounds, Listing, Order, Page, PageRequest, Region, Search};
pub use webhooks::WebhookStore;

/// Why a store operation did not happen. Every variant but the last two is
/// an answer about the data, decided atomically by the store itself, and
/// as precise as the store knows it: callers never re-read to tell cases
/// apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No user has this id (a read by id).
    UserNotFound,
    /// The account the operation acts for no longer exists: its owner
    /// was deleted while holding a valid token.
    AccountGone,
    /// No property has this id.
    PropertyNotFound,
    /// The property exists, but has no room with this id.
    RoomNotFound,
    /// The property belongs to someone other than the caller.
    NotOwner,
    /// The property changed since the version the caller named.
    VersionMismatch,
    /// The property already has `MAX_ROOMS` rooms.
    RoomLimitReached,
    /// The property exists, but has no photo with this id.
    PhotoNotFound,
    /// The property already has `MAX_PHOTOS` photos.
    PhotoLimitReached,
    /// The listing's status may not change that way.
    StatusChange(StatusChangeRefused),
    /// Another account already uses this email address (in any letter case).
    EmailTaken,
    /// The password changed between the caller's check and the write.
    PasswordChanged,
    /// No webhook endpoint of the caller has this id.
    WebhookNotFound,
    /// The user already has `MAX_WEBHOOKS_PER_USER` endpoints.
    WebhookLimitReached,
    /// The user already keeps `MAX_FAVOURITES_PER_USER` favourites.
    FavouriteLimitReached,
    /// No saved search of the caller has this id.
    SavedSearchNotFound,
    /// The user already has `MAX_SAVED_SEARCHES_PER_USER` saved searches.
    SavedSearchLimitReached,
    /// The creation's `Idempotency-Key` was used before, by this earlier
    /// creation (not expired); nothing was written.
    KeyUsed(Box<KeptAnswer>),
    /// The store is overloaded or unreachable; the client may retry.
    Unavailable(String),
    /// Anything else: a bug or a misconfiguration, never the client's fault.
    Internal(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UserNotFound => f.write_str("user not found"),
            Self::AccountGone => f.write_str("the acting account no longer exists"),
            Self::PropertyNotFound => f.write_str("property not found"),
            Self::RoomNotFound => f.write_str("room not found"),
            Self::NotOwner => f.write_str("caller does not own the property"),
            Self::VersionMismatch => f.write_str("property changed since the expected version"),
            Self::RoomLimitReached => f.write_str("room limit reached"),
            Self::PhotoNotFound => f.write_str("photo not found"),
            Self::PhotoLimitReached => f.write_str("photo limit reached"),
            Self::StatusChange(refused) => write!(f, "status change refused: {refused}"),
            Self::EmailTaken => f.write_str("email already registered"),
            Self::PasswordChanged => f.write_str("password changed meanwhile"),
            Self::WebhookNotFound => f.write_str("webhook not found"),
            Self::WebhookLimitReached => f.write_str("webhook limit reached"),
            Self::FavouriteLimitReached => f.write_str("favourite limit reached"),
            Self::SavedSearchNotFound => f.write_str("saved search not found"),
            Self::SavedSearchLimitReached => f.write_str("saved search limit reached"),
            Self::KeyUsed(_) => f.write_str("idempotency key used before"),
            Self::Unavailable(why) => write!(f, "store unavailable: {why}"),
            Self::Internal(why) => write!(f, "store failure: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// The answer to a creation, kept under its `Idempotency-Key` for a while
/// so that the same request sent again gets the same answer. A creation
/// that carries one writes it in the same transaction as the resource, so
/// there is never a resource without its answer or the reverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// Whose key it is: the caller (`USER#<id>`), or the email address for
    /// a registration (`EMAIL#<address>`, escaped); the account's deletion
    /// removes both scopes' answers.
    pub scope: String,
    /// The `Idempotency-Key`, unique within its scope.
    pub key: String,
    /// Of the request that used the key: the same key with another request
    /// is refused.
    pub fingerprint: String,
    /// The answer's `Location`, `ETag` (if any) and body.
    pub location: String,
    pub etag: Option<String>,
    pub body: String,
    /// When the key is free again, in Unix seconds (DynamoDB's TTL deletes
    /// the item some time after; until then, readers ignore it).
    pub expires_at: i64,
}

impl KeptAnswer {
    /// How long an answer is kept (the IETF draft suggests 24 hours).
    pub const LIFETIME_SECONDS: i64 = 24 * 60 * 60;

    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now.unix_seconds()
    }

    /// The scope of a caller's keys.
    pub fn caller_scope(caller: UserId) -> String {
        format!("USER#{caller}")
    }

    /// The scope of a registration's keys: the address, in any letter case.
    pub fn email_scope(email: &Email) -> String {
        format!("EMAIL#{}", crate::domain::escape(&email.normalized()))
    }
}

/// What sign-in needs to check a password, and nothing more.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub password_hash: PasswordHash,
    /// Bumped by every password change and by the account's deletion: a
    /// session starts only if the version its password was checked against
    /// is still current.
    pub version: u64,
}

/// Persistence of users and of the email claims that keep emails unique.
pub trait UserStore: Send + Sync {
    /// Stores a new user, or fails with `EmailTaken` without writing
    /// anything. Sent again, an applied creation succeeds again: the user's
    /// fresh id names the write. With an answer to keep, `KeyUsed` if its
    /// key is in use.
    fn create_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
        answer: Option<&KeptAnswer>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn get_user(&self, id: UserId) -> impl Future<Output = StoreResult<Option<User>>> + Send;

    /// Looks a user up by email, ignoring letter case; `None` for an
    /// account being deleted.
    fn find_credentials(&self, email: &Email) -> impl Future<Output = StoreResult<Option<Credentials>>> + Send;

    /// Whether the account exists, found without reading it (a condition
    /// check), so that functions that may not read users can ask.
    fn account_exists(&self, id: UserId) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The user's credentials; `None` if the account is gone or being deleted.
    fn get_credentials(&self, id: UserId) -> impl Future<Output = StoreResult<Option<Credentials>>> + Send;

    /// Applies the changes and returns the user as stored; `AccountGone` if gone.
    fn update_profile(
        &self,
        id: UserId,
        changes: &ProfileChanges,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<User>> + Send;

    /// Replaces the hash only if it is still `current` (else
    /// `PasswordChanged`), so that two concurrent password changes cannot
    /// both succeed, and bumps the credentials' version in the same write,
    /// so that no sign-in checked against the old password can start a
    /// session after it; `AccountGone` if the user is gone. Sent again
    /// with the same `write`, an applied change succeeds again.
    fn replace_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        new: &PasswordHash,
        now: Timestamp,
        write: WriteId,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Removes the user with everything they own (properties and rooms),
    /// their sessions and the answers kept for them, and releases their
    /// email; `AccountGone` if already gone. First it marks the account as
    /// closing and bumps its credentials' version, so that no sign-in can
    /// start a session that would outlive it; a retry after a failure
    /// half-way finishes the job.
    fn delete_user(&self, id: UserId) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Persistence of properties. Every write by a caller is conditioned on
/// the caller owning the property, inside the write itself:
/// `PropertyNotFound` or `NotOwner` say which condition failed.
pub trait PropertyStore: Send + Sync {
    /// Stores a property with its first rooms, provided its owner still
    /// exists (else `AccountGone`): a deleted user's token creates nothing.
    /// Sent again, an applied creation succeeds again (its fresh id names
    /// the write). With an answer to keep, `KeyUsed` if its key is in use.
    fn create_property(
        &self,
        property: &Property,
        rooms: &[Room],
        answer: Option<&KeptAnswer>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The property and its rooms, oldest room first.
    fn get_property(&self, id: PropertyId) -> impl Future<Output = StoreResult<Option<(Property, Vec<Room>)>>> + Send;

    /// A page of the listing, in its order (see `search`).
    fn list_properties(
        &self,
        listing: &Listing,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Property>>> + Send;

    /// The property and a page of its price history, oldest first; the
    /// position of an entry is its version, zero-padded (`history_position`).
    fn price_history(
        &self,
        id: PropertyId,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Option<(Property, Page<PriceChange>)>>> + Send;

    /// Applies the changes, bumps the version, records a price change in
    /// the price history in the same write, and returns the property;
    /// `StatusChange` (nothing written) if the status may not change so.
    fn update_property(
        &self,
        id: PropertyId,
        changes: &PropertyChanges,
        edit: Edit,
    ) -> impl Future<Output = StoreResult<Property>> + Send;

    /// Removes the property and all its rooms.
    fn delete_property(&self, id: PropertyId, edit: Edit) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Persistence of a property's rooms. Every write is one atomic change of
/// the room and of its property (derived totals, version), conditioned on
/// the caller owning the property: `PropertyNotFound`, `RoomNotFound` or
/// `NotOwner` say which condition failed.
pub trait RoomStore: Send + Sync {
    /// Adds `room` to its property, keeping the derived totals and the
    /// version in step; `RoomLimitReached` past `MAX_ROOMS`. With an answer
    /// to keep, `KeyUsed` if its key is in use.
    fn add_room(
        &self,
        room: &Room,
        edit: Edit,
        answer: Option<&KeptAnswer>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn get_room(&self, property: PropertyId, room: RoomId) -> impl Future<Output = StoreResult<Option<Room>>> + Send;

    /// Applies the changes and returns the room as stored.
    fn update_room(
        &self,
        property: PropertyId,
        room: RoomId,
        changes: &RoomChanges,
        edit: Edit,
    ) -> impl Future<Output = StoreResult<Room>> + Send;

    fn delete_room(
        &self,
        property: PropertyId,
        room: RoomId,
        edit: Edit,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Persistence of a listing's photos, kept with the property itself (in
/// its order): every change is one atomic write of the property, which
/// bumps its version. Writes by the owner are conditioned as property
/// writes are (`PropertyNotFound`, `NotOwner`, `VersionMismatch`), and
/// `PhotoNotFound` names a photo the property does not have. Photos that
/// disappear (deleted, abandoned, or with their property or account) leave
/// files behind: the DynamoDB table's stream, or the embedded store's
/// `removed_photos`, says which, and `media::forget` deletes them.
pub trait PhotoStore: Send + Sync {
    /// Adds a pending photo after the others, dropping abandoned ones
    /// first; `PhotoLimitReached` past `MAX_PHOTOS`. With an answer to
    /// keep, `KeyUsed` if its key is in use. Answers the property.
    fn add_photo(
        &self,
        property: PropertyId,
        photo: &Photo,
        edit: Edit,
        answer: Option<&KeptAnswer>,
    ) -> impl Future<Output = StoreResult<Property>> + Send;

    /// Changes a photo's caption or position; answers the property.
    fn update_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        changes: &PhotoChanges,
        edit: Edit,
    ) -> impl Future<Output = StoreResult<Property>> + Send;

    /// Removes a photo; answers the property.
    fn delete_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        edit: Edit,
    ) -> impl Future<Output = StoreResult<Property>> + Send;

    /// Records what processing made of an upload, if the photo is still
    /// pending (not the owner's write: the media processing's). Sent
    /// twice, the second is `NotPending` and writes nothing.
    fn settle_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        outcome: &PhotoOutcome,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Result<Property, SettleRefused>>> + Send;
}

/// Sessions (refresh-token families) and attempt counters: what the users
/// function needs besides accounts.
pub trait SessionStore: Send + Sync {
    /// Stores a new family, provided its user's credentials are still at
    /// `credentials_version` (the version the password was checked
    /// against): `PasswordChanged` if they changed meanwhile,
    /// `AccountGone` if the account is gone or closing. When the user
    /// holds `MAX_SESSIONS_PER_USER` families, the oldest end in the same
    /// write.
    fn start_session(
        &self,
        session: &Session,
        credentials_version: u64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The family, read consistently (expired ones included: callers
    /// check `Session::expired`).
    fn get_session(
        &self,
        user: UserId,
        family: uuid::Uuid,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;

    /// Replaces `before` with `after` if the family's live token is still
    /// `before`'s: `false` if another rotation came first or the family
    /// ended. Sent again after its answer was lost, an applied replacement
    /// is `true` again.
    fn replace_session(&self, before: &Session, after: &Session) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Ends one family (nothing to end is fine).
    fn end_session(&self, user: UserId, family: uuid::Uuid) -> impl Future<Output = StoreResult<()>> + Send;

    /// Ends every family of `user`; `AccountGone` if the user is gone.
    fn end_all_sessions(&self, user: UserId) -> impl Future<Output = StoreResult<()>> + Send;

    /// Counts one attempt in each counter's window at `now`, all or none:
    /// `Refused` (nothing counted) when any is full.
    fn count_attempt(
        &self,
        counters: &[AttemptCounter],
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Admission>> + Send;

    /// After a success, for an attempt counted at `counted_at`: clears the
    /// first counter's window and takes the attempt back from the second's.
    fn settle_attempt(
        &self,
        counters: &[AttemptCounter; 2],
        counted_at: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Map clusters (see `clusters`): counts that are exact once the table's
/// stream is applied.
pub trait ClusterStore: Send + Sync {
    /// The non-empty cells of the query, ordered by geohash.
    fn clusters(&self, query: &ClusterQuery) -> impl Future<Output = StoreResult<Vec<Cluster>>> + Send;

    /// Applies one listing's change, as the table's stream delivers it
    /// (at least once, in order per listing): applied twice, or after a
    /// later change, it counts nothing. The embedded store counts when
    /// asked, and has nothing to apply.
    fn count_change(&self, change: &ListingChange) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Everything the routers need from a store. Handlers are generic over it,
/// so each adapter is compiled in only where it is used.
pub trait Store:
    UserStore
    + SessionStore
    + PropertyStore
    + RoomStore
    + PhotoStore
    + ClusterStore
    + FeedStore
    + WebhookStore
    + AlertStore
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<
    T: UserStore
        + SessionStore
        + PropertyStore
        + RoomStore
        + PhotoStore
        + ClusterStore
        + FeedStore
        + WebhookStore
        + AlertStore
        + Clone
        + Send
        + Sync
        + 'static,
> Store for T
{
}
