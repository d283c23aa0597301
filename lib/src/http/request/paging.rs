//! Listing parameters and cursors. A cursor is opaque to clients but not
//! secret nor signed: it names the whole query it belongs to (every
//! parameter but `limit`, the order included) and the position of the
//! last item of the page before (`store::search`). One that cannot be read, or that names
//! another query, is refused with a 400 instead of quietly paging
//! something else; a hand-made cursor for the same query can only choose
//! where a page of that query starts, which shows nothing the query does
//! not (the partition read is always the query's own, never the cursor's).

use crate::domain::{City, Currency, ListingStatus, PriceAmount, PropertyType, Transaction};
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::store::search;
use crate::store::{Bounds, Listing, Order, PageRequest, Search};
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

/// The parameters of `GET /properties` besides `limit` and `cursor`.
pub const SEARCH_PARAMS: [&str; 12] = [
    "city",
    "type",
    "transaction",
    "status",
    "currency",
    "min_price",
    "max_price",
    "min_area",
    "max_area",
    "min_bedrooms",
    "max_bedrooms",
    "sort",
];

/// The values `sort` takes.
pub const SORTS: [&str; 5] = ["newest", "price", "-price", "area", "-area"];

/// The most bedrooms a bound may name: a property has at most `MAX_ROOMS` rooms.
const MAX_BEDROOMS: u64 = crate::domain::MAX_ROOMS as u64;

