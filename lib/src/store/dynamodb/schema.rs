//! The table's key schema: the one place that names key attributes and
//! indexes, and that spells key values (the `keys` section below). The rest
//! of the adapter builds every key, index partition and key condition from
//! here. `template.yaml` and `terraform/` declare exactly these attributes
//! and indexes (a test checks it), and the tests and `local --create-table`
//! create tables with them.

use super::{Item, StoreError, string};
use crate::domain::geo::Cell;
use crate::domain::{
    City, Email, Frequency, NotificationId, Property, PropertyId, SavedSearch, SavedSearchId, Transaction, UserId,
    WebhookId,
};
use crate::store::clusters::Placement;
use crate::store::search::{Listing, MAP_CELL_PRECISION, Order, Region, Search, position};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// The sort key of the newest-first indexes: the property id, time-ordered.
pub const GSI_SORT_KEY: &str = "gsisk";
/// The table's TTL attribute (Unix seconds): DynamoDB deletes an item some
/// time after it. Kept answers, sessions, attempt windows, the cluster
/// record of a deleted listing, notifications and their markers carry it.
pub const TIME_TO_LIVE: &str = "expires_at";

/// The global secondary indexes. Only the owner index lists every
/// property; the others are sparse: a property is in them only while it
/// is public (`property_index_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Public listings of a city, newest first.
    City,
    /// Every listing of an owner, newest first.
    Owner,
    /// Public listings everywhere, newest first, in `SHARDS` partitions.
    Feed,
    /// Public listings of a type, newest first, in `SHARDS` partitions.
    Type,
    /// Public listings of a city with a price in one currency, by price.
    CityPrice,
    /// Public listings of a city, by total area (the city index's partitions).
    CityArea,
    /// Located public listings of a map cell, newest first.
    Geo,
    /// Located public listings of a map cell with a price in one currency, by price.
    GeoPrice,
    /// Located public listings of a map cell (the geo index's partitions),
    /// by their own fine cell: read by ranges of cells, nearest first.
    GeoCell,
}

impl Index {
    pub const ALL: [Index; 9] = [
        Index::City,
        Index::Owner,
        Index::Feed,
        Index::Type,
        Index::CityPrice,
        Index::CityArea,
        Index::Geo,
        Index::GeoPrice,
        Index::GeoCell,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Index::City => "city-index",
            Index::Owner => "owner-index",
            Index::Feed => "feed-index",
            Index::Type => "type-index",
            Index::CityPrice => "city-price-index",
            Index::CityArea => "city-area-index",
            Index::Geo => "geo-index",
            Index::GeoPrice => "geo-price-index",
            Index::GeoCell => "geo-cell-index",
        }
    }

    pub fn partition_key(self) -> &'static str {
        match self {
            Index::City | Index::CityArea => "gsi1pk",
            Index::Owner => "gsi2pk",
            Index::Feed => "gsi3pk",
            Index::Type => "gsi4pk",
            Index::CityPrice => "gsi5pk",
            Index::Geo | Index::GeoCell => "gsi7pk",
            Index::GeoPrice => "gsi8pk",
        }
    }

    pub fn sort_key(self) -> &'static str {
        match self {
            Index::City | Index::Owner | Index::Feed | Index::Type | Index::Geo => GSI_SORT_KEY,
            Index::CityPrice | Index::GeoPrice => "gsi5sk",
            Index::CityArea => "gsi6sk",
            Index::GeoCell => "gsi9sk",
        }
    }

    /// The value of the index's sort key in `item` (an item read through
    /// the index, or a Query's last evaluated key).
    pub(super) fn sort_key_of(self, item: &Item) -> Option<String> {
        item.get(self.sort_key()).and_then(|value| value.as_s().ok()).cloned()
    }
}

