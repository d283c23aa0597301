//! One suite, two adapters: the embedded store must behave like DynamoDB.

use crate::on_both_stores;
use crate::support::fixtures::{everywhere_search, hash, property, publish, room, user, walk};
use estate::domain::{
    Admission, Area, AttemptCounter, Email, MAX_ROOMS, PersonName, ProfileChanges, PropertyChanges, PropertyId,
    PropertyName, PropertyType, RoomChanges, RoomId, RoomKind, Session, Timestamp, UserId,
};
use estate::store::{Edit, KeptAnswer, Listing, PageRequest, Search, Store, StoreError, WriteId};

on_both_stores!(
    store:
    creates_and_reads_users,
    email_is_unique_in_any_letter_case,
    concurrent_registrations_of_one_email_admit_exactly_one,
    updates_only_the_given_profile_fields,
    password_hash_changes_only_from_the_current_one,
    deleting_a_user_releases_their_email,
    deleting_a_user_removes_the_answers_kept_for_them,
    a_session_starts_only_at_the_current_credentials,
    attempts_are_counted_all_or_none_up_to_the_limit,
    a_property_needs_an_existing_owner,
    only_the_owner_writes_a_property_or_its_rooms,
    room_writes_keep_the_derived_totals,
    the_room_limit_holds,
    stale_versions_are_refused,
    listings_page_through_partitions_and_filters,
    deleting_a_user_deletes_their_properties,
    a_write_sent_again_reports_what_it_did,
);

async fn creates_and_reads_users(store: impl Store) {
    let ada = user("Ada@Example.com");
    store.create_user(&ada, &hash("a"), None).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(store.get_user(UserId::generate()).await.unwrap(), None);
    let credentials = store.get_credentials(ada.id).await.unwrap().unwrap();
    assert_eq!((credentials.password_hash, credentials.version), (hash("a"), 0));

    let found = store.find_credentials(&Email::parse("ada@EXAMPLE.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(found.user_id, ada.id);
    assert_eq!(found.password_hash, hash("a"));
    assert!(store.find_credentials(&Email::parse("nobody@example.com").unwrap()).await.unwrap().is_none());
}

async fn email_is_unique_in_any_letter_case(store: impl Store) {
    let first = user("grace@example.com");
    let second = user("GRACE@example.COM");
    store.create_user(&first, &hash("a"), None).await.unwrap();
    assert_eq!(store.create_user(&second, &hash("b"), None).await, Err(StoreError::EmailTaken));
    // Nothing of the refused user was written.
    assert_eq!(store.get_user(second.id).await.unwrap(), None);
    let found = store.find_credentials(&second.email).await.unwrap().unwrap();
    assert_eq!(found.user_id, first.id);
}

async fn concurrent_registrations_of_one_email_admit_exactly_one(store: impl Store) {
    let attempts = (0..10).map(|i| {
        let store = store.clone();
        let candidate = user(&format!("{}@example.com", if i % 2 == 0 { "race" } else { "RACE" }));
        tokio::spawn(async move { store.create_user(&candidate, &hash("x"), None).await })
    });
    let mut created = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(()) => created += 1,
            Err(error) => assert_eq!(error, StoreError::EmailTaken),
        }
    }
    assert_eq!(created, 1);
}

async fn updates_only_the_given_profile_fields(store: impl Store) {
    let ada = user("lovelace@example.com");
    store.create_user(&ada, &hash("a"), None).await.unwrap();
    let later = Timestamp::now();
    let changes = ProfileChanges { last_name: Some(PersonName::parse("King").unwrap()), ..Default::default() };
    let updated = store.update_profile(ada.id, &changes, later).await.unwrap();
    assert_eq!(updated.last_name.as_str(), "King");
    assert_eq!(updated.first_name, ada.first_name);
    assert_eq!(updated.birth_date, ada.birth_date);
    assert_eq!(updated.updated_at, later);
    assert_eq!(store.get_user(ada.id).await.unwrap(), Some(updated));
    assert_eq!(store.update_profile(UserId::generate(), &changes, later).await, Err(StoreError::AccountGone));
}

async fn password_hash_changes_only_from_the_current_one(store: impl Store) {
    let ada = user("hash@example.com");
    store.create_user(&ada, &hash("one"), None).await.unwrap();
    let now = Timestamp::now();
    assert_eq!(
        store.replace_password_hash(ada.id, &hash("stale"), &hash("two"), now, WriteId::new()).await,
        Err(StoreError::PasswordChanged)
    );
    store.replace_password_hash(ada.id, &hash("one"), &hash("two"), now, WriteId::new()).await.unwrap();
    let credentials = store.get_credentials(ada.id).await.unwrap().unwrap();
    assert_eq!((credentials.password_hash, credentials.version), (hash("two"), 1), "the change bumps the version");
    let nobody = UserId::generate();
    let gone = Err(StoreError::AccountGone);
    assert_eq!(store.replace_password_hash(nobody, &hash("one"), &hash("two"), now, WriteId::new()).await, gone);
}

