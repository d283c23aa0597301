//! What makes a property a listing people can search (issue 18): whether
//! it is for sale or for rent, its price, where it is, and where it stands
//! in its life from draft to sold or let.

use super::Invalid;
use super::area::decimal_hundredths;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

super::closed_list!(
    /// Whether a listing is offered for sale or for rent.
    Transaction {
        Sale = "sale",
        Rent = "rent",
    }
);

// `closed_list!` declares the enum, and its members cannot carry `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Transaction {
    fn default() -> Self {
        Self::Sale
    }
}

super::closed_list!(
    /// The currency of a price, by its ISO 4217 code: the closed list a
    /// European and American listing platform needs (the euro, the dollars
    /// of the US, Canada and Australia, the pound, the Swiss franc, the
    /// Polish, Czech, Swedish, Norwegian and Danish currencies, the real).
    ///
    /// Every one of them has exactly two minor units (ISO 4217's exponent
    /// 2), which is what lets one `PriceAmount` in hundredths hold a price
    /// in any of them exactly. A currency with zero minor units (JPY, KRW,
    /// ISK) or three (KWD, BHD) would need its own precision rule, so the
    /// list stays closed until such a currency is wanted on purpose.
    Currency {
        Eur = "EUR",
        Usd = "USD",
        Gbp = "GBP",
        Chf = "CHF",
        Pln = "PLN",
        Czk = "CZK",
        Sek = "SEK",
        Nok = "NOK",
        Dkk = "DKK",
        Brl = "BRL",
        Cad = "CAD",
        Aud = "AUD",
    }
);

impl Currency {
    /// The minor units of every member (ISO 4217's exponent): hundredths.
    pub const MINOR_UNITS: u32 = 2;
}

/// A price's amount in its currency's major unit: at least 0, below
/// 10^12, with at most two decimals, held exactly as a whole number of
/// hundredths (cents, pence, öre, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PriceAmount {
    hundredths: u64,
}

impl PriceAmount {
    /// Every amount is below this many major units.
    pub const LIMIT: u64 = 1_000_000_000_000;

    /// The largest amount: 999 999 999 999.99.
    pub const MAX: PriceAmount = PriceAmount { hundredths: Self::LIMIT * 100 - 1 };

    /// An amount as a store holds it, in hundredths.
    pub fn from_hundredths(hundredths: u64) -> Result<Self, Invalid> {
        if hundredths > Self::MAX.hundredths {
            return Err(Self::too_large());
        }
        Ok(Self { hundredths })
    }

    pub fn hundredths(self) -> u64 {
        self.hundredths
    }

    /// An amount from its JSON number: at least 0, below `LIMIT`, at most
    /// two decimals. The number's exact decimal text is read, never a
    /// rounded float, as `Area` does.
    pub fn parse(number: &serde_json::Number) -> Result<Self, Invalid> {
        match decimal_hundredths(&number.to_string()) {
            Some(hundredths) if hundredths < 0 => Err(Self::negative()),
            // Compared while still wide: a cast first would wrap 2^64 to 0.
            Some(hundredths) => match u64::try_from(hundredths) {
                Ok(hundredths) => Self::from_hundredths(hundredths),
                Err(_) => Err(Self::too_large()),
            },
            // Finer than hundredths, or too long to read: say which.
            None => match number.as_f64() {
                Some(value) if value < 0.0 => Err(Self::negative()),
                Some(value) if value >= Self::LIMIT as f64 => Err(Self::too_large()),
                _ => Err(Invalid::new("must have at most two decimals")),
            },
        }
    }

    /// The amount as a JSON number: a whole amount without a fraction
    /// (`350000`), any other as the shortest float text of a two-decimal
    /// value, which is that value exactly (`1250.5`, never `1250.4999`).
    pub fn to_json(self) -> serde_json::Value {
        if self.hundredths.is_multiple_of(100) {
            serde_json::Value::from(self.hundredths / 100)
        } else {
            serde_json::Value::from(self.hundredths as f64 / 100.0)
        }
    }

    fn negative() -> Invalid {
        Invalid::new("must be at least 0")
    }

    fn too_large() -> Invalid {
        Invalid(format!("must be less than {}", Self::LIMIT))
    }
}

impl Serialize for PriceAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PriceAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        Self::parse(&number).map_err(D::Error::custom)
    }
}

/// What a listing costs: the sale price, or the rent per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Price {
    pub amount: PriceAmount,
    pub currency: Currency,
}