/// Creates the table (on-demand, with its TTL attribute and its stream, as in production)
/// and waits until it is usable.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete key")
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete attribute")
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        // As in production: the media function reads it (clusters, photo files).
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("complete stream specification"),
        )
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .key_schema(key(SORT_KEY, KeyType::Range))
        .attribute_definitions(attribute(PARTITION_KEY))
        .attribute_definitions(attribute(SORT_KEY));
    let index_keys: std::collections::BTreeSet<&str> =
        Index::ALL.iter().flat_map(|index| [index.partition_key(), index.sort_key()]).collect();
    for name in index_keys {
        request = request.attribute_definitions(attribute(name));
    }
    for index in Index::ALL {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .key_schema(key(index.partition_key(), KeyType::Hash))
                .key_schema(key(index.sort_key(), KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("complete index"),
        );
    }
    request.send().await.map_err(super::sdk_error)?;
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(std::time::Duration::from_secs(60))
        .await
        .map_err(|e| StoreError::Unavailable(format!("waiting for table {table}: {e}")))?;
    let ttl = TimeToLiveSpecification::builder().attribute_name(TIME_TO_LIVE).enabled(true).build();
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl.expect("complete TTL specification"))
        .send()
        .await
        .map_err(super::sdk_error)?;
    Ok(())
}

// ---------------------------------------------------------------------- keys
//
// Every key value, as docs/data-model.md#items-and-indexes lists them:
//
// | Item        | partition key            | sort key         |
// | ----------- | ------------------------ | ---------------- |
// | User        | `USER#<user id>`         | `PROFILE`        |
// | Email claim | `EMAIL#<lower-cased>`    | `EMAIL`          |
// | Property    | `PROPERTY#<id>`          | `PROPERTY`       |
// | Room        | `PROPERTY#<property id>` | `ROOM#<room id>` |
// | Kept answer | `KEPT#<scope>`           | `ANSWER#<key>`   |
// | Session     | `USER#<user id>`         | `SESSION#<family>` |
// | Attempts    | `ATTEMPTS#<scope>`       | `WINDOW#<start>` |
// | Price change| `PROPERTY#<property id>` | `PRICE#<version, 20 digits>` |
// | Cluster counter | `CLUSTERS#<precision>#<shard, or cell 2 coarser>` | `<cell>#<transaction>#<status>#<type>` |
// | Clustered   | `CLUSTERED#<property id>` | `CLUSTERED`     |
// | Change      | `CHANGES#<shard, 2 digits>` | `<seq, 20 digits>` |
// | Held digest match | `DIGEST#<search id>` | `<property id>#<event>#<version>` |
// | Due digest  | `DIGESTS#DUE`            | `<due, 12 digits>#<search id>` |
// | Webhook     | `HOOKS#USER#<owner id>`  | `WEBHOOK#<webhook id>` |
// | Webhook count | `HOOKS#USER#<owner id>` | `COUNT`        |
// | Subscription | `HOOKS#CITY#<city key>`, or `HOOKS#ALL` | `<webhook id>` |
// | Waiting delivery | `WEBHOOK#<webhook id>` | `PENDING#<property id>` |
// | Delivery attempt | `WEBHOOK#<webhook id>` | `ATTEMPT#<attempt id>` |
// | Favourite   | `FAVOURITES#<owner id>`  | `PROPERTY#<property id>` |
// | Favourite count | `FAVOURITES#<owner id>` | `COUNT`       |
// | Favoured by | `FAVOURED#<property id>` | `<owner id>`     |
// | Saved search | `SEARCHES#<owner id>`   | `SEARCH#<search id>` |
// | Saved search count | `SEARCHES#<owner id>` | `COUNT`     |
// | Alert index entry | `ALERTS#CITY#<city key>`, or `ALERTS#CELL#<cell>` | `<search id>` |
// | Notification | `INBOX#<owner id>`      | `NOTE#<notification id>` |
// | Read mark   | `INBOX#<owner id>`       | `READ`           |
// | Notified    | `NOTIFIED#<owner id>`    | `<Notification::dedup_key>` |
//
// The `HOOKS#` and `WEBHOOK#` prefixes are fixed: IAM conditions name them,
// and so are those of the alerts' items (`FAVOURITES#`, `FAVOURED#`,
// `SEARCHES#`, `ALERTS#`, `INBOX#`, `NOTIFIED#`).
//
// Scopes escape `#` in what they embed (`domain::escape`): an email
// address may hold one.
//
// A property item is in the owner index (`OWNER#<owner id>`, by id) and,
// while public, in the others: `CITY#<city key>#<transaction>#<group>`
// (by id, and by area), the same with `#<currency>` (by price), and
// `FEED#<transaction>#<group>#<shard>` and `TYPE#<type>#<transaction>#
// <group>#<shard>` (by id). The group is `LISTED` (active, under offer) or
// `CLOSED` (sold, let). A public listing with a location is also in its
// map cell's partitions (`MAP_CELL_PRECISION`): `GEO#<cell>#<transaction>#
// <group>` (by id, and by its 12-character geohash then id), and the same
// with `#<currency>` (by price).

