//! Favourites, saved searches, the alerts' index and inboxes
//! (`store::alerts`; docs/data-model.md#alerts). An owner's favourites,
//! and their saved searches, share a partition with their count, which
//! the transaction that adds one raises under the condition that it stays
//! within the limit, so that racing additions cannot pass it, as for
//! webhooks. A favourite has an entry in its listing's partition (who
//! keeps it), and a saved search with alerts on a copy in each partition
//! of the alerts' index it is bounded by (its city's, its cells'), both
//! written in the transaction that writes them, so that they never
//! disagree. An inbox is a partition of notifications sorted by their
//! time-ordered ids, with the mark of how far its owner read; an alert is
//! notified once thanks to a marker named by its `dedup_key`, put with it.
//!
//! Calls: adding or removing a favourite is one transaction, and so is
//! creating or replacing a saved search; reading a user's favourites or
//! searches is one Query, a search one `GetItem`; deleting a search reads
//! it (for its bounds) then deletes it with its entries in one
//! transaction. The candidates of a change are one Query of its city's
//! partition and one of its cell's, in parallel; a notification is one
//! transaction (a digest: one `PutItem`); a page of an inbox is one Query,
//! the read mark's `GetItem` and one counting Query of what is past it;
//! marking read, one `UpdateItem`.

use super::expression::{Expression, Update};
use super::item::{
    AlertsCountItem, DueDigestItem, FavouredItem, FavouriteItem, HeldMatchItem, NotificationItem, NotifiedItem,
    PropertyItem, ReadMarkItem, SavedSearchItem,
};
use super::query::SortKeys;
use super::schema;
use super::transaction::{
    delete_action, exists_check_action, overwrite_action, put_action, put_new_action, update_action,
};
use super::users::failed_condition;
use super::{DynamoStore, Item, number, sdk_error, string};
use crate::domain::{
    DigestMatch, Favourite, MAX_FAVOURITES_PER_USER, MAX_SAVED_SEARCHES_PER_USER, Notification, NotificationId,
    Property, PropertyId, SavedSearch, SavedSearchId, Timestamp, UserId,
};
use crate::store::retry::{self, Attempt, Policy};
use crate::store::{AlertStore, DueDigest, Inbox, Page, PageRequest, StoreError, StoreResult};
use aws_sdk_dynamodb::types::{KeysAndAttributes, Select, TransactWriteItem};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The most keys one `BatchGetItem` reads.
const MAX_BATCH_READ: usize = 100;

/// The update that counts one more item in the count at `key`, under the
/// condition that it stays within `limit`.
fn count_in(table: &str, key: Item, limit: u32) -> TransactWriteItem {
    let mut expression = Expression::default();
    let mut update = Update::default();
    update.add.push(expression.increment(AlertsCountItem::COUNT, number(1)));
    let below_limit = format!(
        "({} OR {})",
        expression.absent(AlertsCountItem::COUNT),
        expression.less_than(AlertsCountItem::COUNT, number(limit))
    );
    update_action(table, key, &update, Some(&below_limit), &expression)
}

/// The update that counts one item out of the count at `key`.
fn count_out(table: &str, key: Item) -> TransactWriteItem {
    let mut expression = Expression::default();
    let mut update = Update::default();
    update.add.push(expression.increment(AlertsCountItem::COUNT, number(-1)));
    update_action(table, key, &update, None, &expression)
}

/// The writes that move a saved search's entries of the alerts' index
/// from where `before` has them to where `after` has them. The entries of
/// `after` are put (over one of `before` with the same key: a transaction
/// may write an item only once), and only those of `before` that `after`
/// has not are deleted.
fn index_changes(
    table: &str,
    before: Option<&SavedSearch>,
    after: Option<&SavedSearch>,
) -> StoreResult<Vec<TransactWriteItem>> {
    let kept: BTreeSet<String> = after.map(schema::alert_partitions).unwrap_or_default().into_iter().collect();
    let mut writes: Vec<TransactWriteItem> = match after {
        Some(after) => {
            SavedSearchItem::entries(after)?.into_iter().map(|entry| overwrite_action(table, entry)).collect()
        }
        None => Vec::new(),
    };
    if let Some(before) = before {
        let gone = schema::alert_partitions(before).into_iter().filter(|partition| !kept.contains(partition));
        writes.extend(gone.map(|partition| delete_action(table, schema::alert_entry_key(partition, before.id), None)));
    }
    Ok(writes)
}

