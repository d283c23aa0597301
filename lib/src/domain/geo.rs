//! Geometry on the WGS84 sphere, as map search needs it: geohash cells
//! (the index keys), boxes and circles (what a search asks for), the
//! cells that cover them, and distances.
//!
//! A geohash of precision `p` is `5p` bits, longitude and latitude
//! interleaved (longitude first), written in base 32: each character
//! splits a cell into 32. Cells are kept as their column and row at their
//! precision, so that neighbours, coverings and bounds are integer steps.

use super::{Invalid, Location};

/// The mean Earth radius (IUGG), the sphere distances are measured on.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The great-circle distance between two locations, in metres (haversine).
pub fn distance_m(a: Location, b: Location) -> f64 {
    let (lat_a, lat_b) = (a.lat().to_radians(), b.lat().to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon() - a.lon()).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A distance in whole metres, as answers show it and orders use it.
pub fn whole_metres(distance_m: f64) -> u64 {
    distance_m.round() as u64
}

/// One geohash cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    precision: u8,
    /// Column, from longitude -180 eastwards.
    x: u32,
    /// Row, from latitude -90 northwards.
    y: u32,
}

impl Cell {
    pub const MAX_PRECISION: u8 = 12;

    fn lon_bits(precision: u8) -> u32 {
        (5 * u32::from(precision)).div_ceil(2)
    }

    fn lat_bits(precision: u8) -> u32 {
        5 * u32::from(precision) / 2
    }

    /// The width of a cell of `precision`, in degrees of longitude.
    pub fn width_degrees(precision: u8) -> f64 {
        360.0 / f64::from(1u32 << Self::lon_bits(precision))
    }

    /// The height of a cell of `precision`, in degrees of latitude.
    pub fn height_degrees(precision: u8) -> f64 {
        180.0 / f64::from(1u32 << Self::lat_bits(precision))
    }

    fn column(lon: f64, precision: u8) -> u32 {
        let columns = 1u32 << Self::lon_bits(precision);
        (((lon + 180.0) / Self::width_degrees(precision)).floor() as u32).min(columns - 1)
    }

    fn row(lat: f64, precision: u8) -> u32 {
        let rows = 1u32 << Self::lat_bits(precision);
        (((lat + 90.0) / Self::height_degrees(precision)).floor() as u32).min(rows - 1)
    }

    /// The cell of `precision` (1 to 12) that holds `location`; a point on
    /// a border belongs to the cell east or north of it (the last column
    /// and row hold their far border too).
    pub fn of(location: Location, precision: u8) -> Self {
        let precision = precision.clamp(1, Self::MAX_PRECISION);
        Self { precision, x: Self::column(location.lon(), precision), y: Self::row(location.lat(), precision) }
    }

    /// The cell a geohash names; `None` for anything else.
    pub fn parse(hash: &str) -> Option<Self> {
        let precision = u8::try_from(hash.len()).ok().filter(|p| (1..=Self::MAX_PRECISION).contains(p))?;
        let mut bits = 0u64;
        for byte in hash.bytes() {
            let value = BASE32.iter().position(|&digit| digit == byte)?;
            bits = bits << 5 | value as u64;
        }
        let (mut x, mut y) = (0u32, 0u32);
        for index in 0..5 * u32::from(precision) {
            let bit = (bits >> (5 * u32::from(precision) - 1 - index)) & 1;
            if index % 2 == 0 {
                x = x << 1 | bit as u32;
            } else {
                y = y << 1 | bit as u32;
            }
        }
        Some(Self { precision, x, y })
    }

    pub fn precision(self) -> u8 {
        self.precision
    }