const USER_SORT: &str = "PROFILE";
const EMAIL_SORT: &str = "EMAIL";
const PROPERTY_SORT: &str = "PROPERTY";
const PRICE_CHANGE_SORT_PREFIX: &str = "PRICE#";
const KEPT_ANSWER_SORT_PREFIX: &str = "ANSWER#";
const SESSION_SORT_PREFIX: &str = "SESSION#";
const WEBHOOK_SORT_PREFIX: &str = "WEBHOOK#";
const WEBHOOK_COUNT_SORT: &str = "COUNT";
const PENDING_SORT_PREFIX: &str = "PENDING#";
const ATTEMPT_SORT_PREFIX: &str = "ATTEMPT#";
const FAVOURITE_SORT_PREFIX: &str = "PROPERTY#";
const SAVED_SEARCH_SORT_PREFIX: &str = "SEARCH#";
/// The sort key of the count beside a user's favourites, or saved searches.
const ALERTS_COUNT_SORT: &str = "COUNT";
const NOTIFICATION_SORT_PREFIX: &str = "NOTE#";
const READ_MARK_SORT: &str = "READ";
/// The partitions of the change feed (`CHANGES#<shard>`).
pub const CHANGES_PREFIX: &str = "CHANGES#";

fn key(partition: String, sort: String) -> Item {
    Item::from([(PARTITION_KEY.to_owned(), string(partition)), (SORT_KEY.to_owned(), string(sort))])
}

/// The key of a stored item: its `pk` and `sk`.
pub(super) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == PARTITION_KEY || *name == SORT_KEY)
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// The key of a user item.
pub(super) fn user_key(id: UserId) -> Item {
    key(user_partition(id), USER_SORT.into())
}

/// The key of the item that claims an email address: one per address in
/// any letter case.
pub(super) fn email_claim_key(email: &Email) -> Item {
    key(format!("EMAIL#{}", email.normalized()), EMAIL_SORT.into())
}

/// The partition of a user's items: the user and their sessions.
pub(super) fn user_partition(id: UserId) -> String {
    format!("USER#{id}")
}

/// The key of a session (a refresh-token family), in its user's partition.
pub(super) fn session_key(user: UserId, family: uuid::Uuid) -> Item {
    key(user_partition(user), format!("{SESSION_SORT_PREFIX}{family}"))
}

/// What the sort key of every session item starts with.
pub(super) const fn session_sort_prefix() -> &'static str {
    SESSION_SORT_PREFIX
}

/// The key of an attempt counter's window starting at `window`.
pub(super) fn attempts_key(scope: &str, window: i64) -> Item {
    key(format!("ATTEMPTS#{scope}"), format!("WINDOW#{window}"))
}

/// The partition of the answers kept in `scope` (`KeptAnswer::scope`).
pub(super) fn kept_answers_partition(scope: &str) -> String {
    format!("KEPT#{scope}")
}

/// The key of the answer kept under an `Idempotency-Key` in its scope.
pub(super) fn kept_answer_key(scope: &str, idempotency_key: &str) -> Item {
    key(kept_answers_partition(scope), format!("{KEPT_ANSWER_SORT_PREFIX}{idempotency_key}"))
}

