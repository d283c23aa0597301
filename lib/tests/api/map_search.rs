//! Map search on both stores: boxes and circles, every order they take,
//! paged exactly once, also while listings are added, moved and removed
//! between pages. The expected answers are computed here, from the
//! listings written, with a distance of the test's own.

use crate::on_both_stores;
use crate::support::fixtures::{details, everywhere_search, user};
use estate::domain::geo::{Circle, GeoBox};
use estate::domain::{
    Currency, ListingStatus, Location, NewRooms, Price, PriceAmount, Property, PropertyChanges, PropertyId,
    PropertyType, Timestamp, UserId,
};
use estate::store::{Edit, Listing, Order, PageRequest, Region, Search, Store};
use std::collections::{BTreeMap, BTreeSet};

on_both_stores!(
    store:
    map_searches_page_exactly_once_in_order,
    nearest_first_pages_through_dense_cells,
    map_searches_page_exactly_once_while_listings_change,
);

/// Central Paris, around Notre-Dame.
const CENTER: (f64, f64) = (48.8530, 2.3499);

/// The test's own great-circle distance (spherical law of cosines), in
/// whole metres.
fn metres(a: (f64, f64), b: (f64, f64)) -> u64 {
    let (lat_a, lat_b) = (a.0.to_radians(), b.0.to_radians());
    let cosine = lat_a.sin() * lat_b.sin() + lat_a.cos() * lat_b.cos() * (b.1 - a.1).to_radians().cos();
    (cosine.clamp(-1.0, 1.0).acos() * 6_371_008.8).round() as u64
}

fn at((lat, lon): (f64, f64)) -> Location {
    Location::new(lat, lon).unwrap()
}

/// A listing of `owner` at `place` (none: no location), priced in euros.
fn listing(
    owner: UserId,
    place: Option<(f64, f64)>,
    euros: u64,
    kind: PropertyType,
    status: ListingStatus,
) -> Property {
    let mut details = details("Paris", kind);
    details.location = place.map(at);
    details.status = status;
    let amount = PriceAmount::from_hundredths(euros * 100).unwrap();
    details.price = Some(Price { amount, currency: Currency::Eur });
    Property::publish(owner, details, NewRooms::parse(Vec::new()).unwrap(), Timestamp::now()).0
}

/// A deterministic scatter: `count` points around `center`, up to `spread`
/// degrees away, some of them on the same spot.
fn scatter(count: usize, center: (f64, f64), spread: f64) -> Vec<(f64, f64)> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1_000_000) as f64 / 1_000_000.0 * 2.0 - 1.0
    };
    (0..count)
        .map(|i| if i % 9 == 0 { center } else { (center.0 + next() * spread, center.1 + next() * spread * 1.5) })
        .collect()
}

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &crate::support::fixtures::hash("x"), None).await.unwrap();
    owner.id
}

async fn walk(store: &impl Store, listing: &Listing, limit: usize) -> Vec<Property> {
    crate::support::fixtures::walk(store, listing, limit).await
}

fn ids(properties: &[Property]) -> Vec<PropertyId> {
    properties.iter().map(|property| property.id).collect()
}

fn search(region: Region, order: Order) -> Listing {
    Listing::Search(Search { region: Some(region), order, ..everywhere_search() })
}

/// What a search should find among `written`, in its order, by the test's
/// own reckoning.
fn expected(written: &[Property], keep: impl Fn(&Property, (f64, f64)) -> bool, order: Order) -> Vec<PropertyId> {
    let mut found: Vec<(&Property, (f64, f64))> = written
        .iter()
        .filter(|p| matches!(p.status(), ListingStatus::Active | ListingStatus::UnderOffer))
        .filter_map(|p| p.location.map(|l| (p, (l.lat(), l.lon()))))
        .filter(|(p, place)| keep(p, *place))
        .collect();
    let price = |p: &Property| p.price().map_or(0, |price| price.amount.hundredths());
    match order {
        Order::Newest => found.sort_by_key(|(p, _)| std::cmp::Reverse(p.id.to_string())),
        Order::Price { ascending: true } => found.sort_by_key(|(p, _)| (price(p), p.id.to_string())),
        Order::Price { ascending: false } => {
            found.sort_by_key(|(p, _)| std::cmp::Reverse((price(p), p.id.to_string())))
        }
        Order::Distance { from } => {
            found.sort_by_key(|(p, place)| (metres((from.lat(), from.lon()), *place), p.id.to_string()))
        }
        Order::Area { .. } => unreachable!("not a map order"),
    }
    found.into_iter().map(|(p, _)| p.id).collect()
}

