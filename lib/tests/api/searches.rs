//! Searches, statuses and price history, on both stores: every sorted
//! search pages through all its matches exactly once, in order, even when
//! listings change between pages. The expected results are computed here,
//! from the listings as stored, with plain filters and sorts.

use crate::on_both_stores;
use crate::support::fixtures::{details, draft, everywhere_search, hash, user, walk};
use estate::domain::{
    Currency, ListingStatus, NewRooms, Price, PriceAmount, Property, PropertyChanges, PropertyId, PropertyType,
    RoomDraft, RoomKind, Timestamp, Transaction, UserId,
};
use estate::store::{Bounds, Edit, Listing, Order, PageRequest, Search, Store, StoreError};

on_both_stores!(
    store:
    every_sorted_search_pages_through_each_match_once,
    a_walk_survives_changes_between_pages,
    statuses_change_only_as_allowed_and_prices_keep_their_history,
);

fn price(units: u64, currency: Currency) -> Price {
    Price { amount: PriceAmount::from_hundredths(units * 100).unwrap(), currency }
}

fn room(kind: RoomKind, square_metres: u64) -> RoomDraft {
    RoomDraft { kind, ..draft(square_metres * 100) }
}

/// What a test listing is: its city, transaction, type, price, rooms (m²
/// of each bedroom, then of a living room) and the statuses it goes through.
struct Spec {
    city: &'static str,
    transaction: Transaction,
    kind: PropertyType,
    price: Option<Price>,
    bedrooms: &'static [u64],
    living: u64,
    statuses: &'static [ListingStatus],
}

async fn list(store: &impl Store, owner: UserId, spec: &Spec) -> PropertyId {
    use ListingStatus::*;
    let mut rooms: Vec<RoomDraft> = spec.bedrooms.iter().map(|m2| room(RoomKind::Bedroom, *m2)).collect();
    rooms.push(room(RoomKind::LivingRoom, spec.living));
    let starts_as_draft = spec.statuses.first() == Some(&Draft);
    let details = estate::domain::PropertyDetails {
        transaction: spec.transaction,
        status: if starts_as_draft { Draft } else { Active },
        price: spec.price,
        ..details(spec.city, spec.kind)
    };
    let (property, rooms) = Property::publish(owner, details, NewRooms::parse(rooms).unwrap(), Timestamp::now());
    store.create_property(&property, &rooms, None).await.unwrap();
    for status in spec.statuses.iter().skip(usize::from(starts_as_draft)) {
        let change = PropertyChanges { status: Some(*status), ..Default::default() };
        store.update_property(property.id, &change, Edit::by(owner)).await.unwrap();
    }
    property.id
}

/// The ids of every listing of `listing`, in pages of `limit`.
async fn ids_in_pages(store: &impl Store, listing: &Listing, limit: usize) -> Vec<PropertyId> {
    walk(store, listing, limit).await.iter().map(|p| p.id).collect()
}

async fn ids(store: &impl Store, listing: &Listing) -> Vec<PropertyId> {
    ids_in_pages(store, listing, 10).await
}

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    owner.id
}

/// A mix of listings in two cities: prices and areas with ties, both
/// transactions, another currency, no price, every status.
fn specs() -> Vec<Spec> {
    use ListingStatus::*;
    use PropertyType::{House, Loft};
    use Transaction::{Rent, Sale};
    let eur = |units| Some(price(units, Currency::Eur));
    let spec = |city, transaction, kind, price, bedrooms, living, statuses| Spec {
        city,
        transaction,
        kind,
        price,
        bedrooms,
        living,
        statuses,
    };
    vec![
        spec("Rennes", Sale, House, eur(250_000), &[12, 10], 30, &[]),
        spec("Rennes", Sale, Loft, eur(250_000), &[], 60, &[]),
        spec("Rennes", Sale, House, eur(180_000), &[9], 40, &[UnderOffer]),
        spec("Rennes", Sale, House, eur(420_000), &[11, 11, 11], 40, &[]),
        spec("Rennes", Sale, Loft, None, &[10], 50, &[]),
        spec("Rennes", Sale, House, eur(99_999), &[10], 30, &[]),
        spec("Rennes", Sale, House, Some(price(300_000, Currency::Usd)), &[10], 45, &[]),
        spec("Rennes", Sale, House, eur(310_000), &[14], 40, &[UnderOffer, Sold]),
        spec("Rennes", Sale, Loft, eur(275_000), &[], 70, &[Draft]),
        spec("Rennes", Sale, House, eur(260_000), &[10, 10], 30, &[Withdrawn]),
        spec("Rennes", Sale, House, eur(250_000), &[10], 42, &[]),
        spec("Rennes", Sale, Loft, eur(1_000_000), &[20, 20], 80, &[]),
        spec("Rennes", Rent, House, eur(950), &[10], 30, &[]),
        spec("Rennes", Rent, Loft, eur(1_200), &[], 55, &[UnderOffer, Let]),
        spec("Brest", Sale, House, eur(250_000), &[10, 10], 35, &[]),
        spec("Brest", Sale, Loft, eur(150_000), &[], 40, &[]),
        spec("Brest", Sale, House, eur(205_000), &[9], 40, &[UnderOffer]),
        spec("Brest", Rent, Loft, eur(700), &[10], 25, &[]),
    ]
}

