use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant in UTC, to the millisecond, written in RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(
    #[serde(serialize_with = "write_rfc3339", deserialize_with = "time::serde::rfc3339::deserialize")] OffsetDateTime,
);

/// What `time::serde::rfc3339` writes, without its `String`: every
/// timestamp an answer holds went through `time`'s general formatter into
/// a `String` of its own, a fifth of serialising a property. The instants
/// timestamps hold (UTC, years 0 to 9999) are written here directly, any
/// other by `time` (a test holds both to what `time` writes).
fn write_rfc3339<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; TEXT_CAPACITY];
    let length = match utc_rfc3339(at, &mut buffer) {
        Some(length) => length,
        None => {
            let mut unwritten = &mut buffer[..];
            at.format_into(&mut unwritten, &Rfc3339).map_err(serde::ser::Error::custom)?;
            // What is left unwritten, not the count `format_into` returns:
            // time 0.3.55 leaves the fraction's digits out of that count.
            TEXT_CAPACITY - unwritten.len()
        }
    };
    let text = std::str::from_utf8(&buffer[..length]).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(text)
}

/// The longest RFC 3339 text `time` writes is 35 bytes
/// (`9999-12-31T23:59:59.999999999+23:59`).
const TEXT_CAPACITY: usize = 40;

/// `at` as `time` writes it in RFC 3339 (`2026-12-06T10:08:47.27Z`: the
/// fraction without its trailing zeros, none when zero), if it is in UTC
/// and its year has four digits; its length in `out`.
fn utc_rfc3339(at: &OffsetDateTime, out: &mut [u8; TEXT_CAPACITY]) -> Option<usize> {
    if !at.offset().is_utc() || !(0..10_000).contains(&at.year()) {
        return None;
    }
    let two = |out: &mut [u8], value: u8| {
        out[0] = b'0' + value / 10;
        out[1] = b'0' + value % 10;
    };
    let year = at.year() as u16;
    two(&mut out[0..2], (year / 100) as u8);
    two(&mut out[2..4], (year % 100) as u8);
    out[4] = b'-';
    two(&mut out[5..7], u8::from(at.month()));
    out[7] = b'-';
    two(&mut out[8..10], at.day());
    out[10] = b'T';
    let (hour, minute, second, nanosecond) = at.to_hms_nano();
    two(&mut out[11..13], hour);
    out[13] = b':';
    two(&mut out[14..16], minute);
    out[16] = b':';
    two(&mut out[17..19], second);
    let mut length = 19;
    if nanosecond != 0 {
        out[19] = b'.';
        let mut digits = nanosecond;
        for place in (20..29).rev() {
            out[place] = b'0' + (digits % 10) as u8;
            digits /= 10;
        }
        length = 29;
        while out[length - 1] == b'0' {
            length -= 1;
        }
    }
    out[length] = b'Z';
    Some(length + 1)
}

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        // Millisecond precision survives every store and JSON round trip.
        let millis = now.millisecond();
        Self(now.replace_millisecond(millis).expect("a valid millisecond"))
    }

    /// The instant `seconds` after the Unix epoch (clamped to what a
    /// timestamp can hold).
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH))
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn unix_millis(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// The instant `wait` later, to the millisecond.
    pub fn plus(&self, wait: std::time::Duration) -> Self {
        let later = self.0 + wait;
        Self(later.replace_millisecond(later.millisecond()).expect("a valid millisecond"))
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;
    use time::format_description::well_known::Rfc3339;
    use time::macros::datetime;

    /// Written exactly as `time::serde::rfc3339` writes it, offsets and
    /// sub-seconds included, and read back.
    #[test]
    fn writes_what_time_writes() {
        let mut instants = vec![
            datetime!(2026-12-06 10:08:47.27 UTC),
            datetime!(2026-01-01 00:00:00 UTC),
            datetime!(1999-12-31 23:59:59.999 UTC),
            datetime!(0000-01-01 00:00:00.1 UTC),
            datetime!(0042-02-28 09:05:03.000000001 UTC),
            datetime!(9999-12-31 23:59:59.999999999 UTC),
            datetime!(2026-06-01 12:00:00.000000001 +02:30),
            datetime!(9999-12-31 23:59:59.999999999 -23:59),
        ];
        // Every day of a leap year and the next, at varied times and fractions.
        let start = datetime!(2024-01-01 00:00:00 UTC);
        instants.extend((0..731_i64).map(|day| {
            start
                + time::Duration::seconds(day * 86_400 + day * 3_607 % 86_400)
                + time::Duration::nanoseconds(day * 7_919_347 % 1_000_000_000)
        }));
        for instant in instants {
            let expected = format!("\"{}\"", instant.format(&Rfc3339).unwrap());
            let written = serde_json::to_string(&Timestamp(instant)).unwrap();
            assert_eq!(written, expected);
            assert_eq!(serde_json::from_str::<Timestamp>(&written).unwrap(), Timestamp(instant));
        }
    }
}
