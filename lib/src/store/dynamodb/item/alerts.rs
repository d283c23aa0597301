//! The items of alerts: a favourite and the count of its owner's, beside
//! it, and its entry in the partition of its listing (who keeps it); a
//! saved search and the count of its owner's, and its entries in the
//! alerts' index (a copy of the whole search per partition of its
//! bounds); a notification in its owner's inbox, the mark of how far they
//! read it, and the marker of an alert notified already.

use super::{corrupt, decode, encode};
use crate::domain::{
    AlertBounds, AlertEvent, AlertSettings, DigestMatch, Favourite, Frequency, Invalid, Notification, NotificationId,
    NotificationKind, PropertyId, SavedSearch, SavedSearchId, SearchName, TimeZoneName, Timestamp, UserId,
};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The count of a user's favourites, or of their saved searches; keyed by
/// `schema::favourite_count_key` or `schema::saved_search_count_key`.
/// Written only by `ADD`, in the transaction that adds or removes one,
/// under the condition that it stays within the limit.
pub struct AlertsCountItem;

impl AlertsCountItem {
    pub const COUNT: &str = "count";
}

/// A favourite; keyed by `schema::favourite_key`, whose partition names
/// its owner.
#[derive(Debug, Serialize, Deserialize)]
pub struct FavouriteItem {
    property_id: PropertyId,
    saved_at: Timestamp,
}

impl FavouriteItem {
    pub fn to_item(favourite: &Favourite) -> StoreResult<Item> {
        let item = Self { property_id: favourite.property_id, saved_at: favourite.saved_at };
        encode(schema::favourite_key(favourite.owner, favourite.property_id), &item)
    }

    /// The favourite of `owner` (whose partition it was read from).
    pub fn from_item(owner: UserId, item: Item) -> StoreResult<Favourite> {
        let item: Self = decode(item)?;
        Ok(Favourite { owner, property_id: item.property_id, saved_at: item.saved_at })
    }
}

/// Who keeps a listing; keyed by `schema::favoured_key`, in the listing's
/// partition, written and deleted with the favourite.
#[derive(Debug, Serialize, Deserialize)]
pub struct FavouredItem {
    owner_id: UserId,
}

impl FavouredItem {
    pub fn to_item(favourite: &Favourite) -> StoreResult<Item> {
        encode(schema::favoured_key(favourite.property_id, favourite.owner), &Self { owner_id: favourite.owner })
    }

    pub fn from_item(item: Item) -> StoreResult<UserId> {
        Ok(decode::<Self>(item)?.owner_id)
    }
}

/// A saved search; keyed by `schema::saved_search_key`, and, the same
/// attributes, by `schema::alert_entry_key` in each partition of the
/// alerts' index it is in, so that matching a change reads nothing else.
/// Its filter is the JSON text of its object; its unsubscribe hash, base64.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedSearchItem {
    id: SavedSearchId,
    owner_id: UserId,
    name: String,
    filter: String,
    alerts: AlertsItem,
    bounds: BoundsItem,
    unsubscribe_secret: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct AlertsItem {
    frequency: Frequency,
    events: Vec<AlertEvent>,
    email: bool,
    time_zone: String,
    hour: u8,
}

#[derive(Debug, Serialize, Deserialize)]
struct BoundsItem {
    /// The city key; absent: the search is bounded by its cells alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(default)]
    cells: Vec<String>,
}

impl SavedSearchItem {
    pub const VERSION: &str = "version";

    pub fn from_domain(search: &SavedSearch) -> Self {
        let alerts = &search.alerts;
        Self {
            id: search.id,
            owner_id: search.owner,
            name: search.name.as_str().to_owned(),
            filter: serde_json::Value::Object(search.filter.clone()).to_string(),
            alerts: AlertsItem {
                frequency: alerts.frequency,
                events: alerts.events.clone(),
                email: alerts.email,
                time_zone: alerts.time_zone.as_str().to_owned(),
                hour: alerts.hour,
            },
            bounds: BoundsItem { city: search.bounds.city.clone(), cells: search.bounds.cells.clone() },
            unsubscribe_secret: STANDARD.encode(search.unsubscribe_secret),
            created_at: search.created_at,
            updated_at: search.updated_at,
            version: search.version,
        }
    }

