//! The change feed on DynamoDB (docs/data-model.md#the-change-feed).
//!
//! Writing: a change is one more put in the transaction of the write it
//! describes (`FeedSlot`), into one of `SHARDS` partitions (the listing's),
//! at a position taken from the writer's clock when it builds the
//! transaction, past the listing's last change (kept on the property
//! item), and conditioned on the position being free: two writers that
//! take the same one in the same shard cannot both commit, and the loser
//! takes another.
//!
//! Reading: the transaction commits within the client's call limit of the
//! moment its position was taken ([`LIMITS`](super::LIMITS): 3 s, the
//! retries of a cancelled transaction included), so a change whose
//! position is older than `FEED_SETTLE` is committed or never will be.
//! Readers only read up to that horizon: no change can then appear behind
//! a position already handed out. A page reads each shard once, in
//! parallel (`SHARDS` Queries), and merges them in position order.

use super::expression::Expression;
use super::item::ChangeItem;
use super::query::SortKeys;
use super::schema;
use super::transaction::{TransactFailure, put_action};
use super::{DynamoStore, Item, sdk_error};
use crate::domain::{Change, FeedEvent};
use crate::store::feed::{FeedPage, FeedQuery, FeedStore, SHARDS, seq_at};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::types::TransactWriteItem;
use std::time::{Duration, SystemTime};

/// How long after its position a change may still commit: the client's
/// call limit (3 s), plus 2 s for the clocks of two hosts to differ and
/// for DynamoDB to finish a transaction whose caller stopped waiting.
pub const FEED_SETTLE: Duration = Duration::from_secs(5);

/// The property item's attribute holding its last change's position.
pub(super) const LAST_CHANGE: &str = "last_change_seq";

/// The position of a property item's last change, if it has one.
pub(super) fn last_change_of(item: &Item) -> Option<u64> {
    item.get(LAST_CHANGE).and_then(|value| value.as_n().ok()).and_then(|number| number.parse().ok())
}

/// Where a transaction puts the change it describes, if any.
pub(super) struct FeedSlot(Option<(usize, u64)>);

/// `change` at its place in the feed: in its listing's shard, at the
/// writer's clock, past `last` (the listing's last change), so that a
/// listing's changes follow each other in the feed even if the clocks of
/// the hosts that wrote them differ.
pub(super) fn place(change: Change, last: Option<u64>) -> FeedEvent {
    let shard = schema::change_shard(change.property_id);
    let seq = seq_at(SystemTime::now(), shard).max(last.map_or(0, |last| last + SHARDS));
    FeedEvent { seq, change }
}

impl FeedSlot {
    /// Appends the put of `event` (if any) to `items`, conditioned on its
    /// position being free. The property item records the position
    /// (`LAST_CHANGE`), for the listing's next change.
    pub fn append(table: &str, items: &mut Vec<TransactWriteItem>, event: Option<&FeedEvent>) -> StoreResult<Self> {
        let Some(event) = event else { return Ok(Self(None)) };
        let mut expression = Expression::default();
        let condition = expression.item_absent();
        items.push(put_action(table, ChangeItem::from_domain(event).to_item()?, &condition, &expression));
        Ok(Self(Some((items.len() - 1, event.seq))))
    }

    /// Whether the transaction failed because another change took the
    /// position first: then it is worth building again.
    pub fn position_taken(&self, failure: &TransactFailure) -> bool {
        self.0.is_some_and(|(index, _)| failure.condition_failed_at(index))
    }
}

impl DynamoStore {
    /// The last position readers may read now (see the module).
    fn horizon(&self, now: SystemTime) -> u64 {
        seq_at(now.checked_sub(self.feed_settle).unwrap_or(now), 0).saturating_sub(1)
    }

    /// The changes of one shard in `(after, until]`, oldest first, at most
    /// `limit`, and the position up to which the shard was read.
    async fn read_shard(&self, shard: u64, after: u64, until: u64, limit: usize) -> StoreResult<(Vec<FeedEvent>, u64)> {
        let partition = schema::change_partition(shard);
        let range = SortKeys::Between(schema::change_sort(after + 1), schema::change_sort(until));
        // Read consistently: a change committed before the horizon is read,
        // whatever the lag of the replica an eventually consistent read asks.
        let query = self.query_partition(None, partition, range, |_| None).limit(limit as i32).consistent_read(true);
        let output = query.send().await.map_err(sdk_error)?;
        let events =
            output.items.unwrap_or_default().into_iter().map(|item| ChangeItem::from_item(item)?.into_domain());
        let events: Vec<FeedEvent> = events.collect::<StoreResult<_>>()?;
        let read_up_to = match (output.last_evaluated_key, events.last()) {
            (Some(_), Some(last)) => last.seq,
            _ => until,
        };
        Ok((events, read_up_to))
    }
}

impl FeedStore for DynamoStore {
    async fn changes(&self, query: &FeedQuery) -> StoreResult<FeedPage> {
        let now = SystemTime::now();
        let after = query.start(now);
        let horizon = self.horizon(now);
        if after >= horizon {
            return Ok(FeedPage { events: Vec::new(), next: after });
        }
        let mut reads = tokio::task::JoinSet::new();
        for shard in 0..SHARDS {
            let store = self.clone();
            let limit = query.limit;
            reads.spawn(async move { store.read_shard(shard, after, horizon, limit).await });
        }
        // Every shard is read up to `frontier` at least: the changes up to
        // it are all known, and in order once merged.
        let (mut events, mut frontier) = (Vec::new(), horizon);
        while let Some(read) = reads.join_next().await {
            let (read, read_up_to) = read.map_err(|e| StoreError::Internal(format!("a feed read failed: {e}")))??;
            events.extend(read);
            frontier = frontier.min(read_up_to);
        }
        events.retain(|event| event.seq <= frontier);
        events.sort_by_key(|event| event.seq);
        let mut page = Vec::new();
        let mut next = frontier;
        for event in events {
            if page.len() == query.limit {
                next = page.last().map_or(after, |taken: &FeedEvent| taken.seq);
                break;
            }
            if query.wants(&event) {
                page.push(event);
            }
        }
        Ok(FeedPage { events: page, next })
    }

    async fn feed_position(&self) -> StoreResult<u64> {
        Ok(self.horizon(SystemTime::now()))
    }
}