async fn deleting_a_user_releases_their_email(store: impl Store) {
    let ada = user("leaving@example.com");
    store.create_user(&ada, &hash("a"), None).await.unwrap();
    store.delete_user(ada.id).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), None);
    assert!(store.find_credentials(&ada.email).await.unwrap().is_none());
    assert_eq!(store.delete_user(ada.id).await, Err(StoreError::AccountGone));
    let successor = user("LEAVING@example.com");
    store.create_user(&successor, &hash("b"), None).await.unwrap();
}

fn kept(scope: String, key: &str) -> KeptAnswer {
    let expires_at = Timestamp::now().unix_seconds() + 60;
    KeptAnswer {
        scope,
        key: key.into(),
        fingerprint: "f".into(),
        location: "/x".into(),
        etag: None,
        body: "{}".into(),
        expires_at,
    }
}

/// The answers kept under the account's keys hold its data (a
/// registration's answer: email, name, birth date): they go with it.
async fn deleting_a_user_removes_the_answers_kept_for_them(store: impl Store) {
    let ada = user("kept@example.com");
    let registration = kept(KeptAnswer::email_scope(&ada.email), "r1");
    store.create_user(&ada, &hash("a"), Some(&registration)).await.unwrap();
    let (home, rooms) = publish(ada.id, "Paris", PropertyType::House, &[100]);
    let creation = kept(KeptAnswer::caller_scope(ada.id), "p1");
    store.create_property(&home, &rooms, Some(&creation)).await.unwrap();
    store.delete_user(ada.id).await.unwrap();

    let successor = user("KEPT@example.com");
    store.create_user(&successor, &hash("b"), Some(&registration)).await.expect("the key is free again");
    let (other, rooms) = publish(successor.id, "Lyon", PropertyType::House, &[100]);
    store.create_property(&other, &rooms, Some(&creation)).await.expect("the caller's keys are free again");
}

/// A session starts only if the credentials its password was checked
/// against are still current: not after a password change, not once the
/// account is gone.
async fn a_session_starts_only_at_the_current_credentials(store: impl Store) {
    let ada = user("versioned@example.com");
    store.create_user(&ada, &hash("one"), None).await.unwrap();
    let checked = store.find_credentials(&ada.email).await.unwrap().unwrap();
    assert_eq!(checked.version, 0);
    let (first, _) = Session::start(ada.id, Timestamp::now());
    store.start_session(&first, checked.version).await.unwrap();
    store.replace_password_hash(ada.id, &hash("one"), &hash("two"), Timestamp::now(), WriteId::new()).await.unwrap();
    let (late, _) = Session::start(ada.id, Timestamp::now());
    assert_eq!(store.start_session(&late, checked.version).await, Err(StoreError::PasswordChanged));
    assert_eq!(store.get_session(ada.id, late.family).await.unwrap(), None);
    let current = store.get_credentials(ada.id).await.unwrap().unwrap();
    store.start_session(&late, current.version).await.unwrap();
    store.delete_user(ada.id).await.unwrap();
    let (gone, _) = Session::start(ada.id, Timestamp::now());
    assert_eq!(store.start_session(&gone, current.version).await, Err(StoreError::AccountGone));
    assert_eq!(store.get_session(ada.id, late.family).await.unwrap(), None, "the deletion ended it");
}

async fn attempts_are_counted_all_or_none_up_to_the_limit(store: impl Store) {
    let email = Email::parse("counted@example.com").unwrap();
    let from = |address: &str| [AttemptCounter::sign_in_from(&email, address), AttemptCounter::sign_in(&email)];
    let [per_address, per_account] = from("192.0.2.1");
    let now = Timestamp::now();
    for _ in 0..per_address.limit.attempts {
        assert_eq!(store.count_attempt(&from("192.0.2.1"), now).await.unwrap(), Admission::Admitted);
    }
    let refused = store.count_attempt(&from("192.0.2.1"), now).await.unwrap();
    assert_eq!(refused, Admission::Refused { retry_after: per_address.limit.retry_after(now.unix_seconds()) });
    // Refused by its first counter, the attempt counted in neither: the
    // account's ceiling still has 15 of its 20 left.
    for n in 0..(per_account.limit.attempts - per_address.limit.attempts) {
        let admitted = store.count_attempt(&from(&format!("198.51.100.{n}")), now).await.unwrap();
        assert_eq!(admitted, Admission::Admitted, "attempt {n} from elsewhere");
    }
    let ceiling = store.count_attempt(&from("203.0.113.1"), now).await.unwrap();
    assert!(matches!(ceiling, Admission::Refused { .. }), "the account's ceiling");
    // A success settles: its address count cleared, its attempt given back.
    store.settle_attempt(&[per_address, per_account], now).await.unwrap();
    assert_eq!(store.count_attempt(&from("192.0.2.1"), now).await.unwrap(), Admission::Admitted);
}

