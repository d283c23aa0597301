use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An instant in UTC, to the millisecond, written in RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

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
}
