//! The upgrade of a table written before listings (`local --reindex`):
//! an item as the adapter wrote it then is found by no search until it is
//! reindexed, and then is, with its bedrooms counted and in the map
//! indexes (which came later still). DynamoDB only: the
//! embedded store has no stored form to upgrade.

use crate::support::dynamo_store;
use crate::support::fixtures::{everywhere_search, hash, publish, user, walk};
use aws_sdk_dynamodb::types::AttributeValue;
use estate::domain::geo::GeoBox;
use estate::domain::{Location, PropertyType};
use estate::store::dynamodb::ReindexReport;
use estate::store::{Listing, PropertyStore, Region, Search, UserStore};

#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn reindexing_makes_items_from_before_listings_searchable() {
    let store = dynamo_store().await;
    let owner = user("before@example.com");
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    let (mut property, rooms) = publish(owner.id, "Rennes", PropertyType::House, &[1200, 900]);
    property.location = Some(Location::new(48.1113, -1.6800).unwrap());
    store.create_property(&property, &rooms, None).await.unwrap();

    // The item as it was written before listings: no listing attributes,
    // the old index keys.
    let key = std::collections::HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("PROPERTY#{}", property.id))),
        ("sk".to_owned(), AttributeValue::S("PROPERTY".into())),
    ]);
    let client = store.client();
    let stored = client.get_item().table_name(store.table()).set_key(Some(key)).send().await.unwrap();
    let mut old = stored.item.unwrap();
    for name in
        ["transaction", "status", "bedrooms", "total_area_hundredths", "bedroom_count", "gsi5pk", "gsi5sk", "gsi6sk"]
            .into_iter()
            .chain(["gsi7pk", "gsi8pk", "gsi9sk"])
    {
        old.remove(name);
    }
    old.insert("gsi1pk".into(), AttributeValue::S("CITY#rennes".into()));
    old.insert("gsi3pk".into(), AttributeValue::S("PROPERTIES".into()));
    old.insert("gsi4pk".into(), AttributeValue::S("TYPE#house".into()));
    client.put_item().table_name(store.table()).set_item(Some(old)).send().await.unwrap();

    let rennes = Listing::Search(Search { city: Some("rennes".into()), ..everywhere_search() });
    let region = Some(Region::Box(GeoBox::parse("-1.8,48.0,-1.6,48.2").unwrap()));
    let on_the_map = Listing::Search(Search { region, ..everywhere_search() });
    assert!(walk(&store, &rennes, 10).await.is_empty(), "no search finds an item from before");
    assert!(walk(&store, &on_the_map, 10).await.is_empty(), "nor a map search");
    let (read, _) = store.get_property(property.id).await.unwrap().unwrap();
    assert_eq!((read.bedroom_count(), read.total_area().hundredths()), (0, 2100), "its bedrooms are not counted yet");

    assert_eq!(store.reindex_properties().await.unwrap(), ReindexReport { properties: 1, retried: 0 });
    for listing in [rennes, Listing::Search(everywhere_search()), on_the_map] {
        let found = walk(&store, &listing, 10).await;
        assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [property.id], "{listing:?}");
        assert_eq!((found[0].bedroom_count(), found[0].version()), (2, 1), "bedrooms counted, version kept");
    }
    // Again: nothing changes.
    assert_eq!(store.reindex_properties().await.unwrap(), ReindexReport { properties: 1, retried: 0 });
    assert_eq!(store.get_property(property.id).await.unwrap().unwrap().0.bedroom_count(), 2);
}
