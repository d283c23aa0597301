//! The one way to write an expression (update, condition, key condition,
//! filter, projection). Every attribute goes through `#n…` names, so no
//! reserved word (`name`, `size`, …) can ever break an expression and no
//! attribute name is spelled inside one, and only the placeholders used are
//! sent.

use super::schema::PARTITION_KEY;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

#[derive(Default)]
pub(super) struct Expression {
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Expression {
    /// The placeholder of an attribute path such as `room_areas.<id>`.
    pub fn name(&mut self, path: &str) -> String {
        path.split('.')
            .map(|segment| {
                let existing = self.names.iter().find(|(_, attribute)| *attribute == segment);
                match existing {
                    Some((placeholder, _)) => placeholder.clone(),
                    None => {
                        let placeholder = format!("#n{}", self.names.len());
                        self.names.insert(placeholder.clone(), segment.to_owned());
                        placeholder
                    }
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `path = :value`, for SET clauses, equality conditions and key conditions.
    pub fn equals(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} = {}", self.name(path), self.value(value))
    }

    /// `path :value`, for ADD clauses.
    pub fn increment(&mut self, path: &str, by: AttributeValue) -> String {
        format!("{} {}", self.name(path), self.value(by))
    }

    /// `begins_with(path, :prefix)`, for a sort-key condition.
    pub fn begins_with(&mut self, path: &str, prefix: AttributeValue) -> String {
        format!("begins_with({}, {})", self.name(path), self.value(prefix))
    }

    /// `path > :value`.
    pub fn greater_than(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} > {}", self.name(path), self.value(value))
    }

    /// `path < :value`.
    pub fn less_than(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} < {}", self.name(path), self.value(value))
    }

    /// `path BETWEEN :low AND :high`, both included.
    pub fn between(&mut self, path: &str, low: AttributeValue, high: AttributeValue) -> String {
        format!("{} BETWEEN {} AND {}", self.name(path), self.value(low), self.value(high))
    }

    /// `path >= :value`.
    pub fn at_least(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} >= {}", self.name(path), self.value(value))
    }

    /// `path <= :value`.
    pub fn at_most(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} <= {}", self.name(path), self.value(value))
    }

    /// `attribute_not_exists(path)`.
    pub fn absent(&mut self, path: &str) -> String {
        format!("attribute_not_exists({})", self.name(path))
    }

    /// `path IN (:v…)`: the attribute equals one of `values` (DynamoDB
    /// takes up to 100). `IN ()` cannot be written: with no value, a
    /// condition that no item meets.
    pub fn one_of(&mut self, path: &str, values: impl IntoIterator<Item = AttributeValue>) -> String {
        let name = self.name(path);
        let values: Vec<String> = values.into_iter().map(|value| self.value(value)).collect();
        if values.is_empty() {
            format!("(attribute_exists({name}) AND attribute_not_exists({name}))")
        } else {
            format!("{name} IN ({})", values.join(", "))
        }
    }

    /// The condition that the attribute (or map entry) at `path` exists.
    pub fn exists(&mut self, path: &str) -> String {
        format!("attribute_exists({})", self.name(path))
    }

    /// The condition that the attribute at `path` is absent or other than `value`.
    pub fn absent_or_not(&mut self, path: &str, value: AttributeValue) -> String {
        let name = self.name(path);
        format!("(attribute_not_exists({name}) OR {name} <> {})", self.value(value))
    }

    /// The condition that the item written exists: every item has a partition key.
    pub fn item_exists(&mut self) -> String {
        self.exists(PARTITION_KEY)
    }

    /// The condition that no item has the key written yet.
    pub fn item_absent(&mut self) -> String {
        format!("attribute_not_exists({})", self.name(PARTITION_KEY))
    }

    /// The condition that no item has the key written yet, or that the one
    /// there expired (`expires` at or before `now`), which DynamoDB's TTL
    /// may take days to delete.
    pub fn item_absent_or_expired(&mut self, expires: &str, now: AttributeValue) -> String {
        let absent = self.item_absent();
        format!("({absent} OR {} <= {})", self.name(expires), self.value(now))
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Conditions that must all hold.
pub(super) fn all(conditions: impl IntoIterator<Item = String>) -> String {
    conditions.into_iter().collect::<Vec<_>>().join(" AND ")
}

/// An update expression assembled clause by clause.
#[derive(Default)]
pub(super) struct Update {
    pub set: Vec<String>,
    pub remove: Vec<String>,
    pub add: Vec<String>,
}

impl Update {
    pub fn render(&self) -> String {
        let mut clauses = Vec::new();
        if !self.set.is_empty() {
            clauses.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            clauses.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        if !self.add.is_empty() {
            clauses.push(format!("ADD {}", self.add.join(", ")));
        }
        clauses.join(" ")
    }
}
