//! The public search of `GET /properties`: its parameters, declared once
//! (`SearchFilter`: the handler reads it, the contract lists it), and the
//! rules that turn them into a `Search`. The same struct reads from a JSON
//! body, where a number may stand for a numeric parameter.

use super::extract::read_members;
use super::fields::{Fields, Member, Scalar};
use crate::domain::geo::{Circle, GeoBox};
use crate::domain::{AlertBounds, City, Currency, Invalid, ListingStatus, PriceAmount, PropertyType, Transaction};
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::store::clusters::{CLUSTER_PRECISIONS, MAX_CLUSTER_CELLS};
use crate::store::search::{MAP_CELL_PRECISION, MAX_BOX_CELLS, MAX_BOX_EXTENT_M, MAX_NEAR_CELLS, MAX_RADIUS_M};
use crate::store::{Bounds, ClusterQuery, Order, Region, Search};
use serde::Deserialize;

/// The values `sort` takes.
pub const SORTS: [&str; 6] = ["newest", "price", "-price", "area", "-area", "distance"];

/// The radius of a `near` search without `radius_km`, in metres.
pub const DEFAULT_RADIUS_M: u32 = 5_000;

/// The most bedrooms a bound may name: a property has at most `MAX_ROOMS` rooms.
const MAX_BEDROOMS: u64 = crate::domain::MAX_ROOMS as u64;

/// What to search for; every parameter may be left out.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchFilter {
    /// Only this city; letter case, accents, spaces, hyphens and apostrophes are ignored
    #[serde(default)]
    #[param(value_type = Option<String>, min_length = 1, max_length = 100)]
    city: Member<Scalar>,
    /// Only this type
    #[serde(rename = "type", default)]
    #[param(value_type = Option<PropertyType>)]
    property_type: Member<Scalar>,
    /// Sale (default) or rent listings
    #[serde(default)]
    #[param(value_type = Option<Transaction>)]
    transaction: Member<Scalar>,
    /// One public status: active, under_offer, sold (sale) or let (rent); default: active and under_offer
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(active|under_offer|sold|let)$")]
    status: Member<Scalar>,
    /// Only listings priced in this currency; needed by min_price, max_price and sort=price
    #[serde(default)]
    #[param(inline, value_type = Option<Currency>)]
    currency: Member<Scalar>,
    /// At least this price (with currency); at most two decimals
    #[serde(default)]
    #[param(value_type = Option<f64>, minimum = 0)]
    min_price: Member<Scalar>,
    /// At most this price (with currency); at most two decimals
    #[serde(default)]
    #[param(value_type = Option<f64>, minimum = 0)]
    max_price: Member<Scalar>,
    /// At least this total area in m²; at most two decimals
    #[serde(default)]
    #[param(value_type = Option<f64>, minimum = 0)]
    min_area: Member<Scalar>,
    /// At most this total area in m²; at most two decimals
    #[serde(default)]
    #[param(value_type = Option<f64>, minimum = 0)]
    max_area: Member<Scalar>,
    /// At least this many bedrooms
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 0, maximum = 50)]
    min_bedrooms: Member<Scalar>,
    /// At most this many bedrooms
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 0, maximum = 50)]
    max_bedrooms: Member<Scalar>,
    /// Only listings in this box: `west,south,east,north` in WGS84 degrees (longitude first, borders included; west > east crosses the antimeridian), at most 50 km across
    #[serde(default)]
    #[param(value_type = Option<String>, example = "2.29,48.84,2.37,48.88")]
    bbox: Member<Scalar>,
    /// Only listings within radius_km of this point, `lat,lon` in WGS84 degrees; each item then has its `distance_m`
    #[serde(default)]
    #[param(value_type = Option<String>, example = "48.8566,2.3522")]
    near: Member<Scalar>,
    /// The radius of a `near` search in km, above 0 and at most 50 (default 5); at most three decimals
    #[serde(default)]
    #[param(value_type = Option<f64>, minimum = 0.001, maximum = 50)]
    radius_km: Member<Scalar>,
    /// newest (default; distance with near), price, -price (need currency, and city unless bbox or near), area, -area (need city), distance (needs near: nearest first); ties by id
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(newest|-?price|-?area|distance)$")]
    sort: Member<Scalar>,
}

