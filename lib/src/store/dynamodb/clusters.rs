//! Cluster counters: per map cell of every precision, and per the values
//! the cluster filters read, the number of public located listings and
//! the sums of their positions, kept from the table's stream.
//!
//! Each listing has a `CLUSTERED` item that says which of its changes the
//! counters last applied (its version) and what they count for it. A
//! change is applied in one transaction with that item, conditioned on the
//! item being as read: the counters move from what was counted to what
//! the change says. A change at or below the recorded version counts
//! nothing (the stream's retries and redeliveries), and a deletion is
//! recorded, not forgotten, for as long as the stream may deliver an older
//! change again. A listing the counters never saw (written before them) is
//! counted by its first change; `local --reindex` writes every listing
//! once, which counts them all.

use super::expression::{Expression, Update};
use super::query::SortKeys;
use super::schema::{self, SORT_KEY};
use super::transaction::{put_action, update_action};
use super::{DynamoStore, Item, number, sdk_error, string};
use crate::domain::geo::Cell;
use crate::domain::{ListingStatus, Location, PropertyType, Transaction};
use crate::store::clusters::{CLUSTER_PRECISIONS, CellSums, Placement, clusters_of};
use crate::store::{Cluster, ClusterQuery, ListingChange, StoreError, StoreResult};
use aws_sdk_dynamodb::types::TransactWriteItem;
use std::collections::{BTreeMap, BTreeSet};

const LISTINGS: &str = "listings";
const LAT_MICRO: &str = "lat_micro";
const LON_MICRO: &str = "lon_micro";
const VERSION: &str = "version";
const LAT: &str = "lat";
const LON: &str = "lon";
const TRANSACTION: &str = "transaction";
const STATUS: &str = "status";
const TYPE: &str = "type";

/// How long a deleted listing's record outlives it: longer than the
/// stream keeps a change (24 hours) and retries it.
const DELETED_KEPT_SECONDS: i64 = 7 * 24 * 60 * 60;
/// Tries of a change that raced another application of the same listing's.
const ATTEMPTS: usize = 5;

impl DynamoStore {
    pub(super) async fn apply_cluster_change(&self, change: &ListingChange) -> StoreResult<()> {
        for _ in 0..ATTEMPTS {
            let recorded = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(schema::clustered_key(change.property)))
                .consistent_read(true)
                .send()
                .await
                .map_err(sdk_error)?
                .item;
            let seen = recorded.as_ref().map(version_of).transpose()?;
            if seen.is_some_and(|seen| seen >= change.version) {
                return Ok(());
            }
            let counted = recorded.as_ref().map(placement_of).transpose()?.flatten();
            let mut items = vec![self.record_action(change, seen)];
            items.extend(self.counter_actions(change, counted.as_ref()));
            match self.transact(items).await {
                Ok(()) => return Ok(()),
                // Another application of this listing's changes came first: read again.
                Err(failure) if failure.condition_failed_at(0) => continue,
                Err(failure) => return Err(failure.into_error()),
            }
        }
        Err(StoreError::Unavailable(format!("the clusters of {} changed {ATTEMPTS} times meanwhile", change.property)))
    }

    /// The `CLUSTERED` item after `change`, written only if it still is at `seen`.
    fn record_action(&self, change: &ListingChange, seen: Option<u64>) -> TransactWriteItem {
        let mut item = schema::clustered_key(change.property);
        item.insert(VERSION.into(), number(change.version));
        if let Some(placement) = &change.placement {
            item.insert(LAT.into(), number(placement.location.lat()));
            item.insert(LON.into(), number(placement.location.lon()));
            item.insert(TRANSACTION.into(), string(placement.transaction.code()));
            item.insert(STATUS.into(), string(placement.status.code()));
            item.insert(TYPE.into(), string(placement.property_type.code()));
        }
        if change.deleted {
            let expires = crate::domain::Timestamp::now().unix_seconds() + DELETED_KEPT_SECONDS;
            item.insert(schema::TIME_TO_LIVE.into(), number(expires));
        }
        let mut expression = Expression::default();
        let condition = match seen {
            Some(seen) => expression.equals(VERSION, number(seen)),
            None => expression.item_absent(),
        };
        put_action(&self.table, item, &condition, &expression)
    }

    /// The counter updates that move a listing from `counted` to its
    /// placement after `change`: one per counter whose sums change.
    fn counter_actions(&self, change: &ListingChange, counted: Option<&Placement>) -> Vec<TransactWriteItem> {
        let mut deltas: BTreeMap<(String, String), (Item, CellSums)> = BTreeMap::new();
        let moves = [(counted, -1), (change.placement.as_ref(), 1)];
        for (placement, sign) in moves {
            let Some(placement) = placement else { continue };
            for precision in CLUSTER_PRECISIONS {
                let key =
                    schema::cluster_counter_key(Cell::of(placement.location, precision), placement, change.property);
                let id = (text(&key, schema::PARTITION_KEY), text(&key, SORT_KEY));
                deltas.entry(id).or_insert_with(|| (key, CellSums::default())).1.add(placement, sign);
            }
        }
        deltas
            .into_values()
            .filter(|(_, sums)| *sums != CellSums::default())
            .map(|(key, sums)| {
                let mut expression = Expression::default();
                let mut update = Update::default();
                update.add.push(expression.increment(LISTINGS, number(sums.count)));
                update.add.push(expression.increment(LAT_MICRO, number(sums.lat_micro)));
                update.add.push(expression.increment(LON_MICRO, number(sums.lon_micro)));
                update_action(&self.table, key, &update, None, &expression)
            })
            .collect()
    }

    pub(super) async fn read_clusters(&self, query: &ClusterQuery) -> StoreResult<Vec<Cluster>> {
        let cells = query.bbox.covering(query.precision);
        let wanted: BTreeSet<Cell> = cells.iter().copied().collect();
        let (first, last) = match (wanted.first(), wanted.last()) {
            (Some(first), Some(last)) => (first.hash(), last.hash()),
            _ => return Ok(Vec::new()),
        };
        let mut reads = tokio::task::JoinSet::new();
        for partition in schema::cluster_partitions(&cells) {
            let store = self.clone();
            let range = SortKeys::Between(first.clone(), format!("{last}~"));
            reads.spawn(async move { store.query_all(store.query_partition(None, partition, range, |_| None)).await });
        }
        let mut sums: BTreeMap<Cell, CellSums> = BTreeMap::new();
        while let Some(read) = reads.join_next().await {
            let read = read.map_err(|e| StoreError::Internal(format!("a counter read failed: {e}")))??;
            for item in read {
                let Some((cell, transaction, status, kind)) = counter_of(&item) else {
                    return Err(StoreError::Internal(format!("a cluster counter with a bad key: {item:?}")));
                };
                if wanted.contains(&cell) && query.counts(transaction, status, kind) {
                    let into = sums.entry(cell).or_default();
                    into.count += integer(&item, LISTINGS)?;
                    into.lat_micro += integer(&item, LAT_MICRO)?;
                    into.lon_micro += integer(&item, LON_MICRO)?;
                }
            }
        }
        Ok(clusters_of(sums))
    }
}