async fn map_searches_page_exactly_once_in_order(store: impl Store) {
    let owner = owner(&store, "maps@example.com").await;
    let kinds = [PropertyType::Apartment, PropertyType::House, PropertyType::Studio];
    let mut written = Vec::new();
    for (i, place) in scatter(60, CENTER, 0.05).into_iter().enumerate() {
        let status = if i % 11 == 5 { ListingStatus::Draft } else { ListingStatus::Active };
        written.push(listing(owner, Some(place), 100_000 + (i as u64 % 7) * 50_000, kinds[i % 3], status));
    }
    // Without a location, and far away: never in these searches.
    written.push(listing(owner, None, 200_000, PropertyType::House, ListingStatus::Active));
    written.push(listing(owner, Some((45.7640, 4.8357)), 200_000, PropertyType::House, ListingStatus::Active));
    // Across the antimeridian, in Fiji.
    for lon in [179.95, -179.95, 179.5] {
        written.push(listing(owner, Some((-17.0, lon)), 300_000, PropertyType::House, ListingStatus::Active));
    }
    for property in &written {
        store.create_property(property, &[], None).await.unwrap();
    }

    let bbox = GeoBox::parse("2.30,48.83,2.40,48.87").unwrap();
    let in_box = |_: &Property, (lat, lon): (f64, f64)| (48.83..=48.87).contains(&lat) && (2.30..=2.40).contains(&lon);
    let circle = Circle { center: at(CENTER), radius_m: 3_000 };
    let in_circle = |_: &Property, place: (f64, f64)| metres(CENTER, place) <= 3_000;
    let houses = |p: &Property, place: (f64, f64)| in_box(p, place) && p.property_type == PropertyType::House;
    let cases: Vec<(Listing, Vec<PropertyId>)> = vec![
        (search(Region::Box(bbox), Order::Newest), expected(&written, in_box, Order::Newest)),
        (
            search(Region::Box(bbox), Order::Price { ascending: true }),
            expected(&written, in_box, Order::Price { ascending: true }),
        ),
        (
            search(Region::Near(circle), Order::Distance { from: at(CENTER) }),
            expected(&written, in_circle, Order::Distance { from: at(CENTER) }),
        ),
        (search(Region::Near(circle), Order::Newest), expected(&written, in_circle, Order::Newest)),
        (
            search(Region::Near(circle), Order::Price { ascending: false }),
            expected(&written, in_circle, Order::Price { ascending: false }),
        ),
        (
            Listing::Search(Search {
                property_type: Some(PropertyType::House),
                ..match search(Region::Box(bbox), Order::Newest) {
                    Listing::Search(s) => s,
                    _ => unreachable!(),
                }
            }),
            expected(&written, houses, Order::Newest),
        ),
        (
            search(Region::Box(GeoBox::parse("179.9,-17.1,-179.9,-16.9").unwrap()), Order::Newest),
            expected(&written, |_, (lat, lon)| (-17.1..=-16.9).contains(&lat) && lon.abs() >= 179.9, Order::Newest),
        ),
    ];
    for (listing, expected) in cases {
        assert!(expected.len() >= 2, "{listing:?} must find several listings to test paging");
        let mut listing = listing;
        if let Listing::Search(search) = &mut listing
            && matches!(search.order, Order::Price { .. })
        {
            search.currency = Some(Currency::Eur);
        }
        for limit in [1, 4, 100] {
            assert_eq!(ids(&walk(&store, &listing, limit).await), expected, "{listing:?}, pages of {limit}");
        }
    }
}

