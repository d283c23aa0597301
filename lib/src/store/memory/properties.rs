use super::{MemoryStore, State, StoredProperty};
use crate::domain::geo::Cell;
use crate::domain::{Change, PhotoId, PriceChange, Property, PropertyChanges, PropertyId, Room, RoomId};
use crate::store::clusters::{CellSums, Placement, clusters_of};
use crate::store::search::{history_position, position};
use crate::store::{
    Cluster, ClusterQuery, Edit, KeptAnswer, Listing, ListingChange, Page, PageRequest, PropertyStore, StoreError,
    StoreResult,
};
use std::collections::{BTreeMap, BTreeSet};

impl MemoryStore {
    /// Applies an edit of property `id`, as the DynamoDB adapter's
    /// `edit_property` does, under one lock acquisition: `answer`'s key
    /// must be free and the caller allowed to edit (`editable_property`);
    /// `change` then works on a copy of the property with its rooms and
    /// price history, which replaces it unless `change` refuses, recorded
    /// as this write's. `answer` is kept, and the photos the change
    /// removed are recorded as gone. Sent again after it was applied, the
    /// edit changes nothing. `read` answers from the property as the edit
    /// left it.
    pub(super) fn edit_property<T>(
        &self,
        id: PropertyId,
        edit: &Edit,
        answer: Option<&KeptAnswer>,
        change: impl FnOnce(&mut StoredProperty) -> StoreResult<()>,
        read: impl FnOnce(&StoredProperty) -> T,
    ) -> StoreResult<T> {
        let mut state = self.lock();
        state.check_key(answer)?;
        let stored = state.editable_property(id, edit)?;
        if stored.applied(edit) {
            return Ok(read(stored));
        }
        let mut next = stored.clone();
        change(&mut next)?;
        next.last_write = Some(edit.write);
        let rooms_changed = next.rooms != stored.rooms;
        let change = Change::between(Some(&stored.property), Some(&next.property), rooms_changed, edit.now);
        // Gone: in the property as it was, not as it is (the stream's rule).
        let remaining: BTreeSet<PhotoId> = next.photo_ids().collect();
        let removed: Vec<PhotoId> = stored.photo_ids().filter(|photo| !remaining.contains(photo)).collect();
        *stored = next;
        let answered = read(stored);
        state.keep(answer);
        state.record_change(change);
        if !removed.is_empty() {
            state.photos_removed(id, removed);
            drop(state);
            self.removals_happened();
        }
        Ok(answered)
    }
}

impl State {
    /// The property `edit` may change, or why it may not.
    /// A write already applied (`StoredProperty::applied`) passes: its
    /// caller then reports success without applying it again.
    fn editable_property(&mut self, id: PropertyId, edit: &Edit) -> StoreResult<&mut StoredProperty> {
        // A deleted account's token is refused as such, whatever the property.
        if !self.users.contains_key(&edit.caller) {
            return Err(StoreError::AccountGone);
        }
        let stored = self.properties.get_mut(&id).ok_or(StoreError::PropertyNotFound)?;
        if stored.property.owner_id != edit.caller {
            // A listing only its owner sees does not exist for anyone else.
            let hidden = !stored.property.visible_to(None);
            return Err(if hidden { StoreError::PropertyNotFound } else { StoreError::NotOwner });
        }
        if !stored.applied(edit) && edit.mismatches(stored.property.version()) {
            return Err(StoreError::VersionMismatch);
        }
        Ok(stored)
    }
}

/// Whether `property` is in the listing.
fn listed(listing: &Listing, property: &Property) -> bool {
    match listing {
        Listing::Search(search) => search.matches(property),
        Listing::Owner(owner) => property.owner_id == *owner,
    }
}