fn everywhere() -> Listing {
    Listing::Search(everywhere_search())
}

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    owner.id
}

async fn a_property_needs_an_existing_owner(store: impl Store) {
    let (home, rooms) = publish(UserId::generate(), "Paris", PropertyType::House, &[100]);
    assert_eq!(store.create_property(&home, &rooms, None).await, Err(StoreError::AccountGone));
    assert_eq!(store.get_property(home.id).await.unwrap(), None);
    assert_eq!(store.get_room(home.id, rooms[0].id).await.unwrap(), None);
}

async fn only_the_owner_writes_a_property_or_its_rooms(store: impl Store) {
    let owner_id = owner(&store, "own@example.com").await;
    let stranger = owner(&store, "stranger@example.com").await;
    let (home, rooms) = publish(owner_id, "Paris", PropertyType::House, &[100]);
    let first = rooms[0].clone();
    store.create_property(&home, &rooms, None).await.unwrap();
    let before = store.get_property(home.id).await.unwrap();
    let rename = PropertyChanges { name: Some(PropertyName::parse("Mine").unwrap()), ..Default::default() };
    assert_eq!(store.update_property(home.id, &rename, Edit::by(stranger)).await, Err(StoreError::NotOwner));
    assert_eq!(store.delete_property(home.id, Edit::by(stranger)).await, Err(StoreError::NotOwner));
    assert_eq!(store.add_room(&room(home.id, 5), Edit::by(stranger), None).await, Err(StoreError::NotOwner));
    let resize = RoomChanges { area: Some(Area::from_hundredths(1)), ..Default::default() };
    assert_eq!(store.update_room(home.id, first.id, &resize, Edit::by(stranger)).await, Err(StoreError::NotOwner));
    assert_eq!(store.delete_room(home.id, first.id, Edit::by(stranger)).await, Err(StoreError::NotOwner));
    assert_eq!(store.get_property(home.id).await.unwrap(), before);

    let missing = PropertyId::generate();
    assert_eq!(store.update_property(missing, &rename, Edit::by(owner_id)).await, Err(StoreError::PropertyNotFound));
    assert_eq!(store.delete_property(missing, Edit::by(owner_id)).await, Err(StoreError::PropertyNotFound));
    assert_eq!(store.add_room(&room(missing, 5), Edit::by(owner_id), None).await, Err(StoreError::PropertyNotFound));
    assert_eq!(
        store.update_room(missing, first.id, &resize, Edit::by(owner_id)).await,
        Err(StoreError::PropertyNotFound)
    );
    assert_eq!(store.delete_room(missing, first.id, Edit::by(owner_id)).await, Err(StoreError::PropertyNotFound));
    assert_eq!(
        store.update_room(home.id, RoomId::generate(), &resize, Edit::by(owner_id)).await,
        Err(StoreError::RoomNotFound)
    );
    assert_eq!(store.delete_room(home.id, RoomId::generate(), Edit::by(owner_id)).await, Err(StoreError::RoomNotFound));
}