    /// The cell's geohash.
    pub fn hash(self) -> String {
        let total = 5 * u32::from(self.precision);
        let (lon_bits, lat_bits) = (Self::lon_bits(self.precision), Self::lat_bits(self.precision));
        let mut bits = 0u64;
        for index in 0..total {
            let bit = if index % 2 == 0 {
                self.x >> (lon_bits - 1 - index / 2) & 1
            } else {
                self.y >> (lat_bits - 1 - index / 2) & 1
            };
            bits = bits << 1 | u64::from(bit);
        }
        (0..self.precision)
            .rev()
            .map(|group| char::from(BASE32[(bits >> (5 * u32::from(group)) & 31) as usize]))
            .collect()
    }

    /// The cell of a lower precision that holds this one.
    pub fn parent(self, precision: u8) -> Self {
        let precision = precision.clamp(1, self.precision);
        let shift_x = Self::lon_bits(self.precision) - Self::lon_bits(precision);
        let shift_y = Self::lat_bits(self.precision) - Self::lat_bits(precision);
        Self { precision, x: self.x >> shift_x, y: self.y >> shift_y }
    }

    /// The 32 cells one precision finer; none at the finest.
    pub fn children(self) -> Vec<Self> {
        if self.precision >= Self::MAX_PRECISION {
            return Vec::new();
        }
        let precision = self.precision + 1;
        let wide = Self::lon_bits(precision) - Self::lon_bits(self.precision);
        let tall = Self::lat_bits(precision) - Self::lat_bits(self.precision);
        let mut children = Vec::with_capacity(32);
        for dx in 0..1u32 << wide {
            for dy in 0..1u32 << tall {
                children.push(Self { precision, x: self.x << wide | dx, y: self.y << tall | dy });
            }
        }
        children
    }

    /// The cell's bounds (its south and west borders belong to it).
    pub fn bounds(self) -> GeoBox {
        let (width, height) = (Self::width_degrees(self.precision), Self::height_degrees(self.precision));
        let west = -180.0 + f64::from(self.x) * width;
        let south = -90.0 + f64::from(self.y) * height;
        GeoBox { west, south, east: west + width, north: south + height }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hash())
    }
}

/// An area between two meridians and two parallels, borders included.
/// `west > east` is a box across the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

// Never NaN (`parse` refuses it), so `==` is a true equivalence.
impl Eq for GeoBox {}

impl GeoBox {
    /// The whole world.
    pub const WORLD: Self = Self { west: -180.0, south: -90.0, east: 180.0, north: 90.0 };