/// The items of a page from `(position, item)` pairs in order, after `after`.
fn page_of<T>(ordered: impl Iterator<Item = (String, T)>, page: &PageRequest, ascending: bool) -> Page<T> {
    let after = |position: &String| match &page.after {
        None => true,
        Some(after) if ascending => position > after,
        Some(after) => position < after,
    };
    let mut items: Vec<(String, T)> = ordered.filter(|(position, _)| after(position)).take(page.limit + 1).collect();
    let more = items.len() > page.limit;
    items.truncate(page.limit);
    let next = more.then(|| items.last().map(|(position, _)| position.clone())).flatten();
    Page { items: items.into_iter().map(|(_, item)| item).collect(), next }
}

impl PropertyStore for MemoryStore {
    async fn create_property(
        &self,
        property: &Property,
        rooms: &[Room],
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        state.check_key(answer)?;
        if !state.users.contains_key(&property.owner_id) {
            return Err(StoreError::AccountGone);
        }
        if state.properties.contains_key(&property.id) {
            // Its fresh id names the write: this one was applied already.
            return Ok(());
        }
        let rooms: BTreeMap<RoomId, Room> = rooms.iter().map(|room| (room.id, room.clone())).collect();
        let price_history = property.opening_price().into_iter().collect();
        let stored = StoredProperty { property: property.clone(), rooms, price_history, last_write: None };
        state.properties.insert(property.id, stored);
        state.keep(answer);
        state.record_change(Change::between(None, Some(property), false, property.created_at));
        Ok(())
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        let state = self.lock();
        Ok(state.properties.get(&id).map(|stored| (stored.property.clone(), stored.rooms.values().cloned().collect())))
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page<Property>> {
        let state = self.lock();
        let order = listing.order();
        let mut matches: Vec<(String, &Property)> = state
            .properties
            .values()
            .filter(|stored| listed(listing, &stored.property))
            .filter_map(|stored| Some((position(&stored.property, order)?, &stored.property)))
            .collect();
        matches.sort_by(|(a, _), (b, _)| if order.ascending() { a.cmp(b) } else { b.cmp(a) });
        // Only the page's listings are copied out of the store.
        let page = page_of(matches.into_iter(), &page, order.ascending());
        Ok(Page { items: page.items.into_iter().cloned().collect(), next: page.next })
    }

    async fn price_history(
        &self,
        id: PropertyId,
        page: PageRequest,
    ) -> StoreResult<Option<(Property, Page<PriceChange>)>> {
        let state = self.lock();
        let Some(stored) = state.properties.get(&id) else { return Ok(None) };
        let entries = stored.price_history.iter().map(|change| (history_position(change.version), *change));
        Ok(Some((stored.property.clone(), page_of(entries, &page, true))))
    }

    async fn update_property(&self, id: PropertyId, changes: &PropertyChanges, edit: Edit) -> StoreResult<Property> {
        let change = |next: &mut StoredProperty| {
            let price_change = changes.apply_to(&mut next.property, edit.now).map_err(StoreError::StatusChange)?;
            next.price_history.extend(price_change);
            Ok(())
        };
        self.edit_property(id, &edit, None, change, |stored| stored.property.clone())
    }

    async fn delete_property(&self, id: PropertyId, edit: Edit) -> StoreResult<()> {
        let mut state = self.lock();
        state.editable_property(id, &edit)?;
        state.remove_property(id, edit.now);
        drop(state);
        self.removals_happened();
        Ok(())
    }
}

impl crate::store::ClusterStore for MemoryStore {
    async fn clusters(&self, query: &ClusterQuery) -> StoreResult<Vec<Cluster>> {
        let cells: BTreeSet<Cell> = query.bbox.covering(query.precision).into_iter().collect();
        let mut sums: BTreeMap<Cell, CellSums> = BTreeMap::new();
        let state = self.lock();
        for stored in state.properties.values() {
            let Some(placement) = Placement::of(&stored.property)
                .filter(|placed| query.counts(placed.transaction, placed.status, placed.property_type))
            else {
                continue;
            };
            let cell = Cell::of(placement.location, query.precision);
            if cells.contains(&cell) {
                sums.entry(cell).or_default().add(&placement, 1);
            }
        }
        Ok(clusters_of(sums))
    }

    async fn count_change(&self, _: &ListingChange) -> StoreResult<()> {
        Ok(())
    }
}