impl Price {
    pub const MEMBERS: [&str; 2] = ["amount", "currency"];

    /// A price from `{"amount": <number>, "currency": "<code>"}`. The
    /// message names every member at fault (`amount must be at least 0;
    /// currency must be one of: ...`), and any member not listed above.
    pub fn parse(raw: &serde_json::Value) -> Result<Self, Invalid> {
        let members = object(raw, &Self::MEMBERS)?;
        let mut problems = Problems::default();
        let amount = problems.member("amount", members.get("amount"), |value| match value {
            serde_json::Value::Number(number) => PriceAmount::parse(number),
            _ => Err(Invalid::new("must be a number")),
        });
        let currency = problems.member("currency", members.get("currency"), |value| match value {
            serde_json::Value::String(code) => Currency::parse(code),
            _ => Err(Invalid::new("must be a string")),
        });
        problems.finish()?;
        match (amount, currency) {
            (Some(amount), Some(currency)) => Ok(Self { amount, currency }),
            _ => Err(Invalid::new("must have an amount and a currency")),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({ "amount": self.amount.to_json(), "currency": self.currency.code() })
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut price = serializer.serialize_struct("Price", 2)?;
        price.serialize_field("amount", &self.amount)?;
        price.serialize_field("currency", &self.currency)?;
        price.end()
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(deserializer)?;
        Self::parse(&raw).map_err(D::Error::custom)
    }
}

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

super::closed_list!(
    /// Where a listing stands. Only its owner sees a `draft` or a
    /// `withdrawn` one; `sold` (sale listings) and `let` (rent listings)
    /// are final. See `next_allowed` for the changes allowed.
    ListingStatus {
        Draft = "draft",
        Active = "active",
        UnderOffer = "under_offer",
        Sold = "sold",
        Let = "let",
        Withdrawn = "withdrawn",
    }
);

/// A listing is created `active` unless its owner asks for a draft.
impl Default for ListingStatus {
    fn default() -> Self {
        Self::Active
    }
}

impl ListingStatus {
    /// The statuses a listing of `transaction` may change to from this one:
    ///
    /// | from          | sale                            | rent                           |
    /// |---------------|---------------------------------|--------------------------------|
    /// | `draft`       | active, withdrawn               | active, withdrawn              |
    /// | `active`      | under_offer, sold, withdrawn    | under_offer, let, withdrawn    |
    /// | `under_offer` | active, sold, withdrawn         | active, let, withdrawn         |
    /// | `withdrawn`   | active                          | active                         |
    /// | `sold`, `let` | (final)                         | (final)                        |
    pub fn next_allowed(self, transaction: Transaction) -> &'static [ListingStatus] {
        use ListingStatus::*;
        match (self, transaction) {
            (Draft, _) => &[Active, Withdrawn],
            (Active, Transaction::Sale) => &[UnderOffer, Sold, Withdrawn],
            (Active, Transaction::Rent) => &[UnderOffer, Let, Withdrawn],
            (UnderOffer, Transaction::Sale) => &[Active, Sold, Withdrawn],
            (UnderOffer, Transaction::Rent) => &[Active, Let, Withdrawn],
            (Withdrawn, _) => &[Active],
            (Sold | Let, _) => &[],
        }
    }

    /// `next` if a listing of `transaction` may change to it from this
    /// status; staying where it is is not a change, and is refused too.
    pub fn change_to(
        self,
        next: ListingStatus,
        transaction: Transaction,
    ) -> Result<ListingStatus, StatusChangeRefused> {
        if self.next_allowed(transaction).contains(&next) {
            Ok(next)
        } else {
            Err(StatusChangeRefused { from: self, to: next, transaction })
        }
    }

    /// Whether a listing of `transaction` can ever be in this status:
    /// `sold` is for sale listings only, `let` for rent listings only.
    pub fn applies_to(self, transaction: Transaction) -> bool {
        match self {
            Self::Sold => transaction == Transaction::Sale,
            Self::Let => transaction == Transaction::Rent,
            _ => true,
        }
    }

