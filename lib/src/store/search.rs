//! What a listing page shows and in which order, as both adapters answer
//! it. Every order is a sort on a *position*: a string computed from the
//! listing alone, unique (it ends with the id) and totally ordered. A page
//! continues strictly after the last position of the page before, so that
//! walking the pages of a query returns each matching listing once, in
//! order, even when listings change in between: a listing that changes may
//! move, but no other one is lost or repeated.

use crate::domain::geo::{Circle, GeoBox, distance_m, whole_metres};
use crate::domain::{Currency, Facets, ListingStatus, Location, Property, PropertyType, Transaction, UserId};

/// Which properties a page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Public listings that match a search (`GET /properties`).
    Search(Search),
    /// Every listing of one owner, whatever its status, newest first.
    Owner(UserId),
}

impl Listing {
    pub fn order(&self) -> Order {
        match self {
            Self::Search(search) => search.order,
            Self::Owner(_) => Order::Newest,
        }
    }
}

/// The order of a search's results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first.
    #[default]
    Newest,
    /// By price, cheapest first (`ascending`) or dearest first.
    Price { ascending: bool },
    /// By total area, smallest first (`ascending`) or largest first.
    Area { ascending: bool },
    /// Nearest to `from` first, in whole metres; ties by id.
    Distance { from: Location },
}

impl Order {
    pub fn ascending(self) -> bool {
        match self {
            Self::Newest => false,
            Self::Price { ascending } | Self::Area { ascending } => ascending,
            Self::Distance { .. } => true,
        }
    }
}

/// Where the listings of a map search lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// In a box (`bbox`).
    Box(GeoBox),
    /// Within a distance of a point (`near` and `radius_km`).
    Near(Circle),
}

impl Region {
    pub fn contains(self, location: Location) -> bool {
        match self {
            Self::Box(bbox) => bbox.contains(location),
            Self::Near(circle) => circle.distance_to(location).is_some(),
        }
    }

    /// The smallest box that holds the region.
    pub fn bounding_box(self) -> GeoBox {
        match self {
            Self::Box(bbox) => bbox,
            Self::Near(circle) => circle.bounding_box(),
        }
    }

    /// The geohash cells of `precision` that meet the region.
    pub fn covering(self, precision: u8) -> Vec<crate::domain::geo::Cell> {
        match self {
            Self::Box(bbox) => bbox.covering(precision),
            Self::Near(circle) => circle.covering(precision),
        }
    }
}

/// Inclusive bounds; `None` leaves a side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bounds {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl Bounds {
    pub fn contains(self, value: u64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }

    pub fn is_open(self) -> bool {
        self.min.is_none() && self.max.is_none()
    }
}

/// A search of public listings. The parameters are checked at the HTTP
/// edge: a price order or price bounds come with a currency, a price or
/// area order with a city, and `status` is a public status of the
/// transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// By normalized city key (see `domain::city_key`).
    pub city: Option<String>,
    pub transaction: Transaction,
    /// One public status; `None`: the listings on the market (`active`
    /// and `under_offer`).
    pub status: Option<ListingStatus>,
    pub property_type: Option<PropertyType>,
    pub currency: Option<Currency>,
    /// In hundredths of the currency.
    pub price: Bounds,
    /// In hundredths of m².
    pub area: Bounds,
    pub bedrooms: Bounds,
    /// A map search: only listings with a location in it.
    pub region: Option<Region>,
    pub order: Order,
}

impl Search {
    /// Whether the search lists closed listings (`sold` or `let`) rather
    /// than those on the market: the two never mix in one search.
    pub fn closed(&self) -> bool {
        self.status.is_some_and(ListingStatus::is_final)
    }

    /// Whether `property` is a result of the search.
    pub fn matches(&self, property: &Property) -> bool {
        self.admits(&Facets::of(property))
    }

    /// Whether a listing with these facets is a result of the search: the
    /// one rule for searches, saved searches and their alerts.
    pub fn admits(&self, listing: &Facets) -> bool {
        let status_matches = match self.status {
            Some(wanted) => listing.status == wanted,
            None => listing.status.is_listed_by_default(),
        };
        let price_matches = match (self.currency, listing.price) {
            (None, _) => true,
            (Some(currency), Some(price)) => {
                price.currency == currency && self.price.contains(price.amount.hundredths())
            }
            (Some(_), None) => false,
        };
        status_matches
            && price_matches
            && listing.transaction == self.transaction
            && self.city.as_deref().is_none_or(|city| listing.city_key == city)
            && self.property_type.is_none_or(|kind| listing.property_type == kind)
            && self.area.contains(listing.area)
            && self.bedrooms.contains(listing.bedrooms)
            && self.region.is_none_or(|region| listing.location.is_some_and(|at| region.contains(at)))
    }