/// The partition of a property's item collection: the property and its rooms.
pub(super) fn property_partition(id: PropertyId) -> String {
    format!("PROPERTY#{id}")
}

/// The key of a property item.
pub(super) fn property_key(id: PropertyId) -> Item {
    key(property_partition(id), PROPERTY_SORT.into())
}

/// The key of a room item, in its property's collection. The room is any
/// spelling of its id: a `RoomId`, or a key of the property's `room_areas`.
pub(super) fn room_key(property: PropertyId, room: impl std::fmt::Display) -> Item {
    key(property_partition(property), format!("ROOM#{room}"))
}

/// Whether an item of a property's collection is the property itself
/// (the others are its rooms).
pub(super) fn is_property_item(item: &Item) -> bool {
    item.get(SORT_KEY).and_then(|sort| sort.as_s().ok()).is_some_and(|sort| sort == PROPERTY_SORT)
}

/// Whether an item of a property's collection is an entry of its price history.
pub(super) fn is_price_change_item(item: &Item) -> bool {
    item.get(SORT_KEY).and_then(|sort| sort.as_s().ok()).is_some_and(|sort| sort.starts_with(PRICE_CHANGE_SORT_PREFIX))
}

/// The key of a price history entry, in its property's collection.
pub(super) fn price_change_key(property: PropertyId, version: u64) -> Item {
    key(property_partition(property), price_change_sort(&crate::store::search::history_position(version)))
}

/// The sort key of the price history entry at `position` (a zero-padded version).
pub(super) fn price_change_sort(position: &str) -> String {
    format!("{PRICE_CHANGE_SORT_PREFIX}{position}")
}

/// The sort keys of a collection's items that are not its price history
/// (which sorts before them: `PRICE#` < `PROPERTY` < `ROOM#`).
pub(super) const fn property_and_rooms_start() -> &'static str {
    PROPERTY_SORT
}

/// The cluster counters of precisions up to this one cover countries or
/// continents: each is spread over `CLUSTER_SHARDS` items, so that no
/// counter takes every write of a country.
pub const SHARDED_CLUSTER_PRECISION: u8 = 2;
/// How many items a sharded cluster counter is spread over.
pub const CLUSTER_SHARDS: u8 = 16;

/// The partition of a user's webhook endpoints and of their count.
pub(super) fn webhooks_partition(owner: UserId) -> String {
    format!("HOOKS#USER#{owner}")
}

/// The key of a webhook endpoint, in its owner's partition.
pub(super) fn webhook_key(owner: UserId, id: WebhookId) -> Item {
    key(webhooks_partition(owner), format!("{WEBHOOK_SORT_PREFIX}{id}"))
}

/// What the sort key of every endpoint item starts with (the count's does not).
pub(super) const fn webhook_sort_prefix() -> &'static str {
    WEBHOOK_SORT_PREFIX
}

/// The key of the count of a user's endpoints, beside them.
pub(super) fn webhook_count_key(owner: UserId) -> Item {
    key(webhooks_partition(owner), WEBHOOK_COUNT_SORT.into())
}

/// Whether an item of a user's webhook partition is the count (the others
/// are endpoints).
pub(super) fn is_webhook_count_item(item: &Item) -> bool {
    item.get(SORT_KEY).and_then(|sort| sort.as_s().ok()).is_some_and(|sort| sort == WEBHOOK_COUNT_SORT)
}

/// The partition of the subscriptions to the changes of `city`'s listings
/// (by its key), or, with `None`, to those of every city.
pub(super) fn subscriptions_partition(city: Option<&City>) -> String {
    match city {
        Some(city) => format!("HOOKS#CITY#{}", city.key()),
        None => "HOOKS#ALL".into(),
    }
}

/// The key of an endpoint's subscription, in its city's partition.
pub(super) fn subscription_key(city: Option<&City>, webhook: WebhookId) -> Item {
    key(subscriptions_partition(city), webhook.to_string())
}