impl SearchFilter {
    /// The search these parameters describe. Each invalid parameter is a
    /// 422 naming it; a search no index can serve (an order by price or
    /// area without the city, or by price without the currency) is a 400
    /// naming what is missing: never a Scan.
    pub fn parse(self) -> ApiResult<Search> {
        // Each parameter on its own first, then how they combine.
        let prices_given: Vec<&str> = [("min_price", &self.min_price), ("max_price", &self.max_price)]
            .into_iter()
            .filter(|(_, member)| !matches!(member, Member::Absent))
            .map(|(name, _)| name)
            .collect();
        let mut fields = Fields::new();
        let city = fields.optional("city", self.city, |raw| City::parse(&raw.0).map(|city| city.key().to_owned()));
        let property_type = fields.optional("type", self.property_type, text(PropertyType::parse));
        let transaction = fields.optional("transaction", self.transaction, text(Transaction::parse));
        let status = fields.optional("status", self.status, text(ListingStatus::parse));
        let currency = fields.optional("currency", self.currency, text(Currency::parse));
        let min_price = fields.optional("min_price", self.min_price, hundredths);
        let max_price = fields.optional("max_price", self.max_price, hundredths);
        let min_area = fields.optional("min_area", self.min_area, hundredths);
        let max_area = fields.optional("max_area", self.max_area, hundredths);
        let min_bedrooms = fields.optional("min_bedrooms", self.min_bedrooms, bedrooms);
        let max_bedrooms = fields.optional("max_bedrooms", self.max_bedrooms, bedrooms);
        let bbox = fields.optional("bbox", self.bbox, |raw| viewport(&raw.0));
        let near = fields.optional("near", self.near, |raw| Circle::parse_center(&raw.0));
        let radius_given = !matches!(self.radius_km, Member::Absent);
        let radius = fields.optional("radius_km", self.radius_km, radius);
        let sort = fields.optional("sort", self.sort, sort);
        let (region, order) = geo_and_order(&mut fields, bbox, near, radius, radius_given, sort);
        let search = fields.finish(|| {
            Some(Search {
                city: city?,
                transaction: transaction?.unwrap_or_default(),
                status: status?,
                property_type: property_type?,
                currency: currency?,
                price: Bounds { min: min_price?, max: max_price? },
                area: Bounds { min: min_area?, max: max_area? },
                bedrooms: Bounds { min: min_bedrooms?, max: max_bedrooms? },
                region: region?,
                order: order?,
            })
        })?;

        let mut fields = Fields::new();
        public_status(&mut fields, search.status, search.transaction);
        for (name, range) in [("price", search.price), ("area", search.area), ("bedrooms", search.bedrooms)] {
            if let (Some(min), Some(max)) = (range.min, range.max)
                && min > max
            {
                fields.reject(&format!("max_{name}"), format!("must not be below min_{name}"));
            }
        }
        if search.currency.is_none() {
            for name in prices_given {
                fields.reject(name, "needs currency: prices compare only in one currency");
            }
        }
        fields.finish(|| Some(()))?;

        let needs = match search.order {
            Order::Price { .. } if search.currency.is_none() => Some("sort=price and sort=-price need currency"),
            Order::Price { .. } if search.city.is_none() && search.region.is_none() => {
                Some("sort=price and sort=-price need city, bbox or near")
            }
            Order::Area { .. } if search.city.is_none() => Some("sort=area and sort=-area need city"),
            _ => None,
        };
        if let Some(needs) = needs {
            return Err(ApiError::BadRequest(format!(
                "No index serves this search: {needs} (listings are sorted by price within one city or map area, by area within one city)."
            )));
        }
        Ok(search)
    }
}

/// A saved search's `filter`: the parameters of `GET /properties` as a
/// JSON object, read and checked by `SearchFilter` itself, each error
/// named inside `filter` (`filter.max_price`). It must name a city or a
/// map area (`bbox` or `near`): that bounds the listings it can match, and
/// indexes its alerts (`AlertBounds`).
pub fn saved_filter(filter: &serde_json::Map<String, serde_json::Value>) -> ApiResult<(Search, AlertBounds)> {
    let within = |errors: Vec<FieldError>| {
        let named = errors.into_iter().map(|error| FieldError::new(format!("filter.{}", error.field), error.message));
        ApiError::Validation(named.collect())
    };
    let (read, unknown) = read_members::<SearchFilter>(&serde_json::Value::Object(filter.clone()));
    if !unknown.is_empty() {
        let unknown = unknown.into_iter().map(|name| FieldError::new(name, "is not a parameter of GET /properties"));
        return Err(within(unknown.chain(read.err()).collect()));
    }
    let search = read.map_err(|error| within(vec![error]))?.parse().map_err(|error| match error {
        ApiError::Validation(errors) => within(errors),
        ApiError::BadRequest(why) => within(vec![FieldError::new("sort", why)]),
        other => other,
    })?;
    let bounds = match (&search.city, search.region) {
        (Some(city), _) => AlertBounds { city: Some(city.clone()), cells: Vec::new() },
        (None, Some(region)) => {
            let cells = region.covering(MAP_CELL_PRECISION).into_iter().map(|cell| cell.hash()).collect();
            AlertBounds { city: None, cells }
        }
        (None, None) => {
            let why = "must name a city, or a map area (bbox, or near with radius_km): that bounds what it can match";
            return Err(ApiError::Validation(vec![FieldError::new("filter", why)]));
        }
    };
    Ok((search, bounds))
}

