//! Listing pages and price history pages: Queries only, never a Scan.
//!
//! A listing reads one index partition, or `schema::SHARDS` of them in
//! parallel for a search with no city, with one key condition: the
//! partition, and the sort key between the search's range (a price or an
//! area, when the order is by it) and the cursor's position. The other
//! filters go in a filter expression, applied after the read: each Query
//! reads at most `limit + 1` items, so a page has a bounded cost, and may
//! be short. A map search reads the partitions of the cells its region
//! meets, and keeps what lies in the region; a cell's Query reads more
//! items the less of the cell the region covers (`read_limit`). Nearest
//! first is another walk, in `nearest`.

use super::expression::{Expression, all};
use super::item::{PriceChangeItem, PropertyItem};
use super::query::SortKeys;
use super::schema::{self, Index};
use super::{DynamoStore, number, sdk_error, string};
use crate::domain::{PriceChange, Property, PropertyId};
use crate::store::search::{AREA_DIGITS, PRICE_DIGITS, history_position};
use crate::store::{Bounds, Listing, Order, Page, PageRequest, Region, Search, StoreError, StoreResult};

/// What one partition's Query gave: its matches with their positions, and
/// the position where it stopped (`None`: it read the partition to its end).
struct Read {
    matches: Vec<(String, Property)>,
    stopped_at: Option<String>,
}

impl DynamoStore {
    pub(super) async fn list(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page<Property>> {
        if let Listing::Search(
            search @ Search { region: Some(Region::Near(circle)), order: Order::Distance { .. }, .. },
        ) = listing
        {
            return self.nearest(search, *circle, page).await;
        }
        let (index, partitions) = schema::listing_partitions(listing)
            .ok_or_else(|| StoreError::Internal(format!("no index serves {listing:?}")))?;
        let order = listing.order();
        let Some((low, high)) = sort_key_range(listing, page.after.as_deref()) else {
            return Ok(Page { items: Vec::new(), next: None });
        };
        let limits = read_limits(listing, partitions.len(), page.limit);
        let mut reads = tokio::task::JoinSet::new();
        for (partition, read) in partitions.into_iter().zip(limits) {
            let store = self.clone();
            let (listing, low, high) = (listing.clone(), low.clone(), high.clone());
            reads.spawn(async move { store.read_partition(index, partition, &listing, (low, high), read).await });
        }
        let mut merged = Vec::new();
        let mut frontier: Option<String> = None;
        while let Some(read) = reads.join_next().await {
            let read = read.map_err(|e| StoreError::Internal(format!("a partition read failed: {e}")))??;
            merged.extend(read.matches);
            // The earliest place a partition stopped: past it, another
            // partition may hold items not read yet.
            if let Some(stopped_at) = read.stopped_at {
                let earlier = frontier.as_ref().is_none_or(|frontier| before(&stopped_at, frontier, order));
                if earlier {
                    frontier = Some(stopped_at);
                }
            }
        }
        if let Some(frontier) = &frontier {
            merged.retain(|(position, _)| !before(frontier, position, order));
        }
        merged.sort_by(|(a, _), (b, _)| if order.ascending() { a.cmp(b) } else { b.cmp(a) });
        let next = if merged.len() > page.limit {
            merged.truncate(page.limit);
            merged.last().map(|(position, _)| position.clone())
        } else {
            frontier
        };
        Ok(Page { items: merged.into_iter().map(|(_, property)| property).collect(), next })
    }

    async fn read_partition(
        &self,
        index: Index,
        partition: String,
        listing: &Listing,
        (low, high): (String, String),
        read: usize,
    ) -> StoreResult<Read> {
        let not_in_key = |expression: &mut Expression| match listing {
            Listing::Search(search) => filter(expression, search),
            Listing::Owner(_) => None,
        };
        let output = self
            .query_partition(Some(index), partition, SortKeys::Between(low, high), not_in_key)
            .scan_index_forward(listing.order().ascending())
            .limit(i32::try_from(read).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_error)?;
        let stopped_at = output.last_evaluated_key().and_then(|key| index.sort_key_of(key));
        let matches = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let position = index
                    .sort_key_of(&item)
                    .ok_or_else(|| StoreError::Internal("index item without its sort key".into()))?;
                Ok((position, PropertyItem::from_item(item)?.into_domain()?))
            })
            .collect::<StoreResult<Vec<(String, Property)>>>()?;
        // What no key or filter expression selects: a map region.
        let matches = match listing {
            Listing::Search(search) => matches.into_iter().filter(|(_, found)| search.matches(found)).collect(),
            Listing::Owner(_) => matches,
        };
        Ok(Read { matches, stopped_at })
    }

    pub(super) async fn history(
        &self,
        id: PropertyId,
        page: PageRequest,
    ) -> StoreResult<Option<(Property, Page<PriceChange>)>> {
        let property = self.property_item(id);
        let entries = async {
            let from = match &page.after {
                // The next version's position: positions are whole numbers.
                Some(after) => after.parse::<u64>().map(|after| history_position(after.saturating_add(1))),
                None => Ok(history_position(0)),
            }
            .map_err(|_| StoreError::Internal("a history cursor that is not a version".into()))?;
            let changes = SortKeys::Between(schema::price_change_sort(&from), schema::price_change_sort("~"));
            self.query_partition(None, schema::property_partition(id), changes, |_| None)
                .limit(i32::try_from(page.limit + 1).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(sdk_error)
        };
        let (property, entries) = tokio::join!(property, entries);
        let Some(property) = property? else { return Ok(None) };
        let mut items = entries?
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| PriceChangeItem::from_item(id, item))
            .collect::<StoreResult<Vec<_>>>()?;
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more.then(|| items.last().map(|change| history_position(change.version))).flatten();
        Ok(Some((property.into_domain()?, Page { items, next })))
    }
}

