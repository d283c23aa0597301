//! The one validation path of request bodies and query strings: each
//! member is read leniently (`Member`; a query parameter as a `Scalar`),
//! then parsed into its domain value by a `Fields` collector, so that one
//! 422 names every missing, `null` or invalid member at once. A handler
//! reads as "parse the request into a command, run it, render the result".

use crate::domain::Invalid;
use crate::http::error::{ApiError, ApiResult, FieldError};
use serde::de::{Deserialize, DeserializeOwned, Deserializer};

/// A body member as it arrived. Reading one never fails, so serde reports
/// nothing but unknown members, and `Fields` reports the rest together.
#[derive(Debug, Default)]
pub enum Member<T> {
    #[default]
    Absent,
    Null,
    Value(T),
    /// Present, but not of the expected JSON type: serde's complaint.
    WrongType(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => Self::Null,
            value => match T::deserialize(value) {
                Ok(value) => Self::Value(value),
                Err(error) => Self::WrongType(error.to_string()),
            },
        })
    }
}

/// Collects the errors of every member of one body (or of one item of a
/// list, with a `prefix` such as `rooms[2].`).
#[derive(Debug, Default)]
pub struct Fields {
    prefix: String,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// For the members of a nested object, named `<prefix><member>`.
    pub fn within(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into(), errors: Vec::new() }
    }

    /// Records that `name` is at fault, for a rule that spans members.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        let field = format!("{}{name}", self.prefix);
        self.errors.push(FieldError::new(field.trim_end_matches('.'), message));
    }

    /// Parses the raw value of `name`, or records why it cannot be parsed.
    fn parse<R, T>(&mut self, name: &str, raw: R, parse: impl FnOnce(R) -> Result<T, Invalid>) -> Option<T> {
        parse(raw).map_err(|invalid| self.reject(name, invalid.0)).ok()
    }

    /// A member the body must have.
    pub fn required<R, T>(
        &mut self,
        name: &str,
        member: Member<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<T> {
        match member {
            Member::Value(raw) => return self.parse(name, raw, parse),
            Member::Absent => self.reject(name, "is required"),
            Member::Null => self.reject(name, "is required and must not be null"),
            Member::WrongType(message) => self.reject(name, message),
        }
        None
    }

    /// A member that may be left out (`Some(None)`) but not sent as `null`.
    pub fn optional<R, T>(
        &mut self,
        name: &str,
        member: Member<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match member {
            Member::Absent => Some(None),
            Member::Value(raw) => self.parse(name, raw, parse).map(Some),
            Member::Null => {
                self.reject(name, "must not be null; leave it out instead");
                None
            }
            Member::WrongType(message) => {
                self.reject(name, message);
                None
            }
        }
    }

    /// A member that may be left out (`Some(None)`), or `null` to clear it
    /// (`Some(Some(None))`).
    pub fn clearable<R, T>(
        &mut self,
        name: &str,
        member: Member<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<Option<Option<T>>> {
        match member {
            Member::Null => Some(Some(None)),
            other => self.optional(name, other, parse).map(|value| value.map(Some)),
        }
    }

    /// Parses a list member item by item, each item's members named
    /// `<name>[<index>].<member>`, then the list as a whole with `whole`.
    pub fn parse_items<I: DeserializeOwned, D, T>(
        &mut self,
        name: &str,
        items: Vec<serde_json::Value>,
        item: impl Fn(I, &mut Fields) -> Option<D>,
        whole: impl FnOnce(Vec<D>) -> Result<T, Invalid>,
    ) -> Option<T> {
        let count = items.len();
        let mut parsed = Vec::with_capacity(count);
        for (index, raw) in items.into_iter().enumerate() {
            let mut nested = Fields::within(format!("{}{name}[{index}].", self.prefix));
            if let Some(value) = nested.object(raw).and_then(|raw| item(raw, &mut nested)) {
                parsed.push(value);
            }
            self.errors.extend(nested.errors);
        }
        let complete = parsed.len() == count;
        self.parse(name, parsed, whole).filter(|_| complete)
    }

    /// Reads a nested object, naming its unknown or mistyped members.
    fn object<T: DeserializeOwned>(&mut self, raw: serde_json::Value) -> Option<T> {
        if !raw.is_object() {
            self.reject("", "must be a JSON object");
            return None;
        }
        super::extract::deserialize_value(raw)
            .map_err(|errors| {
                for error in errors {
                    self.reject(&error.field, error.message);
                }
            })
            .ok()
    }

    /// The command `build` makes from the parsed members, or one 422 with
    /// every member's error. `build` returns `None` only when a member is
    /// missing, which an error always accompanies.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> ApiResult<T> {
        if !self.errors.is_empty() {
            return Err(ApiError::Validation(self.errors));
        }
        build().ok_or_else(|| ApiError::internal("a body member was neither parsed nor refused"))
    }
}

/// A parameter's raw value: the text of a query string, or, where the same
/// struct is read from a JSON body, a string or a number (`"min_price":
/// 300000` reads as `min_price=300000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Ok(Self(text)),
            serde_json::Value::Number(number) => Ok(Self(number.to_string())),
            // A query parameter given more than once (`query::parameters`).
            serde_json::Value::Array(_) => Err(serde::de::Error::custom("must be one value, given at most once")),
            _ => Err(serde::de::Error::custom("must be a string or a number")),
        }
    }
}

/// A repeatable parameter's values, in their order: given once, or more
/// (`type=a&type=b`), or as a JSON list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalars(pub Vec<String>);

impl<'de> Deserialize<'de> for Scalars {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = |value: serde_json::Value| match value {
            serde_json::Value::String(text) => Ok(text),
            _ => Err(serde::de::Error::custom("must be a string, or a list of strings")),
        };
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Array(values) => values.into_iter().map(text).collect::<Result<_, _>>().map(Self),
            value => text(value).map(|text| Self(vec![text])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_strings_and_numbers_alike() {
        let read = |json: serde_json::Value| serde_json::from_value::<Scalar>(json).map(|scalar| scalar.0);
        assert_eq!(read(serde_json::json!("72.5")).unwrap(), "72.5");
        assert_eq!(read(serde_json::json!(72.5)).unwrap(), "72.5");
        assert_eq!(read(serde_json::json!(300000)).unwrap(), "300000");
        assert!(read(serde_json::json!(true)).is_err());
        assert!(read(serde_json::json!({"amount": 1})).is_err());
    }
}
