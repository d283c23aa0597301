//! Sessions and sign-in throttling in the embedded store, with the same
//! semantics as the DynamoDB adapter's conditional writes.

use super::MemoryStore;
use crate::domain::{Email, FailedSignIns, Session, Timestamp, UserId};
use crate::store::{Rotation, SessionStore, StoreError, StoreResult};

impl SessionStore for MemoryStore {
    async fn start_session(&self, session: &Session) -> StoreResult<()> {
        let mut state = self.lock();
        if !state.users.contains_key(&session.user) {
            return Err(StoreError::AccountGone);
        }
        state.sessions.insert((session.user, session.family), session.clone());
        Ok(())
    }

    async fn rotate_session(&self, presented: &str, next: &Session) -> StoreResult<Rotation> {
        let mut state = self.lock();
        let key = (next.user, next.family);
        let Some(family) = state.sessions.get(&key).filter(|family| !family.expired(Timestamp::now())) else {
            return Ok(Rotation::Unknown);
        };
        if family.live_token != presented {
            state.sessions.remove(&key);
            return Ok(Rotation::Reused);
        }
        state.sessions.insert(key, next.clone());
        Ok(Rotation::Rotated)
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

    async fn failed_sign_ins(&self, email: &Email, now: Timestamp) -> StoreResult<Option<FailedSignIns>> {
        let state = self.lock();
        let failures = state.failed_sign_ins.get(&email.normalized()).copied();
        Ok(failures.filter(|failures| failures.remembered(now.unix_seconds())))
    }

    async fn record_failed_sign_in(&self, email: &Email, now: Timestamp) -> StoreResult<()> {
        let now = now.unix_seconds();
        let mut state = self.lock();
        // Forgotten failures go, here and for every address.
        state.failed_sign_ins.retain(|_, failures| failures.remembered(now));
        let failures =
            state.failed_sign_ins.entry(email.normalized()).or_insert(FailedSignIns { count: 0, last_at: now });
        *failures = FailedSignIns { count: failures.count.saturating_add(1), last_at: now };
        Ok(())
    }

    async fn forget_failed_sign_ins(&self, email: &Email) -> StoreResult<()> {
        self.lock().failed_sign_ins.remove(&email.normalized());
        Ok(())
    }
}