/// Refuses a `status` that is not a public status of the transaction.
fn public_status(fields: &mut Fields, status: Option<ListingStatus>, transaction: Transaction) {
    let Some(status) = status else { return };
    if !status.is_public() {
        let message = "must be a public status: active, under_offer, sold (sale listings) or let (rent listings)";
        fields.reject("status", message);
    } else if !status.applies_to(transaction) {
        fields.reject("status", format!("cannot be {} for {} listings", status.code(), transaction.code()));
    }
}

/// Which map clusters to count; `bbox` and `precision` are required.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterFilter {
    /// The area: `west,south,east,north` in WGS84 degrees (longitude first; west > east crosses the antimeridian), up to the whole world
    #[serde(default)]
    #[param(value_type = String, example = "-10,35,30,60")]
    bbox: Member<Scalar>,
    /// The geohash precision of the cells, 1 to 8: about 5000 km, 1250 × 625 km, 156 km, 39 × 19.5 km, 4.9 km, 1.2 × 0.61 km, 153 m, 38 × 19 m across (at the equator); at most 1024 cells meet the box
    #[serde(default)]
    #[param(value_type = u8, minimum = 1, maximum = 8)]
    precision: Member<Scalar>,
    /// Only this type
    #[serde(rename = "type", default)]
    #[param(value_type = Option<PropertyType>)]
    property_type: Member<Scalar>,
    /// Sale (default) or rent listings
    #[serde(default)]
    #[param(value_type = Option<Transaction>)]
    transaction: Member<Scalar>,
    /// One public status: active, under_offer, sold (sale) or let (rent); default: active and under_offer
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(active|under_offer|sold|let)$")]
    status: Member<Scalar>,
}

impl ClusterFilter {
    /// The clusters these parameters ask for; each invalid one is a 422
    /// naming it, and so is a precision at which the box meets more than
    /// `MAX_CLUSTER_CELLS` cells: never a truncated answer.
    pub fn parse(self) -> ApiResult<ClusterQuery> {
        let mut fields = Fields::new();
        let bbox = fields.required("bbox", self.bbox, |raw| GeoBox::parse(&raw.0));
        let precision = fields.required("precision", self.precision, |raw| {
            let precisions = CLUSTER_PRECISIONS;
            super::paging::whole(&raw.0, u64::from(*precisions.end()))
                .ok()
                .and_then(|precision| u8::try_from(precision).ok())
                .filter(|precision| precisions.contains(precision))
                .ok_or_else(|| {
                    Invalid(format!("must be a whole number from {} to {}", precisions.start(), precisions.end()))
                })
        });
        let property_type = fields.optional("type", self.property_type, text(PropertyType::parse));
        let transaction = fields.optional("transaction", self.transaction, text(Transaction::parse));
        let status = fields.optional("status", self.status, text(ListingStatus::parse));
        let query = fields.finish(|| {
            Some(ClusterQuery {
                bbox: bbox?,
                precision: precision?,
                transaction: transaction?.unwrap_or_default(),
                status: status?,
                property_type: property_type?,
            })
        })?;
        let mut fields = Fields::new();
        public_status(&mut fields, query.status, query.transaction);
        let cells = query.bbox.covering_size(query.precision);
        if cells > MAX_CLUSTER_CELLS {
            fields.reject(
                "precision",
                format!(
                    "is too fine for this box: it meets {cells} cells at precision {}, more than {MAX_CLUSTER_CELLS}; ask a lower precision or a smaller box",
                    query.precision
                ),
            );
        }
        fields.finish(|| Some(query))
    }
}

