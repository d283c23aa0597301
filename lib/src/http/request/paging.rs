//! Paging: the `limit` and `cursor` parameters, and cursors. A cursor is
//! opaque to clients but not secret nor signed: it names the whole query
//! it belongs to (every parameter but `limit`, the order included) and the
//! position of the last item of the page before (`store::search`). One
//! that cannot be read, or that names another query, is refused with a
//! 400 instead of quietly paging something else; a hand-made cursor for
//! the same query can only choose where a page of that query starts, which
//! shows nothing the query does not (the partition read is always the
//! query's own, never the cursor's).

use super::fields::{Fields, Member, Scalar};
use crate::domain::{Currency, Invalid, ListingStatus, PropertyType};
use crate::http::error::{ApiError, ApiResult};
use crate::store::search;
use crate::store::{Bounds, Listing, PageRequest, Search};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// Which page of a listing: the first `limit` items after `cursor`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, default 20
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Member<Scalar>,
    /// `next_cursor` of the previous page of the same query
    #[serde(default)]
    #[param(value_type = Option<String>)]
    cursor: Member<Scalar>,
}

impl PageQuery {
    /// The page of `listing` asked for.
    pub fn of_listing(self, listing: &Listing) -> ApiResult<PageRequest> {
        let order = listing.order();
        self.of_query(&fingerprint(listing), |raw| search::is_position(raw, order))
    }

    /// The page of the query `query`, whose positions `is_position` recognizes.
    pub fn of_query(self, query: &str, is_position: impl Fn(&str) -> bool) -> ApiResult<PageRequest> {
        let mut fields = Fields::new();
        let limit = fields.optional("limit", self.limit, |raw| {
            whole(&raw.0, MAX_LIMIT as u64)
                .ok()
                .filter(|limit| *limit >= 1)
                .map(|limit| limit as usize)
                .ok_or_else(|| Invalid(format!("must be a whole number from 1 to {MAX_LIMIT}")))
        });
        let cursor = fields.optional("cursor", self.cursor, Ok);
        let (limit, cursor) = fields.finish(|| Some((limit?.unwrap_or(DEFAULT_LIMIT), cursor?)))?;
        let after = cursor
            .map(|raw| {
                decode_cursor(query, &raw.0, &is_position).ok_or_else(|| {
                    ApiError::BadRequest(
                        "The cursor is invalid, or belongs to another query: start again without one.".into(),
                    )
                })
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

/// A whole number from 0 to `max`, digits only.
pub(super) fn whole(raw: &str, max: u64) -> Result<u64, Invalid> {
    Some(raw)
        .filter(|raw| !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|raw| raw.parse::<u64>().ok())
        .filter(|value| *value <= max)
        .ok_or_else(|| Invalid(format!("must be a whole number from 0 to {max}")))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    /// The query the cursor pages through.
    q: String,
    /// The position of the last item of the previous page.
    after: String,
}

/// The whole query a cursor belongs to, its order included.
fn fingerprint(listing: &Listing) -> String {
    let search = match listing {
        Listing::Owner(owner) => return format!("owner:{owner}"),
        Listing::Search(search) => search,
    };
    let Search { city, transaction, status, property_type, currency, price, area, bedrooms, region, order } = search;
    let code = |value: Option<&'static str>| value.unwrap_or("");
    let range = |bounds: &Bounds| format!("{:?}-{:?}", bounds.min, bounds.max);
    format!(
        "city:{}/tx:{}/status:{}/type:{}/cur:{}/price:{}/area:{}/beds:{}/in:{region:?}/sort:{order:?}",
        city.as_deref().unwrap_or(""),
        transaction.code(),
        code(status.map(ListingStatus::code)),
        code(property_type.map(PropertyType::code)),
        code(currency.map(Currency::code)),
        range(price),
        range(area),
        range(bedrooms),
    )
}

pub fn encode_cursor(query: &str, after: String) -> String {
    let cursor = Cursor { q: query.to_owned(), after };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).expect("a cursor serializes"))
}

/// The cursor of the page after position `after` in `listing`.
pub fn listing_cursor(listing: &Listing, after: String) -> String {
    encode_cursor(&fingerprint(listing), after)
}

fn decode_cursor(query: &str, raw: &str, is_position: impl Fn(&str) -> bool) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
    (cursor.q == query && is_position(&cursor.after)).then_some(cursor.after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::extract::read_members;
    use crate::http::request::query::parameters;

    fn page(query: &str) -> PageQuery {
        read_members::<PageQuery>(&parameters(Some(query)).unwrap()).0.unwrap()
    }

    fn paris_by_area() -> Listing {
        let order = crate::store::Order::Area { ascending: true };
        Listing::Search(Search { city: Some("paris".into()), order, ..Search::default() })
    }

    #[test]
    fn a_cursor_only_pages_its_own_query() {
        let paris = paris_by_area();
        let after = format!("{:012}#0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", 7250);
        let cursor = listing_cursor(&paris, after.clone());
        let with_cursor = || page(&format!("cursor={cursor}"));
        assert_eq!(with_cursor().of_listing(&paris).unwrap().after, Some(after.clone()));
        let Listing::Search(search) = paris.clone() else { unreachable!() };
        let others = [
            Search { city: Some("lyon".into()), ..search.clone() },
            Search { order: crate::store::Order::Newest, ..search.clone() },
            Search { order: crate::store::Order::Area { ascending: false }, ..search.clone() },
            Search { area: Bounds { min: Some(100), max: None }, ..search.clone() },
        ];
        for other in others {
            assert!(with_cursor().of_listing(&Listing::Search(other.clone())).is_err(), "{other:?}");
        }

        // Made by hand for the same query: it only chooses where the page
        // starts, and only among positions of the query's order.
        let query = fingerprint(&paris);
        let hand_made = |after: &str| {
            let cursor = URL_SAFE_NO_PAD.encode(serde_json::json!({"q": query, "after": after}).to_string());
            page(&format!("cursor={cursor}")).of_listing(&paris)
        };
        assert_eq!(hand_made(&after).unwrap().after, Some(after));
        for bad in ["0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", "7250#x", "", "~"] {
            assert!(matches!(hand_made(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }

        let mut tampered = cursor.into_bytes();
        tampered[5] ^= 1;
        let tampered = String::from_utf8_lossy(&tampered).into_owned();
        let tampered = PageQuery { cursor: Member::Value(Scalar(tampered)), ..PageQuery::default() };
        assert!(matches!(tampered.of_listing(&paris), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn limits_are_bounded() {
        let everything = Listing::Search(Search::default());
        let limit = |raw: &str| {
            PageQuery { limit: Member::Value(Scalar(raw.to_owned())), ..PageQuery::default() }.of_listing(&everything)
        };
        assert_eq!(limit("1").unwrap().limit, 1);
        assert_eq!(limit("100").unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "2.5", "+5", "", " 5", "1e2", "18446744073709551616"] {
            assert!(matches!(limit(bad), Err(ApiError::Validation(_))), "{bad}");
        }
        assert_eq!(PageQuery::default().of_listing(&everything).unwrap().limit, DEFAULT_LIMIT);
    }
}
