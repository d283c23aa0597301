//! Properties. A property, its rooms and its price history share a
//! partition (an item collection). The property item keeps a map of its
//! rooms' areas and the set of its bedrooms, from which `room_count`,
//! `bedroom_count` and `total_area_m2` are derived, and the index keys
//! that depend on them (the area order).
//!
//! Reads: a property with its rooms (one Query of its collection, price
//! history left out), and the listings and price history (`search.rs`).
//! Writes by the owner, to the property or its rooms (`edit_property`):
//! a consistent read of the property item, then one transaction that puts
//! the item as the change leaves it, with every index key derived again,
//! under the condition that the caller owns it and it is still at the
//! version read; the room and price history items change in the same
//! transaction.

use super::expression::{Expression, all};
use super::feed::{FeedSlot, LAST_CHANGE, last_change_of, place};
use super::item::{LAST_WRITE, PriceChangeItem, PropertyItem, RoomItem, written_by};
use super::kept::Slot;
use super::query::SortKeys;
use super::schema::{self, Index};
use super::transaction::{delete_action, exists_check_action, put_action, put_new_action};
use super::{DynamoStore, Item, number, string};
use crate::domain::{Change, PriceChange, Property, PropertyChanges, PropertyId, Room, UserId};
use crate::store::retry::{self, Attempt, Policy};
use crate::store::{Edit, KeptAnswer, Listing, Page, PageRequest, PropertyStore, StoreError, StoreResult, UserStore};
use aws_sdk_dynamodb::types::TransactWriteItem;

/// The condition that `edit` may change the property: the caller owns it,
/// it is still at one of the versions the edit names (if any), and this
/// very write has not changed it already (sent again after its answer was
/// lost).
pub(super) fn editable_by(expression: &mut Expression, edit: &Edit) -> String {
    let mut conditions = vec![expression.equals(PropertyItem::OWNER_ID, string(edit.caller.to_string()))];
    if let Some(versions) = edit.expected_versions {
        conditions.push(expression.one_of(PropertyItem::VERSION, versions.as_slice().iter().map(|&v| number(v))));
    }
    conditions.push(expression.absent_or_not(LAST_WRITE, string(edit.write.to_string())));
    all(conditions)
}

/// What the property item as it was when a write by `edit` was refused
/// (`item`) says about that refusal.
pub(super) enum Verdict {
    /// This very write changed the item already: it was sent again after
    /// its answer was lost, and succeeded the first time.
    Applied,
    /// The edit may not change the property.
    Refused(StoreError),
    /// The edit may change the property: the refusal was about something
    /// else (the room, the room limit).
    Editable,
}

pub(super) fn verdict(item: Option<&Item>, edit: &Edit) -> Verdict {
    let Some(item) = item.filter(|item| PropertyItem::owner_of(item).is_some()) else {
        return Verdict::Refused(StoreError::PropertyNotFound);
    };
    if PropertyItem::owner_of(item) != Some(edit.caller.to_string().as_str()) {
        // A listing only its owner sees does not exist for anyone else.
        let hidden = !PropertyItem::status_of(item).is_public();
        Verdict::Refused(if hidden { StoreError::PropertyNotFound } else { StoreError::NotOwner })
    } else if written_by(item, edit.write) {
        Verdict::Applied
    } else if PropertyItem::version_of(item).is_none_or(|version| edit.mismatches(version)) {
        Verdict::Refused(StoreError::VersionMismatch)
    } else {
        Verdict::Editable
    }
}

impl DynamoStore {
    /// A refusal (`error`) as the caller of `edit` should hear it: if their
    /// account is gone, `AccountGone` (401) whatever the property, as on
    /// every route that needs a caller. Checked only on a refusal.
    pub(super) async fn refusal(&self, error: StoreError, edit: &Edit) -> StoreError {
        if !matches!(error, StoreError::PropertyNotFound | StoreError::NotOwner) {
            return error;
        }
        match self.account_exists(edit.caller).await {
            Ok(true) => error,
            Ok(false) => StoreError::AccountGone,
            Err(failure) => failure,
        }
    }
}

