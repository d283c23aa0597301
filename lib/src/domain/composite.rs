//! Reading a composite JSON value (a price, a location) member by member,
//! so that one message names every member at fault.

use super::Invalid;

/// The members of a JSON object that may only have `known` members.
pub(super) fn object<'a>(
    raw: &'a serde_json::Value,
    known: &[&str],
) -> Result<&'a serde_json::Map<String, serde_json::Value>, Invalid> {
    let members = raw.as_object().ok_or_else(|| Invalid::new("must be a JSON object"))?;
    let unknown: Vec<&str> = members.keys().map(String::as_str).filter(|name| !known.contains(name)).collect();
    if !unknown.is_empty() {
        return Err(Invalid(format!("has unknown members: {} (expected: {})", unknown.join(", "), known.join(", "))));
    }
    Ok(members)
}

/// The faults of a composite value's members, reported together.
#[derive(Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    pub(super) fn member<R: ?Sized, T>(
        &mut self,
        name: &str,
        raw: Option<&R>,
        parse: impl FnOnce(&R) -> Result<T, Invalid>,
    ) -> Option<T> {
        let Some(raw) = raw else {
            self.0.push(format!("{name} is required"));
            return None;
        };
        parse(raw).map_err(|invalid| self.0.push(format!("{name} {invalid}"))).ok()
    }

    pub(super) fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(Invalid(self.0.join("; "))) }
    }
}
