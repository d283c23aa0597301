//! Sessions and attempt counters in the embedded store, with the same
//! semantics as the DynamoDB adapter's conditional writes.

use super::{Attempts, MemoryStore};
use crate::domain::{Admission, AttemptCounter, MAX_SESSIONS_PER_USER, Session, Timestamp, UserId};
use crate::store::{SessionStore, StoreError, StoreResult};

impl SessionStore for MemoryStore {
    async fn start_session(&self, session: &Session, credentials_version: u64) -> StoreResult<()> {
        let mut state = self.lock();
        let stored = state.users.get(&session.user).ok_or(StoreError::AccountGone)?;
        if stored.credentials_version != credentials_version {
            return Err(StoreError::PasswordChanged);
        }
        let mut held: Vec<_> =
            state.sessions.values().filter(|held| held.user == session.user).map(|held| held.family).collect();
        held.sort();
        for family in held.iter().take((held.len() + 1).saturating_sub(MAX_SESSIONS_PER_USER)) {
            state.sessions.remove(&(session.user, *family));
        }
        state.sessions.insert((session.user, session.family), session.clone());
        Ok(())
    }

    async fn get_session(&self, user: UserId, family: uuid::Uuid) -> StoreResult<Option<Session>> {
        Ok(self.lock().sessions.get(&(user, family)).cloned())
    }

    async fn replace_session(&self, before: &Session, after: &Session) -> StoreResult<bool> {
        let mut state = self.lock();
        let Some(stored) = state.sessions.get_mut(&(before.user, before.family)) else {
            return Ok(false);
        };
        if stored.live_token == after.live_token {
            return Ok(true);
        }
        if stored.live_token != before.live_token {
            return Ok(false);
        }
        *stored = after.clone();
        Ok(true)
    }

    async fn end_session(&self, user: UserId, family: uuid::Uuid) -> StoreResult<()> {
        self.lock().sessions.remove(&(user, family));
        Ok(())
    }

    async fn end_all_sessions(&self, user: UserId) -> StoreResult<()> {
        let mut state = self.lock();
        if !state.users.contains_key(&user) {
            return Err(StoreError::AccountGone);
        }
        state.sessions.retain(|(owner, _), _| *owner != user);
        Ok(())
    }

    async fn count_attempt(&self, counters: &[AttemptCounter], now: Timestamp) -> StoreResult<Admission> {
        let now = now.unix_seconds();
        let mut state = self.lock();
        // Windows that are over go, as DynamoDB's TTL removes them.
        state.attempts.retain(|_, attempts| attempts.ends_at > now);
        let key = |counter: &AttemptCounter| (counter.scope.clone(), counter.limit.window(now));
        let full = counters.iter().find(|counter| {
            state.attempts.get(&key(counter)).is_some_and(|attempts| attempts.count >= counter.limit.attempts)
        });
        if let Some(full) = full {
            return Ok(Admission::Refused { retry_after: full.limit.retry_after(now) });
        }
        for counter in counters {
            let ends_at = counter.limit.window(now) + counter.limit.window_seconds;
            state.attempts.entry(key(counter)).or_insert(Attempts { count: 0, ends_at }).count += 1;
        }
        Ok(Admission::Admitted)
    }

    async fn settle_attempt(&self, counters: &[AttemptCounter; 2], counted_at: Timestamp) -> StoreResult<()> {
        let [cleared, refunded] = counters;
        let at = counted_at.unix_seconds();
        let mut state = self.lock();
        state.attempts.remove(&(cleared.scope.clone(), cleared.limit.window(at)));
        if let Some(attempts) = state.attempts.get_mut(&(refunded.scope.clone(), refunded.limit.window(at))) {
            attempts.count = attempts.count.saturating_sub(1);
        }
        Ok(())
    }
}
