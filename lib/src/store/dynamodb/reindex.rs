//! The one-off upgrade of a table written before listings (docs/deploy.md):
//! every property item is put again as the adapter writes it today, with
//! its index keys derived again (the old ones dropped) and the set of its
//! bedrooms filled from its room items. It is the only Scan in the code,
//! run by an operator (`local --reindex`), never on a request path.
//! Running it again changes nothing.

use super::expression::{Expression, all};
use super::item::{PropertyItem, RoomItem};
use super::schema::{self, PARTITION_KEY, SORT_KEY};
use super::{DynamoStore, condition_failed, number, sdk_error, string};
use crate::domain::PropertyId;
use crate::store::retry::{self, Attempt, Policy};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;

/// What a reindexing did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Property items put again.
    pub properties: usize,
    /// Property items that changed while being reindexed, and were read again.
    pub retried: usize,
}

impl DynamoStore {
    /// Puts every property item again as the adapter writes it today.
    pub async fn reindex_properties(&self) -> StoreResult<ReindexReport> {
        let mut report = ReindexReport::default();
        let mut start = None;
        loop {
            let mut expression = Expression::default();
            let filter = expression.equals(SORT_KEY, string(schema::property_and_rooms_start()));
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(filter)
                .projection_expression(expression.name(PARTITION_KEY))
                .set_expression_attribute_names(expression.names())
                .set_expression_attribute_values(expression.values())
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items() {
                let id = item.get(PARTITION_KEY).and_then(|value| value.as_s().ok());
                let id = id.and_then(|key| key.strip_prefix("PROPERTY#")).and_then(PropertyId::parse);
                let id = id.ok_or_else(|| StoreError::Internal(format!("a property item with the key {item:?}")))?;
                report.retried += self.reindex_property(id).await?;
                report.properties += 1;
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(report);
            }
        }
    }

    /// Puts one property item again, from its current state and its rooms,
    /// provided neither changed meanwhile (its version); the number of
    /// times it had to read again.
    async fn reindex_property(&self, id: PropertyId) -> StoreResult<usize> {
        let reindexed = retry::run(Policy::RACE.with_attempts(5), |attempt| async move {
            let items = self.property_and_rooms(id).await?;
            let Some(stored) = items.iter().find(|item| schema::is_property_item(item)) else {
                return Ok(Attempt::Done(attempt)); // deleted meanwhile: nothing to upgrade
            };
            let mut property = PropertyItem::from_item(stored.clone())?;
            for room in items.iter().filter(|item| !schema::is_property_item(item)) {
                let room = RoomItem::from_item(room.clone())?.into_domain()?;
                property.set_room(room.id, room.tally());
            }
            let mut expression = Expression::default();
            let condition = all([
                expression.equals(PropertyItem::VERSION, number(property.version())),
                expression.equals(PropertyItem::OWNER_ID, stored[PropertyItem::OWNER_ID].clone()),
            ]);
            let mut item = property.to_item()?;
            // What the item holds besides the property: kept as it is.
            for kept in [super::feed::LAST_CHANGE, super::item::LAST_WRITE] {
                if let Some(value) = stored.get(kept) {
                    item.insert(kept.to_owned(), value.clone());
                }
            }
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(expression.names())
                .set_expression_attribute_values(expression.values())
                .send()
                .await;
            match put {
                Ok(_) => Ok(Attempt::Done(attempt)),
                Err(error) if error.as_service_error().and_then(|e| e.code()).is_some_and(condition_failed) => {
                    Ok(Attempt::Retry(()))
                }
                Err(error) => Err(sdk_error(error)),
            }
        })
        .await?;
        let attempts = reindexed
            .done_or(|()| StoreError::Unavailable(format!("property {id} kept changing while being reindexed")))?;
        Ok(attempts as usize)
    }
}
