//! Nearest first: a page of the listings within a circle, by distance
//! then id, read from the geo cell index (where a map cell's listings are
//! sorted by their own 12-character geohash, so that any finer cell is a
//! range of sort keys).
//!
//! Distance is not a sort key, so a page is a best-first walk over cells:
//! the cells the circle meets wait in a queue by their least distance to
//! the centre; the nearest are read (a round of `ROUND` Queries in
//! parallel, `CELL_READ` items each). A Query that stops before the end of
//! its cell puts the cell's finer cells it has not finished back in the
//! queue (at the finest, the rest of the cell itself). A listing read is
//! final once every cell still waiting lies farther than it: nothing
//! unread can then come before it. The page is the first `limit` final
//! listings after the cursor, which is the last one's (distance, id):
//! the next page starts strictly after it, and cells wholly before it are
//! not read again.
//!
//! A page makes at most `QUERY_BUDGET` Queries, and more only while none
//! of its listings is final yet, so that every page moves on: where more
//! than `CELL_READ` listings share a few square centimetres, or where a
//! filter no key selects (type, price, area, bedrooms) rejects every
//! listing read; such a page reads on until one matches or the circle
//! ends (docs/data-model.md#map-search).

use super::item::PropertyItem;
use super::query::SortKeys;
use super::schema::{self, Index};
use super::search::filter;
use super::{DynamoStore, sdk_error};
use crate::domain::Property;
use crate::domain::geo::{Cell, Circle, whole_metres};
use crate::store::search::{DISTANCE_DIGITS, MAP_CELL_PRECISION, Order, Region, position};
use crate::store::{Page, PageRequest, Search, StoreError, StoreResult};
use std::collections::BTreeMap;

/// The Queries of one round, sent in parallel.
pub(super) const ROUND: usize = 8;
/// The items one Query reads.
pub(super) const CELL_READ: usize = 200;
/// The Queries a page makes, unless none of its listings is final yet.
pub(super) const QUERY_BUDGET: usize = 32;
/// The most cells finer than the map cells a walk starts from.
const STARTING_CELLS: usize = 16;

/// A cell waiting to be read: where it starts (strictly after the sort
/// key an earlier Query stopped at, or at its beginning) and its least
/// distance to the centre.
struct Waiting {
    cell: Cell,
    after: Option<String>,
    nearest_m: f64,
}

/// What one Query of a cell gave.
struct CellRead {
    found: Vec<Property>,
    /// The sort key of the last item read, when the cell has more.
    stopped_at: Option<String>,
}

impl DynamoStore {
    pub(super) async fn nearest(
        &self,
        search: &Search,
        circle: Circle,
        page: PageRequest,
    ) -> StoreResult<Page<Property>> {
        let order = Order::Distance { from: circle.center };
        let after = page.after.clone().unwrap_or_default();
        // Metres of the cursor: cells wholly nearer hold nothing after it.
        let after_m: u64 = after.get(..DISTANCE_DIGITS).and_then(|digits| digits.parse().ok()).unwrap_or(0);
        let radius = f64::from(circle.radius_m);
        let wanted = |cell: &Cell| {
            let bounds = cell.bounds();
            bounds.min_distance_m(circle.center) <= radius
                && whole_metres(bounds.max_distance_m(circle.center)) >= after_m
        };
        let mut queue: Vec<Waiting> = starting_cells(circle)
            .into_iter()
            .filter(|cell| wanted(cell))
            .map(|cell| Waiting { cell, after: None, nearest_m: cell.bounds().min_distance_m(circle.center) })
            .collect();
        let mut found: BTreeMap<String, Property> = BTreeMap::new();
        let mut queries = 0;
        loop {
            // Nearest last, so that a round pops the nearest cells.
            queue.sort_by(|a, b| b.nearest_m.total_cmp(&a.nearest_m));
            let frontier = queue.last().map_or(f64::INFINITY, |waiting| waiting.nearest_m);
            let final_count = found.keys().take_while(|position| is_final(position, frontier)).count();
            let enough = final_count >= page.limit || (queries >= QUERY_BUDGET && final_count > 0);
            if queue.is_empty() || enough {
                return Ok(page_of(found, final_count, page.limit, !queue.is_empty()));
            }
            // Within the budget, a round takes only what is left of it.
            let room = if queries < QUERY_BUDGET { (QUERY_BUDGET - queries).min(ROUND) } else { ROUND };
            let round: Vec<Waiting> = (0..room).map_while(|_| queue.pop()).collect();
            queries += round.len();
            let mut reads = tokio::task::JoinSet::new();
            for waiting in round {
                let (store, search) = (self.clone(), search.clone());
                reads.spawn(async move {
                    let read = store.read_cell(&search, waiting.cell, waiting.after.as_deref()).await;
                    (waiting, read)
                });
            }
            while let Some(joined) = reads.join_next().await {
                let (waiting, read) = joined.map_err(|e| StoreError::Internal(format!("a cell read failed: {e}")))?;
                let read = read?;
                for property in read.found {
                    if let Some(position) = position(&property, order).filter(|position| *position > after) {
                        found.insert(position, property);
                    }
                }
                let Some(stopped_at) = read.stopped_at else { continue };
                if waiting.cell.precision() == Cell::MAX_PRECISION {
                    queue.push(Waiting { after: Some(stopped_at), ..waiting });
                    continue;
                }
                // The finer cells not read to their end: the one the Query
                // stopped in, from where it stopped, and those after it.
                for child in waiting.cell.children() {
                    let hash = child.hash();
                    let Some(stopped) = stopped_at.get(..hash.len()) else { continue };
                    if hash.as_str() < stopped || !wanted(&child) {
                        continue;
                    }
                    let after = (hash == stopped).then(|| stopped_at.clone());
                    let nearest_m = child.bounds().min_distance_m(circle.center);
                    queue.push(Waiting { cell: child, after, nearest_m });
                }
            }
        }
    }

