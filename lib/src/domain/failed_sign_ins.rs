//! Sign-in throttling, per email address (registered or not, in any letter
//! case): the first failures are free; from the fifth on, each locks the
//! address for longer (1, 2, 4, 8 minutes, then 15 at most), and a locked
//! address is refused without checking any password. Failures are
//! forgotten 15 minutes after the last one, and a successful sign-in
//! forgets them at once.

/// Failed sign-ins for one address, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedSignIns {
    pub count: u32,
    /// Unix seconds of the last failure.
    pub last_at: i64,
}

impl FailedSignIns {
    /// The failure that locks the address first.
    pub const LOCK_AFTER: u32 = 5;
    /// How long failures are remembered after the last one.
    pub const MEMORY_SECONDS: i64 = 15 * 60;
    const FIRST_LOCK_SECONDS: i64 = 60;
    const MAX_LOCK_SECONDS: i64 = 15 * 60;

    /// Whether these failures are still remembered at `now`.
    pub fn remembered(&self, now: i64) -> bool {
        now < self.last_at + Self::MEMORY_SECONDS
    }

    /// Seconds until the address may try again, if it is locked at `now`.
    pub fn retry_after(&self, now: i64) -> Option<i64> {
        let beyond_free = self.count.checked_sub(Self::LOCK_AFTER)?;
        let lock = Self::FIRST_LOCK_SECONDS.saturating_mul(1 << beyond_free.min(10)).min(Self::MAX_LOCK_SECONDS);
        let remaining = self.last_at + lock - now;
        (remaining > 0 && self.remembered(now)).then_some(remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_and_each_further_one_locks_longer() {
        let at = |count| FailedSignIns { count, last_at: 1_000 };
        for count in 0..FailedSignIns::LOCK_AFTER {
            assert_eq!(at(count).retry_after(1_000), None, "{count} failures");
        }
        let locks: Vec<_> = (5..=10).map(|count| at(count).retry_after(1_000)).collect();
        assert_eq!(locks, [Some(60), Some(120), Some(240), Some(480), Some(900), Some(900)]);
        assert_eq!(at(5).retry_after(1_059), Some(1));
        assert_eq!(at(5).retry_after(1_060), None);
        assert_eq!(at(u32::MAX).retry_after(1_000), Some(900));
        assert!(at(9).remembered(1_899) && !at(9).remembered(1_900));
    }
}