/// The most items one Query of a map cell reads for a page.
pub(super) const MAX_CELL_READ: usize = 1000;

/// How many items each partition's Query reads for a page of `limit`:
/// one more than the page (which tells whether another follows), and for
/// a map cell that the region covers only in part, as many more as the
/// part is small, so that a small viewport still fills its page.
fn read_limits(listing: &Listing, partitions: usize, limit: usize) -> Vec<usize> {
    let page = limit + 1;
    let region = match listing {
        Listing::Search(search @ Search { region: Some(region), .. })
            if !matches!(search.order, Order::Area { .. }) =>
        {
            (*region, search)
        }
        _ => return vec![page; partitions],
    };
    let bounds = region.0.bounding_box();
    schema::region_partitions(region.0, region.1)
        .into_iter()
        .map(|(_, cell)| {
            let share = cell.bounds().share_in(bounds).max(1e-6);
            ((page as f64 / share).ceil() as usize).clamp(page, MAX_CELL_READ.max(page))
        })
        .collect()
}

/// Whether position `a` comes before `b` in `order`'s direction.
fn before(a: &str, b: &str, order: Order) -> bool {
    if order.ascending() { a < b } else { a > b }
}

/// The sort key range of a page, both ends included: the search's range
/// on the sort key, narrowed to what lies strictly after the cursor.
/// `None` when nothing is left.
fn sort_key_range(listing: &Listing, after: Option<&str>) -> Option<(String, String)> {
    let order = listing.order();
    let (mut low, mut high) = match listing {
        Listing::Search(Search { price, .. }) if matches!(order, Order::Price { .. }) => {
            padded_range(*price, PRICE_DIGITS)
        }
        Listing::Search(Search { area, .. }) if matches!(order, Order::Area { .. }) => padded_range(*area, AREA_DIGITS),
        // Ids: hexadecimal digits and hyphens, all above "0" and below "~".
        _ => ("0".to_owned(), "~".to_owned()),
    };
    if let Some(after) = after {
        // Positions of one order all have the same length, so that the
        // strings just past and just before `after` are easy to spell.
        if order.ascending() {
            low = low.max(format!("{after}~"));
        } else {
            high = high.min(just_before(after));
        }
    }
    (low <= high).then_some((low, high))
}

