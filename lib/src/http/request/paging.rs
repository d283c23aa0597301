//! Listing parameters and cursors. A cursor is opaque to clients but not
//! secret nor signed: it names the query it belongs to and the last
//! property of the page before. One that cannot be read, or that names
//! another query, is refused with a 400 instead of quietly paging
//! something else; a hand-made cursor for the same query can only choose
//! where a page of that query starts, which shows nothing the query does
//! not (the partition read is always the query's own, never the cursor's).

use crate::domain::{City, PropertyId, PropertyType};
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::store::{Listing, PageRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// The parameters of a query string, refusing names not in `allowed` and
/// names given twice.
pub fn query_params(raw: Option<&str>, allowed: &[&str]) -> ApiResult<Vec<(String, String)>> {
    let pairs = decode_query(raw.unwrap_or_default()).ok_or_else(|| {
        ApiError::BadRequest(
            "The query string cannot be read: it must be percent-encoded UTF-8 (`%` followed by two hex digits)."
                .into(),
        )
    })?;
    let mut errors = Vec::new();
    for (index, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            errors.push(FieldError::new(name, format!("is not a known parameter; known: {}", allowed.join(", "))));
        } else if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
            errors.push(FieldError::new(name, "must be given at most once"));
        }
    }
    if errors.is_empty() { Ok(pairs) } else { Err(ApiError::Validation(errors)) }
}

/// Splits and decodes `name=value&...` (`+` is a space), or `None` when a
/// `%` escape is malformed or the decoded bytes are not UTF-8: such input
/// is refused, never repaired into something the client did not send.
fn decode_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

fn decode_component(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        bytes.push(match byte {
            b'+' => b' ',
            b'%' => {
                let hex = [rest.next()?, rest.next()?];
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            other => other,
        });
    }
    String::from_utf8(bytes).ok()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// `GET /properties`: which listing the `city` and `type` parameters select.
pub fn public_listing(pairs: &[(String, String)]) -> ApiResult<Listing> {
    let city = param(pairs, "city").map(City::parse).transpose().map_err(|e| ApiError::invalid("city", e.0))?;
    let city = city.map(|city| city.key().to_owned());
    let kind = param(pairs, "type").map(PropertyType::parse).transpose().map_err(|e| ApiError::invalid("type", e.0))?;
    Ok(match (city, kind) {
        (None, None) => Listing::All,
        (Some(city), None) => Listing::City(city),
        (None, Some(kind)) => Listing::Type(kind),
        (Some(city), Some(kind)) => Listing::CityAndType(city, kind),
    })
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    /// The listing the cursor pages through.
    q: String,
    /// The last property of the previous page.
    after: String,
}

fn fingerprint(listing: &Listing) -> String {
    match listing {
        Listing::All => "all".into(),
        Listing::City(city) => format!("city:{city}"),
        Listing::Type(kind) => format!("type:{}", kind.code()),
        Listing::CityAndType(city, kind) => format!("city:{city}/type:{}", kind.code()),
        Listing::Owner(owner) => format!("owner:{owner}"),
    }
}

pub fn encode_cursor(listing: &Listing, after: PropertyId) -> String {
    let cursor = Cursor { q: fingerprint(listing), after: after.to_string() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).expect("a cursor serializes"))
}

fn decode_cursor(listing: &Listing, raw: &str) -> Option<PropertyId> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
    (cursor.q == fingerprint(listing)).then_some(())?;
    PropertyId::parse(&cursor.after)
}

/// The `limit` and `cursor` parameters of a listing.
pub fn page_request(pairs: &[(String, String)], listing: &Listing) -> ApiResult<PageRequest> {
    let limit = match param(pairs, "limit") {
        None => DEFAULT_LIMIT,
        // Digits only: `parse` would also take "+5".
        Some(raw) => Some(raw)
            .filter(|raw| !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|raw| raw.parse::<usize>().ok())
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    let after = param(pairs, "cursor")
        .map(|raw| {
            decode_cursor(listing, raw).ok_or_else(|| {
                ApiError::BadRequest(
                    "The cursor is invalid, or belongs to another query: start again without one.".into(),
                )
            })
        })
        .transpose()?;
    Ok(PageRequest { limit, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_only_pages_its_own_query() {
        let paris = Listing::City("paris".into());
        let after = PropertyId::generate();
        let cursor = encode_cursor(&paris, after);
        let pairs = vec![("cursor".to_owned(), cursor.clone())];
        assert_eq!(page_request(&pairs, &paris).unwrap().after, Some(after));
        assert!(page_request(&pairs, &Listing::City("lyon".into())).is_err());
        assert!(page_request(&pairs, &Listing::All).is_err());

        // Made by hand for the same query: it only chooses where the page starts.
        let hand_made = URL_SAFE_NO_PAD.encode(format!(r#"{{"q":"city:paris","after":"{after}"}}"#));
        let pairs = vec![("cursor".to_owned(), hand_made)];
        assert_eq!(page_request(&pairs, &paris).unwrap().after, Some(after));

        let mut tampered = cursor.into_bytes();
        tampered[5] ^= 1;
        let pairs = vec![("cursor".to_owned(), String::from_utf8_lossy(&tampered).into_owned())];
        assert!(matches!(page_request(&pairs, &paris), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn limits_are_bounded() {
        let limit = |raw: &str| page_request(&[("limit".to_owned(), raw.to_owned())], &Listing::All);
        assert_eq!(limit("1").unwrap().limit, 1);
        assert_eq!(limit("100").unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "2.5", "+5", "", " 5", "1e2", "18446744073709551616"] {
            assert!(limit(bad).is_err(), "{bad}");
        }
        assert_eq!(page_request(&[], &Listing::All).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn spellings_of_a_city_select_one_listing() {
        let listing = |city: &str| public_listing(&[("city".to_owned(), city.to_owned())]).unwrap();
        assert_eq!(listing("Saint-Étienne"), listing("SAINT ETIENNE"));
        assert!(query_params(Some("city=a&city=b"), &["city"]).is_err());
        assert!(query_params(Some("town=a"), &["city"]).is_err());
        assert!(public_listing(&[("city".to_owned(), "x".repeat(City::MAX_LENGTH + 1))]).is_err());
    }

    #[test]
    fn query_strings_decode_strictly() {
        let pairs = query_params(Some("city=Saint%20%C3%89tienne&type=loft+x"), &["city", "type"]).unwrap();
        assert_eq!(pairs, [("city".into(), "Saint Étienne".into()), ("type".into(), "loft x".into())]);
        for bad in ["city=%FF%FE", "city=%E9", "city=%zz", "city=%4", "city=abc%", "%FF=1"] {
            assert!(matches!(query_params(Some(bad), &["city"]), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }
}