impl DynamoStore {
    /// The saved search `id` of `owner`, read consistently.
    async fn saved_search(&self, owner: UserId, id: SavedSearchId) -> StoreResult<Option<SavedSearch>> {
        let item = self.read_item(schema::saved_search_key(owner, id)).await?;
        item.map(|item| SavedSearchItem::from_item(item)?.into_domain()).transpose()
    }

    /// Deletes the saved search `id` of `owner` with its index entries, and
    /// counts it out, in one transaction conditioned on the search being
    /// still as read (else it reads it again, once: its bounds may have
    /// changed). `found` is the search as just read, if it was.
    async fn remove_saved_search(
        &self,
        owner: UserId,
        id: SavedSearchId,
        found: Option<SavedSearch>,
    ) -> StoreResult<()> {
        let found = &found;
        let removed = retry::run(Policy::RACE.with_attempts(2), |attempt| async move {
            let current = match (attempt, found) {
                (0, Some(found)) => found.clone(),
                _ => self.saved_search(owner, id).await?.ok_or(StoreError::SavedSearchNotFound)?,
            };
            let mut expression = Expression::default();
            let unchanged = expression.equals(SavedSearchItem::VERSION, number(current.version));
            let mut items = vec![
                delete_action(&self.table, schema::saved_search_key(owner, id), Some((&unchanged, &expression))),
                count_out(&self.table, schema::saved_search_count_key(owner)),
            ];
            items.extend(index_changes(&self.table, Some(&current), None)?);
            match self.transact(items).await {
                Ok(()) => Ok(Attempt::Done(())),
                // Replaced or deleted since it was read: read it again.
                Err(failure) if failure.condition_failed_at(0) => Ok(Attempt::Retry(())),
                Err(failure) => Err(failure.into_error()),
            }
        })
        .await?;
        removed.done_or(|()| StoreError::Unavailable(format!("saved search {id} kept changing while being deleted")))
    }

    /// The saved searches of one partition of the alerts' index, read
    /// eventually consistently: a search changed within about a second of
    /// a change may be matched as it was.
    async fn alert_entries(&self, partition: String) -> StoreResult<Vec<SavedSearch>> {
        let items = self.query_all(self.query_partition(None, partition, SortKeys::All, |_| None)).await?;
        items.into_iter().map(|item| SavedSearchItem::from_item(item)?.into_domain()).collect()
    }

    /// The items at `keys` (at most `MAX_BATCH_READ`, each once) that
    /// exist, in any order: one `BatchGetItem`, and one more for the keys
    /// it left unprocessed (throttled), if any, after a pause.
    async fn batch_read(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let policy = Policy::CONFLICT;
        let mut found = Vec::new();
        let mut pending = keys;
        for attempt in 0..policy.attempts {
            if pending.is_empty() {
                return Ok(found);
            }
            if attempt > 0 {
                tokio::time::sleep(policy.pause(attempt)).await;
            }
            let request = KeysAndAttributes::builder().set_keys(Some(pending)).build().expect("complete keys");
            let output =
                self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(sdk_error)?;
            found.extend(output.responses.and_then(|mut read| read.remove(&self.table)).unwrap_or_default());
            let unprocessed = output.unprocessed_keys.and_then(|mut left| left.remove(&self.table));
            pending = unprocessed.map(|left| left.keys).unwrap_or_default();
        }
        match pending.is_empty() {
            true => Ok(found),
            false => Err(StoreError::Unavailable(format!("{} keys still unprocessed by BatchGetItem", pending.len()))),
        }
    }

    /// The notifications of a page of `owner`'s inbox, newest first, and
    /// where the next starts. One more than the page is read to know
    /// whether another follows; after a position, the notification there
    /// (both ends of a range are included) is read too, and dropped.
    async fn inbox_page(&self, owner: UserId, page: &PageRequest, now: Timestamp) -> StoreResult<Page<Notification>> {
        let after = page.after.as_deref().and_then(NotificationId::parse);
        let (highest, read) = match after {
            None => (NotificationId::MAX, page.limit + 1),
            Some(after) => (after, page.limit + 2),
        };
        let notes = SortKeys::Between(
            schema::notification_sort(&NotificationId::MIN.to_string()),
            schema::notification_sort(&highest.to_string()),
        );
        let output = self
            .query_partition(None, schema::inbox_partition(owner), notes, |_| None)
            .scan_index_forward(false)
            .limit(i32::try_from(read).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_error)?;
        let mut items = Vec::new();
        for item in output.items.unwrap_or_default() {
            let note = NotificationItem::from_item(item)?;
            // Expired ones are the oldest: when one is read, none follows.
            if !note.expired(now) && Some(note.id()) != after {
                items.push(note.into_domain());
            }
        }
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more.then(|| items.last().map(|note| note.id.to_string())).flatten();
        Ok(Page { items, next })
    }