    /// Whether no change is allowed from this status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sold | Self::Let)
    }

    /// Whether anyone may see the listing; a draft or a withdrawn one only
    /// its owner sees.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Active | Self::UnderOffer | Self::Sold | Self::Let)
    }

    /// Whether a search shows the listing unless asked for other statuses:
    /// the listings still on the market.
    pub fn is_listed_by_default(self) -> bool {
        matches!(self, Self::Active | Self::UnderOffer)
    }

    /// The RESO Data Dictionary `StandardStatus` lookup value, for feeds
    /// and portals that speak RESO:
    ///
    /// - `active` → "Active": on the market, no offer accepted.
    /// - `under_offer` → "Active Under Contract", not "Pending": RESO's
    ///   Pending is an accepted offer with the listing *off* the market,
    ///   and ours stays listed (`is_listed_by_default`) and can go back to
    ///   `active`, which is RESO's "accepted but still on market".
    /// - `sold`, `let` → "Closed": the purchase agreement fulfilled or the
    ///   lease executed; RESO has one value for both.
    /// - `withdrawn` → "Withdrawn": off the market while the owner keeps
    ///   it, and it may come back.
    /// - `draft` → "Incomplete", not "Coming Soon": RESO's Incomplete is
    ///   a listing not completely entered and not published, which is our
    ///   owner-only draft; Coming Soon is a listing marketed ahead of its
    ///   market date, which a draft nobody else sees is not.
    pub fn reso_standard_status(self) -> &'static str {
        match self {
            Self::Draft => "Incomplete",
            Self::Active => "Active",
            Self::UnderOffer => "Active Under Contract",
            Self::Sold | Self::Let => "Closed",
            Self::Withdrawn => "Withdrawn",
        }
    }
}

/// Why a listing cannot change from one status to another: the changes it
/// could make instead are `allowed()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChangeRefused {
    pub from: ListingStatus,
    pub to: ListingStatus,
    pub transaction: Transaction,
}

impl StatusChangeRefused {
    /// The statuses the listing may change to instead.
    pub fn allowed(&self) -> &'static [ListingStatus] {
        self.from.next_allowed(self.transaction)
    }
}

impl std::fmt::Display for StatusChangeRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to, transaction) = (self.from.code(), self.to.code(), self.transaction.code());
        if self.from.is_final() {
            return write!(f, "cannot change from {from}: it is final");
        }
        if self.from == self.to {
            write!(f, "is already {from}")?;
        } else if !self.to.applies_to(self.transaction) {
            write!(f, "cannot be {to} for a {transaction} listing")?;
        } else {
            write!(f, "cannot change from {from} to {to}")?;
        }
        let allowed: Vec<&str> = self.allowed().iter().map(|status| status.code()).collect();
        write!(f, "; from {from} it may change to: {}", allowed.join(", "))
    }
}

impl std::error::Error for StatusChangeRefused {}

impl From<StatusChangeRefused> for Invalid {
    fn from(refused: StatusChangeRefused) -> Self {
        Invalid(refused.to_string())
    }
}

/// The members of a JSON object that may only have `known` members.
fn object<'a>(
    raw: &'a serde_json::Value,
    known: &[&str],
) -> Result<&'a serde_json::Map<String, serde_json::Value>, Invalid> {
    let members = raw.as_object().ok_or_else(|| Invalid::new("must be a JSON object"))?;
    let unknown: Vec<&str> = members.keys().map(String::as_str).filter(|name| !known.contains(name)).collect();
    if !unknown.is_empty() {
        return Err(Invalid(format!("has unknown members: {} (expected: {})", unknown.join(", "), known.join(", "))));
    }
    Ok(members)
}

/// The faults of a composite value's members, reported together.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn member<R: ?Sized, T>(
        &mut self,
        name: &str,
        raw: Option<&R>,
        parse: impl FnOnce(&R) -> Result<T, Invalid>,
    ) -> Option<T> {
        let Some(raw) = raw else {
            self.0.push(format!("{name} is required"));
            return None;
        };
        parse(raw).map_err(|invalid| self.0.push(format!("{name} {invalid}"))).ok()
    }

    fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(Invalid(self.0.join("; "))) }
    }
}

#[cfg(test)]
mod tests {
    use super::ListingStatus::*;
    use super::Transaction::{Rent, Sale};
    use super::*;
    use serde_json::json;

    fn amount(json: &str) -> Result<PriceAmount, Invalid> {
        let number: serde_json::Number = serde_json::from_str(json).unwrap();
        PriceAmount::parse(&number)
    }

    #[test]
    fn transaction_is_a_closed_list_defaulting_to_sale() {
        assert_eq!(Transaction::default(), Sale);
        assert_eq!(Transaction::ALL, &[Sale, Rent]);
        assert_eq!(Transaction::parse("rent"), Ok(Rent));
        assert_eq!(Transaction::parse("Rent").unwrap_err().0, "must be one of: sale, rent");
        assert_eq!(serde_json::to_value(Rent).unwrap(), json!("rent"));
        assert_eq!(serde_json::from_value::<Transaction>(json!("sale")).unwrap(), Sale);
    }