    pub fn into_domain(self) -> StoreResult<SavedSearch> {
        let bad = |why: Invalid| corrupt("saved search", self.id, why);
        let filter = match serde_json::from_str(&self.filter) {
            Ok(serde_json::Value::Object(filter)) => filter,
            _ => return Err(bad(Invalid::new("has a filter that is no JSON object"))),
        };
        let hash = STANDARD.decode(&self.unsubscribe_secret).ok().and_then(|hash| <[u8; 32]>::try_from(hash).ok());
        let unsubscribe_secret = hash.ok_or_else(|| bad(Invalid::new("has no 32-byte unsubscribe secret")))?;
        if self.alerts.events.is_empty() {
            return Err(bad(Invalid::new("alerts about no event")));
        }
        let alerts = AlertSettings {
            frequency: self.alerts.frequency,
            events: self.alerts.events,
            email: self.alerts.email,
            time_zone: TimeZoneName::parse(&self.alerts.time_zone).map_err(bad)?,
            hour: AlertSettings::parse_hour(u64::from(self.alerts.hour)).map_err(bad)?,
        };
        Ok(SavedSearch {
            id: self.id,
            owner: self.owner_id,
            name: SearchName::parse(&self.name).map_err(bad)?,
            filter,
            alerts,
            bounds: AlertBounds { city: self.bounds.city, cells: self.bounds.cells },
            unsubscribe_secret,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }

    /// The item in its owner's partition.
    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::saved_search_key(self.owner_id, self.id), self)
    }

    /// The entries of `search` in the alerts' index (`schema::alert_partitions`).
    pub fn entries(search: &SavedSearch) -> StoreResult<Vec<Item>> {
        let item = Self::from_domain(search);
        let keys =
            schema::alert_partitions(search).into_iter().map(|partition| schema::alert_entry_key(partition, search.id));
        keys.map(|key| encode(key, &item)).collect()
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// A notification; keyed by `schema::notification_key`. `expires_at`, the
/// table's TTL attribute, is `Notification::expires_at`.
#[derive(Debug, Serialize, Deserialize)]
pub struct NotificationItem {
    id: NotificationId,
    owner_id: UserId,
    created_at: Timestamp,
    kind: KindItem,
    expires_at: i64,
}

/// What a notification tells, tagged by its `type`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KindItem {
    Alert { event: AlertEvent, property_id: PropertyId, version: u64, searches: Vec<SavedSearchId>, favourite: bool },
    Digest { search: SavedSearchId, matches: Vec<DigestMatchItem> },
}

#[derive(Debug, Serialize, Deserialize)]
struct DigestMatchItem {
    event: AlertEvent,
    property_id: PropertyId,
    version: u64,
    at: Timestamp,
}

impl NotificationItem {
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;

    pub fn from_domain(notification: &Notification) -> Self {
        let kind = match &notification.kind {
            NotificationKind::Alert { event, property_id, version, searches, favourite } => KindItem::Alert {
                event: *event,
                property_id: *property_id,
                version: *version,
                searches: searches.clone(),
                favourite: *favourite,
            },
            NotificationKind::Digest { search, matches } => KindItem::Digest {
                search: *search,
                matches: matches
                    .iter()
                    .map(|m| DigestMatchItem {
                        event: m.event,
                        property_id: m.property_id,
                        version: m.version,
                        at: m.at,
                    })
                    .collect(),
            },
        };
        Self {
            id: notification.id,
            owner_id: notification.owner,
            created_at: notification.created_at,
            kind,
            expires_at: notification.expires_at(),
        }
    }

    /// Whether the inbox no longer keeps it at `now` (the TTL may take days
    /// to delete it).
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now.unix_seconds()
    }

    pub fn id(&self) -> NotificationId {
        self.id
    }

    pub fn into_domain(self) -> Notification {
        let kind = match self.kind {
            KindItem::Alert { event, property_id, version, searches, favourite } => {
                NotificationKind::Alert { event, property_id, version, searches, favourite }
            }
            KindItem::Digest { search, matches } => NotificationKind::Digest {
                search,
                matches: matches
                    .into_iter()
                    .map(|m| DigestMatch { event: m.event, property_id: m.property_id, version: m.version, at: m.at })
                    .collect(),
            },
        };
        Notification { id: self.id, owner: self.owner_id, created_at: self.created_at, kind }
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::notification_key(self.owner_id, self.id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// The marker of an alert notified already; keyed by `schema::notified_key`
/// (its `Notification::dedup_key`), and expiring with its notification.
#[derive(Debug, Serialize, Deserialize)]
pub struct NotifiedItem {
    /// None for a match held for a digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification_id: Option<NotificationId>,
    expires_at: i64,
}

impl NotifiedItem {
    pub fn to_item(notification: &Notification, dedup_key: &str) -> StoreResult<Item> {
        let item = Self { notification_id: Some(notification.id), expires_at: notification.expires_at() };
        encode(schema::notified_key(notification.owner, dedup_key), &item)
    }

    /// The marker of a match held for a digest, kept as long as a notification.
    pub fn held(owner: UserId, found: &DigestMatch) -> StoreResult<Item> {
        let expires_at = found.at.unix_seconds() + crate::domain::NOTIFICATION_LIFETIME_SECONDS;
        encode(schema::notified_key(owner, &found.key()), &Self { notification_id: None, expires_at })
    }
}

/// A match held for a saved search's daily digest; keyed by
/// `schema::held_key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct HeldMatchItem {
    event: AlertEvent,
    property_id: PropertyId,
    version: u64,
    at: Timestamp,
}

impl HeldMatchItem {
    pub fn to_item(search: SavedSearchId, found: &DigestMatch) -> StoreResult<Item> {
        let item = Self { event: found.event, property_id: found.property_id, version: found.version, at: found.at };
        encode(schema::held_key(search, &found.key()), &item)
    }

    pub fn from_item(item: Item) -> StoreResult<DigestMatch> {
        let held = decode::<Self>(item)?;
        Ok(DigestMatch { event: held.event, property_id: held.property_id, version: held.version, at: held.at })
    }
}

/// A digest due; keyed by `schema::due_digest_key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DueDigestItem {
    owner_id: UserId,
    search_id: SavedSearchId,
    due: i64,
}

impl DueDigestItem {
    pub fn to_item(owner: UserId, search: SavedSearchId, due: Timestamp) -> StoreResult<Item> {
        let item = Self { owner_id: owner, search_id: search, due: due.unix_seconds() };
        encode(schema::due_digest_key(item.due, search), &item)
    }