/// The partition of what an endpoint has to deliver and has attempted.
pub(super) fn deliveries_partition(webhook: WebhookId) -> String {
    format!("WEBHOOK#{webhook}")
}

/// The key of the delivery waiting at `webhook` for a change of `property`.
pub(super) fn pending_key(webhook: WebhookId, property: PropertyId) -> Item {
    key(deliveries_partition(webhook), format!("{PENDING_SORT_PREFIX}{property}"))
}

/// What the sort key of every waiting delivery starts with.
pub(super) const fn pending_sort_prefix() -> &'static str {
    PENDING_SORT_PREFIX
}

/// The key of an attempt of the endpoint's log.
pub(super) fn attempt_key(webhook: WebhookId, attempt: uuid::Uuid) -> Item {
    key(deliveries_partition(webhook), attempt_sort(&attempt.to_string()))
}

/// The sort key of the attempt at `position` (its id) in the log.
pub(super) fn attempt_sort(position: &str) -> String {
    format!("{ATTEMPT_SORT_PREFIX}{position}")
}

/// What the sort key of every attempt starts with.
pub(super) const fn attempt_sort_prefix() -> &'static str {
    ATTEMPT_SORT_PREFIX
}

/// The partition of a user's favourites and of their count.
pub(super) fn favourites_partition(owner: UserId) -> String {
    format!("FAVOURITES#{owner}")
}

/// The key of the favourite `property` of `owner`.
pub(super) fn favourite_key(owner: UserId, property: PropertyId) -> Item {
    key(favourites_partition(owner), format!("{FAVOURITE_SORT_PREFIX}{property}"))
}

/// What the sort key of every favourite starts with (the count's does not).
pub(super) const fn favourite_sort_prefix() -> &'static str {
    FAVOURITE_SORT_PREFIX
}

/// The key of the count of a user's favourites, beside them.
pub(super) fn favourite_count_key(owner: UserId) -> Item {
    key(favourites_partition(owner), ALERTS_COUNT_SORT.into())
}

/// Whether an item of a user's favourites or saved searches is their count.
pub(super) fn is_alerts_count_item(item: &Item) -> bool {
    item.get(SORT_KEY).and_then(|sort| sort.as_s().ok()).is_some_and(|sort| sort == ALERTS_COUNT_SORT)
}

/// The partition of the users who keep `property` as a favourite.
pub(super) fn favoured_partition(property: PropertyId) -> String {
    format!("FAVOURED#{property}")
}

/// The key of the entry saying that `owner` keeps `property`.
pub(super) fn favoured_key(property: PropertyId, owner: UserId) -> Item {
    key(favoured_partition(property), owner.to_string())
}

/// The partition of a user's saved searches and of their count.
pub(super) fn saved_searches_partition(owner: UserId) -> String {
    format!("SEARCHES#{owner}")
}

/// The key of the saved search `id` of `owner`.
pub(super) fn saved_search_key(owner: UserId, id: SavedSearchId) -> Item {
    key(saved_searches_partition(owner), format!("{SAVED_SEARCH_SORT_PREFIX}{id}"))
}

/// What the sort key of every saved search starts with (the count's does not).
pub(super) const fn saved_search_sort_prefix() -> &'static str {
    SAVED_SEARCH_SORT_PREFIX
}

/// The key of the count of a user's saved searches, beside them.
pub(super) fn saved_search_count_key(owner: UserId) -> Item {
    key(saved_searches_partition(owner), ALERTS_COUNT_SORT.into())
}

/// The alerts' index partition of the searches bounded by the city `city_key`.
pub(super) fn alert_city_partition(city_key: &str) -> String {
    format!("ALERTS#CITY#{city_key}")
}

/// The alerts' index partition of the searches whose area meets the map cell `cell`.
pub(super) fn alert_cell_partition(cell: &str) -> String {
    format!("ALERTS#CELL#{cell}")
}