    #[test]
    fn currencies_are_iso_4217_codes_with_two_minor_units() {
        let codes: Vec<&str> = Currency::ALL.iter().map(|currency| currency.code()).collect();
        assert_eq!(codes, ["EUR", "USD", "GBP", "CHF", "PLN", "CZK", "SEK", "NOK", "DKK", "BRL", "CAD", "AUD"]);
        assert_eq!(Currency::parse("CHF"), Ok(Currency::Chf));
        for refused in ["eur", "JPY", "KWD", "", " EUR"] {
            assert!(Currency::parse(refused).is_err(), "{refused:?} was accepted");
        }
        for &currency in Currency::ALL {
            assert_eq!(serde_json::from_value::<Currency>(serde_json::to_value(currency).unwrap()).unwrap(), currency);
        }
        assert_eq!(Currency::MINOR_UNITS, 2);
    }

    #[test]
    fn amounts_are_read_exactly_in_hundredths() {
        assert_eq!(amount("0").unwrap().hundredths(), 0);
        assert_eq!(amount("-0").unwrap().hundredths(), 0);
        assert_eq!(amount("-0.0").unwrap().hundredths(), 0);
        assert_eq!(amount("0.01").unwrap().hundredths(), 1);
        assert_eq!(amount("1.1").unwrap().hundredths(), 110);
        assert_eq!(amount("1250.50").unwrap().hundredths(), 125_050);
        assert_eq!(amount("350000").unwrap().hundredths(), 35_000_000);
        assert_eq!(amount("3.5e5").unwrap().hundredths(), 35_000_000);
        assert_eq!(amount("1e-2").unwrap().hundredths(), 1);
        assert_eq!(amount("999999999999.99").unwrap(), PriceAmount::MAX);
        assert_eq!(amount("999999999999").unwrap().hundredths(), 99_999_999_999_900);
    }

    #[test]
    fn amounts_out_of_range_or_too_precise_are_refused_with_the_reason() {
        let cases = [
            ("-1", "must be at least 0"),
            ("-0.01", "must be at least 0"),
            ("-0.001", "must be at least 0"),
            ("-1e300", "must be at least 0"),
            ("1.005", "must have at most two decimals"),
            ("0.001", "must have at most two decimals"),
            ("0.29999999", "must have at most two decimals"),
            ("1e-300", "must have at most two decimals"),
            ("5e-324", "must have at most two decimals"),
            ("1e12", "must be less than 1000000000000"),
            ("1000000000000", "must be less than 1000000000000"),
            ("999999999999.995", "must have at most two decimals"),
            ("1e300", "must be less than 1000000000000"),
            ("18446744073709551615", "must be less than 1000000000000"),
            ("18446744073709551616", "must be less than 1000000000000"),
            ("36893488147419103232.5", "must be less than 1000000000000"),
        ];
        for (json, message) in cases {
            assert_eq!(amount(json).map_err(|invalid| invalid.0), Err(message.to_owned()), "{json}");
        }
    }

    #[test]
    fn amounts_from_hundredths_stay_within_the_limit() {
        assert_eq!(PriceAmount::from_hundredths(99_999_999_999_999), Ok(PriceAmount::MAX));
        assert!(PriceAmount::from_hundredths(100_000_000_000_000).is_err());
        assert!(PriceAmount::from_hundredths(u64::MAX).is_err());
        assert_eq!(PriceAmount::default().hundredths(), 0);
    }

    #[test]
    fn amounts_round_trip_as_the_same_json_number() {
        for text in ["0", "0.01", "0.07", "0.1", "0.29", "1250.5", "350000", "33.33", "999999999999.99", "123456789.12"]
        {
            let parsed: PriceAmount = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
            assert_eq!(parsed.to_json().to_string(), text);
            assert_eq!(serde_json::from_value::<PriceAmount>(parsed.to_json()).unwrap(), parsed);
        }
        assert_eq!(serde_json::to_string(&amount("1250.50").unwrap()).unwrap(), "1250.5");
        assert_eq!(serde_json::to_string(&amount("3.5e5").unwrap()).unwrap(), "350000");
    }

