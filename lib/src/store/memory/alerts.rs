//! Favourites, saved searches and inboxes in the embedded store, each
//! operation under the one lock. The alerts' index is the searches
//! themselves, filtered by their bounds as DynamoDB's index partitions
//! hold them.

use super::MemoryStore;
use crate::domain::{
    DigestMatch, Favourite, Frequency, MAX_FAVOURITES_PER_USER, MAX_SAVED_SEARCHES_PER_USER, Notification,
    NotificationId, Property, PropertyId, SavedSearch, SavedSearchId, Timestamp, UserId,
};
use crate::store::{AlertStore, DueDigest, Inbox, Page, PageRequest, StoreError, StoreResult};

impl AlertStore for MemoryStore {
    async fn save_favourite(&self, favourite: &Favourite) -> StoreResult<bool> {
        let mut state = self.lock();
        if !state.users.contains_key(&favourite.owner) {
            return Err(StoreError::AccountGone);
        }
        let key = (favourite.owner, favourite.property_id);
        if state.favourites.contains_key(&key) {
            return Ok(false);
        }
        let kept = state.favourites.keys().filter(|(owner, _)| *owner == favourite.owner).count();
        if kept >= MAX_FAVOURITES_PER_USER as usize {
            return Err(StoreError::FavouriteLimitReached);
        }
        state.favourites.insert(key, favourite.clone());
        Ok(true)
    }

    async fn remove_favourite(&self, owner: UserId, property: PropertyId) -> StoreResult<bool> {
        Ok(self.lock().favourites.remove(&(owner, property)).is_some())
    }

    async fn favourites_of(&self, owner: UserId) -> StoreResult<Vec<Favourite>> {
        let state = self.lock();
        let mut kept: Vec<Favourite> =
            state.favourites.values().filter(|favourite| favourite.owner == owner).cloned().collect();
        kept.sort_by_key(|favourite| std::cmp::Reverse((favourite.saved_at, favourite.property_id)));
        Ok(kept)
    }

    async fn favourited_by(&self, property: PropertyId) -> StoreResult<Vec<UserId>> {
        let state = self.lock();
        Ok(state.favourites.keys().filter(|(_, kept)| *kept == property).map(|(owner, _)| *owner).collect())
    }

    async fn properties(&self, ids: &[PropertyId]) -> StoreResult<Vec<Property>> {
        let state = self.lock();
        Ok(ids.iter().filter_map(|id| state.properties.get(id)).map(|stored| stored.property.clone()).collect())
    }

    async fn create_saved_search(&self, search: &SavedSearch) -> StoreResult<()> {
        let mut state = self.lock();
        if !state.users.contains_key(&search.owner) {
            return Err(StoreError::AccountGone);
        }
        let saved = state.saved_searches.values().filter(|held| held.owner == search.owner).count();
        if saved >= MAX_SAVED_SEARCHES_PER_USER as usize {
            return Err(StoreError::SavedSearchLimitReached);
        }
        state.saved_searches.insert(search.id, search.clone());
        Ok(())
    }

    async fn saved_searches_of(&self, owner: UserId) -> StoreResult<Vec<SavedSearch>> {
        Ok(self.lock().saved_searches.values().filter(|search| search.owner == owner).cloned().collect())
    }

    async fn get_saved_search(&self, owner: UserId, id: SavedSearchId) -> StoreResult<Option<SavedSearch>> {
        Ok(self.lock().saved_searches.get(&id).filter(|search| search.owner == owner).cloned())
    }

    async fn replace_saved_search(&self, previous: &SavedSearch, search: &SavedSearch) -> StoreResult<()> {
        let mut state = self.lock();
        let held = state.saved_searches.get_mut(&previous.id).filter(|held| held.owner == previous.owner);
        let held = held.ok_or(StoreError::SavedSearchNotFound)?;
        if held.version != previous.version {
            return Err(StoreError::VersionMismatch);
        }
        *held = search.clone();
        Ok(())
    }