    /// A box from `west,south,east,north` in degrees (the OGC `bbox`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let numbers = numbers(raw, 4, "west,south,east,north")?;
        let [west, south, east, north] = [numbers[0], numbers[1], numbers[2], numbers[3]];
        let lon_ok = |lon: f64| (Location::LON_MIN..=Location::LON_MAX).contains(&lon);
        let lat_ok = |lat: f64| (Location::LAT_MIN..=Location::LAT_MAX).contains(&lat);
        if !(lon_ok(west) && lon_ok(east)) {
            return Err(Invalid::new("west and east must be longitudes between -180 and 180"));
        }
        if !(lat_ok(south) && lat_ok(north)) {
            return Err(Invalid::new("south and north must be latitudes between -90 and 90"));
        }
        if south > north {
            return Err(Invalid::new("south must not be above north"));
        }
        Ok(Self { west, south, east, north })
    }

    /// The longitude ranges the box spans: two across the antimeridian.
    pub fn lon_ranges(self) -> Vec<(f64, f64)> {
        if self.west <= self.east {
            vec![(self.west, self.east)]
        } else {
            vec![(self.west, Location::LON_MAX), (Location::LON_MIN, self.east)]
        }
    }

    /// The box's width in degrees of longitude.
    pub fn width_degrees(self) -> f64 {
        self.lon_ranges().iter().map(|(west, east)| east - west).sum()
    }

    pub fn contains(self, location: Location) -> bool {
        let (lat, lon) = (location.lat(), location.lon());
        (self.south..=self.north).contains(&lat)
            && self.lon_ranges().iter().any(|(west, east)| (*west..=*east).contains(&lon))
    }

    /// The box's greater extent in metres: its height, or its width along
    /// the parallel nearest the equator (where it is widest).
    pub fn extent_m(self) -> f64 {
        let widest = if self.south <= 0.0 && self.north >= 0.0 { 0.0 } else { self.south.abs().min(self.north.abs()) };
        let width = self.width_degrees().to_radians() * widest.to_radians().cos() * EARTH_RADIUS_M;
        let height = (self.north - self.south).to_radians() * EARTH_RADIUS_M;
        width.max(height)
    }

    /// The cells of `precision` that meet the box, west to east and
    /// south to north.
    pub fn covering(self, precision: u8) -> Vec<Cell> {
        let rows = Cell::row(self.south, precision)..=Cell::row(self.north, precision);
        let mut cells = Vec::new();
        for (west, east) in self.lon_ranges() {
            for x in Cell::column(west, precision)..=Cell::column(east, precision) {
                cells.extend(rows.clone().map(|y| Cell { precision, x, y }));
            }
        }
        cells.dedup();
        cells
    }

    /// How many cells `covering(precision)` has, without listing them.
    pub fn covering_size(self, precision: u8) -> u64 {
        let rows = u64::from(Cell::row(self.north, precision) - Cell::row(self.south, precision) + 1);
        let columns: u64 = self
            .lon_ranges()
            .iter()
            .map(|(west, east)| u64::from(Cell::column(*east, precision) - Cell::column(*west, precision) + 1))
            .sum();
        rows * columns
    }

    /// A lower bound of the distance from `from` to any point of the box:
    /// exact to a fraction of a millimetre, never above the truth.
    pub fn min_distance_m(self, from: Location) -> f64 {
        if self.contains(from) {
            return 0.0;
        }
        // The nearest of the box's meridians, as a longitude offset.
        let offsets = self.lon_ranges().into_iter().map(|(west, east)| {
            if (west..=east).contains(&from.lon()) {
                (0.0, from.lon())
            } else {
                let (to_west, to_east) = (lon_offset(from.lon(), west), lon_offset(from.lon(), east));
                if to_west <= to_east { (to_west, west) } else { (to_east, east) }
            }
        });
        let (offset, meridian) =
            offsets.fold((f64::INFINITY, 0.0), |best, next| if next.0 < best.0 { next } else { best });
        if offset >= 90.0 {
            // Beyond a quarter turn the nearest point may be anywhere on
            // the border: say nothing rather than too much.
            return 0.0;
        }
        // On that meridian, the point nearest `from` (where the great
        // circle through `from` meets it at a right angle), kept within
        // the box's latitudes.
        let nearest = (from.lat().to_radians().tan() / offset.to_radians().cos()).atan().to_degrees();
        let lat = nearest.clamp(self.south, self.north);
        match Location::new(lat, meridian) {
            Ok(point) => distance_m(from, point) * (1.0 - 1e-9),
            Err(_) => 0.0,
        }
    }

    /// An upper bound of the distance from `from` to any point of the box.
    pub fn max_distance_m(self, from: Location) -> f64 {
        let Ok(center) = Location::new((self.south + self.north) / 2.0, self.center_lon()) else {
            return f64::INFINITY;
        };
        let corners =
            [(self.south, self.west), (self.south, self.east), (self.north, self.west), (self.north, self.east)];
        let reach = corners
            .into_iter()
            .filter_map(|(lat, lon)| Location::new(lat, lon).ok())
            .map(|corner| distance_m(center, corner))
            .fold(0.0, f64::max);
        distance_m(from, center) + reach * 1.01 + 1.0
    }

    fn center_lon(self) -> f64 {
        let center = self.west + self.width_degrees() / 2.0;
        if center > 180.0 { center - 360.0 } else { center }
    }

    /// The part of the box's area that lies in `other`, as a share of the
    /// box's (on the flat lat/lon grid: a ratio, not an area).
    pub fn share_in(self, other: Self) -> f64 {
        let height = (self.north.min(other.north) - self.south.max(other.south)).max(0.0);
        let mut width = 0.0;
        for (west, east) in self.lon_ranges() {
            for (other_west, other_east) in other.lon_ranges() {
                width += (east.min(other_east) - west.max(other_west)).max(0.0);
            }
        }
        let area = (self.north - self.south) * self.width_degrees();
        if area <= 0.0 { 1.0 } else { (height * width / area).clamp(0.0, 1.0) }
    }
}