    #[test]
    fn amounts_that_are_not_numbers_are_refused() {
        for raw in
            [json!("350000"), json!("NaN"), json!("Infinity"), json!(null), json!(f64::NAN), json!(true), json!([1])]
        {
            assert!(serde_json::from_value::<PriceAmount>(raw.clone()).is_err(), "{raw} was accepted");
        }
        for text in ["NaN", "Infinity", "-Infinity", "1e400", "\"1\""] {
            assert!(serde_json::from_str::<PriceAmount>(text).is_err(), "{text} was accepted");
        }
        let error = serde_json::from_str::<PriceAmount>("1.005").unwrap_err().to_string();
        assert!(error.contains("must have at most two decimals"), "{error}");
    }

    #[test]
    fn prices_are_parsed_member_by_member() {
        let price = Price::parse(&json!({ "amount": 350000, "currency": "EUR" })).unwrap();
        assert_eq!(price, Price { amount: PriceAmount::from_hundredths(35_000_000).unwrap(), currency: Currency::Eur });

        let refused = |raw: serde_json::Value| Price::parse(&raw).unwrap_err().0;
        assert_eq!(refused(json!({ "amount": 1.005, "currency": "EUR" })), "amount must have at most two decimals");
        assert_eq!(refused(json!({ "amount": "12", "currency": "EUR" })), "amount must be a number");
        assert_eq!(refused(json!({ "amount": null, "currency": "EUR" })), "amount must be a number");
        assert_eq!(
            refused(json!({ "amount": 1, "currency": "JPY" })),
            "currency must be one of: EUR, USD, GBP, CHF, PLN, CZK, SEK, NOK, DKK, BRL, CAD, AUD"
        );
        assert_eq!(refused(json!({ "amount": 1, "currency": 978 })), "currency must be a string");
        assert_eq!(
            refused(json!({ "amount": -1, "currency": "XXX" })),
            "amount must be at least 0; currency must be one of: EUR, USD, GBP, CHF, PLN, CZK, SEK, NOK, DKK, BRL, \
             CAD, AUD"
        );
        assert_eq!(refused(json!({})), "amount is required; currency is required");
        assert_eq!(refused(json!({ "currency": "EUR" })), "amount is required");
        assert_eq!(
            refused(json!({ "amount": 1, "currency": "EUR", "period": "month" })),
            "has unknown members: period (expected: amount, currency)"
        );
        assert_eq!(refused(json!(350000)), "must be a JSON object");
        assert_eq!(refused(json!(null)), "must be a JSON object");
    }

