//! What a listing costs: an amount, held exactly in hundredths, in one of
//! a closed list of currencies.

use super::Invalid;
use super::area::decimal_hundredths;
use super::composite::{Problems, object};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn amount(json: &str) -> Result<PriceAmount, Invalid> {
        let number: serde_json::Number = serde_json::from_str(json).unwrap();
        PriceAmount::parse(&number)
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
}
