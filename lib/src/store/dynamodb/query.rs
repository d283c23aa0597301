//! Every Query the adapter sends starts here: one partition of the table
//! or of an index, narrowed by a condition on its sort keys. The callers
//! add what is theirs (a filter, a limit, the direction, a consistent read).

use super::expression::{Expression, all};
use super::schema::{Index, PARTITION_KEY, SORT_KEY};
use super::{DynamoStore, Item, sdk_error, string};
use crate::store::StoreResult;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

/// The part of a partition a Query reads, by sort key.
pub(super) enum SortKeys {
    All,
    StartingWith(String),
    AtLeast(String),
    /// Both ends included.
    Between(String, String),
}

impl DynamoStore {
    /// A Query of `partition` in the table (`None`) or in `index`, reading
    /// `sort_keys`; `filter` may add a filter expression to its placeholders.
    pub(super) fn query_partition(
        &self,
        index: Option<Index>,
        partition: String,
        sort_keys: SortKeys,
        filter: impl FnOnce(&mut Expression) -> Option<String>,
    ) -> QueryFluentBuilder {
        let (partition_key, sort_key) = match index {
            Some(index) => (index.partition_key(), index.sort_key()),
            None => (PARTITION_KEY, SORT_KEY),
        };
        let mut expression = Expression::default();
        let mut key_condition = vec![expression.equals(partition_key, string(partition))];
        key_condition.extend(match sort_keys {
            SortKeys::All => None,
            SortKeys::StartingWith(prefix) => Some(expression.begins_with(sort_key, string(prefix))),
            SortKeys::AtLeast(low) => Some(expression.at_least(sort_key, string(low))),
            SortKeys::Between(low, high) => Some(expression.between(sort_key, string(low), string(high))),
        });
        let filter = filter(&mut expression);
        self.client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(|index| index.name().to_owned()))
            .key_condition_expression(all(key_condition))
            .set_filter_expression(filter)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
    }

    /// Every item `query` matches, page after page.
    pub(super) async fn query_all(&self, query: QueryFluentBuilder) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = query.clone().set_exclusive_start_key(start).send().await.map_err(sdk_error)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of a table partition that `sort_keys` names, read consistently.
    pub(super) async fn partition(&self, partition: String, sort_keys: SortKeys) -> StoreResult<Vec<Item>> {
        self.query_all(self.query_partition(None, partition, sort_keys, |_| None).consistent_read(true)).await
    }
}
