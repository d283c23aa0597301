use super::Invalid;

/// A floor area in square metres, held exactly as a whole number of
/// hundredths: sums never drift the way binary floating point would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Area {
    hundredths: u64,
}

impl Area {
    /// The largest room: 10 000 m².
    pub const MAX_ROOM: Area = Area { hundredths: 1_000_000 };

    pub fn from_hundredths(hundredths: u64) -> Self {
        Self { hundredths }
    }

    pub fn hundredths(self) -> u64 {
        self.hundredths
    }

    /// A room's area from its JSON number: greater than 0, at most 10 000,
    /// at most two decimals. The number's exact decimal text is read, never
    /// a rounded float.
    pub fn parse_room_area(number: &serde_json::Number) -> Result<Self, Invalid> {
        let hundredths =
            decimal_hundredths(&number.to_string()).ok_or_else(|| Invalid::new("must have at most two decimals"))?;
        if hundredths <= 0 {
            return Err(Invalid::new("must be greater than 0"));
        }
        // Compared while still wide: a cast first would wrap 2^64 to 0.
        match u64::try_from(hundredths) {
            Ok(hundredths) if hundredths <= Self::MAX_ROOM.hundredths => Ok(Self { hundredths }),
            _ => Err(Invalid(format!("must be at most {}", Self::MAX_ROOM.hundredths / 100))),
        }
    }

    /// The value as a JSON number: the shortest float text of a two-decimal
    /// value is that value exactly ("12.34", never "12.339999").
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!(self.hundredths as f64 / 100.0)
    }
}

impl std::ops::Add for Area {
    type Output = Area;
    fn add(self, other: Area) -> Area {
        Area { hundredths: self.hundredths + other.hundredths }
    }
}

impl std::iter::Sum for Area {
    fn sum<I: Iterator<Item = Area>>(iter: I) -> Area {
        iter.fold(Area::default(), |total, area| total + area)
    }
}

/// Reads a JSON number's text (`12`, `12.5`, `-3`, `1.5e3`, `1e-2`) as a
/// whole number of hundredths, or `None` if it has finer precision or is
/// absurdly large. Shared by every exact two-decimal value (areas, prices).
pub(super) fn decimal_hundredths(text: &str) -> Option<i128> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i128 = digits.parse().ok()?;
    // value × 10^(exponent − fraction digits + 2) hundredths.
    let scale = exponent.checked_sub(fraction.len() as i32)?.checked_add(2)?;
    if scale >= 0 {
        value = value.checked_mul(10i128.checked_pow(scale.try_into().ok()?)?)?;
    } else {
        let divisor = 10i128.checked_pow((-scale).try_into().ok()?).unwrap_or(i128::MAX);
        if value % divisor != 0 {
            return None;
        }
        value /= divisor;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(json: &str) -> Result<Area, Invalid> {
        let number: serde_json::Number = serde_json::from_str(json).unwrap();
        Area::parse_room_area(&number)
    }

    #[test]
    fn reads_exact_two_decimal_values() {
        assert_eq!(area("12.34").unwrap().hundredths(), 1234);
        assert_eq!(area("0.01").unwrap().hundredths(), 1);
        assert_eq!(area("10000").unwrap().hundredths(), 1_000_000);
        assert_eq!(area("1.5e3").unwrap().hundredths(), 150_000);
        assert_eq!(area("12.30").unwrap().hundredths(), 1230);
    }

    #[test]
    fn refuses_out_of_range_or_too_precise_values() {
        for bad in [
            "0",
            "-1",
            "-0.0",
            "0.001",
            "12.345",
            "10000.01",
            "1e300",
            "0.29999999",
            "18446744073709551616",
            "1.8446744073709552e17",
            "36893488147419103232.5",
            "1e-300",
            "5e-324",
        ] {
            assert!(area(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn sums_are_exact() {
        let total: Area = ["0.1", "0.2", "0.29", "33.33", "33.33", "33.34"].iter().map(|a| area(a).unwrap()).sum();
        assert_eq!(total.hundredths(), 10_059);
        assert_eq!(total.to_json().to_string(), "100.59");
        assert_eq!(Area::from_hundredths(1).to_json().to_string(), "0.01");
    }
}