/// The partitions where `search` has an entry of the alerts' index: its
/// city's and each of its cells', each once; none with its alerts off,
/// so that a change never reads a search that notifies nothing.
pub(super) fn alert_partitions(search: &SavedSearch) -> Vec<String> {
    if search.alerts.frequency == Frequency::Off {
        return Vec::new();
    }
    let cells: std::collections::BTreeSet<&String> = search.bounds.cells.iter().collect();
    let city = search.bounds.city.as_deref().map(alert_city_partition);
    city.into_iter().chain(cells.into_iter().map(|cell| alert_cell_partition(cell))).collect()
}

/// The key of the entry of `search` in the alerts' index `partition`.
pub(super) fn alert_entry_key(partition: String, search: SavedSearchId) -> Item {
    key(partition, search.to_string())
}

/// The partition of a user's inbox: the notifications and the read mark.
pub(super) fn inbox_partition(owner: UserId) -> String {
    format!("INBOX#{owner}")
}

/// The sort key of the notification at `position` (its id) in the inbox.
pub(super) fn notification_sort(position: &str) -> String {
    format!("{NOTIFICATION_SORT_PREFIX}{position}")
}

/// The key of a notification, in its owner's inbox.
pub(super) fn notification_key(owner: UserId, id: NotificationId) -> Item {
    key(inbox_partition(owner), notification_sort(&id.to_string()))
}

/// The key of how far a user has read their inbox, beside it.
pub(super) fn read_mark_key(owner: UserId) -> Item {
    key(inbox_partition(owner), READ_MARK_SORT.into())
}

/// The partition of the alerts already notified to a user.
pub(super) fn notified_partition(owner: UserId) -> String {
    format!("NOTIFIED#{owner}")
}

/// The key of the marker of the alert `dedup_key` (`Notification::dedup_key`).
pub(super) fn notified_key(owner: UserId, dedup_key: &str) -> Item {
    key(notified_partition(owner), dedup_key.to_owned())
}

/// The partition of the matches held for a saved search's daily digest.
pub(super) fn held_partition(search: SavedSearchId) -> String {
    format!("DIGEST#{search}")
}

/// The key of a match held for a digest (`DigestMatch::key`).
pub(super) fn held_key(search: SavedSearchId, match_key: &str) -> Item {
    key(held_partition(search), match_key.to_owned())
}

/// The one partition of the digests due, by when (Unix seconds, 12
/// digits) then search: a day's digests are one write each, a few a
/// second at a million searches, well within one partition.
pub(super) const DUE_DIGESTS_PARTITION: &str = "DIGESTS#DUE";

/// The sort key of a digest due at `due` (seconds) for `search`.
pub(super) fn due_sort(due: i64, search: &str) -> String {
    format!("{due:012}#{search}")
}

pub(super) fn due_digest_key(due: i64, search: SavedSearchId) -> Item {
    key(DUE_DIGESTS_PARTITION.to_owned(), due_sort(due, &search.to_string()))
}

/// The partition of the cluster counter of `cell` for a listing: one
/// partition per shard for the coarsest precisions (whose cells are few),
/// else per cell two precisions coarser (up to 1 024 cells each).
pub(super) fn cluster_partition(cell: Cell, property: PropertyId) -> String {
    match cell.precision() {
        precision if precision <= SHARDED_CLUSTER_PRECISION => {
            counters_partition(precision, shard_of(property, CLUSTER_SHARDS))
        }
        _ => cell_counters_partition(cell),
    }
}

/// The partitions that hold the counters of `cells` (all of one precision).
pub(super) fn cluster_partitions(cells: &[Cell]) -> std::collections::BTreeSet<String> {
    match cells.first().map(|cell| cell.precision()) {
        Some(precision) if precision <= SHARDED_CLUSTER_PRECISION => {
            (0..CLUSTER_SHARDS).map(|shard| counters_partition(precision, shard)).collect()
        }
        _ => cells.iter().map(|cell| cell_counters_partition(*cell)).collect(),
    }
}

