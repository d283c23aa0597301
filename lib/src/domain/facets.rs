//! What a search reads of a listing (issue 31): the members its filters
//! test, taken from the listing before and after each change and carried
//! by the change feed, so that a saved search is matched against a change
//! in memory, without reading the listing again.

use super::{ListingStatus, Location, Price, Property, PropertyType, Transaction, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facets {
    /// Never alerted about their own listing.
    pub owner: UserId,
    pub status: ListingStatus,
    pub transaction: Transaction,
    pub property_type: PropertyType,
    /// The normalized city key (`domain::city_key`).
    pub city_key: String,
    pub price: Option<Price>,
    /// In hundredths of m².
    pub area: u64,
    pub bedrooms: u64,
    pub location: Option<Location>,
}

impl Facets {
    pub fn of(property: &Property) -> Self {
        Self {
            owner: property.owner_id,
            status: property.status(),
            transaction: property.transaction,
            property_type: property.property_type,
            city_key: property.city.key().to_owned(),
            price: property.price(),
            area: property.total_area().hundredths(),
            bedrooms: property.bedroom_count() as u64,
            location: property.location,
        }
    }
}

/// A listing as a change found it and as it left it (`None`: absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transition {
    pub before: Option<Facets>,
    pub after: Option<Facets>,
}

impl Transition {
    pub fn between(before: Option<&Property>, after: Option<&Property>) -> Self {
        Self { before: before.map(Facets::of), after: after.map(Facets::of) }
    }

    /// Whether the listing was on the market before and is again after
    /// the change, having been off it: `under_offer` or `withdrawn` to
    /// `active`.
    pub fn back_on_market(&self) -> bool {
        let was = self.before.as_ref().map(|facets| facets.status);
        let is = self.after.as_ref().map(|facets| facets.status);
        matches!(was, Some(ListingStatus::UnderOffer | ListingStatus::Withdrawn)) && is == Some(ListingStatus::Active)
    }

    /// Whether the price went down, in one currency.
    pub fn price_lowered(&self) -> bool {
        let price = |facets: &Option<Facets>| facets.as_ref().and_then(|facets| facets.price);
        match (price(&self.before), price(&self.after)) {
            (Some(before), Some(after)) => before.currency == after.currency && after.amount < before.amount,
            _ => false,
        }
    }
}