/// `GET /properties`: the search its parameters describe. Each invalid
/// parameter is a 422 naming it; a search no index can serve (an order
/// by price or area without the city, or by price without the currency)
/// is a 400 naming what is missing: never a Scan.
pub fn public_listing(pairs: &[(String, String)]) -> ApiResult<Listing> {
    // Each parameter on its own first, then how they combine.
    let mut params = Params { pairs, errors: Vec::new() };
    let invalid = |e: crate::domain::Invalid| e.0;
    let city = params.read("city", |raw| City::parse(raw).map(|city| city.key().to_owned()).map_err(invalid));
    let property_type = params.read("type", |raw| PropertyType::parse(raw).map_err(invalid));
    let transaction = params.read("transaction", |raw| Transaction::parse(raw).map_err(invalid)).unwrap_or_default();
    let status = params.read("status", |raw| ListingStatus::parse(raw).map_err(invalid));
    let currency = params.read("currency", |raw| Currency::parse(raw).map_err(invalid));
    let price = Bounds { min: params.read("min_price", hundredths), max: params.read("max_price", hundredths) };
    let area = Bounds { min: params.read("min_area", hundredths), max: params.read("max_area", hundredths) };
    let bedrooms = Bounds {
        min: params.read("min_bedrooms", |raw| whole(raw, MAX_BEDROOMS)),
        max: params.read("max_bedrooms", |raw| whole(raw, MAX_BEDROOMS)),
    };
    let sorts = || format!("must be one of: {}", SORTS.join(", "));
    let order = params.read("sort", |raw| order(raw).ok_or_else(sorts)).unwrap_or(Order::Newest);
    let mut errors = params.errors;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    if let Some(status) = status {
        if !status.is_public() {
            errors.push(FieldError::new(
                "status",
                "must be a public status: active, under_offer, sold (sale listings) or let (rent listings)",
            ));
        } else if !status.applies_to(transaction) {
            errors.push(FieldError::new(
                "status",
                format!("cannot be {} for {} listings", status.code(), transaction.code()),
            ));
        }
    }
    for (name, range) in [("price", price), ("area", area), ("bedrooms", bedrooms)] {
        if let (Some(min), Some(max)) = (range.min, range.max)
            && min > max
        {
            errors.push(FieldError::new(format!("max_{name}"), format!("must not be below min_{name}")));
        }
    }
    if currency.is_none() && !price.is_open() {
        for name in ["min_price", "max_price"].into_iter().filter(|name| param(pairs, name).is_some()) {
            errors.push(FieldError::new(name, "needs currency: prices compare only in one currency"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let needs = match order {
        Order::Price { .. } if city.is_none() || currency.is_none() => {
            Some("sort=price and sort=-price need city and currency")
        }
        Order::Area { .. } if city.is_none() => Some("sort=area and sort=-area need city"),
        _ => None,
    };
    if let Some(needs) = needs {
        return Err(ApiError::BadRequest(format!(
            "No index serves this search: {needs} (listings are sorted by price or area within one city)."
        )));
    }
    Ok(Listing::Search(Search { city, transaction, status, property_type, currency, price, area, bedrooms, order }))
}

/// The parameters of a query, read one by one, with the faults of those
/// that cannot be read.
struct Params<'a> {
    pairs: &'a [(String, String)],
    errors: Vec<FieldError>,
}

impl Params<'_> {
    /// The parameter `name` parsed, if given; its fault noted if invalid.
    fn read<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = param(self.pairs, name)?;
        parse(raw).map_err(|message| self.errors.push(FieldError::new(name, message))).ok()
    }
}

fn order(raw: &str) -> Option<Order> {
    Some(match raw {
        "newest" => Order::Newest,
        "price" => Order::Price { ascending: true },
        "-price" => Order::Price { ascending: false },
        "area" => Order::Area { ascending: true },
        "-area" => Order::Area { ascending: false },
        _ => return None,
    })
}

/// A decimal with at most two decimals, in hundredths, below 10^12 units
/// (the rule of prices; areas are far below it).
fn hundredths(raw: &str) -> Result<u64, String> {
    let number: serde_json::Number = serde_json::from_str(raw.trim_start_matches('+'))
        .ok()
        .filter(|_| !raw.starts_with('+') && !raw.is_empty())
        .ok_or_else(|| "must be a number such as 1500 or 72.5".to_owned())?;
    PriceAmount::parse(&number).map(PriceAmount::hundredths).map_err(|e| e.0)
}

/// A whole number from 0 to `max`, digits only.
fn whole(raw: &str, max: u64) -> Result<u64, String> {
    Some(raw)
        .filter(|raw| !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|raw| raw.parse::<u64>().ok())
        .filter(|value| *value <= max)
        .ok_or_else(|| format!("must be a whole number from 0 to {max}"))
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
    let Search { city, transaction, status, property_type, currency, price, area, bedrooms, order } = search;
    let code = |value: Option<&'static str>| value.unwrap_or("");
    let range = |bounds: &Bounds| format!("{:?}-{:?}", bounds.min, bounds.max);
    format!(
        "city:{}/tx:{}/status:{}/type:{}/cur:{}/price:{}/area:{}/beds:{}/sort:{order:?}",
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

/// The `limit` and `cursor` parameters of a listing.
pub fn page_request(pairs: &[(String, String)], listing: &Listing) -> ApiResult<PageRequest> {
    let order = listing.order();
    paged(pairs, &fingerprint(listing), |raw| search::is_position(raw, order))
}

/// The `limit` and `cursor` parameters of the query `query`, whose
/// positions `is_position` recognizes.
pub fn paged(pairs: &[(String, String)], query: &str, is_position: impl Fn(&str) -> bool) -> ApiResult<PageRequest> {
    let limit = match param(pairs, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => whole(raw, MAX_LIMIT as u64)
            .ok()
            .filter(|limit| *limit >= 1)
            .map(|limit| limit as usize)
            .ok_or_else(|| ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    let after = param(pairs, "cursor")
        .map(|raw| {
            decode_cursor(query, raw, &is_position).ok_or_else(|| {
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

    fn search(query: &str) -> ApiResult<Listing> {
        let mut allowed = SEARCH_PARAMS.to_vec();
        allowed.extend(["limit", "cursor"]);
        public_listing(&query_params(Some(query), &allowed)?)
    }

    fn pairs(query: &str) -> Vec<(String, String)> {
        query_params(Some(query), &["cursor", "limit"]).unwrap()
    }

    #[test]
    fn a_cursor_only_pages_its_own_query() {
        let paris = search("city=paris&sort=area").unwrap();
        let after = format!("{:012}#0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", 7250);
        let cursor = listing_cursor(&paris, after.clone());
        let with_cursor = pairs(&format!("cursor={cursor}"));
        assert_eq!(page_request(&with_cursor, &paris).unwrap().after, Some(after.clone()));
        for other in ["city=lyon&sort=area", "city=paris", "city=paris&sort=-area", "city=paris&sort=area&min_area=1"] {
            assert!(page_request(&with_cursor, &search(other).unwrap()).is_err(), "{other}");
        }

        // Made by hand for the same query: it only chooses where the page
        // starts, and only among positions of the query's order.
        let query = fingerprint(&paris);
        let hand_made = |after: &str| {
            let cursor = URL_SAFE_NO_PAD.encode(serde_json::json!({"q": query, "after": after}).to_string());
            page_request(&pairs(&format!("cursor={cursor}")), &paris)
        };
        assert_eq!(hand_made(&after).unwrap().after, Some(after));
        for bad in ["0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", "7250#x", "", "~"] {
            assert!(matches!(hand_made(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }

        let mut tampered = cursor.into_bytes();
        tampered[5] ^= 1;
        let tampered = String::from_utf8_lossy(&tampered).into_owned();
        assert!(matches!(page_request(&[("cursor".into(), tampered)], &paris), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn limits_are_bounded() {
        let everything = search("").unwrap();
        let limit = |raw: &str| page_request(&[("limit".to_owned(), raw.to_owned())], &everything);
        assert_eq!(limit("1").unwrap().limit, 1);
        assert_eq!(limit("100").unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "2.5", "+5", "", " 5", "1e2", "18446744073709551616"] {
            assert!(limit(bad).is_err(), "{bad}");
        }
        assert_eq!(page_request(&[], &everything).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn spellings_of_a_city_select_one_listing() {
        assert_eq!(search("city=Saint-%C3%89tienne").unwrap(), search("city=SAINT+ETIENNE").unwrap());
        assert!(query_params(Some("city=a&city=b"), &["city"]).is_err());
        assert!(query_params(Some("town=a"), &["city"]).is_err());
        assert!(search(&format!("city={}", "x".repeat(City::MAX_LENGTH + 1))).is_err());
    }

    #[test]
    fn a_search_names_each_parameter_at_fault() {
        let fields = |query: &str| match search(query) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|error| error.field).collect::<Vec<_>>(),
            other => panic!("{query}: {other:?}"),
        };
        assert_eq!(fields("min_price=10"), ["min_price"]);
        assert_eq!(fields("currency=EUR&min_price=10&max_price=5"), ["max_price"]);
        assert_eq!(fields("min_area=80&max_area=79.99"), ["max_area"]);
        assert_eq!(fields("min_bedrooms=51"), ["min_bedrooms"]);
        assert_eq!(fields("status=draft"), ["status"]);
        assert_eq!(fields("status=let"), ["status"]);
        assert_eq!(fields("transaction=rent&status=sold"), ["status"]);
        assert_eq!(fields("sort=cheapest&currency=XYZ"), ["currency", "sort"]);
        assert_eq!(fields("currency=EUR&min_price=1.005"), ["min_price"]);
        for unserved in ["sort=price&city=paris", "sort=-price&currency=EUR", "sort=area"] {
            assert!(matches!(search(unserved), Err(ApiError::BadRequest(_))), "{unserved}");
        }
        let Listing::Search(found) =
            search("transaction=rent&status=let&city=Lyon&currency=EUR&sort=-price&max_price=1200.5").unwrap()
        else {
            panic!("a search")
        };
        assert!(found.closed());
        assert_eq!(found.price, Bounds { min: None, max: Some(120_050) });
        assert_eq!(found.order, Order::Price { ascending: false });
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