    /// How far `owner` has read their inbox.
    async fn read_mark(&self, owner: UserId) -> StoreResult<Option<NotificationId>> {
        self.read_item(schema::read_mark_key(owner)).await?.map(ReadMarkItem::from_item).transpose()
    }

    /// How many notifications of `owner`'s inbox, not expired, are past
    /// `read_up_to`: a Query that counts (a page per MB of them).
    async fn unread(&self, owner: UserId, read_up_to: Option<NotificationId>, now: Timestamp) -> StoreResult<u64> {
        // Just past the mark's sort key: `~` sorts after every character of an id.
        let lowest = read_up_to.map_or_else(String::new, |mark| format!("{mark}~"));
        let past_mark = SortKeys::Between(
            schema::notification_sort(&lowest),
            schema::notification_sort(&NotificationId::MAX.to_string()),
        );
        let now = number(now.unix_seconds());
        let query = self
            .query_partition(None, schema::inbox_partition(owner), past_mark, |expression| {
                Some(expression.greater_than(NotificationItem::EXPIRES_AT, now))
            })
            .select(Select::Count);
        let mut unread = 0;
        let mut start = None;
        loop {
            let output = query.clone().set_exclusive_start_key(start).send().await.map_err(sdk_error)?;
            unread += u64::try_from(output.count).unwrap_or(0);
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(unread);
            }
        }
    }

    /// Deletes every favourite, saved search (with its index entries),
    /// notification and marker of `owner`, and their counts and read mark:
    /// part of deleting the account.
    pub(super) async fn delete_alerts_of(&self, owner: UserId) -> StoreResult<()> {
        tokio::try_join!(
            self.delete_favourites_of(owner),
            self.delete_saved_searches_of(owner),
            self.delete_inbox_of(owner)
        )?;
        Ok(())
    }

    /// One Query of the owner's favourites, then transactions of up to 100
    /// deletes: each favourite with its listing's entry (a pair, never
    /// split by those 100), then the count.
    async fn delete_favourites_of(&self, owner: UserId) -> StoreResult<()> {
        let items = self.partition(schema::favourites_partition(owner), SortKeys::All).await?;
        let mut keys = Vec::with_capacity(items.len() * 2);
        for item in &items {
            if schema::is_alerts_count_item(item) {
                continue;
            }
            keys.push(schema::key_of(item));
            let favourite = FavouriteItem::from_item(owner, item.clone())?;
            keys.push(schema::favoured_key(favourite.property_id, owner));
        }
        if !items.is_empty() {
            keys.push(schema::favourite_count_key(owner));
        }
        self.delete_all(keys).await
    }

    /// One Query of the owner's saved searches, then each as
    /// `delete_saved_search` without its read, then the count.
    async fn delete_saved_searches_of(&self, owner: UserId) -> StoreResult<()> {
        let items = self.partition(schema::saved_searches_partition(owner), SortKeys::All).await?;
        // Each search removed counts itself out, so the count is there
        // after, even if it was not when read.
        let counted = !items.is_empty();
        for item in items {
            if schema::is_alerts_count_item(&item) {
                continue;
            }
            let search = SavedSearchItem::from_item(item)?.into_domain()?;
            match self.remove_saved_search(owner, search.id, Some(search)).await {
                Ok(()) | Err(StoreError::SavedSearchNotFound) => {}
                Err(other) => return Err(other),
            }
        }
        if counted {
            let key = schema::saved_search_count_key(owner);
            self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        }
        Ok(())
    }

    /// One Query of the inbox (notifications and read mark) and one of
    /// the markers, then transactions of up to 100 deletes.
    async fn delete_inbox_of(&self, owner: UserId) -> StoreResult<()> {
        let (inbox, notified) = tokio::try_join!(
            self.partition(schema::inbox_partition(owner), SortKeys::All),
            self.partition(schema::notified_partition(owner), SortKeys::All)
        )?;
        self.delete_all(inbox.iter().chain(&notified).map(schema::key_of).collect()).await
    }
}

