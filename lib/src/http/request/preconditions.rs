//! Conditional requests (RFC 9110, section 13) on a property, whose version
//! is its entity tag: `If-Match` on every write to the property or its
//! rooms (checked inside the write's own condition, 412 when stale), and
//! `If-None-Match` on reading it (304 when the client's copy is current).

use crate::http::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};

/// The version as an entity tag: it changes with every change to the
/// property or its rooms.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("a number is valid header text")
}

/// The version `If-Match` requires, if any. `*` asks only that the property
/// exists, which every write requires anyway. A weak or foreign tag can
/// never match (If-Match compares strongly), so it yields a version that
/// never exists.
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(Self(None));
        }
        let tag = entity_tag(text).ok_or_else(|| {
            ApiError::BadRequest("If-Match must be * or an entity tag as sent in ETag, such as \"3\".".into())
        })?;
        let strong = !text.starts_with("W/");
        Ok(Self(Some(tag.parse::<u64>().ok().filter(|_| strong).unwrap_or(0))))
    }
}

/// Whether `If-None-Match` names the current version (weakly compared, as
/// RFC 9110 asks for this header), or is `*`: the client's copy is current.
pub fn not_modified(headers: &HeaderMap, version: u64) -> bool {
    let current = version.to_string();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|list| list.split(',').map(str::trim).any(|tag| tag == "*" || entity_tag(tag) == Some(current.as_str())))
}

/// The opaque part of `"3"` or `W/"3"`.
fn entity_tag(text: &str) -> Option<&str> {
    let quoted = text.strip_prefix("W/").unwrap_or(text);
    quoted.strip_prefix('"')?.strip_suffix('"')
}

/// `If-Match`, as the contract declares it on every write it guards.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchHeader {
    /// The property's `ETag`, quotes included (`"3"`), or `*`: the write
    /// applies only if the property is still at that version (else 412).
    /// A write to a room changes its property's version too.
    #[param(rename = "If-Match", nullable = false, pattern = r#"^(\*|(W/)?"[^"]*")$"#)]
    if_match: Option<String>,
}

/// `If-None-Match`, as the contract declares it on reading a property.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatchHeader {
    /// ETags of copies the client holds, or `*`: 304 without a body when
    /// one of them is the current version.
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_across_a_list() {
        let headers =
            |value: &'static str| HeaderMap::from_iter([(header::IF_NONE_MATCH, HeaderValue::from_static(value))]);
        assert!(not_modified(&headers("\"3\""), 3));
        assert!(not_modified(&headers("W/\"3\""), 3));
        assert!(not_modified(&headers("\"1\", \"3\""), 3));
        assert!(not_modified(&headers("*"), 3));
        assert!(!not_modified(&headers("\"2\""), 3));
        assert!(!not_modified(&headers("3"), 3));
        assert!(!not_modified(&HeaderMap::new(), 3));
    }
}
