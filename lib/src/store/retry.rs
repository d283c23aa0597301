//! The one way the API tries again what lost a race: an edit whose
//! property changed between its read and its write, a transaction that
//! DynamoDB cancelled for a conflict or throttling.
//!
//! Before retry `n` (the first retry is 1) it pauses for a random time,
//! uniformly drawn below a ceiling ("full jitter", so that writers who
//! collided spread out instead of colliding again in step):
//!
//! ```text
//! ceiling(n) = min(first × 2^(n−1), most)      pause(n) ∈ [0, ceiling(n))
//! ```
//!
//! and it stops after `attempts` attempts, so that a retried operation
//! ends: in all, it pauses less than the sum of the ceilings of its
//! retries.

use std::future::Future;
use std::time::Duration;

/// How many times an operation is tried, and how long it may pause in
/// between (see the module's formula).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The ceiling of the first pause, doubled before each next one…
    pub first: Duration,
    /// …up to this one.
    pub most: Duration,
}

impl Policy {
    /// An edit that lost its race to another write of the same property
    /// (or an announcement of a photo, which names the photo's position):
    /// enough attempts for fifty writers racing on one property (a test
    /// runs that race), pausing up to 2, 4, … then 64 ms.
    pub const RACE: Self = Self { attempts: 60, first: Duration::from_millis(2), most: Duration::from_millis(64) };

    /// A transaction that DynamoDB cancelled for a transient reason: a
    /// conflict with another transaction on the same items (DynamoDB
    /// cancels rather than waits), or throttling. Such a conflict lasts as
    /// long as the other transaction, some tens of milliseconds: pauses up
    /// to 16, 32, … then 128 ms, about 0.3 s in all on average.
    pub const CONFLICT: Self = Self { attempts: 8, first: Duration::from_millis(16), most: Duration::from_millis(128) };

    /// The same pauses, with this many attempts.
    pub const fn with_attempts(self, attempts: u32) -> Self {
        Self { attempts, ..self }
    }

    /// The ceiling of the pause before retry `retry` (from 1).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.most)
    }

    /// The pause before retry `retry`: random, below its ceiling.
    pub fn pause(&self, retry: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(retry).as_micros()).unwrap_or(u64::MAX);
        // The last 32 bits of a UUIDv7 are random (its counter is in the
        // bits before them): a jitter source without another dependency.
        let random = u64::from(uuid::Uuid::now_v7().as_u128() as u32);
        Duration::from_micros(random.checked_rem(ceiling).unwrap_or(0))
    }
}

/// What one attempt came to, if not a failure.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attempt<T, R> {
    /// Done: no attempt after this one.
    Done(T),
    /// Worth trying again, for this reason.
    Retry(R),
}

impl<T, R> Attempt<T, R> {
    /// The outcome, or what `exhausted` makes of the reason to retry that
    /// was left when the attempts ran out.
    pub fn done_or<E>(self, exhausted: impl FnOnce(R) -> E) -> Result<T, E> {
        match self {
            Self::Done(value) => Ok(value),
            Self::Retry(reason) => Err(exhausted(reason)),
        }
    }
}

/// Runs `attempt` (given its number, the first is 0) until it fails or is
/// done, pausing before each retry as `policy` says, at most
/// `policy.attempts` times: the last attempt's outcome, a `Retry` when
/// the attempts ran out.
///
/// Each attempt is a future of its own: what it borrows, the caller lends
/// it (`let items = &items;`, then `|_| async move { … }`).
pub(crate) async fn run<T, R, E, Next>(policy: Policy, mut attempt: impl FnMut(u32) -> Next) -> Result<Attempt<T, R>, E>
where
    Next: Future<Output = Result<Attempt<T, R>, E>>,
{
    let mut number = 0;
    loop {
        let outcome = attempt(number).await?;
        number += 1;
        if matches!(outcome, Attempt::Done(_)) || number >= policy.attempts {
            return Ok(outcome);
        }
        tokio::time::sleep(policy.pause(number)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn the_ceiling_doubles_from_the_first_up_to_the_most() {
        let ceilings: Vec<Duration> = (1..=8).map(|retry| Policy::RACE.ceiling(retry)).collect();
        assert_eq!(ceilings, [ms(2), ms(4), ms(8), ms(16), ms(32), ms(64), ms(64), ms(64)]);
        assert_eq!(Policy::CONFLICT.ceiling(1), ms(16));
        assert_eq!(Policy::CONFLICT.ceiling(u32::MAX), ms(128));
    }

    #[test]
    fn pauses_are_random_below_their_ceiling() {
        for retry in 1..=10 {
            let pauses: Vec<Duration> = (0..200).map(|_| Policy::RACE.pause(retry)).collect();
            assert!(pauses.iter().all(|pause| *pause < Policy::RACE.ceiling(retry)), "{pauses:?}");
            let distinct: std::collections::BTreeSet<_> = pauses.iter().collect();
            assert!(distinct.len() > 1, "retry {retry}: always {pauses:?}");
        }
        let never = Policy { first: Duration::ZERO, ..Policy::RACE };
        assert_eq!(never.pause(3), Duration::ZERO);
    }

    /// The longest an operation can spend pausing, its retries all spent.
    fn longest_wait(policy: Policy) -> Duration {
        (1..policy.attempts).map(|retry| policy.ceiling(retry)).sum()
    }

    #[test]
    fn the_wait_of_all_the_retries_is_bounded() {
        // 2 + 4 + … + 32, then 54 pauses of at most 64 ms.
        assert_eq!(longest_wait(Policy::RACE), ms(62 + 54 * 64));
        // 16 + 32 + 64, then 4 pauses of at most 128 ms: well within the
        // 3 s that a transaction may take, its retries included.
        assert_eq!(longest_wait(Policy::CONFLICT), ms(112 + 4 * 128));
        assert_eq!(longest_wait(Policy::RACE.with_attempts(1)), Duration::ZERO);
    }

    const QUICK: Policy = Policy { attempts: 4, first: Duration::from_micros(10), most: Duration::from_micros(40) };

    #[tokio::test]
    async fn runs_until_done() {
        let mut numbers = Vec::new();
        let outcome: Result<_, ()> = run(QUICK, |number| {
            numbers.push(number);
            async move { Ok(if number == 2 { Attempt::Done("done") } else { Attempt::Retry(number) }) }
        })
        .await;
        assert_eq!(outcome, Ok(Attempt::Done("done")));
        assert_eq!(numbers, [0, 1, 2]);
    }

    #[tokio::test]
    async fn stops_at_the_bound_with_the_last_reason_to_retry() {
        let mut tries = 0;
        let outcome: Result<Attempt<(), u32>, ()> = run(QUICK, |number| {
            tries += 1;
            async move { Ok(Attempt::Retry(number)) }
        })
        .await;
        assert_eq!((outcome, tries), (Ok(Attempt::Retry(3)), 4));
        let exhausted = Attempt::<(), u32>::Retry(3).done_or(|last| format!("still {last}"));
        assert_eq!(exhausted, Err("still 3".to_owned()));
    }

    #[tokio::test]
    async fn a_failure_ends_the_attempts() {
        let mut tries = 0;
        let outcome: Result<Attempt<(), ()>, &str> = run(QUICK, |number| {
            tries += 1;
            async move { if number == 1 { Err("refused") } else { Ok(Attempt::Retry(())) } }
        })
        .await;
        assert_eq!((outcome, tries), (Err("refused"), 2));
    }
}