impl DynamoStore {
    /// Applies an edit of property `id`: reads the property item, lets
    /// `change` compute the item as the edit leaves it (or refuse) and the
    /// other writes that go with it, and writes them in one transaction,
    /// with `answer` kept in it, conditioned on the caller owning the
    /// property and on the version read. If another write came in
    /// between, it reads again and decides again ([`Policy::RACE`]; an
    /// edit that names versions then fails as stale), so `change` may run
    /// more than once. Answers the item as the edit left it, or as found
    /// when this very write was applied already (sent again after its
    /// answer was lost).
    pub(super) async fn edit_property(
        &self,
        id: PropertyId,
        edit: &Edit,
        answer: Option<&KeptAnswer>,
        rooms_changed: bool,
        change: impl Fn(&PropertyItem) -> StoreResult<(PropertyItem, Vec<TransactWriteItem>)>,
    ) -> StoreResult<PropertyItem> {
        let change = &change;
        let edited = retry::run(Policy::RACE, |_| async move {
            let read = self.read_item(schema::property_key(id)).await?;
            let last_change = read.as_ref().and_then(last_change_of);
            let current = match (verdict(read.as_ref(), edit), read) {
                (Verdict::Refused(error), _) => return Err(self.refusal(error, edit).await),
                (Verdict::Applied, Some(item)) => return PropertyItem::from_item(item).map(Attempt::Done),
                (_, Some(item)) => PropertyItem::from_item(item)?,
                (_, None) => return Err(self.refusal(StoreError::PropertyNotFound, edit).await),
            };
            let (next, others) = change(&current)?;
            let public =
                Change::between(Some(&current.to_domain()?), Some(&next.to_domain()?), rooms_changed, edit.now);
            let public = public.map(|change| place(change, last_change));
            let mut expression = Expression::default();
            let condition = editable_by(&mut expression, &edit.of_version(Some(current.version())));
            let mut item = next.to_item()?;
            item.insert(LAST_WRITE.to_owned(), string(edit.write.to_string()));
            // The listing's last change, this one or the one before.
            let last = public.as_ref().map(|event| event.seq).or(last_change);
            if let Some(last) = last {
                item.insert(LAST_CHANGE.to_owned(), number(last));
            }
            let mut items = vec![put_action(&self.table, item, &condition, &expression)];
            items.extend(others);
            let feed = FeedSlot::append(&self.table, &mut items, public.as_ref())?;
            let slot = Slot::append(&self.table, &mut items, answer)?;
            match self.transact(items).await {
                Ok(()) => Ok(Attempt::Done(next)),
                Err(failure) if let Some(answer) = slot.refused_by(&failure) => Err(self.key_used(answer).await),
                Err(failure) if failure.condition_failed_at(0) || feed.position_taken(&failure) => {
                    Ok(Attempt::Retry(()))
                }
                Err(failure) => Err(failure.into_error()),
            }
        })
        .await?;
        edited.done_or(|()| StoreError::Unavailable(format!("property {id} kept changing while being edited")))
    }

    /// The property item, read consistently.
    pub(super) async fn property_item(&self, id: PropertyId) -> StoreResult<Option<PropertyItem>> {
        self.read_item(schema::property_key(id)).await?.map(PropertyItem::from_item).transpose()
    }
}

/// The write of a price history entry: new, in the edit's transaction.
fn price_change_action(table: &str, property: PropertyId, change: &PriceChange) -> StoreResult<TransactWriteItem> {
    Ok(put_new_action(table, PriceChangeItem::to_item(property, change)?))
}