/// The searches to walk, each with its expected filter and sort key.
type Expectation = (Search, Box<dyn Fn(&Property) -> bool>);

fn searches() -> Vec<Expectation> {
    use ListingStatus::*;
    let rennes = || Search { city: Some("rennes".into()), ..everywhere_search() };
    let on_market = |p: &Property| matches!(p.status(), Active | UnderOffer);
    let sale = |p: &Property| p.transaction == Transaction::Sale;
    let in_rennes = |p: &Property| p.city.key() == "rennes";
    let eur = |p: &Property| p.price().is_some_and(|price| price.currency == Currency::Eur);
    let units = |p: &Property| p.price().map_or(0, |price| price.amount.hundredths() / 100);
    let m2 = |p: &Property| p.total_area().hundredths() / 100;
    vec![
        (everywhere_search(), Box::new(move |p| on_market(p) && sale(p))),
        (rennes(), Box::new(move |p| on_market(p) && sale(p) && in_rennes(p))),
        (
            Search { currency: Some(Currency::Eur), order: Order::Price { ascending: true }, ..rennes() },
            Box::new(move |p| on_market(p) && sale(p) && in_rennes(p) && eur(p)),
        ),
        (
            Search {
                currency: Some(Currency::Eur),
                price: Bounds { min: Some(20_000_000), max: Some(42_000_000) },
                order: Order::Price { ascending: false },
                ..rennes()
            },
            Box::new(move |p| {
                on_market(p) && sale(p) && in_rennes(p) && eur(p) && (200_000..=420_000).contains(&units(p))
            }),
        ),
        (
            Search { area: Bounds { min: Some(60_00), max: None }, order: Order::Area { ascending: true }, ..rennes() },
            Box::new(move |p| on_market(p) && sale(p) && in_rennes(p) && m2(p) >= 60),
        ),
        (
            Search {
                bedrooms: Bounds { min: Some(1), max: Some(2) },
                order: Order::Area { ascending: false },
                ..rennes()
            },
            Box::new(move |p| on_market(p) && sale(p) && in_rennes(p) && (1..=2).contains(&p.bedroom_count())),
        ),
        (
            Search { property_type: Some(PropertyType::House), ..everywhere_search() },
            Box::new(move |p| on_market(p) && sale(p) && p.property_type == PropertyType::House),
        ),
        (
            Search { status: Some(UnderOffer), ..everywhere_search() },
            Box::new(move |p| p.status() == UnderOffer && sale(p)),
        ),
        (Search { status: Some(Sold), ..everywhere_search() }, Box::new(move |p| p.status() == Sold)),
        (
            Search { transaction: Transaction::Rent, status: Some(Let), ..rennes() },
            Box::new(move |p| p.status() == Let && in_rennes(p)),
        ),
        (Search { transaction: Transaction::Rent, ..everywhere_search() }, Box::new(move |p| on_market(p) && !sale(p))),
        (
            Search {
                currency: Some(Currency::Eur),
                price: Bounds { min: None, max: Some(25_000_000) },
                area: Bounds { min: Some(50_00), max: Some(80_00) },
                ..everywhere_search()
            },
            Box::new(move |p| on_market(p) && sale(p) && eur(p) && units(p) <= 250_000 && (50..=80).contains(&m2(p))),
        ),
    ]
}

