//! The change feed in the embedded store: one list in `seq` order. Every
//! change is recorded under the lock of the write it describes, so the
//! feed's order is the order of the writes, and a change is readable as
//! soon as its write is done (nothing to wait for, unlike DynamoDB's).

use super::{MemoryStore, State};
use crate::domain::{Change, FeedEvent};
use crate::store::StoreResult;
use crate::store::feed::{FeedPage, FeedQuery, FeedStore, KEPT_DAYS, seq_at};
use std::time::{Duration, SystemTime};

impl State {
    /// Appends `change` to the feed, after every other, and lets the
    /// changes older than the feed keeps go.
    pub(super) fn record_change(&mut self, change: Option<Change>) {
        let Some(change) = change else { return };
        let now = SystemTime::now();
        let last = self.feed.back().map_or(0, |event| event.seq);
        let seq = seq_at(now, 0).max(last + 1);
        self.feed.push_back(FeedEvent { seq, change });
        let kept = seq_at(now - Duration::from_secs(KEPT_DAYS as u64 * 24 * 60 * 60), 0);
        while self.feed.front().is_some_and(|event| event.seq < kept) {
            self.feed.pop_front();
        }
    }
}

impl FeedStore for MemoryStore {
    async fn changes(&self, query: &FeedQuery) -> StoreResult<FeedPage> {
        let state = self.lock();
        let after = query.start(SystemTime::now());
        let first = state.feed.partition_point(|event| event.seq <= after);
        let mut events = Vec::new();
        for event in state.feed.range(first..) {
            if events.len() == query.limit {
                let next = events.last().map_or(after, |taken: &FeedEvent| taken.seq);
                return Ok(FeedPage { events, next });
            }
            if query.wants(event) {
                events.push(event.clone());
            }
        }
        Ok(FeedPage { events, next: state.position().max(after) })
    }

    async fn feed_position(&self) -> StoreResult<u64> {
        Ok(self.lock().position())
    }
}

impl State {
    /// Past every change recorded, and before any to come (whose position
    /// is at least the clock's, `record_change`).
    fn position(&self) -> u64 {
        let last = self.feed.back().map_or(0, |event| event.seq);
        last.max(seq_at(SystemTime::now(), 0) - 1)
    }
}