/// The eastward or westward offset between two longitudes, 0 to 180.
fn lon_offset(a: f64, b: f64) -> f64 {
    let offset = (a - b).abs() % 360.0;
    if offset > 180.0 { 360.0 - offset } else { offset }
}

/// Exactly `count` comma-separated finite numbers, as `spelled`.
fn numbers(raw: &str, count: usize, spelled: &str) -> Result<Vec<f64>, Invalid> {
    let numbers: Vec<f64> = raw
        .split(',')
        .map(|part| part.parse::<f64>().ok().filter(|n| n.is_finite() && part.trim() == part && !part.starts_with('+')))
        .collect::<Option<_>>()
        .filter(|numbers: &Vec<f64>| numbers.len() == count)
        .ok_or_else(|| Invalid(format!("must be {count} numbers separated by commas: {spelled}")))?;
    Ok(numbers.into_iter().map(|n| n + 0.0).collect())
}

/// The points within a distance of a centre, border included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circle {
    pub center: Location,
    pub radius_m: u32,
}

impl Circle {
    /// A centre from `lat,lon` in degrees.
    pub fn parse_center(raw: &str) -> Result<Location, Invalid> {
        let numbers = numbers(raw, 2, "lat,lon")?;
        Location::new(numbers[0], numbers[1])
    }

    /// The distance from the centre to `location`, when within the circle.
    pub fn distance_to(self, location: Location) -> Option<f64> {
        let distance = distance_m(self.center, location);
        (distance <= f64::from(self.radius_m)).then_some(distance)
    }

    /// The smallest box that holds the circle (every longitude when it
    /// holds a pole).
    pub fn bounding_box(self) -> GeoBox {
        let angle = f64::from(self.radius_m) / EARTH_RADIUS_M;
        let (lat, lon) = (self.center.lat().to_radians(), self.center.lon());
        let (south, north) = ((lat - angle).to_degrees(), (lat + angle).to_degrees());
        if south <= -90.0 || north >= 90.0 {
            return GeoBox { west: -180.0, south: south.max(-90.0), east: 180.0, north: north.min(90.0) };
        }
        let half_width = (angle.sin() / lat.cos()).min(1.0).asin().to_degrees();
        let wrap = |lon: f64| {
            if lon > 180.0 {
                lon - 360.0
            } else if lon < -180.0 {
                lon + 360.0
            } else {
                lon
            }
        };
        GeoBox { west: wrap(lon - half_width), south, east: wrap(lon + half_width), north }
    }