    /// The distance to `property` in whole metres, for a search near a point.
    pub fn distance_to(&self, property: &Property) -> Option<u64> {
        match (self.region, property.location) {
            (Some(Region::Near(circle)), Some(at)) => Some(whole_metres(distance_m(circle.center, at))),
            _ => None,
        }
    }
}

/// The widest box a map search may ask for (`bbox`), in metres.
pub const MAX_BOX_EXTENT_M: u32 = 50_000;
/// The largest radius of a search near a point, in metres.
pub const MAX_RADIUS_M: u32 = 50_000;
/// The precision of the geohash cells that map searches read one by one
/// (about 39 × 19.5 km at the equator; docs/data-model.md).
pub const MAP_CELL_PRECISION: u8 = 4;
/// The most cells a box may meet: one Query each per page. A box of
/// `MAX_BOX_EXTENT_M` meets at most 12 below 50° of latitude and 16 up to
/// about 64.8°; only a box nearer a pole can meet more, and is refused.
pub const MAX_BOX_CELLS: u64 = 16;
/// The most cells a circle may meet: one Query each per page of a newest
/// or price order. A circle of `MAX_RADIUS_M` meets at most 29 at 45-49°
/// of latitude and 37 at 60°; from about 65° some are refused.
pub const MAX_NEAR_CELLS: u64 = 40;

/// Digits of a price position: prices are below 10^12 units, 10^14 hundredths.
pub const PRICE_DIGITS: usize = 14;
/// Digits of an area position: 50 rooms of at most 10^4 m², 5 × 10^7 hundredths.
pub const AREA_DIGITS: usize = 12;
/// Digits of a distance position: whole metres, at most half the Earth's
/// circumference (2 × 10^7).
pub const DISTANCE_DIGITS: usize = 8;

/// The position of `property` in a listing in `order`: its id (ids are
/// time-ordered), or its price or area zero-padded and then its id, so
/// that equal prices or areas are ordered by id; or its distance in whole
/// metres, then its id. `None` for a price order and a property without a
/// price, or a distance order and one without a location.
pub fn position(property: &Property, order: Order) -> Option<String> {
    let id = property.id;
    match order {
        Order::Newest => Some(id.to_string()),
        Order::Price { .. } => property.price().map(|price| padded(price.amount.hundredths(), PRICE_DIGITS, id)),
        Order::Area { .. } => Some(padded(property.total_area().hundredths(), AREA_DIGITS, id)),
        Order::Distance { from } => {
            property.location.map(|at| padded(whole_metres(distance_m(from, at)), DISTANCE_DIGITS, id))
        }
    }
}

fn padded(value: u64, digits: usize, id: impl std::fmt::Display) -> String {
    format!("{value:0digits$}#{id}")
}

/// Whether `raw` is a position that `order` can produce: a cursor names
/// one, and a hand-made cursor can only name a place to start.
pub fn is_position(raw: &str, order: Order) -> bool {
    let id_only = |id: &str| crate::domain::PropertyId::parse(id).is_some();
    let padded = |digits: usize| {
        raw.split_once('#').is_some_and(|(value, id)| {
            value.len() == digits && value.bytes().all(|byte| byte.is_ascii_digit()) && id_only(id)
        })
    };
    match order {
        Order::Newest => id_only(raw),
        Order::Price { .. } => padded(PRICE_DIGITS),
        Order::Area { .. } => padded(AREA_DIGITS),
        Order::Distance { .. } => padded(DISTANCE_DIGITS),
    }
}

/// One page of a listing: at most `limit` items after the position `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The position where the next page starts, or `None` on the last page.
    pub next: Option<String>,
}

/// The position of a price history entry: its version, zero-padded.
pub fn history_position(version: u64) -> String {
    format!("{version:020}")
}

/// Whether `raw` is a price history position.
pub fn is_history_position(raw: &str) -> bool {
    raw.len() == 20 && raw.bytes().all(|byte| byte.is_ascii_digit())
}