async fn room_writes_keep_the_derived_totals(store: impl Store) {
    let owner_id = owner(&store, "totals@example.com").await;
    let (home, rooms) = publish(owner_id, "Lyon", PropertyType::Loft, &[10, 20]);
    store.create_property(&home, &rooms, None).await.unwrap();
    let added = room(home.id, 29);
    store.add_room(&added, Edit::by(owner_id), None).await.unwrap();
    let (read, rooms) = store.get_property(home.id).await.unwrap().unwrap();
    assert_eq!((read.room_count(), read.total_area().hundredths(), read.version()), (3, 59, 2));
    assert_eq!(rooms.last().unwrap(), &added, "rooms come oldest first");

    let resize = RoomChanges { area: Some(Area::from_hundredths(1)), ..Default::default() };
    let resized = store.update_room(home.id, added.id, &resize, Edit::by(owner_id)).await.unwrap();
    assert_eq!((resized.id, resized.area, &resized.name), (added.id, Area::from_hundredths(1), &added.name));
    store.delete_room(home.id, rooms[0].id, Edit::by(owner_id)).await.unwrap();
    let (read, rooms) = store.get_property(home.id).await.unwrap().unwrap();
    assert_eq!((read.room_count(), read.total_area().hundredths(), read.version()), (2, 21, 4));
    assert_eq!(rooms.len(), 2);
    assert_eq!(store.get_room(home.id, added.id).await.unwrap().unwrap().area, Area::from_hundredths(1));
    let listed = store.list_properties(&everywhere(), PageRequest { limit: 10, after: None }).await.unwrap();
    assert_eq!(listed.items, std::slice::from_ref(&read));
    // Rooms of kind bedroom are counted as they come and go or change kind.
    assert_eq!(read.bedroom_count(), 2);
    let not_a_bedroom = RoomChanges { kind: Some(RoomKind::Office), ..Default::default() };
    store.update_room(home.id, added.id, &not_a_bedroom, Edit::by(owner_id)).await.unwrap();
    let (read, _) = store.get_property(home.id).await.unwrap().unwrap();
    assert_eq!((read.room_count(), read.bedroom_count(), read.total_area().hundredths()), (2, 1, 21));
}

async fn the_room_limit_holds(store: impl Store) {
    let owner_id = owner(&store, "limit@example.com").await;
    let (home, rooms) = publish(owner_id, "Lille", PropertyType::Commercial, &[100; MAX_ROOMS]);
    store.create_property(&home, &rooms, None).await.unwrap();
    let extra = room(home.id, 100);
    assert_eq!(store.add_room(&extra, Edit::by(owner_id), None).await, Err(StoreError::RoomLimitReached));
    assert_eq!(store.get_room(home.id, extra.id).await.unwrap(), None);
}

async fn stale_versions_are_refused(store: impl Store) {
    let owner_id = owner(&store, "versions@example.com").await;
    let home = property(owner_id, "Nice", PropertyType::Villa);
    store.create_property(&home, &[], None).await.unwrap();
    let rename = PropertyChanges { name: Some(PropertyName::parse("Renamed").unwrap()), ..Default::default() };
    let updated = store.update_property(home.id, &rename, Edit::by(owner_id).of_version(Some(1))).await.unwrap();
    assert_eq!(updated.version(), 2);
    assert_eq!(
        store.update_property(home.id, &rename, Edit::by(owner_id).of_version(Some(1))).await,
        Err(StoreError::VersionMismatch)
    );

    // Every write to the property or its rooms checks the version it names,
    // and a refused one changes nothing.
    let added = room(home.id, 100);
    let stale = Edit::by(owner_id).of_version(Some(1));
    assert_eq!(store.add_room(&added, stale, None).await, Err(StoreError::VersionMismatch));
    store.add_room(&added, Edit::by(owner_id).of_version(Some(2)), None).await.unwrap();
    let resize = RoomChanges { area: Some(Area::from_hundredths(1)), ..Default::default() };
    assert_eq!(store.update_room(home.id, added.id, &resize, stale).await, Err(StoreError::VersionMismatch));
    assert_eq!(store.delete_room(home.id, added.id, stale).await, Err(StoreError::VersionMismatch));
    assert_eq!(store.delete_property(home.id, stale).await, Err(StoreError::VersionMismatch));
    let (current, rooms) = store.get_property(home.id).await.unwrap().unwrap();
    assert_eq!((current.version(), rooms), (3, vec![added.clone()]));
    // The room's own condition and the version are both checked: a stale
    // version is reported before a missing room.
    assert_eq!(store.delete_room(home.id, RoomId::generate(), stale).await, Err(StoreError::VersionMismatch));
    let current_version = Edit::by(owner_id).of_version(Some(3));
    store.update_room(home.id, added.id, &resize, current_version).await.unwrap();
    store.delete_property(home.id, Edit::by(owner_id).of_version(Some(4))).await.unwrap();
    assert_eq!(store.get_property(home.id).await.unwrap(), None);
}

