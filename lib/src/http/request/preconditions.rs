//! Conditional requests (RFC 9110, section 13) on a property, whose version
//! is its entity tag: `If-Match` on every write to the property or its
//! rooms (checked inside the write's own condition, 412 when stale), and
//! `If-None-Match` on reading it (304 when the client's copy is current).
//!
//! Both fields are `*` or a list of entity tags (`"3"`, `W/"3"`), possibly
//! over several header lines, which make one list. `If-Match` compares
//! strongly: a tag matches only if it is strong and its opaque text is the
//! version exactly as [`etag`] writes it (`"03"` and `"+3"` match nothing).
//! `If-None-Match` compares weakly: `W/"3"` matches version 3 too.

use crate::http::error::{ApiError, ApiResult};
use crate::store::Versions;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};

/// The version as an entity tag: it changes with every change to the
/// property or its rooms.
pub fn etag(version: u64) -> HeaderValue {
    // The text's own bytes, not a copy of them.
    HeaderValue::from_maybe_shared(axum::body::Bytes::from(format!("\"{version}\"")))
        .expect("a number is valid header text")
}

/// How many entity tags `If-Match` may list: the write checks every version
/// they name in its own condition.
pub const MAX_IF_MATCH_TAGS: usize = Versions::MAX;

/// The versions `If-Match` accepts, if it is sent and is not `*` (which
/// asks only that the property exists, which every write requires anyway).
/// The write applies only if the property is at one of them. A tag that
/// can match no version (weak, `"01"`, `"abc"`) adds none: with only such
/// tags, the write is refused as stale (412).
pub struct IfMatch(pub Option<Versions>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        if_match(&parts.headers).map(Self)
    }
}

/// `IfMatch` of these headers; 400 when `If-Match` is malformed or lists
/// more than [`MAX_IF_MATCH_TAGS`] tags.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<Versions>> {
    let mut lines = headers.get_all(header::IF_MATCH).iter().peekable();
    if lines.peek().is_none() {
        return Ok(None);
    }
    let malformed = || {
        ApiError::BadRequest(format!(
            "If-Match must be * or a list of at most {MAX_IF_MATCH_TAGS} entity tags as sent in ETag, such as \"3\"."
        ))
    };
    match field(lines).ok_or_else(malformed)? {
        Field::Any => Ok(None),
        Field::Tags(tags) if tags.len() <= MAX_IF_MATCH_TAGS => {
            Ok(Some(Versions::new(tags.iter().filter_map(EntityTag::strong_version)).ok_or_else(malformed)?))
        }
        Field::Tags(_) => Err(malformed()),
    }
}

/// `If-None-Match` as the request sends it: its lines, none when absent.
/// Only this field is copied out of the request, not all its headers.
pub struct IfNoneMatch(Vec<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get_all(header::IF_NONE_MATCH).iter().cloned().collect()))
    }
}

impl IfNoneMatch {
    /// Whether it names the current version (weakly compared, as RFC 9110
    /// asks for this header), or is `*`: the client's copy is current.
    /// Absent or malformed, it names nothing: the full answer is always safe.
    pub fn names(&self, version: u64) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let current = version.to_string();
        match field(&self.0) {
            Some(Field::Any) => true,
            Some(Field::Tags(tags)) => tags.iter().any(|tag| tag.opaque == current.as_bytes()),
            None => false,
        }
    }
}

/// An `If-Match` or `If-None-Match` field: `*` / `1#entity-tag`.
enum Field<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// `[ W/ ] DQUOTE *etagc DQUOTE` (RFC 9110, section 8.8.3).
struct EntityTag<'a> {
    weak: bool,
    /// Between the quotes.
    opaque: &'a [u8],
}

impl EntityTag<'_> {
    /// The version this tag matches under the strong comparison: none
    /// unless it is strong and exactly the text [`etag`] writes.
    fn strong_version(&self) -> Option<u64> {
        if self.weak {
            return None;
        }
        let text = std::str::from_utf8(self.opaque).ok()?;
        let version = text.parse::<u64>().ok()?;
        (version.to_string() == text).then_some(version)
    }
}

/// The field of all these header lines, combined into one list (RFC 9110,
/// section 5.3), or `None` when there is none or it is malformed. Empty
/// list elements (`"1", ,"2"`) are ignored, as section 5.6.1 asks of a
/// recipient, but at least one tag is needed; `*` stands alone.
fn field<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Option<Field<'a>> {
    let lines: Vec<&[u8]> = lines.into_iter().map(HeaderValue::as_bytes).collect();
    if let [line] = lines[..]
        && trim_ows(line) == b"*"
    {
        return Some(Field::Any);
    }
    let mut tags = Vec::new();
    for line in lines {
        list(line, &mut tags)?;
    }
    (!tags.is_empty()).then_some(Field::Tags(tags))
}

