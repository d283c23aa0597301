//! What the public saw change in a listing (issue 30): the events of the
//! change feed (`GET /changes`) and of webhooks. An event is derived from
//! the listing as a write found it and as it left it (`Change::between`),
//! by the same rule in both stores, so that a draft's edits, or anything
//! a listing held before its publication, never show.

use super::{City, Photo, PhotoOutcome, Property, PropertyId, Timestamp, Transition};

super::closed_list!(
    /// What happened to a listing, as the public sees it: it became public
    /// (`listing.published`: created `active`, or made `active` from
    /// `draft` or `withdrawn`); something visible changed while it stayed
    /// public (`listing.updated`); it was `sold` or `let`
    /// (`listing.closed`); it was `withdrawn` (`listing.unpublished`); or
    /// it was deleted while public, or with its owner's account
    /// (`listing.deleted`, a tombstone).
    ChangeType {
        Published = "listing.published",
        Updated = "listing.updated",
        Closed = "listing.closed",
        Unpublished = "listing.unpublished",
        Deleted = "listing.deleted",
    }
);

super::closed_list!(
    /// A member of a listing whose change an update names.
    ChangedMember {
        Name = "name",
        Description = "description",
        Type = "type",
        City = "city",
        Location = "location",
        Status = "status",
        Price = "price",
        Rooms = "rooms",
        Photos = "photos",
    }
);

/// One change of a listing as the public saw it. A store gives it its
/// place in the feed (`FeedEvent::seq`) when it writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Unique, and the same wherever the change is delivered (webhooks'
    /// `webhook-id`), so that receivers can drop a repeat.
    pub id: uuid::Uuid,
    pub kind: ChangeType,
    pub property_id: PropertyId,
    /// The listing's version after the change; a deletion's is one past
    /// the last, so that it comes after every other version.
    pub version: u64,
    pub occurred_at: Timestamp,
    /// As its publisher wrote it; for a deletion, the city it was in.
    pub city: City,
    /// For an update, closure or unpublication: the members that changed,
    /// in `ChangedMember::ALL` order; empty for a publication or deletion.
    pub changed: Vec<ChangedMember>,
    /// What searches read of the listing before and after the change, so
    /// that saved searches are matched without reading it (`alerts`); not
    /// part of the public event.
    pub listing: Transition,
}

impl Change {
    /// What the public sees of a write that found the listing as `before`
    /// and left it as `after` (`None`: absent), if anything: a listing only
    /// its owner sees (a draft, a withdrawn one) changes nothing public.
    /// `rooms_changed`: the write changed a room, which the property alone
    /// may not show (a room's name, say).
    pub fn between(
        before: Option<&Property>,
        after: Option<&Property>,
        rooms_changed: bool,
        now: Timestamp,
    ) -> Option<Change> {
        let public = |property: Option<&Property>| property.filter(|property| property.status().is_public()).cloned();
        let transition = Transition::between(before, after);
        let (kind, listing, changed) = match (public(before), public(after)) {
            (None, None) => return None,
            (None, Some(after)) => (ChangeType::Published, after, Vec::new()),
            (Some(before), None) => match after {
                Some(after) => (ChangeType::Unpublished, after.clone(), vec![ChangedMember::Status]),
                None => {
                    let version = before.version() + 1;
                    return Some(Self::new(ChangeType::Deleted, &before, version, now, Vec::new(), transition));
                }
            },
            (Some(before), Some(after)) => {
                let changed = differences(&before, &after, rooms_changed);
                let closed = after.status().is_final() && !before.status().is_final();
                match (closed, changed.is_empty()) {
                    (true, _) => (ChangeType::Closed, after, changed),
                    (false, true) => return None,
                    (false, false) => (ChangeType::Updated, after, changed),
                }
            }
        };
        Some(Self::new(kind, &listing, listing.version(), now, changed, transition))
    }

    fn new(
        kind: ChangeType,
        listing: &Property,
        version: u64,
        now: Timestamp,
        changed: Vec<ChangedMember>,
        transition: Transition,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7(),
            kind,
            property_id: listing.id,
            version,
            occurred_at: now,
            city: listing.city.clone(),
            changed,
            listing: transition,
        }
    }
}

