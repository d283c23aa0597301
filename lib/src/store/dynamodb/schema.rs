//! The table's key schema: the one place that names key attributes and
//! indexes, and that spells key values (the `keys` section below). The rest
//! of the adapter builds every key, index partition and key condition from
//! here. `template.yaml` and `terraform/` declare exactly these attributes
//! and indexes (a test checks it), and the tests and `local --create-table`
//! create tables with them.

use super::{Item, StoreError, string};
use crate::domain::{Email, PropertyId, PropertyType, UserId};
use crate::store::Listing;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// Every index sorts on the same attribute: the property id, time-ordered.
pub const GSI_SORT_KEY: &str = "gsisk";
/// The table's TTL attribute (Unix seconds): DynamoDB deletes an item some
/// time after it. Only kept answers carry it.
pub const TIME_TO_LIVE: &str = "expires_at";

/// The global secondary indexes, each keyed by its own partition attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    City,
    Owner,
    Feed,
    Type,
}

impl Index {
    pub const ALL: [Index; 4] = [Index::City, Index::Owner, Index::Feed, Index::Type];

    pub fn name(self) -> &'static str {
        match self {
            Index::City => "city-index",
            Index::Owner => "owner-index",
            Index::Feed => "feed-index",
            Index::Type => "type-index",
        }
    }

    pub fn partition_key(self) -> &'static str {
        match self {
            Index::City => "gsi1pk",
            Index::Owner => "gsi2pk",
            Index::Feed => "gsi3pk",
            Index::Type => "gsi4pk",
        }
    }
}

/// Creates the table (on-demand, with its TTL attribute, as in production)
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
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .key_schema(key(SORT_KEY, KeyType::Range))
        .attribute_definitions(attribute(PARTITION_KEY))
        .attribute_definitions(attribute(SORT_KEY))
        .attribute_definitions(attribute(GSI_SORT_KEY));
    for index in Index::ALL {
        request = request.attribute_definitions(attribute(index.partition_key())).global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .key_schema(key(index.partition_key(), KeyType::Hash))
                .key_schema(key(GSI_SORT_KEY, KeyType::Range))
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
//
// Scopes escape `#` in what they embed (`domain::escape`): an email
// address may hold one.
//
// A property item is also in every index: `CITY#<city key>`, `OWNER#<owner
// id>`, `PROPERTIES` (the feed) and `TYPE#<type code>`, sorted on its id.

const USER_SORT: &str = "PROFILE";
const EMAIL_SORT: &str = "EMAIL";
const PROPERTY_SORT: &str = "PROPERTY";
const FEED_PARTITION: &str = "PROPERTIES";
const KEPT_ANSWER_SORT_PREFIX: &str = "ANSWER#";
const SESSION_SORT_PREFIX: &str = "SESSION#";

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

/// The partition of the city index that lists a city, by its city key.
pub(super) fn city_partition(city_key: &str) -> String {
    format!("CITY#{city_key}")
}

/// The partition of the owner index that lists a user's properties.
pub(super) fn owner_partition(owner: UserId) -> String {
    format!("OWNER#{owner}")
}

/// The partition of the type index that lists one property type.
pub(super) fn type_partition(kind: PropertyType) -> String {
    format!("TYPE#{}", kind.code())
}

/// The index attributes of a property item: one partition in each index,
/// sorted on the property id.
pub(super) fn property_index_keys(id: PropertyId, owner: UserId, city_key: &str, kind: PropertyType) -> Item {
    Item::from([
        (Index::City.partition_key().to_owned(), string(city_partition(city_key))),
        (Index::Owner.partition_key().to_owned(), string(owner_partition(owner))),
        (Index::Feed.partition_key().to_owned(), string(FEED_PARTITION)),
        (Index::Type.partition_key().to_owned(), string(type_partition(kind))),
        (GSI_SORT_KEY.to_owned(), string(id.to_string())),
    ])
}

/// The index, and the partition in it, that a listing reads.
pub(super) fn listing_partition(listing: &Listing) -> (Index, String) {
    match listing {
        Listing::All => (Index::Feed, FEED_PARTITION.to_owned()),
        Listing::City(key) | Listing::CityAndType(key, _) => (Index::City, city_partition(key)),
        Listing::Type(kind) => (Index::Type, type_partition(*kind)),
        Listing::Owner(owner) => (Index::Owner, owner_partition(*owner)),
    }
}

/// The exclusive start key of a listing page that follows the property
/// `after`: rebuilt from the cursor, never taken from the client.
pub(super) fn listing_start_key(index: Index, partition: &str, after: PropertyId) -> Item {
    let mut start = property_key(after);
    start.insert(index.partition_key().to_owned(), string(partition));
    start.insert(GSI_SORT_KEY.to_owned(), string(after.to_string()));
    start
}

/// The property at which a listing read stopped, from its last evaluated key.
pub(super) fn listing_position(last_key: &Item) -> Option<PropertyId> {
    last_key.get(GSI_SORT_KEY).and_then(|value| value.as_s().ok()).and_then(|id| PropertyId::parse(id))
}
