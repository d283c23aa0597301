//! The change feed (`GET /changes`): every change the public saw, in one
//! order, kept `RETENTION_DAYS` (docs/api.md#changes, and
//! docs/data-model.md#the-change-feed for how DynamoDB holds it).
//!
//! A change is written in the same write as the change it describes (a
//! transactional outbox): none without the other. Its `seq` is its place:
//! a number that strictly increases along the feed, roughly the time of
//! the write in microseconds (`seq_at`), so that a position tells its age.

use crate::domain::{ChangeType, City, FeedEvent};
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::StoreResult;

/// How long the feed keeps a change: a position older than that is gone
/// (410: copy the catalogue again from a snapshot).
pub const RETENTION_DAYS: i64 = 30;

/// How long the table keeps a change, past which TTL deletes it: longer
/// than `RETENTION_DAYS`, so that a position still in it finds all its
/// changes.
pub const KEPT_DAYS: i64 = 35;

/// The page sizes `limit` allows, and its default.
pub const MAX_LIMIT: usize = 500;
pub const DEFAULT_LIMIT: usize = 100;

/// How many partitions the DynamoDB feed spreads its writes over: the low
/// bits of every `seq` name one, so positions are unique across them.
pub const SHARDS: u64 = 16;

/// What to read of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// The changes after this position; `None`: the oldest kept.
    pub after: Option<u64>,
    pub limit: usize,
    /// Only the changes of listings in this city (by its key).
    pub city: Option<City>,
    /// Only these types; empty: every type.
    pub types: Vec<ChangeType>,
}

impl FeedQuery {
    /// Whether `event` passes the filters.
    pub fn wants(&self, event: &FeedEvent) -> bool {
        let city = self.city.as_ref().is_none_or(|city| city.key() == event.change.city.key());
        city && (self.types.is_empty() || self.types.contains(&event.change.kind))
    }

    /// The position the page starts after.
    pub fn start(&self, now: SystemTime) -> u64 {
        self.after.unwrap_or_else(|| oldest_position(now))
    }
}

/// A page of the feed, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// Where the next page starts (its `after`): past every change this
    /// page read, filtered out or not. The last page's is where the feed
    /// stands, so polling with it waits for what comes next.
    pub next: u64,
}

/// Reading the change feed; the stores write it along with each change.
pub trait FeedStore: Send + Sync {
    /// A page of the changes after `query.after`, oldest first.
    fn changes(&self, query: &FeedQuery) -> impl Future<Output = StoreResult<FeedPage>> + Send;

    /// The position every change already written is at or before, and
    /// every change written from now on is after: where a client that
    /// copies the catalogue now follows the feed from.
    fn feed_position(&self) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// The position of a change written at `time` to `shard`: the time in
/// microseconds since the Unix epoch, its low bits replaced by the shard.
/// A JSON number holds it exactly (below 2^53) until the year 2255.
pub fn seq_at(time: SystemTime, shard: u64) -> u64 {
    let micros = time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_micros() as u64);
    micros / SHARDS * SHARDS + shard % SHARDS
}

/// The shard of a position.
pub fn shard_of_seq(seq: u64) -> u64 {
    seq % SHARDS
}

/// The oldest position the feed still answers from: `RETENTION_DAYS` ago.
pub fn oldest_position(now: SystemTime) -> u64 {
    let retention = Duration::from_secs(RETENTION_DAYS as u64 * 24 * 60 * 60);
    seq_at(now.checked_sub(retention).unwrap_or(UNIX_EPOCH), 0)
}

/// When a change at position `seq` is deleted by the table's TTL, in Unix
/// seconds.
pub fn expires_at(seq: u64) -> i64 {
    (seq / 1_000_000) as i64 + KEPT_DAYS * 24 * 60 * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_grow_with_time_and_name_their_shard() {
        let now = SystemTime::now();
        let later = now + Duration::from_micros(SHARDS);
        assert!(seq_at(later, 0) > seq_at(now, SHARDS - 1));
        assert_eq!(shard_of_seq(seq_at(now, 5)), 5);
        assert!(seq_at(now, 0) < 1 << 53, "a JSON number holds it exactly");
        assert!(oldest_position(now) < seq_at(now, 0));
        let kept = expires_at(seq_at(now, 0)) - now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(kept > RETENTION_DAYS * 86_400, "kept past the retention");
    }
}