    /// One Query of `cell`'s listings in the geo cell index, strictly
    /// after the sort key `after`: those that match the search (within its
    /// circle, exactly).
    async fn read_cell(&self, search: &Search, cell: Cell, after: Option<&str>) -> StoreResult<CellRead> {
        let partition = schema::cell_partition(cell, search);
        let hash = cell.hash();
        // Sort keys all have one length, so no key lies between a key and
        // itself followed by any character.
        let low = after.map_or_else(|| hash.clone(), |after| format!("{after}0"));
        let output = self
            .query_partition(Some(Index::GeoCell), partition, SortKeys::Between(low, format!("{hash}~")), |e| {
                filter(e, search)
            })
            .limit(CELL_READ as i32)
            .send()
            .await
            .map_err(sdk_error)?;
        let found = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| PropertyItem::from_item(item)?.into_domain())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CellRead {
            found: found.into_iter().filter(|property| search.matches(property)).collect(),
            stopped_at: output.last_evaluated_key.as_ref().and_then(|key| Index::GeoCell.sort_key_of(key)),
        })
    }
}

/// The cells a walk starts from: the finest that cover the circle in at
/// most `STARTING_CELLS` cells, so that a small circle skips the coarse
/// levels; a circle of more than about 7 km meets more map cells than
/// that, and starts from all of them (`MAX_NEAR_CELLS` at most).
fn starting_cells(circle: Circle) -> Vec<Cell> {
    let mut cells = Region::Near(circle).covering(MAP_CELL_PRECISION);
    for precision in MAP_CELL_PRECISION + 1..=Cell::MAX_PRECISION {
        if circle.bounding_box().covering_size(precision) > 4 * STARTING_CELLS as u64 {
            break;
        }
        let finer = circle.covering(precision);
        if finer.len() > STARTING_CELLS {
            break;
        }
        cells = finer;
    }
    cells
}

/// Whether the listing at `position` is final: every unread listing lies
/// at least `frontier` metres away, which rounds to more whole metres.
fn is_final(position: &str, frontier: f64) -> bool {
    let metres: u64 = position.get(..DISTANCE_DIGITS).and_then(|digits| digits.parse().ok()).unwrap_or(u64::MAX);
    metres as f64 + 0.5 <= frontier
}

/// The page: the first `limit` final listings; a next page if more were
/// found, or cells are left to read.
fn page_of(found: BTreeMap<String, Property>, final_count: usize, limit: usize, more_to_read: bool) -> Page<Property> {
    let take = final_count.min(limit);
    let more = more_to_read || found.len() > take;
    let items: Vec<(String, Property)> = found.into_iter().take(take).collect();
    let next = if more { items.last().map(|(position, _)| position.clone()) } else { None };
    Page { items: items.into_iter().map(|(_, property)| property).collect(), next }
}