/// The unsharded partition of `cell`'s counters: its cell two precisions coarser.
fn cell_counters_partition(cell: Cell) -> String {
    counters_partition(cell.precision(), cell.parent(cell.precision() - 2))
}

fn counters_partition(precision: u8, within: impl std::fmt::Display) -> String {
    format!("CLUSTERS#{precision}#{within}")
}

/// The key of the cluster counter of `cell` for listings with these
/// filter values: its sort key is `<cell>#<transaction>#<status>#<type>`.
pub(super) fn cluster_counter_key(cell: Cell, placement: &Placement, property: PropertyId) -> Item {
    let Placement { transaction, status, property_type, .. } = placement;
    let sort = format!("{cell}#{}#{}#{}", transaction.code(), status.code(), property_type.code());
    key(cluster_partition(cell, property), sort)
}

/// The key of the item that records which change of a listing the
/// cluster counters last applied, and what it counted.
pub(super) fn clustered_key(property: PropertyId) -> Item {
    key(format!("CLUSTERED#{property}"), "CLUSTERED".into())
}

/// The number of partitions the feed and type indexes spread each of their
/// lists over, so that no partition takes every listing's writes: a
/// partition takes about 1,000 writes a second (docs/data-model.md).
pub const SHARDS: u8 = 4;

/// The shard of a property among `shards`: the value of the last
/// hexadecimal digit of its id (random in a UUIDv7) modulo `shards`, so
/// that each shard gets an equal share of the writes.
fn shard_of(id: PropertyId, shards: u8) -> u8 {
    let digit = id.to_string().chars().last().and_then(|digit| digit.to_digit(16)).unwrap_or(0);
    (digit % u32::from(shards)) as u8
}

/// The partition of the change feed that holds position `seq` (its shard).
pub(super) fn change_partition(seq: u64) -> String {
    format!("{CHANGES_PREFIX}{:02}", crate::store::feed::shard_of_seq(seq))
}

/// The sort key of a change: its position, zero-padded so that the text
/// sorts as the number does.
pub(super) fn change_sort(seq: u64) -> String {
    format!("{seq:020}")
}

/// Whether an item is a change of the feed.
pub(super) fn is_change_item(item: &Item) -> bool {
    item.get(PARTITION_KEY).and_then(|key| key.as_s().ok()).is_some_and(|key| key.starts_with(CHANGES_PREFIX))
}

/// The key of the change at position `seq`.
pub(super) fn change_key(seq: u64) -> Item {
    key(change_partition(seq), change_sort(seq))
}

/// The feed shard of a property's changes: every change of a listing goes
/// to one shard, spread evenly across listings.
pub(super) fn change_shard(id: PropertyId) -> u64 {
    u64::from(shard_of(id, crate::store::feed::SHARDS as u8))
}

/// The partition of the owner index that lists a user's properties.
pub(super) fn owner_partition(owner: UserId) -> String {
    format!("OWNER#{owner}")
}

/// The public part of a listing's partitions: its transaction and whether
/// it is on the market or closed.
fn group(transaction: Transaction, closed: bool) -> String {
    format!("{}#{}", transaction.code(), if closed { "CLOSED" } else { "LISTED" })
}

fn city_partition(city_key: &str, group: &str) -> String {
    format!("CITY#{city_key}#{group}")
}

