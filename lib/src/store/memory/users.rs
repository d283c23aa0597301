use super::{MemoryStore, StoredUser};
use crate::domain::{Email, PasswordHash, ProfileChanges, Timestamp, User, UserId};
use crate::store::{Credentials, KeptAnswer, StoreError, StoreResult, UserStore, WriteId};

impl UserStore for MemoryStore {
    async fn create_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        state.check_key(answer)?;
        if state.users.contains_key(&user.id) {
            // Its fresh id names the write: this one was applied already.
            return Ok(());
        }
        let claim = user.email.normalized();
        if state.email_claims.contains_key(&claim) {
            return Err(StoreError::EmailTaken);
        }
        state.email_claims.insert(claim, user.id);
        let stored = StoredUser {
            user: user.clone(),
            password_hash: password_hash.clone(),
            credentials_version: 0,
            last_write: None,
        };
        state.users.insert(user.id, stored);
        state.keep(answer);
        Ok(())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.lock().users.get(&id).map(|stored| stored.user.clone()))
    }

    async fn find_credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let state = self.lock();
        let credentials =
            state.email_claims.get(&email.normalized()).and_then(|id| state.users.get(id)).map(StoredUser::credentials);
        Ok(credentials)
    }

    async fn account_exists(&self, id: UserId) -> StoreResult<bool> {
        Ok(self.lock().users.contains_key(&id))
    }

    async fn get_credentials(&self, id: UserId) -> StoreResult<Option<Credentials>> {
        Ok(self.lock().users.get(&id).map(StoredUser::credentials))
    }

    async fn update_profile(&self, id: UserId, changes: &ProfileChanges, now: Timestamp) -> StoreResult<User> {
        let mut state = self.lock();
        let stored = state.users.get_mut(&id).ok_or(StoreError::AccountGone)?;
        changes.apply_to(&mut stored.user, now);
        Ok(stored.user.clone())
    }

    async fn replace_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        new: &PasswordHash,
        now: Timestamp,
        write: WriteId,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        let stored = state.users.get_mut(&id).ok_or(StoreError::AccountGone)?;
        if stored.last_write == Some(write) {
            return Ok(());
        }
        if &stored.password_hash != current {
            return Err(StoreError::PasswordChanged);
        }
        stored.password_hash = new.clone();
        stored.credentials_version += 1;
        stored.user.updated_at = now;
        stored.last_write = Some(write);
        Ok(())
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        let mut state = self.lock();
        // One lock: nothing can start a session or keep an answer between
        // the steps that DynamoDB takes one after another.
        let stored = state.users.remove(&id).ok_or(StoreError::AccountGone)?;
        state.email_claims.remove(&stored.user.email.normalized());
        let owned: Vec<_> = state
            .properties
            .values()
            .filter(|stored| stored.property.owner_id == id)
            .map(|stored| stored.property.id)
            .collect();
        let now = Timestamp::now();
        for property in owned {
            state.remove_property(property, now);
        }
        let webhooks: Vec<_> = state.webhooks.values().filter(|webhook| webhook.owner == id).map(|w| w.id).collect();
        for webhook in webhooks {
            state.remove_webhook(webhook);
        }
        state.sessions.retain(|(owner, _), _| *owner != id);
        state.favourites.retain(|(owner, _), _| *owner != id);
        state.saved_searches.retain(|_, search| search.owner != id);
        state.inbox.retain(|(owner, _), _| *owner != id);
        state.notified.retain(|(owner, _)| *owner != id);
        state.read_marks.remove(&id);
        let scopes = [KeptAnswer::caller_scope(id), KeptAnswer::email_scope(&stored.user.email)];
        state.kept_answers.retain(|(scope, _), _| !scopes.contains(scope));
        drop(state);
        self.removals_happened();
        Ok(())
    }
}