async fn listings_page_through_partitions_and_filters(store: impl Store) {
    let owner_id = owner(&store, "pages@example.com").await;
    let kinds = [PropertyType::House, PropertyType::Loft, PropertyType::House, PropertyType::House, PropertyType::Loft];
    let mut ids = Vec::new();
    for kind in kinds {
        let home = property(owner_id, "Rennes", kind);
        store.create_property(&home, &[], None).await.unwrap();
        ids.push(home.id);
    }
    store.create_property(&property(owner_id, "Brest", PropertyType::House), &[], None).await.unwrap();
    ids.reverse();

    let page = |after| PageRequest { limit: 2, after };
    let city = Listing::Search(Search { city: Some("rennes".into()), ..everywhere_search() });
    let first = store.list_properties(&city, page(None)).await.unwrap();
    assert_eq!(first.items.iter().map(|p| p.id).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(first.next, Some(ids[1].to_string()));

    // City and type: the type filters what each page reads from the city.
    let houses = Listing::Search(Search {
        city: Some("rennes".into()),
        property_type: Some(PropertyType::House),
        ..everywhere_search()
    });
    let found: Vec<PropertyId> = walk(&store, &houses, 2).await.iter().map(|p| p.id).collect();
    let expected: Vec<PropertyId> =
        ids.iter().zip(kinds.iter().rev()).filter(|(_, k)| **k == PropertyType::House).map(|(id, _)| *id).collect();
    assert_eq!(found, expected);
}

async fn deleting_a_user_deletes_their_properties(store: impl Store) {
    let leaving = owner(&store, "gone@example.com").await;
    let staying = owner(&store, "here@example.com").await;
    let (theirs, their_rooms) = publish(leaving, "Paris", PropertyType::House, &[100]);
    let their_room = &their_rooms[0];
    store.create_property(&theirs, &their_rooms, None).await.unwrap();
    let kept = property(staying, "Paris", PropertyType::House);
    store.create_property(&kept, &[], None).await.unwrap();
    store.delete_user(leaving).await.unwrap();
    assert_eq!(store.get_property(theirs.id).await.unwrap(), None);
    assert_eq!(store.get_room(theirs.id, their_room.id).await.unwrap(), None);
    let all = store.list_properties(&everywhere(), PageRequest { limit: 10, after: None }).await.unwrap();
    assert_eq!(all.items.len(), 1);
    assert_eq!(all.items[0].id, kept.id);
}

/// A write whose answer was lost is sent again (the SDK retries it): it
/// meets the state it made itself. Sent again, each write reports the
/// success it had, and is not applied twice.
async fn a_write_sent_again_reports_what_it_did(store: impl Store) {
    let ada = user("again@example.com");
    store.create_user(&ada, &hash("one"), None).await.unwrap();
    assert_eq!(store.create_user(&ada, &hash("one"), None).await, Ok(()));
    let change = WriteId::new();
    let now = Timestamp::now();
    for _ in 0..2 {
        store.replace_password_hash(ada.id, &hash("one"), &hash("two"), now, change).await.unwrap();
    }
    assert_eq!(store.get_credentials(ada.id).await.unwrap().map(|c| c.password_hash), Some(hash("two")));
    let other = store.replace_password_hash(ada.id, &hash("one"), &hash("three"), now, WriteId::new()).await;
    assert_eq!(other, Err(StoreError::PasswordChanged), "another change still meets the new password");

    let (home, rooms) = publish(ada.id, "Lyon", PropertyType::Loft, &[100]);
    store.create_property(&home, &rooms, None).await.unwrap();
    assert_eq!(store.create_property(&home, &rooms, None).await, Ok(()));

    let rename = PropertyChanges { name: Some(PropertyName::parse("Once").unwrap()), ..Default::default() };
    let edit = Edit::by(ada.id).of_version(Some(1));
    let first = store.update_property(home.id, &rename, edit).await.unwrap();
    assert_eq!(store.update_property(home.id, &rename, edit).await, Ok(first.clone()));
    assert_eq!(first.version(), 2);

    let added = room(home.id, 50);
    let edit = Edit::by(ada.id).of_version(Some(2));
    for _ in 0..2 {
        store.add_room(&added, edit, None).await.unwrap();
    }
    let resize = RoomChanges { area: Some(Area::from_hundredths(75)), ..Default::default() };
    let edit = Edit::by(ada.id).of_version(Some(3));
    let resized = store.update_room(home.id, added.id, &resize, edit).await.unwrap();
    assert_eq!(store.update_room(home.id, added.id, &resize, edit).await, Ok(resized));
    let edit = Edit::by(ada.id).of_version(Some(4));
    for _ in 0..2 {
        store.delete_room(home.id, rooms[0].id, edit).await.unwrap();
    }
    let (read, left) = store.get_property(home.id).await.unwrap().unwrap();
    assert_eq!((read.version(), read.room_count(), read.total_area().hundredths()), (5, 1, 75));
    assert_eq!(left.iter().map(|room| room.id).collect::<Vec<_>>(), [added.id]);
    // Another write with the old version is still refused.
    let stale = Edit::by(ada.id).of_version(Some(4));
    assert_eq!(store.delete_room(home.id, added.id, stale).await, Err(StoreError::VersionMismatch));
}