/// The index attributes of a property item: the owner index always, the
/// public indexes only while the listing is public.
pub(super) fn property_index_keys(property: &Property) -> Item {
    let id = property.id.to_string();
    let mut keys = Item::from([
        (Index::Owner.partition_key().to_owned(), string(owner_partition(property.owner_id))),
        (GSI_SORT_KEY.to_owned(), string(&id)),
    ]);
    let status = property.status();
    if !status.is_public() {
        return keys;
    }
    let group = group(property.transaction, status.is_final());
    let city = city_partition(property.city.key(), &group);
    let shard = shard_of(property.id, SHARDS);
    let mut add = |name: &str, value: String| keys.insert(name.to_owned(), string(value));
    add(Index::Feed.partition_key(), format!("FEED#{group}#{shard}"));
    add(Index::Type.partition_key(), format!("TYPE#{}#{group}#{shard}", property.property_type.code()));
    if let (Some(price), Some(by_price)) = (property.price(), position(property, Order::Price { ascending: true })) {
        add(Index::CityPrice.partition_key(), format!("{city}#{}", price.currency.code()));
        add(Index::CityPrice.sort_key(), by_price);
    }
    if let Some(by_area) = position(property, Order::Area { ascending: true }) {
        add(Index::CityArea.sort_key(), by_area);
    }
    if let Some(location) = property.location {
        let cell = geo_partition(Cell::of(location, MAP_CELL_PRECISION), &group);
        if let Some(price) = property.price() {
            add(Index::GeoPrice.partition_key(), format!("{cell}#{}", price.currency.code()));
        }
        add(Index::GeoCell.sort_key(), format!("{}#{id}", Cell::of(location, Cell::MAX_PRECISION)));
        add(Index::Geo.partition_key(), cell);
    }
    add(Index::City.partition_key(), city);
    keys
}

/// The partition of a map cell's listings in the geo indexes.
fn geo_partition(cell: Cell, group: &str) -> String {
    format!("GEO#{cell}#{group}")
}

/// The geo index partitions of the map cells of `region`, with their cells.
pub(super) fn region_partitions(region: Region, search: &Search) -> Vec<(String, Cell)> {
    region.covering(MAP_CELL_PRECISION).into_iter().map(|cell| (cell_partition(cell, search), cell)).collect()
}

/// The geo index partition that holds `cell` (of any precision from the
/// map cells' on) for `search`.
pub(super) fn cell_partition(cell: Cell, search: &Search) -> String {
    geo_partition(cell.parent(MAP_CELL_PRECISION), &group(search.transaction, search.closed()))
}

/// The index, and its partitions, that a listing reads: one, `SHARDS`
/// for a search with no city, or a map region's cells. `None` for a
/// search no index serves (a price or area order without a city or
/// region, a price order without a currency), which the HTTP edge
/// refuses before, and for the distance order (`DynamoStore::nearest`).
pub(super) fn listing_partitions(listing: &Listing) -> Option<(Index, Vec<String>)> {
    let search = match listing {
        Listing::Owner(owner) => return Some((Index::Owner, vec![owner_partition(*owner)])),
        Listing::Search(search) => search,
    };
    let group = group(search.transaction, search.closed());
    let shards = |prefix: String| (0..SHARDS).map(|shard| format!("{prefix}#{group}#{shard}")).collect();
    let cells = |suffix: &str| {
        let region = search.region.into_iter();
        region.flat_map(|region| region_partitions(region, search)).map(|(key, _)| format!("{key}{suffix}")).collect()
    };
    match (search.region, search.order) {
        (_, Order::Distance { .. }) => return None,
        (Some(_), Order::Newest) => return Some((Index::Geo, cells(""))),
        (Some(_), Order::Price { .. }) => {
            return Some((Index::GeoPrice, cells(&format!("#{}", search.currency?.code()))));
        }
        // By area within a city: the city's partition, the region filtered after.
        _ => {}
    }
    Some(match (&search.city, search.order) {
        (Some(city), Order::Newest) => (Index::City, vec![city_partition(city, &group)]),
        (Some(city), Order::Area { .. }) => (Index::CityArea, vec![city_partition(city, &group)]),
        (Some(city), Order::Price { .. }) => {
            let currency = search.currency?.code();
            (Index::CityPrice, vec![format!("{}#{currency}", city_partition(city, &group))])
        }
        (None, Order::Newest) => match search.property_type {
            Some(kind) => (Index::Type, shards(format!("TYPE#{}", kind.code()))),
            None => (Index::Feed, shards("FEED".into())),
        },
        (_, Order::Distance { .. }) | (None, _) => return None,
    })
}

/// Whether the index a search reads already keeps only its type.
pub(super) fn index_selects_type(search: &Search) -> bool {
    search.city.is_none() && search.region.is_none()
}