    pub fn from_item(item: Item) -> StoreResult<crate::store::DueDigest> {
        let due = decode::<Self>(item)?;
        Ok(crate::store::DueDigest {
            owner: due.owner_id,
            search: due.search_id,
            due: Timestamp::from_unix_seconds(due.due),
        })
    }
}

/// How far a user has read their inbox; keyed by `schema::read_mark_key`,
/// and written only by an update that moves it forward.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadMarkItem {
    up_to: NotificationId,
}

impl ReadMarkItem {
    pub const UP_TO: &str = "up_to";

    pub fn from_item(item: Item) -> StoreResult<NotificationId> {
        Ok(decode::<Self>(item)?.up_to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dynamodb::{number, string};
    use std::collections::BTreeSet;

    fn names(item: &Item) -> BTreeSet<&str> {
        item.keys().map(String::as_str).collect()
    }

    fn search(frequency: Frequency) -> SavedSearch {
        let filter = serde_json::json!({"city": "Lyon", "max_price": 300000, "type": ["loft", "house"]});
        SavedSearch {
            id: SavedSearchId::generate(),
            owner: UserId::generate(),
            name: SearchName::parse("Lofts in Lyon").unwrap(),
            filter: filter.as_object().unwrap().clone(),
            alerts: AlertSettings {
                frequency,
                events: vec![AlertEvent::NewMatch, AlertEvent::PriceDrop],
                email: true,
                time_zone: TimeZoneName::parse("Europe/Paris").unwrap(),
                hour: 7,
            },
            bounds: AlertBounds { city: Some("lyon".into()), cells: vec!["u05k".into(), "u05m".into(), "u05k".into()] },
            unsubscribe_secret: [7; 32],
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            version: 3,
        }
    }

    #[test]
    fn a_favourite_is_kept_beside_its_count_and_under_its_listing() {
        let favourite =
            Favourite { owner: UserId::generate(), property_id: PropertyId::generate(), saved_at: Timestamp::now() };
        let item = FavouriteItem::to_item(&favourite).unwrap();
        assert_eq!(item[schema::PARTITION_KEY], string(format!("FAVOURITES#{}", favourite.owner)));
        assert_eq!(item[schema::SORT_KEY], string(format!("PROPERTY#{}", favourite.property_id)));
        assert_eq!(names(&item), ["pk", "sk", "property_id", "saved_at"].into());
        assert_eq!(FavouriteItem::from_item(favourite.owner, item).unwrap(), favourite);
        assert_eq!(schema::favourite_count_key(favourite.owner)[schema::SORT_KEY], string("COUNT"));

        let favoured = FavouredItem::to_item(&favourite).unwrap();
        assert_eq!(favoured[schema::PARTITION_KEY], string(format!("FAVOURED#{}", favourite.property_id)));
        assert_eq!(favoured[schema::SORT_KEY], string(favourite.owner.to_string()));
        assert_eq!(FavouredItem::from_item(favoured).unwrap(), favourite.owner);
    }

    #[test]
    fn a_saved_search_round_trips_with_an_entry_per_bound() {
        let search = search(Frequency::Daily);
        let stored = SavedSearchItem::from_domain(&search);
        let item = stored.to_item().unwrap();
        assert_eq!(item[schema::PARTITION_KEY], string(format!("SEARCHES#{}", search.owner)));
        assert_eq!(item[schema::SORT_KEY], string(format!("SEARCH#{}", search.id)));
        let expected = [
            "pk",
            "sk",
            "id",
            "owner_id",
            "name",
            "filter",
            "alerts",
            "bounds",
            "unsubscribe_secret",
            "created_at",
            "updated_at",
            "version",
        ];
        assert_eq!(names(&item), expected.into());
        assert!(item["filter"].as_s().is_ok(), "the filter is stored as its JSON text");
        assert_eq!(item["version"], number(3));
        assert_eq!(SavedSearchItem::from_item(item).unwrap().into_domain().unwrap(), search);

        let entries = SavedSearchItem::entries(&search).unwrap();
        let partitions: Vec<&str> =
            entries.iter().map(|entry| entry[schema::PARTITION_KEY].as_s().unwrap().as_str()).collect();
        assert_eq!(partitions, ["ALERTS#CITY#lyon", "ALERTS#CELL#u05k", "ALERTS#CELL#u05m"], "each bound once");
        for entry in entries {
            assert_eq!(entry[schema::SORT_KEY], string(search.id.to_string()));
            assert_eq!(SavedSearchItem::from_item(entry).unwrap().into_domain().unwrap(), search, "the whole search");
        }
    }

    #[test]
    fn a_saved_search_without_alerts_or_a_city_has_only_its_cells_or_nothing() {
        let off = search(Frequency::Off);
        assert_eq!(SavedSearchItem::entries(&off).unwrap(), []);
        let mut cells = search(Frequency::Instant);
        cells.bounds = AlertBounds { city: None, cells: vec!["u05k".into()] };
        let item = SavedSearchItem::from_domain(&cells).to_item().unwrap();
        assert_eq!(SavedSearchItem::from_item(item).unwrap().into_domain().unwrap(), cells);
        let entries = SavedSearchItem::entries(&cells).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0][schema::PARTITION_KEY], string("ALERTS#CELL#u05k"));
    }