fn text(item: &Item, name: &str) -> String {
    item.get(name).and_then(|value| value.as_s().ok()).cloned().unwrap_or_default()
}

fn integer(item: &Item, name: &str) -> StoreResult<i64> {
    let raw = item.get(name).and_then(|value| value.as_n().ok());
    raw.map_or(Ok(0), |raw| {
        raw.parse().map_err(|_| StoreError::Internal(format!("{name} is not a whole number: {raw}")))
    })
}

fn version_of(item: &Item) -> StoreResult<u64> {
    let raw = item.get(VERSION).and_then(|value| value.as_n().ok());
    raw.and_then(|raw| raw.parse().ok())
        .ok_or_else(|| StoreError::Internal("a CLUSTERED item without its version".into()))
}

/// What a `CLUSTERED` item says the counters count for its listing.
fn placement_of(item: &Item) -> StoreResult<Option<Placement>> {
    let Some(lat) = item.get(LAT).and_then(|value| value.as_n().ok()) else { return Ok(None) };
    let corrupt = || StoreError::Internal(format!("a CLUSTERED item that cannot be read: {item:?}"));
    let lon = item.get(LON).and_then(|value| value.as_n().ok()).ok_or_else(corrupt)?;
    let location = Location::new(lat.parse().map_err(|_| corrupt())?, lon.parse().map_err(|_| corrupt())?)
        .map_err(|_| corrupt())?;
    Ok(Some(Placement {
        location,
        transaction: Transaction::parse(&text(item, TRANSACTION)).map_err(|_| corrupt())?,
        status: ListingStatus::parse(&text(item, STATUS)).map_err(|_| corrupt())?,
        property_type: PropertyType::parse(&text(item, TYPE)).map_err(|_| corrupt())?,
    }))
}

/// The cell and filter values of a counter, from its sort key.
fn counter_of(item: &Item) -> Option<(Cell, Transaction, ListingStatus, PropertyType)> {
    let sort = text(item, SORT_KEY);
    let mut parts = sort.split('#');
    let cell = Cell::parse(parts.next()?)?;
    let transaction = Transaction::parse(parts.next()?).ok()?;
    let status = ListingStatus::parse(parts.next()?).ok()?;
    let kind = PropertyType::parse(parts.next()?).ok()?;
    Some((cell, transaction, status, kind))
}

impl crate::store::ClusterStore for DynamoStore {
    async fn clusters(&self, query: &ClusterQuery) -> StoreResult<Vec<Cluster>> {
        self.read_clusters(query).await
    }

    async fn count_change(&self, change: &ListingChange) -> StoreResult<()> {
        self.apply_cluster_change(change).await
    }
}