/// The listings of `all` that `expected` keeps, in the search's order,
/// ties by id: computed without the store's positions.
fn expected_order(all: &[Property], search: &Search, expected: &dyn Fn(&Property) -> bool) -> Vec<PropertyId> {
    let mut kept: Vec<&Property> = all.iter().filter(|p| expected(p)).collect();
    let key = |p: &Property| match search.order {
        Order::Newest => 0,
        Order::Price { .. } => p.price().map_or(0, |price| price.amount.hundredths()),
        Order::Area { .. } => p.total_area().hundredths(),
        Order::Distance { .. } => unreachable!("map searches are tested in map_search"),
    };
    kept.sort_by_key(|p| (key(p), p.id));
    if !search.order.ascending() {
        kept.reverse();
    }
    kept.into_iter().map(|p| p.id).collect()
}

async fn stored(store: &impl Store, ids: &[PropertyId]) -> Vec<Property> {
    let mut all = Vec::new();
    for id in ids {
        all.push(store.get_property(*id).await.unwrap().unwrap().0);
    }
    all
}

async fn every_sorted_search_pages_through_each_match_once(store: impl Store) {
    let owner = owner(&store, "searches@example.com").await;
    let mut ids = Vec::new();
    for spec in specs() {
        ids.push(list(&store, owner, &spec).await);
    }
    let all = stored(&store, &ids).await;
    for (search, expected) in searches() {
        let want = expected_order(&all, &search, expected.as_ref());
        assert!(!want.is_empty(), "{search:?} matches nothing: the test proves nothing");
        for limit in [1, 3, 100] {
            let found = ids_in_pages(&store, &Listing::Search(search.clone()), limit).await;
            assert_eq!(found, want, "{search:?}, pages of {limit}");
        }
    }
    // The owner sees every listing, whatever its status, newest first.
    let mine = ids_in_pages(&store, &Listing::Owner(owner), 4).await;
    assert_eq!(mine, ids.iter().rev().copied().collect::<Vec<_>>());
}

async fn a_walk_survives_changes_between_pages(store: impl Store) {
    let owner = owner(&store, "moving@example.com").await;
    let mut ids = Vec::new();
    for spec in specs() {
        ids.push(list(&store, owner, &spec).await);
    }
    let (search, expected) = searches().swap_remove(2);
    let listing = Listing::Search(search.clone());
    let before = expected_order(&stored(&store, &ids).await, &search, expected.as_ref());
    assert!(before.len() >= 6, "enough matches to change some between pages");

    let first = store.list_properties(&listing, PageRequest { limit: 2, after: None }).await.unwrap();
    let mut found: Vec<PropertyId> = first.items.iter().map(|p| p.id).collect();
    // Between pages: one listing not seen yet gets cheaper than the cursor
    // (it moves behind it), one seen gets dearer (it moves ahead), one is
    // withdrawn, one is published.
    let (cheaper, dearer, withdrawn) = (before[4], before[0], before[3]);
    let edit = |id, changes: PropertyChanges| {
        let store = store.clone();
        async move { store.update_property(id, &changes, Edit::by(owner)).await.unwrap() }
    };
    edit(cheaper, PropertyChanges { price: Some(Some(price(1, Currency::Eur))), ..Default::default() }).await;
    edit(dearer, PropertyChanges { price: Some(Some(price(5_000_000, Currency::Eur))), ..Default::default() }).await;
    edit(withdrawn, PropertyChanges { status: Some(ListingStatus::Withdrawn), ..Default::default() }).await;
    let spec = Spec {
        city: "Rennes",
        transaction: Transaction::Sale,
        kind: PropertyType::Loft,
        price: Some(price(275_000, Currency::Eur)),
        bedrooms: &[],
        living: 33,
        statuses: &[],
    };
    let added = list(&store, owner, &spec).await;
    let mut after = first.next.clone();
    while let Some(position) = after {
        let page = store.list_properties(&listing, PageRequest { limit: 2, after: Some(position) }).await.unwrap();
        found.extend(page.items.iter().map(|p| p.id));
        after = page.next;
    }

    // A changed listing may move (the dearer one, seen on the first page,
    // comes again further on); every other one comes exactly once, in order.
    let changed = [cheaper, dearer, withdrawn, added];
    let untouched: Vec<PropertyId> = found.iter().copied().filter(|id| !changed.contains(id)).collect();
    let expected_untouched: Vec<PropertyId> = before.iter().copied().filter(|id| !changed.contains(id)).collect();
    assert_eq!(untouched, expected_untouched, "no listing outside the changes is lost, repeated or out of order");
    assert!(!found.contains(&withdrawn), "a withdrawn listing left the search");
    assert_eq!(found.last(), Some(&dearer), "the dearer listing moved to the end");
    assert!(found.contains(&added), "the new listing lies ahead of the cursor");
    assert!(!found.contains(&cheaper), "the cheaper one moved behind the cursor");
}