    #[test]
    fn a_corrupt_saved_search_is_reported() {
        for (corrupt, value) in [("filter", "[1]"), ("unsubscribe_secret", "c2hvcnQ="), ("name", "")] {
            let mut item = SavedSearchItem::from_domain(&search(Frequency::Instant)).to_item().unwrap();
            item.insert(corrupt.into(), string(value));
            let error = SavedSearchItem::from_item(item).unwrap().into_domain().unwrap_err();
            assert!(error.to_string().contains("stored saved search"), "{corrupt}: {error}");
        }
    }

    #[test]
    fn notifications_of_both_kinds_round_trip_and_expire() {
        let owner = UserId::generate();
        let at = Timestamp::now();
        let alert = NotificationKind::Alert {
            event: AlertEvent::PriceDrop,
            property_id: PropertyId::generate(),
            version: 4,
            searches: vec![SavedSearchId::generate(), SavedSearchId::generate()],
            favourite: true,
        };
        let matches =
            vec![DigestMatch { event: AlertEvent::NewMatch, property_id: PropertyId::generate(), version: 1, at }];
        let digest = NotificationKind::Digest { search: SavedSearchId::generate(), matches };
        let lonely = NotificationKind::Digest { search: SavedSearchId::generate(), matches: vec![] };
        for kind in [alert, digest, lonely] {
            let notification = Notification::new(owner, kind, at);
            let item = NotificationItem::from_domain(&notification).to_item().unwrap();
            assert_eq!(item[schema::PARTITION_KEY], string(format!("INBOX#{owner}")));
            assert_eq!(item[schema::SORT_KEY], string(format!("NOTE#{}", notification.id)));
            assert_eq!(item[schema::TIME_TO_LIVE], number(notification.expires_at()));
            assert_eq!(names(&item), ["pk", "sk", "id", "owner_id", "created_at", "kind", "expires_at"].into());
            let stored = NotificationItem::from_item(item).unwrap();
            assert!(!stored.expired(at));
            assert!(stored.expired(Timestamp::from_unix_seconds(notification.expires_at())));
            assert_eq!(stored.into_domain(), notification);
        }
    }

    #[test]
    fn an_alert_notified_is_marked_by_its_dedup_key_until_it_expires() {
        let kind = NotificationKind::Alert {
            event: AlertEvent::StatusChange,
            property_id: PropertyId::generate(),
            version: 2,
            searches: vec![],
            favourite: true,
        };
        let notification = Notification::new(UserId::generate(), kind, Timestamp::now());
        let key = notification.dedup_key().unwrap();
        let item = NotifiedItem::to_item(&notification, &key).unwrap();
        assert_eq!(item[schema::PARTITION_KEY], string(format!("NOTIFIED#{}", notification.owner)));
        assert_eq!(item[schema::SORT_KEY], string(key));
        assert_eq!(item[schema::TIME_TO_LIVE], number(notification.expires_at()));
        let mark = Item::from([(ReadMarkItem::UP_TO.to_owned(), string(notification.id.to_string()))]);
        assert_eq!(ReadMarkItem::from_item(mark).unwrap(), notification.id);
    }
}