/// A parameter read by a domain parser of text.
fn text<T>(parse: fn(&str) -> Result<T, Invalid>) -> impl FnOnce(Scalar) -> Result<T, Invalid> {
    move |raw| parse(&raw.0)
}

/// The order asked for, before the search says what `distance` measures from.
enum Sort {
    Given(Order),
    Distance,
}

fn sort(raw: Scalar) -> Result<Sort, Invalid> {
    Ok(Sort::Given(match raw.0.as_str() {
        "newest" => Order::Newest,
        "price" => Order::Price { ascending: true },
        "-price" => Order::Price { ascending: false },
        "area" => Order::Area { ascending: true },
        "-area" => Order::Area { ascending: false },
        "distance" => return Ok(Sort::Distance),
        _ => return Err(Invalid(format!("must be one of: {}", SORTS.join(", ")))),
    }))
}

/// The map region of a search and its order, from the parameters that
/// parsed (`None`: one of them did not, and is named already).
fn geo_and_order(
    fields: &mut Fields,
    bbox: Option<Option<GeoBox>>,
    near: Option<Option<crate::domain::Location>>,
    radius: Option<Option<u32>>,
    radius_given: bool,
    sort: Option<Option<Sort>>,
) -> (Option<Option<Region>>, Option<Order>) {
    let region = match (bbox, near) {
        (Some(Some(_)), Some(Some(_))) => {
            fields.reject("near", "cannot be given with bbox: search a box or around a point");
            None
        }
        (Some(bbox), Some(None)) => {
            if radius_given {
                fields.reject("radius_km", "needs near");
            }
            Some(bbox.map(Region::Box))
        }
        (Some(None), Some(Some(center))) => radius.and_then(|radius| {
            let circle = Circle { center, radius_m: radius.unwrap_or(DEFAULT_RADIUS_M) };
            let bounded = circle.bounding_box().covering_size(MAP_CELL_PRECISION) <= 4 * MAX_NEAR_CELLS
                && circle.covering(MAP_CELL_PRECISION).len() as u64 <= MAX_NEAR_CELLS;
            if !bounded {
                fields.reject("radius_km", "is too large this close to a pole: make it smaller");
            }
            bounded.then_some(Some(Region::Near(circle)))
        }),
        _ => None,
    };
    let (Some(sort), Some(chosen)) = (sort, region) else { return (region, None) };
    let order = match (sort, chosen) {
        (Some(Sort::Distance) | None, Some(Region::Near(circle))) => Order::Distance { from: circle.center },
        (Some(Sort::Distance), _) => {
            fields.reject("sort", "distance needs near: the point to measure from");
            return (region, None);
        }
        (None, _) => Order::Newest,
        (Some(Sort::Given(order)), _) => order,
    };
    (region, Some(order))
}

/// A box a map search may ask for: at most `MAX_BOX_EXTENT_M` across.
fn viewport(raw: &str) -> Result<GeoBox, Invalid> {
    let bbox = GeoBox::parse(raw)?;
    if bbox.extent_m() > f64::from(MAX_BOX_EXTENT_M) {
        return Err(Invalid(format!(
            "must be at most {} km across (this one is {:.1} km at its widest): zoom in, or ask for clusters",
            MAX_BOX_EXTENT_M / 1000,
            bbox.extent_m() / 1000.0
        )));
    }
    // Only near a pole, where the index's cells narrow.
    if bbox.covering_size(MAP_CELL_PRECISION) > MAX_BOX_CELLS {
        return Err(Invalid::new("is too wide this close to a pole: make it narrower"));
    }
    Ok(bbox)
}

