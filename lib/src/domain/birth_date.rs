use super::Invalid;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, macros::date, macros::format_description};

/// A calendar date written `YYYY-MM-DD`, in the past and not before 1900.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate(Date);

impl BirthDate {
    const EARLIEST: Date = date!(1900 - 01 - 01);

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::parse_on(raw, OffsetDateTime::now_utc().date())
    }

    /// `parse`, with "today" given so the rule can be tested on any day.
    pub fn parse_on(raw: &str, today: Date) -> Result<Self, Invalid> {
        let format = format_description!("[year repr:full padding:zero]-[month]-[day]");
        let well_formed = raw.len() == 10 && raw.is_ascii();
        let date = well_formed
            .then(|| Date::parse(raw, &format).ok())
            .flatten()
            .ok_or_else(|| Invalid::new("must be a calendar date written YYYY-MM-DD"))?;
        if date < Self::EARLIEST {
            return Err(Invalid::new("must not be before 1900-01-01"));
        }
        if date >= today {
            return Err(Invalid::new("must be in the past"));
        }
        Ok(Self(date))
    }
}

impl std::fmt::Display for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month, day) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl TryFrom<String> for BirthDate {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<BirthDate> for String {
    fn from(date: BirthDate) -> String {
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = date!(2026 - 11 - 22);

    #[test]
    fn accepts_past_calendar_dates() {
        let date = BirthDate::parse_on("1990-02-28", TODAY).unwrap();
        assert_eq!(date.to_string(), "1990-02-28");
        assert!(BirthDate::parse_on("1900-01-01", TODAY).is_ok());
        assert!(BirthDate::parse_on("2026-11-21", TODAY).is_ok());
    }

    #[test]
    fn rejects_impossible_future_or_ancient_dates() {
        for bad in [
            "1990-02-30",
            "1990-2-28",
            "90-02-28",
            "1990/02/28",
            "1990-02-28T00:00:00Z",
            "1899-12-31",
            "2026-11-22",
            "2030-01-01",
            "",
        ] {
            assert!(BirthDate::parse_on(bad, TODAY).is_err(), "{bad:?} was accepted");
        }
    }
}