/// The range of positions whose padded value lies within `bounds`.
fn padded_range(bounds: Bounds, digits: usize) -> (String, String) {
    let low = format!("{:0digits$}", bounds.min.unwrap_or(0));
    let high = bounds.max.map_or_else(|| "~".to_owned(), |max| format!("{max:0digits$}#~"));
    (low, high)
}

/// The greatest string below `position` and above every position (of the
/// same length) below it: its last character one less, then "~".
fn just_before(position: &str) -> String {
    let mut chars: Vec<char> = position.chars().collect();
    match chars.last_mut() {
        Some(last) => *last = char::from_u32(u32::from(*last).saturating_sub(1)).unwrap_or('\0'),
        None => return String::new(),
    }
    chars.push('~');
    chars.into_iter().collect()
}

/// The filter expression of what the index does not select already.
pub(super) fn filter(expression: &mut Expression, search: &Search) -> Option<String> {
    let mut conditions = Vec::new();
    if let Some(status) = search.status.filter(|status| !status.is_final()) {
        conditions.push(expression.equals(PropertyItem::STATUS, string(status.code())));
    }
    if let Some(kind) = search.property_type.filter(|_| !schema::index_selects_type(search)) {
        conditions.push(expression.equals(PropertyItem::PROPERTY_TYPE, string(kind.code())));
    }
    if let Some(currency) = search.currency.filter(|_| !matches!(search.order, Order::Price { .. })) {
        conditions.push(expression.equals(PropertyItem::PRICE_CURRENCY, string(currency.code())));
        bounded(expression, &mut conditions, PropertyItem::PRICE_HUNDREDTHS, search.price);
    }
    if !matches!(search.order, Order::Area { .. }) {
        bounded(expression, &mut conditions, PropertyItem::TOTAL_AREA_HUNDREDTHS, search.area);
    }
    bounded(expression, &mut conditions, PropertyItem::BEDROOM_COUNT, search.bedrooms);
    (!conditions.is_empty()).then(|| all(conditions))
}

fn bounded(expression: &mut Expression, conditions: &mut Vec<String>, path: &str, bounds: Bounds) {
    match (bounds.min, bounds.max) {
        (Some(min), Some(max)) => conditions.push(expression.between(path, number(min), number(max))),
        (Some(min), None) => conditions.push(expression.at_least(path, number(min))),
        (None, Some(max)) => conditions.push(expression.at_most(path, number(max))),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn just_before_sorts_between_a_position_and_those_below_it() {
        let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60";
        let below = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5f";
        let bound = just_before(id);
        assert!(below <= bound.as_str() && bound.as_str() < id);
        let bound = just_before(below);
        assert!(bound.as_str() < below && "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5e" <= bound.as_str());
    }

    #[test]
    fn a_range_past_its_cursor_is_empty() {
        let search = |order| {
            Listing::Search(Search {
                city: Some("paris".into()),
                transaction: crate::domain::Transaction::Sale,
                status: None,
                property_type: None,
                currency: Some(crate::domain::Currency::Eur),
                price: Bounds { min: Some(100), max: Some(200) },
                area: Bounds::default(),
                bedrooms: Bounds::default(),
                region: None,
                order,
            })
        };
        let up = Order::Price { ascending: true };
        let after = format!("{:014}#0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", 300);
        assert_eq!(sort_key_range(&search(up), Some(&after)), None);
        let (low, high) = sort_key_range(&search(up), None).unwrap();
        assert_eq!((low.as_str(), high.as_str()), ("00000000000100", "00000000000200#~"));
    }
}