    async fn delete_saved_search(&self, owner: UserId, id: SavedSearchId) -> StoreResult<()> {
        let mut state = self.lock();
        if state.saved_searches.get(&id).is_none_or(|search| search.owner != owner) {
            return Err(StoreError::SavedSearchNotFound);
        }
        state.saved_searches.remove(&id);
        Ok(())
    }

    async fn alert_candidates(&self, city: &str, cell: Option<&str>) -> StoreResult<Vec<SavedSearch>> {
        let state = self.lock();
        let indexed = |search: &&SavedSearch| {
            search.alerts.frequency != Frequency::Off
                && (search.bounds.city.as_deref() == Some(city)
                    || cell.is_some_and(|cell| search.bounds.cells.iter().any(|held| held == cell)))
        };
        Ok(state.saved_searches.values().filter(indexed).cloned().collect())
    }

    async fn notify(&self, notification: &Notification) -> StoreResult<bool> {
        let mut state = self.lock();
        if let Some(key) = notification.dedup_key()
            && !state.notified.insert((notification.owner, key))
        {
            return Ok(false);
        }
        state.inbox.insert((notification.owner, notification.id), notification.clone());
        Ok(true)
    }

    async fn inbox(&self, owner: UserId, page: PageRequest) -> StoreResult<Inbox> {
        let mut state = self.lock();
        let now = Timestamp::now().unix_seconds();
        state.inbox.retain(|_, notification| notification.expires_at() > now);
        let read_up_to = state.read_marks.get(&owner).copied();
        let held = state.inbox.range((owner, NotificationId::MIN)..=(owner, NotificationId::MAX)).map(|(_, held)| held);
        let unread = held.clone().filter(|held| read_up_to.is_none_or(|mark| held.id > mark)).count() as u64;
        let after = page.after.as_deref().and_then(NotificationId::parse);
        let mut rest = held.rev().filter(|held| after.is_none_or(|after| held.id < after));
        let items: Vec<Notification> = rest.by_ref().take(page.limit).cloned().collect();
        let next = rest.next().and(items.last()).map(|last| last.id.to_string());
        Ok(Inbox { page: Page { items, next }, read_up_to, unread })
    }

    async fn mark_read(&self, owner: UserId, up_to: NotificationId) -> StoreResult<()> {
        let mut state = self.lock();
        let mark = state.read_marks.entry(owner).or_insert(up_to);
        *mark = (*mark).max(up_to);
        Ok(())
    }

    async fn hold_for_digest(&self, search: &SavedSearch, found: &DigestMatch, due: Timestamp) -> StoreResult<bool> {
        let mut state = self.lock();
        if !state.notified.insert((search.owner, found.key())) {
            return Ok(false);
        }
        state.held.insert((search.id, found.key()), found.clone());
        state.due.insert((due, search.id), search.owner);
        Ok(true)
    }

    async fn due_digests(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<DueDigest>> {
        let state = self.lock();
        let due = state.due.iter().take_while(|((due, _), _)| *due <= now).take(limit);
        Ok(due.map(|(&(due, search), &owner)| DueDigest { owner, search, due }).collect())
    }

    async fn held_matches(&self, digest: &DueDigest) -> StoreResult<Vec<DigestMatch>> {
        let state = self.lock();
        let mut held: Vec<DigestMatch> = state
            .held
            .iter()
            .filter(|((search, _), _)| *search == digest.search)
            .map(|(_, found)| found.clone())
            .collect();
        held.sort_by_key(|found| found.at);
        Ok(held)
    }

    async fn close_digest(
        &self,
        digest: &DueDigest,
        matches: &[DigestMatch],
        notification: Option<&Notification>,
        all: bool,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        for found in matches {
            state.held.remove(&(digest.search, found.key()));
        }
        if all {
            state.due.remove(&(digest.due, digest.search));
        }
        if let Some(notification) = notification {
            state.inbox.insert((notification.owner, notification.id), notification.clone());
        }
        Ok(())
    }
}
