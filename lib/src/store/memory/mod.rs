//! The embedded store: everything in one map behind one lock. Every
//! operation checks its conditions and applies its writes under the same
//! lock acquisition, which gives it DynamoDB's transactional semantics.

mod alerts;
mod feed;
mod photos;
mod properties;
mod rooms;
mod sessions;
mod users;
mod webhooks;

use crate::domain::{
    Change, DeliveryAttempt, DigestMatch, Favourite, FeedEvent, Notification, NotificationId, PasswordHash,
    PendingDelivery, PhotoId, PriceChange, Property, PropertyId, Room, RoomId, SavedSearch, SavedSearchId, Session,
    Timestamp, User, UserId, Webhook, WebhookId,
};
use crate::store::{Credentials, Edit, KeptAnswer, StoreError, StoreResult, WriteId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// Woken when photos disappear (see `removed_photos`).
    removals: Arc<tokio::sync::Notify>,
}

#[derive(Default)]
struct State {
    users: HashMap<UserId, StoredUser>,
    /// Normalized email → owner: the in-memory twin of the email-claim item.
    email_claims: HashMap<String, UserId>,
    /// Ordered by id, which is ordered by creation time.
    properties: BTreeMap<PropertyId, StoredProperty>,
    /// Answers kept under their `Idempotency-Key`, by scope and key.
    kept_answers: HashMap<(String, String), KeptAnswer>,
    /// Refresh-token families, by user and family id.
    sessions: HashMap<(UserId, uuid::Uuid), Session>,
    /// Attempt counts, by counter scope and window start.
    attempts: HashMap<(String, i64), Attempts>,
    /// Photos gone since `removed_photos` last answered, whose files are
    /// still to delete: the embedded twin of the table's stream.
    removed_photos: Vec<(PropertyId, PhotoId)>,
    /// The change feed, oldest first (see `feed`).
    feed: std::collections::VecDeque<FeedEvent>,
    /// Webhook endpoints, the deliveries waiting for them (one per
    /// listing) and their log (see `webhooks`).
    webhooks: BTreeMap<WebhookId, Webhook>,
    pending: BTreeMap<(WebhookId, PropertyId), PendingDelivery>,
    delivery_log: BTreeMap<(WebhookId, uuid::Uuid), DeliveryAttempt>,
    /// Favourites, saved searches and inboxes (see `alerts`): the alerts
    /// already notified, by owner and `Notification::dedup_key`, and how
    /// far each owner has read.
    favourites: BTreeMap<(UserId, PropertyId), Favourite>,
    saved_searches: BTreeMap<SavedSearchId, SavedSearch>,
    inbox: BTreeMap<(UserId, NotificationId), Notification>,
    notified: std::collections::HashSet<(UserId, String)>,
    read_marks: HashMap<UserId, NotificationId>,
    /// The matches held for daily digests, by search and match, and when
    /// each search's digest is due.
    held: BTreeMap<(SavedSearchId, String), DigestMatch>,
    due: BTreeMap<(Timestamp, SavedSearchId), UserId>,
}

impl State {
    /// Fails with `KeyUsed` when `answer`'s key already holds an answer
    /// that has not expired: checked before anything is written.
    fn check_key(&self, answer: Option<&KeptAnswer>) -> StoreResult<()> {
        let earlier = answer.and_then(|answer| self.kept_answers.get(&(answer.scope.clone(), answer.key.clone())));
        match earlier {
            Some(earlier) if !earlier.expired(Timestamp::now()) => Err(StoreError::KeyUsed(Box::new(earlier.clone()))),
            _ => Ok(()),
        }
    }

    /// Records that these photos of `property` are gone.
    fn photos_removed(&mut self, property: PropertyId, photos: impl IntoIterator<Item = PhotoId>) {
        self.removed_photos.extend(photos.into_iter().map(|photo| (property, photo)));
    }

    /// Removes a property, recording its photos as gone and, if it was
    /// public, its tombstone in the feed.
    fn remove_property(&mut self, id: PropertyId, now: Timestamp) {
        if let Some(stored) = self.properties.remove(&id) {
            self.photos_removed(id, stored.photo_ids());
            self.record_change(Change::between(Some(&stored.property), None, false, now));
        }
    }

    /// Keeps `answer`, once the write it answers is done; expired answers
    /// go at the same time (DynamoDB's TTL does the same, lazily).
    fn keep(&mut self, answer: Option<&KeptAnswer>) {
        let Some(answer) = answer else { return };
        let now = Timestamp::now();
        self.kept_answers.retain(|_, kept| !kept.expired(now));
        self.kept_answers.insert((answer.scope.clone(), answer.key.clone()), answer.clone());
    }
}

struct StoredUser {
    user: User,
    password_hash: PasswordHash,
    credentials_version: u64,
    /// The last write that changed the password (see `WriteId`).
    last_write: Option<WriteId>,
}

impl StoredUser {
    fn credentials(&self) -> Credentials {
        Credentials {
            user_id: self.user.id,
            password_hash: self.password_hash.clone(),
            version: self.credentials_version,
        }
    }
}

/// One window of an attempt counter: its count, and when it ends.
struct Attempts {
    count: u32,
    ends_at: i64,
}

#[derive(Clone)]
struct StoredProperty {
    property: Property,
    rooms: BTreeMap<RoomId, Room>,
    /// Every change of price, oldest first.
    price_history: Vec<PriceChange>,
    /// The last write that changed the property or a room (see `WriteId`).
    last_write: Option<WriteId>,
}

impl StoredProperty {
    /// Whether `edit` is a write already applied here, sent again.
    fn applied(&self, edit: &Edit) -> bool {
        self.last_write == Some(edit.write)
    }

    /// The ids of the listing's photos, in their order.
    fn photo_ids(&self) -> impl Iterator<Item = PhotoId> + '_ {
        self.property.photos.as_slice().iter().map(|photo| photo.id)
    }

    /// After a change of the rooms: the derived fields follow them, and
    /// the property gets a new version.
    fn rooms_changed(&mut self, now: Timestamp) {
        self.property.count_rooms(self.rooms.values().map(Room::tally));
        self.property.touch(now);
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The photos gone since the last call (deleted, abandoned, or with
    /// their property or account), as soon as there are some: the local
    /// server deletes their files, as the media function does on AWS from
    /// the table's stream.
    pub async fn removed_photos(&self) -> Vec<(PropertyId, PhotoId)> {
        loop {
            let removed = std::mem::take(&mut self.lock().removed_photos);
            if !removed.is_empty() {
                return removed;
            }
            self.removals.notified().await;
        }
    }

    /// Wakes `removed_photos` (call after a write that may remove photos).
    fn removals_happened(&self) {
        self.removals.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write
        // (each operation validates before it mutates), so keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
