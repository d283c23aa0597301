//! Where a property is, in WGS84 degrees.

use super::Invalid;
use super::composite::{Problems, object};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Where a property is: WGS84 latitude and longitude in decimal degrees,
/// as GPS, GeoJSON and web maps give them. Both are finite, so a location
/// always equals itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    lat: f64,
    lon: f64,
}

// Never NaN (`new` refuses it), so `==` is a true equivalence.
impl Eq for Location {}

impl Location {
    pub const MEMBERS: [&str; 2] = ["lat", "lon"];
    /// Latitude: from the south pole to the north pole.
    pub const LAT_MIN: f64 = -90.0;
    pub const LAT_MAX: f64 = 90.0;
    /// Longitude: both ends are the antimeridian.
    pub const LON_MIN: f64 = -180.0;
    pub const LON_MAX: f64 = 180.0;

    /// A location from its degrees, each finite and within its bounds.
    pub fn new(lat: f64, lon: f64) -> Result<Self, Invalid> {
        let mut problems = Problems::default();
        let lat = problems.member("lat", Some(&lat), |lat| degrees(*lat, Self::LAT_MIN, Self::LAT_MAX));
        let lon = problems.member("lon", Some(&lon), |lon| degrees(*lon, Self::LON_MIN, Self::LON_MAX));
        problems.finish()?;
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(Self { lat, lon }),
            _ => Err(Invalid::new("must have a lat and a lon")),
        }
    }

    /// A location from `{"lat": <number>, "lon": <number>}`; the message
    /// names every member at fault and the bound it crosses.
    pub fn parse(raw: &serde_json::Value) -> Result<Self, Invalid> {
        let members = object(raw, &Self::MEMBERS)?;
        let mut problems = Problems::default();
        let mut number = |name: &str| {
            problems
                .member(name, members.get(name), |value| value.as_f64().ok_or_else(|| Invalid::new("must be a number")))
        };
        let (lat, lon) = (number("lat"), number("lon"));
        problems.finish()?;
        match (lat, lon) {
            (Some(lat), Some(lon)) => Self::new(lat, lon),
            _ => Err(Invalid::new("must have a lat and a lon")),
        }
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({ "lat": self.lat, "lon": self.lon })
    }
}

/// A coordinate within `[min, max]`; -0 is read as 0, so that it shows as 0.
fn degrees(value: f64, min: f64, max: f64) -> Result<f64, Invalid> {
    if !value.is_finite() {
        return Err(Invalid::new("must be a finite number"));
    }
    if !(min..=max).contains(&value) {
        return Err(Invalid(format!("must be between {min} and {max} degrees")));
    }
    Ok(value + 0.0)
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut location = serializer.serialize_struct("Location", 2)?;
        location.serialize_field("lat", &self.lat)?;
        location.serialize_field("lon", &self.lon)?;
        location.end()
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(deserializer)?;
        Self::parse(&raw).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locations_are_within_wgs84_bounds() {
        for (lat, lon) in [(0.0, 0.0), (90.0, 180.0), (-90.0, -180.0), (48.8566, 2.3522), (-33.8688, 151.2093)] {
            let location = Location::new(lat, lon).unwrap();
            assert_eq!((location.lat(), location.lon()), (lat, lon));
        }
        let refused = |lat: f64, lon: f64| Location::new(lat, lon).unwrap_err().0;
        assert_eq!(refused(90.000001, 0.0), "lat must be between -90 and 90 degrees");
        assert_eq!(refused(-90.000001, 0.0), "lat must be between -90 and 90 degrees");
        assert_eq!(refused(0.0, 180.000001), "lon must be between -180 and 180 degrees");
        assert_eq!(refused(0.0, -180.000001), "lon must be between -180 and 180 degrees");
        assert_eq!(refused(f64::NAN, 0.0), "lat must be a finite number");
        assert_eq!(refused(0.0, f64::INFINITY), "lon must be a finite number");
        assert_eq!(
            refused(f64::NEG_INFINITY, 360.0),
            "lat must be a finite number; lon must be between -180 and 180 degrees"
        );
    }

    #[test]
    fn locations_are_parsed_from_json_numbers() {
        let location = Location::parse(&json!({ "lat": 41.3874, "lon": 2 })).unwrap();
        assert_eq!((location.lat(), location.lon()), (41.3874, 2.0));

        let refused = |raw: serde_json::Value| Location::parse(&raw).unwrap_err().0;
        assert_eq!(refused(json!({ "lat": 91, "lon": 0 })), "lat must be between -90 and 90 degrees");
        assert_eq!(refused(json!({ "lat": "41.3", "lon": 2 })), "lat must be a number");
        assert_eq!(refused(json!({ "lat": null, "lon": "2" })), "lat must be a number; lon must be a number");
        assert_eq!(refused(json!({ "lat": 1 })), "lon is required");
        assert_eq!(refused(json!({ "lat": 1, "lng": 2 })), "has unknown members: lng (expected: lat, lon)");
        assert_eq!(refused(json!([41.3, 2.1])), "must be a JSON object");
        assert!(serde_json::from_str::<Location>(r#"{"lat":1e400,"lon":0}"#).is_err());
        assert!(serde_json::from_str::<Location>(r#"{"lat":NaN,"lon":0}"#).is_err());
    }

    #[test]
    fn locations_round_trip() {
        for text in [r#"{"lat":48.8566,"lon":2.3522}"#, r#"{"lat":-90.0,"lon":180.0}"#, r#"{"lat":0.1,"lon":-0.12}"#] {
            let location: Location = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&location).unwrap(), text);
            assert_eq!(location.to_json().to_string(), text);
            assert_eq!(serde_json::from_value::<Location>(location.to_json()).unwrap(), location);
        }
        let zero = Location::new(-0.0, -0.0).unwrap();
        assert_eq!(serde_json::to_string(&zero).unwrap(), r#"{"lat":0.0,"lon":0.0}"#);
        assert_eq!(zero, Location::new(0.0, 0.0).unwrap());
    }
}