    /// The cells of `precision` that meet the circle.
    pub fn covering(self, precision: u8) -> Vec<Cell> {
        let radius = f64::from(self.radius_m);
        let mut cells = self.bounding_box().covering(precision);
        cells.retain(|cell| cell.bounds().min_distance_m(self.center) <= radius);
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Location {
        Location::new(lat, lon).unwrap()
    }

    #[test]
    fn distances_between_cities_are_within_half_a_percent() {
        let paris = at(48.8566, 2.3522);
        // Great-circle distances from published airport-free city centres.
        for (to, km) in [
            (at(51.5074, -0.1278), 343.9),      // London
            (at(45.7640, 4.8357), 391.5),       // Lyon
            (at(40.7128, -74.0060), 5837.2),    // New York
            (at(-33.8688, 151.2093), 16_958.0), // Sydney
        ] {
            let measured = distance_m(paris, to) / 1000.0;
            assert!((measured - km).abs() / km < 0.005, "{to:?}: {measured} km, not {km}");
            assert_eq!(distance_m(paris, to), distance_m(to, paris));
        }
        assert_eq!(distance_m(paris, paris), 0.0);
        // Across the antimeridian: one degree of longitude on the equator.
        let one_degree = distance_m(at(0.0, 179.5), at(0.0, -179.5)) / 1000.0;
        assert!((one_degree - 111.195).abs() < 0.01, "{one_degree}");
    }

    #[test]
    fn geohashes_match_the_reference_encoding() {
        // The examples of geohash.org and of the algorithm's description.
        assert_eq!(Cell::of(at(57.64911, 10.40744), 11).hash(), "u4pruydqqvj");
        assert_eq!(Cell::of(at(42.605, -5.603), 5).hash(), "ezs42");
        let cell = Cell::parse("ezs42").unwrap();
        let bounds = cell.bounds();
        assert!((bounds.south - 42.583).abs() < 0.001 && (bounds.north - 42.627).abs() < 0.001, "{bounds:?}");
        assert!((bounds.west - (-5.625)).abs() < 0.001 && (bounds.east - (-5.581)).abs() < 0.001, "{bounds:?}");
        assert_eq!(Cell::parse("u4pruydqqvj").unwrap().hash(), "u4pruydqqvj");
        for refused in ["", "a", "u4pruydqqvjxx", "U4"] {
            assert_eq!(Cell::parse(refused), None, "{refused}");
        }
        // A cell's parent is its prefix; its children extend it.
        let fine = Cell::parse("u09tvw0f").unwrap();
        assert_eq!(fine.parent(4).hash(), "u09t");
        let children: Vec<String> = Cell::parse("u09t").unwrap().children().iter().map(|c| c.hash()).collect();
        assert_eq!(children.len(), 32);
        assert!(children.iter().all(|child| child.starts_with("u09t") && child.len() == 5));
        assert!(children.contains(&"u09tv".to_owned()));
    }

    #[test]
    fn cell_sizes_halve_in_turn() {
        // Precision 4: 0.3516° × 0.1758°, about 39 × 19.5 km at the equator.
        assert_eq!(Cell::width_degrees(4), 0.3515625);
        assert_eq!(Cell::height_degrees(4), 0.17578125);
        assert_eq!(Cell::width_degrees(1), 45.0);
        assert_eq!(Cell::height_degrees(1), 45.0);
        assert_eq!(Cell::of(at(90.0, 180.0), 3).hash(), "zzz");
        assert_eq!(Cell::of(at(-90.0, -180.0), 3).hash(), "000");
    }

    #[test]
    fn a_covering_holds_every_point_of_its_box() {
        let boxes = [
            GeoBox::parse("2.25,48.81,2.42,48.90").unwrap(),    // central Paris
            GeoBox::parse("179.8,-17.2,-179.7,-16.8").unwrap(), // Fiji, across the antimeridian
            GeoBox::parse("-0.5,-0.5,0.5,0.5").unwrap(),
        ];
        for bbox in boxes {
            for precision in [3, 4, 5, 6] {
                let cells = bbox.covering(precision);
                assert_eq!(cells.len() as u64, bbox.covering_size(precision));
                for step_lat in 0..=20 {
                    for step_lon in 0..=20 {
                        let lat = bbox.south + (bbox.north - bbox.south) * f64::from(step_lat) / 20.0;
                        let lon = bbox.west + bbox.width_degrees() * f64::from(step_lon) / 20.0;
                        let lon = if lon > 180.0 { lon - 360.0 } else { lon };
                        let point = at(lat, lon);
                        assert!(bbox.contains(point), "{bbox:?} {point:?}");
                        assert!(cells.contains(&Cell::of(point, precision)), "{bbox:?} {point:?} p{precision}");
                    }
                }
            }
        }
        let fiji = boxes[1];
        assert!(fiji.contains(at(-17.0, 180.0)) && fiji.contains(at(-17.0, -179.9)));
        assert!(!fiji.contains(at(-17.0, 0.0)) && !fiji.contains(at(-17.0, 179.0)));
    }

    #[test]
    fn boxes_are_read_in_the_ogc_order() {
        let bbox = GeoBox::parse("2.25,48.81,2.42,48.90").unwrap();
        assert_eq!((bbox.west, bbox.south, bbox.east, bbox.north), (2.25, 48.81, 2.42, 48.90));
        assert!((bbox.extent_m() - 12_457.0).abs() < 10.0, "{}", bbox.extent_m());
        let refused = |raw: &str| GeoBox::parse(raw).unwrap_err().0;
        assert_eq!(refused("1,2,3"), "must be 4 numbers separated by commas: west,south,east,north");
        assert_eq!(refused("1,2,3,x"), "must be 4 numbers separated by commas: west,south,east,north");
        assert_eq!(refused("1, 2,3,4"), "must be 4 numbers separated by commas: west,south,east,north");
        assert_eq!(refused("1,2,3,NaN"), "must be 4 numbers separated by commas: west,south,east,north");
        assert_eq!(refused("181,2,3,4"), "west and east must be longitudes between -180 and 180");
        assert_eq!(refused("1,-91,3,4"), "south and north must be latitudes between -90 and 90");
        assert_eq!(refused("1,5,3,4"), "south must not be above north");
    }

    #[test]
    fn distance_bounds_of_a_box_hold_the_truth() {
        let cell = Cell::parse("u09tv").unwrap().bounds();
        for from in [at(48.8566, 2.3522), at(48.0, 2.0), at(49.5, 3.5), at(48.9, 1.0), at(-33.0, 151.0)] {
            let (low, high) = (cell.min_distance_m(from), cell.max_distance_m(from));
            let mut truest_low = f64::INFINITY;
            for step_lat in 0..=40 {
                for step_lon in 0..=40 {
                    let lat = cell.south + (cell.north - cell.south) * f64::from(step_lat) / 40.0;
                    let lon = cell.west + (cell.east - cell.west) * f64::from(step_lon) / 40.0;
                    let distance = distance_m(from, at(lat, lon));
                    assert!(low <= distance && distance <= high, "{from:?}: {low} {distance} {high}");
                    truest_low = truest_low.min(distance);
                }
            }
            // Tight within a quarter turn: within a metre of the nearest
            // sampled point (beyond it, 0 says nothing, as documented).
            let near = (from.lon() - cell.west).abs() < 90.0;
            assert!(!near || cell.contains(from) || truest_low - low < 1.0, "{from:?}: {low} vs {truest_low}");
        }
    }

    #[test]
    fn a_circle_is_covered_by_the_cells_it_meets() {
        let circle = Circle { center: at(48.8566, 2.3522), radius_m: 5_000 };
        let bbox = circle.bounding_box();
        let cells = circle.covering(5);
        assert!(cells.len() as u64 <= bbox.covering_size(5));
        for bearing in 0..36 {
            let angle = f64::from(bearing * 10).to_radians();
            // Points on the circle itself, found along a bearing.
            let step = 4_999.0 / EARTH_RADIUS_M;
            let lat = (circle.center.lat().to_radians().sin() * step.cos()
                + circle.center.lat().to_radians().cos() * step.sin() * angle.cos())
            .asin();
            let lon = circle.center.lon().to_radians()
                + (angle.sin() * step.sin() * circle.center.lat().to_radians().cos())
                    .atan2(step.cos() - circle.center.lat().to_radians().sin() * lat.sin());
            let point = at(lat.to_degrees(), lon.to_degrees());
            assert!(circle.distance_to(point).is_some(), "{point:?}");
            assert!(bbox.contains(point), "{point:?}");
            assert!(cells.contains(&Cell::of(point, 5)), "{point:?}");
        }
        assert_eq!(circle.distance_to(at(48.8566, 2.5)), None);
        let across = Circle { center: at(-17.0, 179.99), radius_m: 10_000 }.bounding_box();
        assert!(across.west > across.east && across.contains(at(-17.0, -179.95)));
    }
}