impl AlertStore for DynamoStore {
    async fn save_favourite(&self, favourite: &Favourite) -> StoreResult<bool> {
        let owner = favourite.owner;
        let items = vec![
            // The owner must still exist: a deleted user's token keeps nothing.
            exists_check_action(&self.table, schema::user_key(owner)),
            count_in(&self.table, schema::favourite_count_key(owner), MAX_FAVOURITES_PER_USER),
            put_new_action(&self.table, FavouriteItem::to_item(favourite)?),
            overwrite_action(&self.table, FavouredItem::to_item(favourite)?),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            // Kept already, which is no reason to refuse it at the limit.
            Err(failure) if failure.condition_failed_at(2) => Ok(false),
            Err(failure) if failure.condition_failed_at(1) => Err(StoreError::FavouriteLimitReached),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn remove_favourite(&self, owner: UserId, property: PropertyId) -> StoreResult<bool> {
        // Counted out only if it was there.
        let mut expression = Expression::default();
        let exists = expression.item_exists();
        let items = vec![
            delete_action(&self.table, schema::favourite_key(owner, property), Some((&exists, &expression))),
            count_out(&self.table, schema::favourite_count_key(owner)),
            delete_action(&self.table, schema::favoured_key(property, owner), None),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.condition_failed_at(0) => Ok(false),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn favourites_of(&self, owner: UserId) -> StoreResult<Vec<Favourite>> {
        let favourites = SortKeys::StartingWith(schema::favourite_sort_prefix().to_owned());
        let items = self.partition(schema::favourites_partition(owner), favourites).await?;
        let mut kept =
            items.into_iter().map(|item| FavouriteItem::from_item(owner, item)).collect::<StoreResult<Vec<_>>>()?;
        kept.sort_by_key(|favourite| std::cmp::Reverse((favourite.saved_at, favourite.property_id)));
        Ok(kept)
    }

    async fn favourited_by(&self, property: PropertyId) -> StoreResult<Vec<UserId>> {
        let query = self.query_partition(None, schema::favoured_partition(property), SortKeys::All, |_| None);
        self.query_all(query).await?.into_iter().map(FavouredItem::from_item).collect()
    }

    async fn properties(&self, ids: &[PropertyId]) -> StoreResult<Vec<Property>> {
        if ids.len() > MAX_BATCH_READ {
            return Err(StoreError::Internal(format!("{} properties asked at once, over {MAX_BATCH_READ}", ids.len())));
        }
        // BatchGetItem refuses a key asked twice.
        let unique: BTreeSet<PropertyId> = ids.iter().copied().collect();
        if unique.is_empty() {
            return Ok(Vec::new());
        }
        let items = self.batch_read(unique.into_iter().map(schema::property_key).collect()).await?;
        let mut found = HashMap::with_capacity(items.len());
        for item in items {
            let property = PropertyItem::from_item(item)?.into_domain()?;
            found.insert(property.id, property);
        }
        // In the order asked, as the embedded store answers.
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    async fn create_saved_search(&self, search: &SavedSearch) -> StoreResult<()> {
        let mut items = vec![
            // The owner must still exist: a deleted user's token saves nothing.
            exists_check_action(&self.table, schema::user_key(search.owner)),
            count_in(&self.table, schema::saved_search_count_key(search.owner), MAX_SAVED_SEARCHES_PER_USER),
            put_new_action(&self.table, SavedSearchItem::from_domain(search).to_item()?),
        ];
        items.extend(index_changes(&self.table, None, Some(search))?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            // Its fresh id names the write: sent again, it was applied already.
            Err(failure) if failure.condition_failed_at(2) => Ok(()),
            Err(failure) if failure.condition_failed_at(1) => Err(StoreError::SavedSearchLimitReached),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn saved_searches_of(&self, owner: UserId) -> StoreResult<Vec<SavedSearch>> {
        // Ids are time-ordered, and so are the sort keys: oldest first.
        let searches = SortKeys::StartingWith(schema::saved_search_sort_prefix().to_owned());
        let items = self.partition(schema::saved_searches_partition(owner), searches).await?;
        items.into_iter().map(|item| SavedSearchItem::from_item(item)?.into_domain()).collect()
    }

    async fn get_saved_search(&self, owner: UserId, id: SavedSearchId) -> StoreResult<Option<SavedSearch>> {
        self.saved_search(owner, id).await
    }

    async fn replace_saved_search(&self, previous: &SavedSearch, search: &SavedSearch) -> StoreResult<()> {
        // At the version read, it still has `previous`'s entries: those are
        // the ones to move.
        let mut expression = Expression::default();
        let at_version = expression.equals(SavedSearchItem::VERSION, number(previous.version));
        let item = SavedSearchItem::from_domain(search).to_item()?;
        let mut items = vec![put_action(&self.table, item, &at_version, &expression)];
        items.extend(index_changes(&self.table, Some(previous), Some(search))?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => match self.saved_search(search.owner, search.id).await? {
                None => Err(StoreError::SavedSearchNotFound),
                Some(_) => Err(StoreError::VersionMismatch),
            },
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn delete_saved_search(&self, owner: UserId, id: SavedSearchId) -> StoreResult<()> {
        self.remove_saved_search(owner, id, None).await
    }

    async fn alert_candidates(&self, city: &str, cell: Option<&str>) -> StoreResult<Vec<SavedSearch>> {
        let of_city = self.alert_entries(schema::alert_city_partition(city));
        let mut candidates = match cell {
            None => of_city.await?,
            Some(cell) => {
                let (mut of_city, of_cell) =
                    tokio::try_join!(of_city, self.alert_entries(schema::alert_cell_partition(cell)))?;
                of_city.extend(of_cell);
                of_city
            }
        };
        // A search bounded by both the city and the cell is in both.
        let mut seen = HashSet::new();
        candidates.retain(|search| seen.insert(search.id));
        Ok(candidates)
    }

    async fn notify(&self, notification: &Notification) -> StoreResult<bool> {
        let note = NotificationItem::from_domain(notification).to_item()?;
        let Some(dedup_key) = notification.dedup_key() else {
            // A digest is one of its kind: nothing to tell it from another.
            self.client.put_item().table_name(&self.table).set_item(Some(note)).send().await.map_err(sdk_error)?;
            return Ok(true);
        };
        let items = vec![
            put_new_action(&self.table, NotifiedItem::to_item(notification, &dedup_key)?),
            put_new_action(&self.table, note),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.condition_failed_at(0) => Ok(false),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn inbox(&self, owner: UserId, page: PageRequest) -> StoreResult<Inbox> {
        let now = Timestamp::now();
        let (page, read_up_to) = tokio::try_join!(self.inbox_page(owner, &page, now), self.read_mark(owner))?;
        let unread = self.unread(owner, read_up_to, now).await?;
        Ok(Inbox { page, read_up_to, unread })
    }

    async fn mark_read(&self, owner: UserId, up_to: NotificationId) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        let up_to = string(up_to.to_string());
        update.set.push(expression.equals(ReadMarkItem::UP_TO, up_to.clone()));
        // Ids spelled the same way sort as they do: never moved back.
        let forward = format!(
            "({} OR {})",
            expression.absent(ReadMarkItem::UP_TO),
            expression.less_than(ReadMarkItem::UP_TO, up_to)
        );
        match self.update_item(schema::read_mark_key(owner), &update, forward, &expression).send().await {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error).is_some() => Ok(()),
            Err(error) => Err(sdk_error(error)),
        }
    }

    async fn hold_for_digest(&self, search: &SavedSearch, found: &DigestMatch, due: Timestamp) -> StoreResult<bool> {
        // The marker first: an alert or a digest told of it already
        // cancels the whole; the due mark is the same item for every
        // match of the day, put again.
        let items = vec![
            put_new_action(&self.table, NotifiedItem::held(search.owner, found)?),
            overwrite_action(&self.table, HeldMatchItem::to_item(search.id, found)?),
            overwrite_action(&self.table, DueDigestItem::to_item(search.owner, search.id, due)?),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.condition_failed_at(0) => Ok(false),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn due_digests(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<DueDigest>> {
        let until = SortKeys::Between("0".to_owned(), schema::due_sort(now.unix_seconds(), "~"));
        let query = self.query_partition(None, schema::DUE_DIGESTS_PARTITION.to_owned(), until, |_| None);
        let items = query.limit(i32::try_from(limit).unwrap_or(i32::MAX)).send().await.map_err(sdk_error)?;
        items.items.unwrap_or_default().into_iter().map(DueDigestItem::from_item).collect()
    }

    async fn held_matches(&self, digest: &DueDigest) -> StoreResult<Vec<DigestMatch>> {
        let items = self.partition(schema::held_partition(digest.search), SortKeys::All).await?;
        let mut held = items.into_iter().map(HeldMatchItem::from_item).collect::<StoreResult<Vec<_>>>()?;
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
        let mut items: Vec<TransactWriteItem> = matches
            .iter()
            .map(|found| delete_action(&self.table, schema::held_key(digest.search, &found.key()), None))
            .collect();
        if all {
            let due = schema::due_digest_key(digest.due.unix_seconds(), digest.search);
            items.push(delete_action(&self.table, due, None));
        }
        if let Some(notification) = notification {
            items.push(put_new_action(&self.table, NotificationItem::from_domain(notification).to_item()?));
        }
        if items.is_empty() {
            return Ok(());
        }
        self.transact(items).await.map_err(|failure| failure.into_error())
    }
}