/// Adds the entity tags of one line (`#entity-tag`) to `tags`; `None` when
/// it is not such a list.
fn list<'a>(line: &'a [u8], tags: &mut Vec<EntityTag<'a>>) -> Option<()> {
    let mut rest = line;
    loop {
        rest = skip_ows(rest);
        match rest.split_first() {
            None => return Some(()),
            Some((b',', after)) => rest = after,
            Some(_) => {
                let (tag, after) = entity_tag(rest)?;
                tags.push(tag);
                rest = skip_ows(after);
                match rest.split_first() {
                    None => return Some(()),
                    Some((b',', after)) => rest = after,
                    Some(_) => return None,
                }
            }
        }
    }
}

/// The entity tag `text` starts with, and what follows it.
fn entity_tag(text: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, quoted) = match text.strip_prefix(b"W/") {
        Some(quoted) => (true, quoted),
        None => (false, text),
    };
    let inner = quoted.strip_prefix(b"\"")?;
    let end = inner.iter().position(|&byte| !is_etagc(byte))?;
    let after = inner[end..].strip_prefix(b"\"")?;
    Some((EntityTag { weak, opaque: &inner[..end] }, after))
}

/// `etagc = %x21 / %x23-7E / obs-text`: visible characters but `"`, and
/// any byte past ASCII.
fn is_etagc(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7E).contains(&byte) || byte >= 0x80
}

/// Optional whitespace (`OWS`: spaces and tabs) skipped.
fn skip_ows(text: &[u8]) -> &[u8] {
    let start = text.iter().position(|byte| !matches!(byte, b' ' | b'\t')).unwrap_or(text.len());
    &text[start..]
}

fn trim_ows(text: &[u8]) -> &[u8] {
    let text = skip_ows(text);
    let end = text.iter().rposition(|byte| !matches!(byte, b' ' | b'\t')).map_or(0, |last| last + 1);
    &text[..end]
}