async fn nearest_first_pages_through_dense_cells(store: impl Store) {
    let owner = owner(&store, "dense@example.com").await;
    // More than a cell's Query reads (200), within 300 m; 210 on the very spot.
    let mut written = Vec::new();
    for (i, place) in scatter(250, CENTER, 0.003).into_iter().enumerate() {
        let place = if i < 210 { CENTER } else { place };
        written.push(listing(owner, Some(place), 100_000, PropertyType::Apartment, ListingStatus::Active));
    }
    // Eight at a time: the DynamoDB test server takes a few connections.
    for batch in written.chunks(8) {
        let mut creations = tokio::task::JoinSet::new();
        for property in batch {
            let (store, property) = (store.clone(), property.clone());
            creations.spawn(async move { store.create_property(&property, &[], None).await });
        }
        while let Some(created) = creations.join_next().await {
            created.unwrap().unwrap();
        }
    }
    let from = at((CENTER.0 + 0.0007, CENTER.1 - 0.0004));
    let circle = Circle { center: from, radius_m: 1_000 };
    let nearest = search(Region::Near(circle), Order::Distance { from });
    let expected =
        expected(&written, |_, place| metres((from.lat(), from.lon()), place) <= 1_000, Order::Distance { from });
    assert_eq!(expected.len(), written.len());
    for limit in [30, 100] {
        assert_eq!(ids(&walk(&store, &nearest, limit).await), expected, "pages of {limit}");
    }
}

async fn map_searches_page_exactly_once_while_listings_change(store: impl Store) {
    let owner = owner(&store, "moving@example.com").await;
    let mut written = Vec::new();
    for place in scatter(40, CENTER, 0.02) {
        let property = listing(owner, Some(place), 150_000, PropertyType::Apartment, ListingStatus::Active);
        store.create_property(&property, &[], None).await.unwrap();
        written.push(property);
    }
    let circle = Circle { center: at(CENTER), radius_m: 10_000 };
    let bbox = GeoBox::parse("2.2,48.8,2.5,48.9").unwrap();
    let listings =
        [search(Region::Near(circle), Order::Distance { from: at(CENTER) }), search(Region::Box(bbox), Order::Newest)];
    for (round, listing) in listings.iter().enumerate() {
        let order = listing.order();
        let mut touched: BTreeSet<PropertyId> = BTreeSet::new();
        let mut seen: Vec<Property> = Vec::new();
        let mut after = None;
        let mut step = 0;
        loop {
            let page = store.list_properties(listing, PageRequest { limit: 3, after }).await.unwrap();
            seen.extend(page.items);
            let Some(next) = page.next else { break };
            after = Some(next);
            // Between pages: one listing moves far away, one is withdrawn,
            // one is added; each is "touched" and may show or not.
            let victims: Vec<&Property> =
                written.iter().filter(|p| !touched.contains(&p.id)).skip(step).take(2).collect();
            if let [moved, withdrawn] = victims[..] {
                let far = PropertyChanges { location: Some(Some(at((45.76, 4.83)))), ..Default::default() };
                store.update_property(moved.id, &far, Edit::by(owner)).await.unwrap();
                let gone = PropertyChanges { status: Some(ListingStatus::Withdrawn), ..Default::default() };
                store.update_property(withdrawn.id, &gone, Edit::by(owner)).await.unwrap();
                touched.extend([moved.id, withdrawn.id]);
            }
            let added = listing_near(owner, step);
            store.create_property(&added, &[], None).await.unwrap();
            touched.insert(added.id);
            step += 1;
        }
        // Every untouched listing exactly once, in order; no listing twice.
        let mut counts: BTreeMap<PropertyId, usize> = BTreeMap::new();
        for property in &seen {
            *counts.entry(property.id).or_default() += 1;
        }
        assert!(counts.values().all(|count| *count == 1), "round {round}: a listing came twice");
        let untouched: Vec<PropertyId> = ids(&seen).into_iter().filter(|id| !touched.contains(id)).collect();
        let kept = |p: &Property, _: (f64, f64)| !touched.contains(&p.id);
        assert_eq!(untouched, expected(&written, kept, order), "round {round}");
        assert!(step > 3, "round {round}: the walk must span several pages");
        // Start the next round from the listings as they are now.
        written = walk(&store, &Listing::Owner(owner), 100).await;
        written.retain(|p| {
            p.status() == ListingStatus::Active
                && p.location.is_some_and(|l| bbox.contains(l) && circle.distance_to(l).is_some())
        });
    }
}