async fn statuses_change_only_as_allowed_and_prices_keep_their_history(store: impl Store) {
    use ListingStatus::*;
    let owner = owner(&store, "history@example.com").await;
    let first = price(420_000, Currency::Eur);
    let spec = Spec {
        city: "Lorient",
        transaction: Transaction::Sale,
        kind: PropertyType::House,
        price: Some(first),
        bedrooms: &[10],
        living: 30,
        statuses: &[Draft],
    };
    let id = list(&store, owner, &spec).await;
    let lorient = Listing::Search(Search { city: Some("lorient".into()), ..everywhere_search() });
    assert_eq!(ids(&store, &lorient).await, [], "a draft is not public");

    let status = |status| PropertyChanges { status: Some(status), ..Default::default() };
    let refused = store.update_property(id, &status(Sold), Edit::by(owner)).await;
    let Err(StoreError::StatusChange(refusal)) = refused else { panic!("draft to sold: {refused:?}") };
    assert_eq!(refusal.allowed(), [Active, Withdrawn]);
    let (unchanged, _) = store.get_property(id).await.unwrap().unwrap();
    assert_eq!((unchanged.status(), unchanged.version()), (Draft, 1), "a refused change writes nothing");

    let cut = price(399_000, Currency::Eur);
    let publish = PropertyChanges { status: Some(Active), price: Some(Some(cut)), ..Default::default() };
    store.update_property(id, &publish, Edit::by(owner)).await.unwrap();
    assert_eq!(ids(&store, &lorient).await, [id]);
    store.update_property(id, &status(UnderOffer), Edit::by(owner)).await.unwrap();
    assert_eq!(ids(&store, &lorient).await, [id], "under offer is still on the market");
    let unpriced = PropertyChanges { price: Some(None), ..Default::default() };
    store.update_property(id, &unpriced, Edit::by(owner)).await.unwrap();
    // The same (absent) price again is no change of price.
    store.update_property(id, &unpriced, Edit::by(owner)).await.unwrap();
    let again = PropertyChanges { price: Some(Some(cut)), status: Some(Sold), ..Default::default() };
    let sold = store.update_property(id, &again, Edit::by(owner)).await.unwrap();
    assert_eq!((sold.status(), sold.version()), (Sold, 6));
    assert_eq!(ids(&store, &lorient).await, [], "a sold listing leaves the default search");
    let closed = Listing::Search(Search { city: Some("lorient".into()), status: Some(Sold), ..everywhere_search() });
    assert_eq!(ids(&store, &closed).await, [id]);
    let refused = store.update_property(id, &status(Active), Edit::by(owner)).await;
    assert!(matches!(refused, Err(StoreError::StatusChange(refusal)) if refusal.allowed().is_empty()), "sold is final");

    // Every change of price, oldest first, page by page.
    let mut history = Vec::new();
    let mut after = None;
    loop {
        let (_, page) = store.price_history(id, PageRequest { limit: 2, after }).await.unwrap().unwrap();
        history.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let entries: Vec<(u64, Option<Price>)> = history.iter().map(|change| (change.version, change.price)).collect();
    assert_eq!(entries, [(1, Some(first)), (2, Some(cut)), (4, None), (6, Some(cut))]);
    assert!(
        store.price_history(PropertyId::generate(), PageRequest { limit: 2, after: None }).await.unwrap().is_none()
    );

    // Deleting the listing deletes its history.
    store.delete_property(id, Edit::by(owner)).await.unwrap();
    assert!(store.price_history(id, PageRequest { limit: 2, after: None }).await.unwrap().is_none());
}
