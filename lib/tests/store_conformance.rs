//! One suite, two adapters: the embedded store must behave like DynamoDB.

mod support;

use estate::domain::{BirthDate, Email, PasswordHash, PersonName, ProfileChanges, Timestamp, User, UserId};
use estate::store::{Store, StoreError};

fn user(email: &str) -> User {
    let now = Timestamp::now();
    User {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        first_name: PersonName::parse("Grace").unwrap(),
        last_name: PersonName::parse("Hopper").unwrap(),
        birth_date: BirthDate::parse("1976-12-09").unwrap(),
        created_at: now,
        updated_at: now,
    }
}

fn hash(text: &str) -> PasswordHash {
    PasswordHash::from_phc(format!("$argon2id$v=19$m=19456,t=2,p=1${text}"))
}

on_both_stores!(
    creates_and_reads_users,
    email_is_unique_in_any_letter_case,
    concurrent_registrations_of_one_email_admit_exactly_one,
    updates_only_the_given_profile_fields,
    password_hash_changes_only_from_the_current_one,
    deleting_a_user_releases_their_email,
);

async fn creates_and_reads_users(store: impl Store) {
    let ada = user("Ada@Example.com");
    store.create_user(&ada, &hash("a")).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(store.get_user(UserId::generate()).await.unwrap(), None);
    assert_eq!(store.get_password_hash(ada.id).await.unwrap(), Some(hash("a")));

    let found = store.find_credentials(&Email::parse("ada@EXAMPLE.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(found.user_id, ada.id);
    assert_eq!(found.password_hash, hash("a"));
    assert!(store.find_credentials(&Email::parse("nobody@example.com").unwrap()).await.unwrap().is_none());
}

async fn email_is_unique_in_any_letter_case(store: impl Store) {
    let first = user("grace@example.com");
    let second = user("GRACE@example.COM");
    store.create_user(&first, &hash("a")).await.unwrap();
    assert_eq!(store.create_user(&second, &hash("b")).await, Err(StoreError::EmailTaken));
    // Nothing of the refused user was written.
    assert_eq!(store.get_user(second.id).await.unwrap(), None);
    let found = store.find_credentials(&second.email).await.unwrap().unwrap();
    assert_eq!(found.user_id, first.id);
}

async fn concurrent_registrations_of_one_email_admit_exactly_one(store: impl Store) {
    let attempts = (0..10).map(|i| {
        let store = store.clone();
        let candidate = user(&format!("{}@example.com", if i % 2 == 0 { "race" } else { "RACE" }));
        tokio::spawn(async move { store.create_user(&candidate, &hash("x")).await })
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
    store.create_user(&ada, &hash("a")).await.unwrap();
    let later = Timestamp::now();
    let changes = ProfileChanges { last_name: Some(PersonName::parse("King").unwrap()), ..Default::default() };
    let updated = store.update_profile(ada.id, &changes, later).await.unwrap();
    assert_eq!(updated.last_name.as_str(), "King");
    assert_eq!(updated.first_name, ada.first_name);
    assert_eq!(updated.birth_date, ada.birth_date);
    assert_eq!(updated.updated_at, later);
    assert_eq!(store.get_user(ada.id).await.unwrap(), Some(updated));
    assert_eq!(store.update_profile(UserId::generate(), &changes, later).await, Err(StoreError::NotFound));
}

async fn password_hash_changes_only_from_the_current_one(store: impl Store) {
    let ada = user("hash@example.com");
    store.create_user(&ada, &hash("one")).await.unwrap();
    let now = Timestamp::now();
    assert_eq!(store.replace_password_hash(ada.id, &hash("stale"), &hash("two"), now).await, Err(StoreError::Stale));
    store.replace_password_hash(ada.id, &hash("one"), &hash("two"), now).await.unwrap();
    assert_eq!(store.get_password_hash(ada.id).await.unwrap(), Some(hash("two")));
    let nobody = UserId::generate();
    assert_eq!(store.replace_password_hash(nobody, &hash("one"), &hash("two"), now).await, Err(StoreError::NotFound));
}

async fn deleting_a_user_releases_their_email(store: impl Store) {
    let ada = user("leaving@example.com");
    store.create_user(&ada, &hash("a")).await.unwrap();
    store.delete_user(ada.id).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), None);
    assert!(store.find_credentials(&ada.email).await.unwrap().is_none());
    assert_eq!(store.delete_user(ada.id).await, Err(StoreError::NotFound));
    let successor = user("LEAVING@example.com");
    store.create_user(&successor, &hash("b")).await.unwrap();
}