/// A listing added during a walk, somewhere in the searched area.
fn listing_near(owner: UserId, step: usize) -> Property {
    let place = (CENTER.0 + 0.001 * step as f64, CENTER.1 - 0.001 * step as f64);
    listing(owner, Some(place), 120_000, PropertyType::Studio, ListingStatus::Active)
}

// Over HTTP: what a client sees.
mod over_http {
    use crate::on_both_stores;
    use crate::support::{TestApp, new_property};
    use serde_json::{Value, json};

    on_both_stores!(
        app:
        a_viewport_and_a_nearest_search_show_listings_with_distances,
        bad_map_parameters_are_named,
    );

    fn names(page: &Value) -> Vec<&str> {
        page["items"].as_array().unwrap().iter().map(|item| item["name"].as_str().unwrap()).collect()
    }

    async fn a_viewport_and_a_nearest_search_show_listings_with_distances(app: TestApp) {
        let (_, owner) = app.register("mapper@example.com").await;
        let mut ids = Vec::new();
        for (name, lat, lon) in [
            ("Louvre", 48.8606, 2.3376),
            ("Bastille", 48.8532, 2.3692),
            ("Montmartre", 48.8867, 2.3431),
            ("Nowhere", f64::NAN, f64::NAN),
        ] {
            let mut body = new_property(name, "Paris", "apartment", 1);
            if !lat.is_nan() {
                body["location"] = json!({"lat": lat, "lon": lon});
            }
            ids.push(app.publish(&owner, body).await);
        }
        // From Notre-Dame: the Louvre 1.2 km, the Bastille 1.4 km, Montmartre 3.8 km.
        let near = app.get("/properties?near=48.8530,2.3499&radius_km=2", None).await;
        assert_eq!(near.status, 200, "{}", near.body);
        assert_eq!(names(&near.body), ["Louvre", "Bastille"]);
        let distances: Vec<u64> =
            near.body["items"].as_array().unwrap().iter().map(|item| item["distance_m"].as_u64().unwrap()).collect();
        let notre_dame = (48.8530, 2.3499);
        let reckoned = [super::metres(notre_dame, (48.8606, 2.3376)), super::metres(notre_dame, (48.8532, 2.3692))];
        for (shown, reckoned) in distances.iter().zip(reckoned) {
            assert!(shown.abs_diff(reckoned) <= 1, "{distances:?}, reckoned {reckoned}");
        }
        let wide = app.get("/properties?near=48.8530,2.3499&radius_km=5&limit=1", None).await.body;
        assert_eq!(names(&wide), ["Louvre"]);
        let cursor = wide["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("/properties?near=48.8530,2.3499&radius_km=5&cursor={cursor}"), None).await.body;
        assert_eq!(names(&rest), ["Bastille", "Montmartre"]);
        assert_eq!(rest["next_cursor"], Value::Null);

        // Central Paris, newest first; no distances without a point.
        let viewport = "/properties?bbox=2.32,48.84,2.38,48.87";
        let boxed = app.get(viewport, None).await.body;
        assert_eq!(names(&boxed), ["Bastille", "Louvre"]);
        assert!(boxed["items"][0].get("distance_m").is_none());
        // A city given too also filters.
        assert_eq!(names(&app.get(&format!("{viewport}&city=PARIS"), None).await.body), ["Bastille", "Louvre"]);
        assert!(names(&app.get(&format!("{viewport}&city=lyon"), None).await.body).is_empty());
        // Moved out of the box, the Louvre listing leaves it.
        let path = format!("/properties/{}", ids[0]);
        let moved =
            app.call("PATCH", &path, Some(&owner), Some(json!({"location": {"lat": 45.76, "lon": 4.83}}))).await;
        assert_eq!(moved.status, 200, "{}", moved.body);
        assert_eq!(names(&app.get(viewport, None).await.body), ["Bastille"]);
        let cleared = app.call("PATCH", &path, Some(&owner), Some(json!({"location": null}))).await;
        assert_eq!(cleared.status, 200, "{}", cleared.body);
        let far = app.get("/properties?near=45.76,4.83", None).await.body;
        assert!(names(&far).is_empty());
    }

    /// The embedded store counts at once (DynamoDB's counts follow the
    /// stream: `clusters::dynamodb` below).
    #[tokio::test]
    async fn clusters_answer_each_cell_with_its_bounds() {
        let app = TestApp::memory();
        let (_, owner) = app.register("clusterer@example.com").await;
        for (name, lat, lon) in [("Louvre", 48.8606, 2.3376), ("Bastille", 48.8532, 2.3692), ("Lyon", 45.76, 4.83)] {
            let mut body = new_property(name, "Paris", "apartment", 1);
            body["location"] = json!({"lat": lat, "lon": lon});
            app.publish(&owner, body).await;
        }
        // Cells computed by geohash.org's algorithm: u09 (Paris), u05 (Lyon).
        let reply = app.get("/properties/clusters?bbox=-10,35,30,60&precision=3", None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let items = reply.body["items"].as_array().unwrap();
        let counts: Vec<(&str, u64)> =
            items.iter().map(|item| (item["cell"].as_str().unwrap(), item["count"].as_u64().unwrap())).collect();
        assert_eq!(counts, [("u05", 1), ("u09", 2)]);
        assert!((items[1]["lat"].as_f64().unwrap() - (48.8606 + 48.8532) / 2.0).abs() < 1e-6);
        assert_eq!(items[1]["bbox"], json!([1.40625, 47.8125, 2.8125, 49.21875]));
    }

    async fn bad_map_parameters_are_named(app: TestApp) {
        let searches = [
            ("bbox=2.3,48.8,2.4", "bbox"),
            ("bbox=2.3,48.9,2.4,48.8", "bbox"),
            ("bbox=2.3,48.8,200,48.9", "bbox"),
            ("bbox=1.0,48.0,3.0,49.0", "bbox"),
            ("near=48.85", "near"),
            ("near=95,2", "near"),
            ("near=48.85,2.35&radius_km=0", "radius_km"),
            ("near=48.85,2.35&radius_km=50.5", "radius_km"),
            ("near=48.85,2.35&radius_km=1e1", "radius_km"),
            ("radius_km=2", "radius_km"),
            ("sort=distance", "sort"),
            ("bbox=2.3,48.8,2.4,48.9&sort=distance", "sort"),
            ("bbox=2.3,48.8,2.4,48.9&near=48.85,2.35", "near"),
        ]
        .map(|(query, field)| (format!("/properties?{query}"), field));
        let clusters = [
            ("precision=3", "bbox"),
            ("bbox=-10,35,30,60", "precision"),
            ("bbox=-10,35,30,60&precision=9", "precision"),
            ("bbox=-10,35,30,60&precision=0", "precision"),
            // 32 × 32 cells at precision 2: the whole world; at 3, more than 1024.
            ("bbox=-180,-90,180,90&precision=3", "precision"),
            ("bbox=-10,35,30,60&precision=2&status=draft", "status"),
            ("bbox=-10,35,30,60&precision=2&transaction=rent&status=sold", "status"),
        ]
        .map(|(query, field)| (format!("/properties/clusters?{query}"), field));
        for (path, field) in searches.into_iter().chain(clusters) {
            let reply = app.get(&path, None).await;
            assert_eq!(reply.status, 422, "{path}: {}", reply.body);
            assert_eq!(reply.invalid_fields(), [field], "{path}");
        }
        // Too wide, said as such; and too wide for its cells only near a pole.
        let wide = app.get("/properties?bbox=1.0,48.0,3.0,49.0", None).await;
        assert!(wide.body["errors"][0]["message"].as_str().unwrap().contains("at most 50 km across"), "{}", wide.body);
        let polar = app.get("/properties?bbox=20.0,75.0,21.7,75.4", None).await;
        assert!(polar.body["errors"][0]["message"].as_str().unwrap().contains("close to a pole"), "{}", polar.body);
        let world = app.get("/properties/clusters?bbox=-180,-90,180,90&precision=2", None).await;
        assert_eq!((world.status.as_u16(), &world.body["precision"]), (200, &json!(2)), "{}", world.body);
        // A price order needs its currency, as everywhere.
        let reply = app.get("/properties?bbox=2.3,48.8,2.4,48.9&sort=price", None).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        for served in ["bbox=2.3,48.8,2.4,48.9&sort=-price&currency=EUR", "near=48.85,2.35&sort=newest&radius_km=0.5"] {
            assert_eq!(app.get(&format!("/properties?{served}"), None).await.status, 200, "{served}");
        }
    }
}

// Clusters: exact counts, on both stores; on DynamoDB once the table's
// stream is applied, and the same after it is applied all over again.
mod clusters {
    use super::{CENTER, at, listing, owner, scatter};
    use estate::domain::geo::{Cell, GeoBox};
    use estate::domain::{ListingStatus, Property, PropertyChanges, PropertyType, Transaction};
    use estate::store::clusters::Placement;
    use estate::store::{Cluster, ClusterQuery, Edit, Listing, ListingChange, MemoryStore, Region, Search, Store};

    #[tokio::test]
    async fn memory() {
        counts_are_exact_as_listings_change(MemoryStore::new(), async |_| {}).await;
    }

    #[tokio::test]
    #[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
    async fn dynamodb() {
        let store = crate::support::dynamo_store().await;
        let mut follower = crate::support::stream_follower(&store);
        let replayer = store.clone();
        counts_are_exact_as_listings_change(store, async move |replay| {
            // Waits for the stream: every record written so far, applied.
            while follower.catch_up().await.unwrap() > 0 {}
            if replay {
                // A second reader from the stream's start: every record delivered again.
                let mut again = crate::support::stream_follower(&replayer);
                assert!(again.catch_up().await.unwrap() > 0);
            }
        })
        .await;
    }

    fn query(bbox: &str, precision: u8) -> ClusterQuery {
        ClusterQuery {
            bbox: GeoBox::parse(bbox).unwrap(),
            precision,
            transaction: Transaction::Sale,
            status: None,
            property_type: None,
        }
    }

    /// Every cluster against the listings a map search of its cell finds,
    /// and the sum against the test's own count.
    async fn check(store: &impl Store, clusters: &[Cluster], expected_total: usize) {
        let total: u64 = clusters.iter().map(|cluster| cluster.count).sum();
        assert_eq!(total as usize, expected_total, "{clusters:?}");
        for cluster in clusters {
            let bounds = cluster.cell.bounds();
            if bounds.extent_m() > 50_000.0 {
                continue;
            }
            let search = Search { region: Some(Region::Box(bounds)), ..crate::support::fixtures::everywhere_search() };
            let inside: Vec<Property> = crate::support::fixtures::walk(store, &Listing::Search(search), 100)
                .await
                .into_iter()
                .filter(|p| p.location.is_some_and(|l| Cell::of(l, cluster.cell.precision()) == cluster.cell))
                .collect();
            assert_eq!(inside.len() as u64, cluster.count, "{}", cluster.cell);
            let mean =
                |coordinate: fn(&Property) -> f64| inside.iter().map(coordinate).sum::<f64>() / inside.len() as f64;
            let lat = mean(|p| p.location.unwrap().lat());
            let lon = mean(|p| p.location.unwrap().lon());
            assert!(
                (cluster.center.lat() - lat).abs() < 1e-6 && (cluster.center.lon() - lon).abs() < 1e-6,
                "{cluster:?}"
            );
        }
    }

    async fn counts_are_exact_as_listings_change(store: impl Store, mut settle: impl AsyncFnMut(bool)) {
        let owner = owner(&store, "clusters@example.com").await;
        let mut written = Vec::new();
        for (i, place) in scatter(30, CENTER, 0.05).into_iter().enumerate() {
            let status = [ListingStatus::Active, ListingStatus::UnderOffer, ListingStatus::Draft][i % 3];
            written.push(listing(owner, Some(place), 200_000, PropertyType::Apartment, status));
        }
        for place in scatter(8, (45.7640, 4.8357), 0.03) {
            written.push(listing(owner, Some(place), 300_000, PropertyType::House, ListingStatus::Active));
        }
        written.push(listing(owner, None, 100_000, PropertyType::House, ListingStatus::Active));
        for lon in [179.99, -179.99] {
            written.push(listing(owner, Some((-17.0, lon)), 100_000, PropertyType::House, ListingStatus::Active));
        }
        for property in &written {
            store.create_property(property, &[], None).await.unwrap();
        }
        settle(false).await;
        let listed = |p: &&Property| p.location.is_some() && p.status().is_listed_by_default();
        let in_europe = |p: &&Property| {
            p.location.is_some_and(|l| (35.0..=60.0).contains(&l.lat()) && (-10.0..=30.0).contains(&l.lon()))
        };
        let europe = written.iter().filter(listed).filter(in_europe).count();
        assert_eq!(europe, 20 + 8);
        check(&store, &store.clusters(&query("-10,35,30,60", 2)).await.unwrap(), europe).await;
        let paris = store.clusters(&query("2.2,48.75,2.5,48.95", 5)).await.unwrap();
        assert!(paris.len() > 1, "{paris:?}");
        check(&store, &paris, written.iter().filter(listed).filter(|p| p.location.unwrap().lat() > 48.0).count()).await;
        let across = store.clusters(&query("179,-18,-179,-16", 3)).await.unwrap();
        assert_eq!(across.iter().map(|c| c.count).sum::<u64>(), 2);
        assert_eq!(across.len(), 2, "a cell each side of the antimeridian");
        let houses = ClusterQuery { property_type: Some(PropertyType::House), ..query("-10,35,30,60", 1) };
        assert_eq!(store.clusters(&houses).await.unwrap().iter().map(|c| c.count).sum::<u64>(), 8);

        // Moved, withdrawn, sold, deleted, and a new one.
        let active: Vec<&Property> =
            written.iter().filter(|p| p.status() == ListingStatus::Active && p.location.is_some()).collect();
        let edit = Edit::by(owner);
        let moved = PropertyChanges { location: Some(Some(at((45.75, 4.85)))), ..Default::default() };
        store.update_property(active[0].id, &moved, edit).await.unwrap();
        let withdrawn = PropertyChanges { status: Some(ListingStatus::Withdrawn), ..Default::default() };
        store.update_property(active[1].id, &withdrawn, edit).await.unwrap();
        let sold = PropertyChanges { status: Some(ListingStatus::Sold), ..Default::default() };
        store.update_property(active[2].id, &sold, edit).await.unwrap();
        store.delete_property(active[3].id, edit).await.unwrap();
        let unlocated = PropertyChanges { location: Some(None), ..Default::default() };
        store.update_property(active[4].id, &unlocated, edit).await.unwrap();
        store
            .create_property(&listing(owner, Some(CENTER), 1, PropertyType::Studio, ListingStatus::Active), &[], None)
            .await
            .unwrap();
        settle(true).await;
        let now = crate::support::fixtures::walk(&store, &Listing::Owner(owner), 100).await;
        let europe = now.iter().filter(listed).filter(in_europe).count();
        assert_eq!(europe, 28 - 4 + 1, "one moved within Europe; withdrawn, sold, deleted, unlocated out; one new");
        check(&store, &store.clusters(&query("-10,35,30,60", 2)).await.unwrap(), europe).await;
        check(
            &store,
            &store.clusters(&query("2.2,48.75,2.5,48.95", 6)).await.unwrap(),
            now.iter().filter(listed).filter(|p| p.location.unwrap().lat() > 48.0).count(),
        )
        .await;
        // Late redeliveries of the first changes of the moved and the
        // deleted listing: older than what was applied, they count nothing.
        let before = store.clusters(&query("-10,35,30,60", 3)).await.unwrap();
        for late in [active[0], active[3]] {
            let change =
                ListingChange { property: late.id, version: 1, placement: Placement::of(late), deleted: false };
            assert!(change.placement.is_some());
            store.count_change(&change).await.unwrap();
        }
        assert_eq!(store.clusters(&query("-10,35,30,60", 3)).await.unwrap(), before);
        let closed = ClusterQuery { status: Some(ListingStatus::Sold), ..query("-10,35,30,60", 4) };
        assert_eq!(store.clusters(&closed).await.unwrap().iter().map(|c| c.count).sum::<u64>(), 1);
    }
}
