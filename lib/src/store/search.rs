//! What a listing page shows and in which order, as both adapters answer
//! it. Every order is a sort on a *position*: a string computed from the
//! listing alone, unique (it ends with the id) and totally ordered. A page
//! continues strictly after the last position of the page before, so that
//! walking the pages of a query returns each matching listing once, in
//! order, even when listings change in between: a listing that changes may
//! move, but no other one is lost or repeated.

use crate::domain::{Currency, ListingStatus, Property, PropertyType, Transaction, UserId};

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
}

impl Order {
    pub fn ascending(self) -> bool {
        match self {
            Self::Newest => false,
            Self::Price { ascending } | Self::Area { ascending } => ascending,
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
        let status = property.status();
        let status_matches = match self.status {
            Some(wanted) => status == wanted,
            None => status.is_listed_by_default(),
        };
        let price_matches = match (self.currency, property.price()) {
            (None, _) => true,
            (Some(currency), Some(price)) => {
                price.currency == currency && self.price.contains(price.amount.hundredths())
            }
            (Some(_), None) => false,
        };
        status_matches
            && price_matches
            && property.transaction == self.transaction
            && self.city.as_deref().is_none_or(|city| property.city.key() == city)
            && self.property_type.is_none_or(|kind| property.property_type == kind)
            && self.area.contains(property.total_area().hundredths())
            && self.bedrooms.contains(property.bedroom_count() as u64)
    }
}

/// Digits of a price position: prices are below 10^12 units, 10^14 hundredths.
pub const PRICE_DIGITS: usize = 14;
/// Digits of an area position: 50 rooms of at most 10^4 m², 5 × 10^7 hundredths.
pub const AREA_DIGITS: usize = 12;

/// The position of `property` in a listing in `order`: its id (ids are
/// time-ordered), or its price or area zero-padded and then its id, so
/// that equal prices or areas are ordered by id. `None` for a price order
/// and a property without a price.
pub fn position(property: &Property, order: Order) -> Option<String> {
    let id = property.id;
    match order {
        Order::Newest => Some(id.to_string()),
        Order::Price { .. } => property.price().map(|price| padded(price.amount.hundredths(), PRICE_DIGITS, id)),
        Order::Area { .. } => Some(padded(property.total_area().hundredths(), AREA_DIGITS, id)),
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
