//! Map clusters: how many public listings lie in each geohash cell of a
//! box, exactly, with their mean position. The embedded store counts them
//! when asked; DynamoDB keeps a counter per cell, precision and filter
//! values, applied from the table's stream (`dynamodb::clusters`), so a
//! count trails a write by the stream's delay.

use crate::domain::geo::{Cell, GeoBox};
use crate::domain::{ListingStatus, Location, Property, PropertyId, PropertyType, Transaction};

/// The precisions a client may ask clusters at: 1 (5 000 km cells) to 8
/// (38 × 19 m).
pub const CLUSTER_PRECISIONS: std::ops::RangeInclusive<u8> = 1..=8;
/// The most cells one answer may hold: the whole world at precision 2.
pub const MAX_CLUSTER_CELLS: u64 = 1024;

/// Which clusters: the cells of `precision` that meet `bbox`, counting the
/// public listings of the transaction (and status, type) given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterQuery {
    pub bbox: GeoBox,
    pub precision: u8,
    pub transaction: Transaction,
    /// One public status; `None`: those on the market (active, under offer).
    pub status: Option<ListingStatus>,
    pub property_type: Option<PropertyType>,
}

impl ClusterQuery {
    /// Whether a listing with these filter values is counted.
    pub fn counts(&self, transaction: Transaction, status: ListingStatus, kind: PropertyType) -> bool {
        let status = match self.status {
            Some(wanted) => status == wanted,
            None => status.is_listed_by_default(),
        };
        status && transaction == self.transaction && self.property_type.is_none_or(|wanted| wanted == kind)
    }
}

/// One non-empty cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    pub cell: Cell,
    pub count: u64,
    /// The mean position of the cell's listings.
    pub center: Location,
}

/// What a listing adds to the clusters: where it is, and the values the
/// filters read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub location: Location,
    pub transaction: Transaction,
    pub status: ListingStatus,
    pub property_type: PropertyType,
}

impl Placement {
    /// The placement of a public listing with a location; `None` for any other.
    pub fn of(property: &Property) -> Option<Self> {
        let location = property.location?;
        property.status().is_public().then(|| Self {
            location,
            transaction: property.transaction,
            status: property.status(),
            property_type: property.property_type,
        })
    }
}

/// Degrees in whole microdegrees (11 cm at most), the unit positions are
/// summed in, so that a sum takes a listing back out exactly.
fn micro(degrees: f64) -> i64 {
    (degrees * 1e6).round() as i64
}

/// A change of one listing, as the stream tells it: its placement after
/// the change (`None`: no longer counted), at a version that orders the
/// changes of one listing (a deletion comes after its last version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingChange {
    pub property: PropertyId,
    pub version: u64,
    pub placement: Option<Placement>,
    pub deleted: bool,
}

/// The non-empty clusters of these cells' sums, ordered by geohash.
pub fn clusters_of(sums: impl IntoIterator<Item = (Cell, CellSums)>) -> Vec<Cluster> {
    let mut clusters: Vec<Cluster> = sums.into_iter().filter_map(|(cell, sums)| sums.cluster(cell)).collect();
    clusters.sort_by_cached_key(|cluster| cluster.cell.hash());
    clusters
}

/// Sums of the listings of one cell, as both stores keep them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CellSums {
    pub count: i64,
    pub lat_micro: i64,
    pub lon_micro: i64,
}

impl CellSums {
    pub fn add(&mut self, placement: &Placement, sign: i64) {
        self.count += sign;
        self.lat_micro += sign * micro(placement.location.lat());
        self.lon_micro += sign * micro(placement.location.lon());
    }

    /// The cluster of `cell`, if it holds any listing.
    pub fn cluster(self, cell: Cell) -> Option<Cluster> {
        let count = u64::try_from(self.count).ok().filter(|count| *count > 0)?;
        let mean = |sum: i64| sum as f64 / self.count as f64 / 1e6;
        let center = Location::new(mean(self.lat_micro), mean(self.lon_micro)).ok()?;
        Some(Cluster { cell, count, center })
    }
}
