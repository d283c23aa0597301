//! The reads of properties and rooms: a property with its rooms (one
//! Query of its collection), a room (one GetItem), and a page of a listing
//! (one Query of an index, newest first).

use crate::domain::{Property, PropertyId, PropertyType, Room, RoomId};
use crate::store::dynamodb::expression::Expression;
use crate::store::dynamodb::item::{PropertyItem, RoomItem};
use crate::store::dynamodb::schema::{self, PARTITION_KEY};
use crate::store::dynamodb::{DynamoStore, Item, sdk_error, string};
use crate::store::{Listing, Page, PageRequest, StoreResult};

/// Every item of a property's collection, property first.
pub(super) async fn collection(store: &DynamoStore, id: PropertyId) -> StoreResult<Vec<Item>> {
    let mut expression = Expression::default();
    let key_condition = expression.equals(PARTITION_KEY, string(schema::property_partition(id)));
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let output = store
            .client
            .query()
            .table_name(&store.table)
            .key_condition_expression(&key_condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        items.extend(output.items.unwrap_or_default());
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(items);
        }
    }
}

pub(super) async fn get_property(store: &DynamoStore, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
    let mut property = None;
    let mut rooms = Vec::new();
    for item in collection(store, id).await? {
        if schema::is_property_item(&item) {
            property = Some(PropertyItem::from_item(item)?.into_domain()?);
        } else {
            rooms.push(RoomItem::from_item(item)?.into_domain()?);
        }
    }
    // Room ids are time-ordered, and so is the sort key: oldest first.
    Ok(property.map(|property| (property, rooms)))
}

pub(super) async fn get_room(store: &DynamoStore, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
    let output = store
        .client
        .get_item()
        .table_name(&store.table)
        .set_key(Some(schema::room_key(property, room)))
        .consistent_read(true)
        .send()
        .await
        .map_err(sdk_error)?;
    output.item.map(|item| RoomItem::from_item(item)?.into_domain()).transpose()
}

pub(super) async fn list_properties(store: &DynamoStore, listing: &Listing, page: PageRequest) -> StoreResult<Page> {
    let (index, partition) = schema::listing_partition(listing);
    let mut expression = Expression::default();
    let key_condition = expression.equals(index.partition_key(), string(&partition));
    let filter = match listing {
        Listing::CityAndType(_, kind) => Some(of_type(&mut expression, *kind)),
        _ => None,
    };
    let start = page.after.map(|after| schema::listing_start_key(index, &partition, after));
    // One item more than asked tells whether another page follows.
    let output = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(index.name())
        .key_condition_expression(key_condition)
        .set_filter_expression(filter)
        .set_expression_attribute_names(expression.names())
        .set_expression_attribute_values(expression.values())
        .scan_index_forward(false)
        .limit(i32::try_from(page.limit + 1).unwrap_or(i32::MAX))
        .set_exclusive_start_key(start)
        .send()
        .await
        .map_err(sdk_error)?;
    let last_read = output.last_evaluated_key().and_then(schema::listing_position);
    let matches = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| PropertyItem::from_item(item)?.into_domain())
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(matches, page.limit, last_read))
}

/// The filter that keeps properties of one type.
fn of_type(expression: &mut Expression, kind: PropertyType) -> String {
    expression.equals(PropertyItem::PROPERTY_TYPE, string(kind.code()))
}