    #[test]
    fn prices_round_trip() {
        for raw in [
            json!({ "amount": 350000, "currency": "EUR" }),
            json!({ "amount": 1250.5, "currency": "GBP" }),
            json!({ "amount": 0, "currency": "AUD" }),
            json!({ "amount": 999999999999.99, "currency": "USD" }),
        ] {
            let price: Price = serde_json::from_value(raw.clone()).unwrap();
            assert_eq!(serde_json::to_value(price).unwrap(), raw);
            assert_eq!(price.to_json(), raw);
        }
        let text = r#"{"amount":1250.5,"currency":"CHF"}"#;
        assert_eq!(serde_json::to_string(&serde_json::from_str::<Price>(text).unwrap()).unwrap(), text);
        let error = serde_json::from_str::<Price>(r#"{"amount":1,"currency":"eur"}"#).unwrap_err().to_string();
        assert!(error.starts_with("currency must be one of"), "{error}");
    }

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

    #[test]
    fn a_listing_is_created_active() {
        assert_eq!(ListingStatus::default(), Active);
        assert_eq!(ListingStatus::parse("under_offer"), Ok(UnderOffer));
        assert_eq!(
            ListingStatus::parse("pending").unwrap_err().0,
            "must be one of: draft, active, under_offer, sold, let, withdrawn"
        );
        for &status in ListingStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, json!(status.code()));
            assert_eq!(serde_json::from_value::<ListingStatus>(json).unwrap(), status);
        }
    }

    /// Every pair of statuses, for both transactions: allowed exactly when
    /// this table says so.
    #[test]
    fn every_status_change_is_allowed_or_refused_as_the_rules_say() {
        let allowed: &[(ListingStatus, ListingStatus, &[Transaction])] = &[
            (Draft, Active, &[Sale, Rent]),
            (Draft, Withdrawn, &[Sale, Rent]),
            (Active, UnderOffer, &[Sale, Rent]),
            (UnderOffer, Active, &[Sale, Rent]),
            (Active, Sold, &[Sale]),
            (UnderOffer, Sold, &[Sale]),
            (Active, Let, &[Rent]),
            (UnderOffer, Let, &[Rent]),
            (Active, Withdrawn, &[Sale, Rent]),
            (UnderOffer, Withdrawn, &[Sale, Rent]),
            (Withdrawn, Active, &[Sale, Rent]),
        ];
        let mut allowed_count = 0;
        for &transaction in Transaction::ALL {
            for &from in ListingStatus::ALL {
                for &to in ListingStatus::ALL {
                    let expected = allowed.iter().any(|(f, t, ts)| (*f, *t) == (from, to) && ts.contains(&transaction));
                    let outcome = from.change_to(to, transaction);
                    if expected {
                        allowed_count += 1;
                        assert_eq!(outcome, Ok(to), "{from:?} → {to:?} ({transaction:?}) was refused");
                    } else {
                        assert_eq!(
                            outcome,
                            Err(StatusChangeRefused { from, to, transaction }),
                            "{from:?} → {to:?} ({transaction:?}) was allowed"
                        );
                    }
                    assert_eq!(from.next_allowed(transaction).contains(&to), expected);
                }
            }
        }
        // 9 changes each for sale and rent; the other 54 pairs of each are refused.
        assert_eq!(allowed_count, 18);
    }

    #[test]
    fn sold_and_let_are_final_and_belong_to_one_transaction() {
        for &transaction in Transaction::ALL {
            assert!(Sold.next_allowed(transaction).is_empty() && Let.next_allowed(transaction).is_empty());
            for &status in ListingStatus::ALL {
                for &next in status.next_allowed(transaction) {
                    assert!(next.applies_to(transaction), "{status:?} → {next:?} for {transaction:?}");
                }
            }
        }
        assert!(Sold.is_final() && Let.is_final());
        assert!(ListingStatus::ALL.iter().filter(|status| status.is_final()).count() == 2);
        assert!(Sold.applies_to(Sale) && !Sold.applies_to(Rent));
        assert!(Let.applies_to(Rent) && !Let.applies_to(Sale));
        for status in [Draft, Active, UnderOffer, Withdrawn] {
            assert!(status.applies_to(Sale) && status.applies_to(Rent));
        }
    }

    #[test]
    fn a_refused_change_names_the_allowed_ones() {
        let message = |from: ListingStatus, to: ListingStatus, transaction| {
            Invalid::from(from.change_to(to, transaction).unwrap_err()).0
        };
        assert_eq!(
            message(Draft, Sold, Sale),
            "cannot change from draft to sold; from draft it may change to: active, withdrawn"
        );
        assert_eq!(
            message(Active, Let, Sale),
            "cannot be let for a sale listing; from active it may change to: under_offer, sold, withdrawn"
        );
        assert_eq!(
            message(UnderOffer, Sold, Rent),
            "cannot be sold for a rent listing; from under_offer it may change to: active, let, withdrawn"
        );
        assert_eq!(
            message(Withdrawn, UnderOffer, Rent),
            "cannot change from withdrawn to under_offer; from withdrawn it may change to: active"
        );
        assert_eq!(
            message(Active, Active, Sale),
            "is already active; from active it may change to: under_offer, sold, withdrawn"
        );
        assert_eq!(message(Sold, Active, Sale), "cannot change from sold: it is final");
        assert_eq!(message(Let, Let, Rent), "cannot change from let: it is final");
        let refused = Active.change_to(Draft, Rent).unwrap_err();
        assert_eq!(refused.allowed(), &[UnderOffer, Let, Withdrawn]);
    }

    #[test]
    fn visibility_follows_the_status() {
        let public: Vec<_> = ListingStatus::ALL.iter().copied().filter(|status| status.is_public()).collect();
        assert_eq!(public, [Active, UnderOffer, Sold, Let]);
        let listed: Vec<_> =
            ListingStatus::ALL.iter().copied().filter(|status| status.is_listed_by_default()).collect();
        assert_eq!(listed, [Active, UnderOffer]);
        assert!(ListingStatus::ALL.iter().all(|status| !status.is_listed_by_default() || status.is_public()));
    }

    #[test]
    fn statuses_map_to_reso_standard_status() {
        let mapped: Vec<_> = ListingStatus::ALL.iter().map(|status| status.reso_standard_status()).collect();
        assert_eq!(mapped, ["Incomplete", "Active", "Active Under Contract", "Closed", "Closed", "Withdrawn"]);
    }
}