impl PropertyStore for DynamoStore {
    async fn create_property(
        &self,
        property: &Property,
        rooms: &[Room],
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let created = retry::run(Policy::RACE, |_| async move {
            let public = Change::between(None, Some(property), false, property.created_at);
            let public = public.map(|change| place(change, None));
            let mut item = PropertyItem::from_domain(property, rooms).to_item()?;
            if let Some(event) = &public {
                item.insert(LAST_CHANGE.to_owned(), number(event.seq));
            }
            let mut items = vec![
                // The owner must still exist: a deleted user's token creates nothing.
                exists_check_action(&self.table, schema::user_key(property.owner_id)),
                put_new_action(&self.table, item),
            ];
            for room in rooms {
                items.push(put_new_action(&self.table, RoomItem::from_domain(room).to_item()?));
            }
            if let Some(opening) = property.opening_price() {
                items.push(price_change_action(&self.table, property.id, &opening)?);
            }
            let feed = FeedSlot::append(&self.table, &mut items, public.as_ref())?;
            let slot = Slot::append(&self.table, &mut items, answer)?;
            match self.transact(items).await {
                Ok(()) => Ok(Attempt::Done(())),
                Err(failure) if let Some(answer) = slot.refused_by(&failure) => Err(self.key_used(answer).await),
                Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
                // Its fresh id names the write: sent again, it was applied already.
                Err(failure) if failure.condition_failed_at(1) => Ok(Attempt::Done(())),
                // Another change took the same place in the feed: take another.
                Err(failure) if feed.position_taken(&failure) => Ok(Attempt::Retry(())),
                Err(failure) => Err(failure.into_error()),
            }
        })
        .await?;
        created.done_or(|()| StoreError::Unavailable("no free place in the change feed".into()))
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        let mut property = None;
        let mut rooms = Vec::new();
        for item in self.property_and_rooms(id).await? {
            if schema::is_property_item(&item) {
                property = Some(PropertyItem::from_item(item)?.into_domain()?);
            } else {
                rooms.push(RoomItem::from_item(item)?.into_domain()?);
            }
        }
        // Room ids are time-ordered, and so is the sort key: oldest first.
        Ok(property.map(|property| (property, rooms)))
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page<Property>> {
        self.list(listing, page).await
    }

    async fn price_history(
        &self,
        id: PropertyId,
        page: PageRequest,
    ) -> StoreResult<Option<(Property, Page<PriceChange>)>> {
        self.history(id, page).await
    }

    async fn update_property(&self, id: PropertyId, changes: &PropertyChanges, edit: Edit) -> StoreResult<Property> {
        self.edit_property(id, &edit, None, false, |current| {
            let mut property = current.to_domain()?;
            let price_change = changes.apply_to(&mut property, edit.now).map_err(StoreError::StatusChange)?;
            let history = price_change.map(|change| price_change_action(&self.table, id, &change)).transpose()?;
            Ok((current.replaced_by(&property), history.into_iter().collect()))
        })
        .await?
        .into_domain()
    }

    async fn delete_property(&self, id: PropertyId, edit: Edit) -> StoreResult<()> {
        // The rooms must be listed to be deleted; the version condition
        // makes sure none was added or removed in between (else: retry).
        let deleted = retry::run(Policy::RACE.with_attempts(5), |_| async move {
            let items = self.collection(id).await?;
            let Some(property) = items.iter().find(|item| schema::is_property_item(item)).cloned() else {
                return Err(self.refusal(StoreError::PropertyNotFound, &edit).await);
            };
            if let Verdict::Refused(error) = verdict(Some(&property), &edit) {
                return Err(self.refusal(error, &edit).await);
            }
            // The price history first, in transactions of its own (it may
            // be long): if the deletion stops half-way, the property is
            // still there, and deleting it again finishes the job.
            let history: Vec<Item> =
                items.iter().filter(|item| schema::is_price_change_item(item)).map(schema::key_of).collect();
            self.delete_all(history).await?;
            let last_change = last_change_of(&property);
            let property = PropertyItem::from_item(property)?;
            let tombstone = Change::between(Some(&property.to_domain()?), None, false, edit.now);
            let tombstone = tombstone.map(|change| place(change, last_change));
            // The version read, unless the edit names one: then a change
            // in between is the client's conflict, not a reason to retry.
            let mut expression = Expression::default();
            let condition = editable_by(&mut expression, &edit.of_version(Some(property.version())));
            let mut actions =
                vec![delete_action(&self.table, schema::property_key(id), Some((&condition, &expression)))];
            for room in property.room_ids() {
                actions.push(delete_action(&self.table, schema::room_key(id, room), None));
            }
            let feed = FeedSlot::append(&self.table, &mut actions, tombstone.as_ref())?;
            match self.transact(actions).await {
                Ok(()) => Ok(Attempt::Done(())),
                Err(failure) if failure.condition_failed_at(0) || feed.position_taken(&failure) => {
                    Ok(Attempt::Retry(()))
                }
                Err(failure) => Err(failure.into_error()),
            }
        })
        .await?;
        deleted.done_or(|()| StoreError::Unavailable(format!("property {id} kept changing while being deleted")))
    }
}

impl DynamoStore {
    /// Every item of a property's collection: its price history, the
    /// property, its rooms.
    pub(super) async fn collection(&self, id: PropertyId) -> StoreResult<Vec<Item>> {
        self.partition(schema::property_partition(id), SortKeys::All).await
    }

    /// The property and its rooms, without the price history (which sorts
    /// before them), read consistently.
    pub(super) async fn property_and_rooms(&self, id: PropertyId) -> StoreResult<Vec<Item>> {
        let start = SortKeys::AtLeast(schema::property_and_rooms_start().to_owned());
        self.partition(schema::property_partition(id), start).await
    }

    /// Deletes every property of `owner`: part of deleting the account.
    pub(super) async fn delete_properties_of(&self, owner: UserId) -> StoreResult<()> {
        let owned = schema::owner_partition(owner);
        let query = self.query_partition(Some(Index::Owner), owned, SortKeys::All, |_| None);
        for item in self.query_all(query).await? {
            let id = item.get(PropertyItem::ID).and_then(|value| value.as_s().ok());
            let id = id.and_then(|id| PropertyId::parse(id));
            let id = id.ok_or_else(|| StoreError::Internal("owner index item without an id".into()))?;
            match self.delete_property(id, Edit::by(owner)).await {
                Ok(()) | Err(StoreError::PropertyNotFound) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}