/// A radius in km, above 0 and at most `MAX_RADIUS_M`, to the metre: in metres.
fn radius(raw: Scalar) -> Result<u32, Invalid> {
    let refused =
        || Invalid(format!("must be a number of km above 0 and at most {}, such as 2.5", MAX_RADIUS_M / 1000));
    let (whole, fraction) = raw.0.split_once('.').unwrap_or((&raw.0, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || !digits(whole) || !digits(fraction) || fraction.len() > 3 {
        return Err(refused());
    }
    let whole: u32 = whole.parse().map_err(|_| refused())?;
    let fraction: u32 = format!("{fraction:0<3}").parse().map_err(|_| refused())?;
    Some(whole * 1000 + fraction).filter(|metres| (1..=MAX_RADIUS_M).contains(metres)).ok_or_else(refused)
}

/// A decimal with at most two decimals, in hundredths, below 10^12 units
/// (the rule of prices; areas are far below it).
fn hundredths(raw: Scalar) -> Result<u64, Invalid> {
    let raw = raw.0;
    let number: serde_json::Number = serde_json::from_str(&raw)
        .ok()
        // serde_json skips white space around a number; a parameter may not.
        .filter(|_| !raw.starts_with('+') && !raw.is_empty() && raw.trim() == raw)
        .ok_or_else(|| Invalid::new("must be a number such as 1500 or 72.5"))?;
    PriceAmount::parse(&number).map(PriceAmount::hundredths)
}

fn bedrooms(raw: Scalar) -> Result<u64, Invalid> {
    super::paging::whole(&raw.0, MAX_BEDROOMS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::query::parameters;

    fn search(query: &str) -> ApiResult<Search> {
        let (filter, unknown) = read_members::<SearchFilter>(&parameters(Some(query))?);
        assert!(unknown.is_empty(), "{query}: {unknown:?}");
        filter.map_err(|error| ApiError::Validation(vec![error]))?.parse()
    }

    #[test]
    fn spellings_of_a_city_select_one_search() {
        assert_eq!(search("city=Saint-%C3%89tienne").unwrap(), search("city=SAINT+ETIENNE").unwrap());
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
        for bad in ["min_area=%2B5", "min_area=+5", "min_area=5+", "min_area=", "min_area=1e2x", "max_bedrooms=2.5"] {
            assert_eq!(fields(bad).len(), 1, "{bad}");
        }
        for unserved in ["sort=price&city=paris", "sort=-price&currency=EUR", "sort=area"] {
            assert!(matches!(search(unserved), Err(ApiError::BadRequest(_))), "{unserved}");
        }
        let found = search("transaction=rent&status=let&city=Lyon&currency=EUR&sort=-price&max_price=1200.5").unwrap();
        assert!(found.closed());
        assert_eq!(found.price, Bounds { min: None, max: Some(120_050) });
        assert_eq!(found.order, Order::Price { ascending: false });
    }

    #[test]
    fn a_saved_filter_is_checked_as_the_search_and_bounded() {
        let saved = |json: serde_json::Value| saved_filter(json.as_object().unwrap());
        let fields = |json: serde_json::Value| match saved(json) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|error| error.field).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(serde_json::json!({"city": "Lyon", "max_price": 5})), ["filter.max_price"]);
        assert_eq!(fields(serde_json::json!({"city": "Lyon", "rooms": 2})), ["filter.rooms"]);
        assert_eq!(
            fields(serde_json::json!({"city": "Lyon", "sort": "area", "transaction": "x"})),
            ["filter.transaction"]
        );
        assert_eq!(fields(serde_json::json!({"city": "Lyon", "sort": "-price"})), ["filter.sort"]);
        assert_eq!(fields(serde_json::json!({"type": "apartment"})), ["filter"]);
        let (search, bounds) = saved(serde_json::json!({"city": "Lyon", "min_bedrooms": 2})).unwrap();
        assert_eq!(search, super::tests::search("city=Lyon&min_bedrooms=2").unwrap());
        assert_eq!(bounds, AlertBounds { city: Some("lyon".into()), cells: Vec::new() });
        let (_, bounds) = saved(serde_json::json!({"near": "45.76,4.84", "radius_km": 2})).unwrap();
        assert!(bounds.city.is_none() && !bounds.cells.is_empty() && bounds.cells.len() <= 40, "{bounds:?}");
    }

    #[test]
    fn a_json_filter_reads_as_its_query_string() {
        let json = serde_json::json!({"city": "Lyon", "currency": "EUR", "min_price": 300000, "max_area": 72.5});
        let (filter, unknown) = read_members::<SearchFilter>(&json);
        assert!(unknown.is_empty());
        let from_json = filter.unwrap().parse().unwrap();
        assert_eq!(from_json, search("city=lyon&currency=EUR&min_price=300000&max_area=72.50").unwrap());

        let (filter, unknown) = read_members::<SearchFilter>(&serde_json::json!({"city": null, "town": "x"}));
        assert_eq!(unknown, ["town"]);
        let Err(ApiError::Validation(errors)) = filter.unwrap().parse() else { panic!("null is refused") };
        assert_eq!(errors, [FieldError::new("city", "must not be null; leave it out instead")]);
    }
}
