//! Placeholders for expression attribute names and values. Every attribute
//! goes through `#n…` names, so no reserved word (`name`, `size`, …) can ever
//! break an expression, and only the placeholders used are sent.

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

    /// `path = :value`, for SET clauses and equality conditions.
    pub fn equals(&mut self, path: &str, value: AttributeValue) -> String {
        format!("{} = {}", self.name(path), self.value(value))
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
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