/// The members a visitor sees differ between two public versions of a
/// listing, in `ChangedMember::ALL` order.
fn differences(before: &Property, after: &Property, rooms_changed: bool) -> Vec<ChangedMember> {
    use ChangedMember::*;
    let rooms = |p: &Property| (p.room_count(), p.bedroom_count(), p.total_area());
    let differs = |member: ChangedMember| match member {
        Name => before.name != after.name,
        Description => before.description != after.description,
        Type => before.property_type != after.property_type,
        City => before.city != after.city,
        Location => before.location != after.location,
        Status => before.status() != after.status(),
        Price => before.price() != after.price(),
        Rooms => rooms_changed || rooms(before) != rooms(after),
        Photos => !visible_photos(before).eq(visible_photos(after)),
    };
    ChangedMember::ALL.iter().copied().filter(|&member| differs(member)).collect()
}

/// The photos a visitor sees, in their order: the processed ones.
fn visible_photos(property: &Property) -> impl Iterator<Item = &Photo> {
    property.photos.as_slice().iter().filter(|photo| matches!(photo.outcome, Some(PhotoOutcome::Ready { .. })))
}

/// A change with its place in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Strictly increasing along the feed: see `store::feed`.
    pub seq: u64,
    pub change: Change,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ListingStatus, NewRooms, PropertyChanges, PropertyDescription, PropertyDetails, PropertyName, PropertyType,
        Transaction, UserId,
    };

    fn listing(status: ListingStatus) -> Property {
        let details = PropertyDetails {
            name: PropertyName::parse("Flat").unwrap(),
            description: PropertyDescription::empty(),
            property_type: PropertyType::Apartment,
            city: City::parse("Lyon").unwrap(),
            transaction: Transaction::Sale,
            status,
            price: None,
            location: None,
        };
        Property::publish(UserId::generate(), details, NewRooms::default(), Timestamp::now()).0
    }

    fn renamed(mut property: Property, name: &str) -> Property {
        let changes = PropertyChanges { name: Some(PropertyName::parse(name).unwrap()), ..PropertyChanges::default() };
        changes.apply_to(&mut property, Timestamp::now()).unwrap();
        property
    }

    fn kind(before: Option<&Property>, after: Option<&Property>) -> Option<(ChangeType, Vec<ChangedMember>)> {
        Change::between(before, after, false, Timestamp::now()).map(|change| (change.kind, change.changed))
    }

    #[test]
    fn a_draft_changes_nothing_public() {
        let draft = listing(ListingStatus::Draft);
        assert_eq!(kind(None, Some(&draft)), None);
        assert_eq!(kind(Some(&draft), Some(&renamed(draft.clone(), "Secret"))), None);
        assert_eq!(kind(Some(&draft), None), None, "a draft's deletion leaves no tombstone");
    }

    #[test]
    fn publication_shows_nothing_of_before() {
        let draft = renamed(listing(ListingStatus::Draft), "Before");
        let mut active = draft.clone();
        PropertyChanges { status: Some(ListingStatus::Active), ..PropertyChanges::default() }
            .apply_to(&mut active, Timestamp::now())
            .unwrap();
        assert_eq!(kind(Some(&draft), Some(&active)), Some((ChangeType::Published, vec![])));
        assert_eq!(kind(None, Some(&active)), Some((ChangeType::Published, vec![])));
    }

    #[test]
    fn updates_name_what_changed() {
        let active = listing(ListingStatus::Active);
        let renamed = renamed(active.clone(), "Another name");
        assert_eq!(kind(Some(&active), Some(&renamed)), Some((ChangeType::Updated, vec![ChangedMember::Name])));
        assert_eq!(kind(Some(&active), Some(&active)), None, "nothing visible changed");
        let rooms = Change::between(Some(&active), Some(&active), true, Timestamp::now()).unwrap();
        assert_eq!((rooms.kind, rooms.changed), (ChangeType::Updated, vec![ChangedMember::Rooms]));
        let under_offer = self::listing(ListingStatus::UnderOffer);
        let (kind_, changed) = kind(Some(&active), Some(&under_offer)).unwrap();
        assert_eq!(kind_, ChangeType::Updated);
        assert!(changed.contains(&ChangedMember::Status));
    }

    #[test]
    fn closing_unpublishing_and_deleting() {
        let active = listing(ListingStatus::Active);
        let sold = listing(ListingStatus::Sold);
        assert_eq!(kind(Some(&active), Some(&sold)).map(|(kind, _)| kind), Some(ChangeType::Closed));
        let withdrawn = listing(ListingStatus::Withdrawn);
        assert_eq!(kind(Some(&active), Some(&withdrawn)), Some((ChangeType::Unpublished, vec![ChangedMember::Status])));
        let deleted = Change::between(Some(&active), None, false, Timestamp::now()).unwrap();
        assert_eq!((deleted.kind, deleted.version), (ChangeType::Deleted, active.version() + 1));
        assert_eq!(kind(Some(&withdrawn), None), None, "no longer public: already unpublished");
    }
}