/// `If-Match`, as the contract declares it on every write it guards.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchHeader {
    /// The property's `ETag`, quotes included (`"3"`), a comma-separated
    /// list of at most 20 such tags (`"3", "4"`), or `*`: the write applies
    /// only if the property is still at a version listed (else 412). Tags
    /// compare strongly, character by character: a weak tag (`W/"3"`) or
    /// another spelling of the number (`"03"`) matches no version. A write
    /// to a room changes its property's version too.
    #[param(
        rename = "If-Match",
        nullable = false,
        pattern = r#"^(\*|(,[ \t]*)*(W/)?"[^\x00-\x20"\x7F]*"([ \t]*,([ \t]*(W/)?"[^\x00-\x20"\x7F]*")?)*)$"#
    )]
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

    /// Headers with one `name` line per value.
    fn lines(name: header::HeaderName, values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name.clone(), HeaderValue::from_bytes(value).expect("header text"));
        }
        headers
    }

    /// The versions `If-Match` lines accept: `Err` for a 400, `Ok(None)` for any.
    fn accepted(values: &[&[u8]]) -> Result<Option<Vec<u64>>, ()> {
        match if_match(&lines(header::IF_MATCH, values)) {
            Ok(versions) => Ok(versions.map(|versions| versions.as_slice().to_vec())),
            Err(ApiError::BadRequest(_)) => Err(()),
            Err(other) => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn if_match_compares_strongly_as_text() {
        assert_eq!(accepted(&[]), Ok(None));
        assert_eq!(accepted(&[b"*"]), Ok(None));
        assert_eq!(accepted(&[b"\"1\""]), Ok(Some(vec![1])));
        assert_eq!(accepted(&[b"\"18446744073709551615\""]), Ok(Some(vec![u64::MAX])));
        // Other spellings of a number, weak tags and foreign tags match no version.
        for never in [
            &b"\"01\""[..],
            b"\"+2\"",
            b"\"1.0\"",
            b"\"0x1\"",
            b"\"1e0\"",
            b"\"-0\"",
            b"\"18446744073709551616\"",
            b"\"\"",
            b"\"abc\"",
            b"W/\"1\"",
            "\"\u{661}\"".as_bytes(),
            b"\"\xff\"",
        ] {
            assert_eq!(accepted(&[never]), Ok(Some(vec![])), "{}", String::from_utf8_lossy(never));
        }
    }

    #[test]
    fn if_match_takes_a_list_over_several_lines() {
        assert_eq!(accepted(&[b"\"7\", \"1\""]), Ok(Some(vec![1, 7])));
        assert_eq!(accepted(&[b"\"7\",\"1\",W/\"2\",\"03\""]), Ok(Some(vec![1, 7])));
        assert_eq!(accepted(&[b"\"7\"", b"\"1\""]), Ok(Some(vec![1, 7])));
        assert_eq!(accepted(&[b"\"1\" ,\t\"1\""]), Ok(Some(vec![1])));
        // A comma is an opaque character: this is one tag, not "1" and "2".
        assert_eq!(accepted(&[b"\"1,2\""]), Ok(Some(vec![])));
        // Empty list elements are ignored (RFC 9110, section 5.6.1).
        assert_eq!(accepted(&[b"\"1\",,"]), Ok(Some(vec![1])));
        assert_eq!(accepted(&[b", ,\"1\", ,\"2\","]), Ok(Some(vec![1, 2])));
        assert_eq!(accepted(&[b"\"1\"", b","]), Ok(Some(vec![1])));
        let most = vec!["\"1\""; MAX_IF_MATCH_TAGS].join(", ");
        assert_eq!(accepted(&[most.as_bytes()]), Ok(Some(vec![1])));
    }

    #[test]
    fn a_malformed_if_match_is_refused() {
        let too_many = vec!["\"1\""; MAX_IF_MATCH_TAGS + 1].join(", ");
        for malformed in [
            &b"1"[..],
            b"\"1",
            b"1\"",
            b"'1'",
            b"\" 1\"",
            b"\"1 \"",
            b"\"1\"\"2\"",
            b"\"1\" \"2\"",
            b"\"1\"x",
            b"\"\"1\"\"",
            b"w/\"1\"",
            b"W/ \"1\"",
            b"W/1",
            b"W/",
            b"",
            b",",
            b" , ",
            b"*, \"1\"",
            b"\"1\", *",
            b"**",
            too_many.as_bytes(),
        ] {
            assert_eq!(accepted(&[malformed]), Err(()), "{}", String::from_utf8_lossy(malformed));
        }
        assert_eq!(accepted(&[b"*", b"\"1\""]), Err(()), "* stands alone");
        assert_eq!(accepted(&[b"*", b"*"]), Err(()), "* stands alone");
        assert_eq!(accepted(&[b"\"1\"", b"1"]), Err(()), "every line must be a list");
    }

    /// The contract's description of `If-Match` states the bound.
    #[test]
    fn the_contract_states_the_bound() {
        assert_eq!(MAX_IF_MATCH_TAGS, 20);
    }

    /// `If-None-Match` of `headers`, as the extractor takes it, names `version`.
    fn not_modified(headers: &HeaderMap, version: u64) -> bool {
        IfNoneMatch(headers.get_all(header::IF_NONE_MATCH).iter().cloned().collect()).names(version)
    }

    #[test]
    fn if_none_match_compares_weakly_across_a_list() {
        let headers = |values: &[&[u8]]| lines(header::IF_NONE_MATCH, values);
        assert!(not_modified(&headers(&[b"\"3\""]), 3));
        assert!(not_modified(&headers(&[b"W/\"3\""]), 3));
        assert!(not_modified(&headers(&[b"\"1\", \"3\""]), 3));
        assert!(not_modified(&headers(&[b"\"1\",W/\"3\""]), 3));
        assert!(not_modified(&headers(&[b"\"1\"", b"\"3\""]), 3));
        assert!(not_modified(&headers(&[b"\"1\", ,\"3\","]), 3));
        assert!(not_modified(&headers(&[b"*"]), 3));
        assert!(!not_modified(&headers(&[b"\"2\""]), 3));
        assert!(!not_modified(&headers(&[b"\"03\""]), 3));
        assert!(!not_modified(&headers(&[b"3"]), 3));
        assert!(!not_modified(&headers(&[b"\"3,4\""]), 3), "one tag with a comma in it");
        assert!(!not_modified(&headers(&[b"\"3\" \"4\""]), 3), "malformed: ignored");
        assert!(!not_modified(&headers(&[b"\"1\", *"]), 3), "malformed: ignored");
        assert!(!not_modified(&headers(&[]), 3));
    }
}
