//! Limits on attempts that guess a secret or probe accounts: sign-ins,
//! current-password checks and registrations. Each attempt is counted
//! before the password is checked, in a counter of the current window that
//! refuses past its limit, so no more than the limit is ever checked per
//! window, however many requests arrive at once.
//!
//! Following OWASP's advice on lockout, a password is counted twice: per
//! account *and source address*, which an attacker at another address
//! cannot fill for the owner, and per account across all addresses, a
//! higher ceiling on distributed guessing whose windows are short, so that
//! it delays the owner rather than locking them out.

/// At most `attempts` per fixed window of `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub attempts: u32,
    pub window_seconds: i64,
}

impl AttemptLimit {
    /// Passwords checked for one account from one source address: 5 per
    /// 15 minutes. A success clears the count.
    pub const PER_ACCOUNT_AND_ADDRESS: Self = Self { attempts: 5, window_seconds: 15 * 60 };
    /// Passwords checked for one account from anywhere: 20 per 10 minutes,
    /// so at most 120 an hour. A success takes its own attempt back.
    pub const PER_ACCOUNT: Self = Self { attempts: 20, window_seconds: 10 * 60 };
    /// Registrations from one source address: 10 an hour.
    pub const REGISTRATIONS_PER_ADDRESS: Self = Self { attempts: 10, window_seconds: 60 * 60 };

    /// The start of the window `now` falls in (Unix seconds).
    pub fn window(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_seconds)
    }

    /// Seconds from `now` to the end of its window: when a refused attempt
    /// may try again. At least 1.
    pub fn retry_after(&self, now: i64) -> i64 {
        (self.window(now) + self.window_seconds - now).max(1)
    }
}

/// One counter: what it counts (its scope, unambiguous whatever the
/// address or email holds) under its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptCounter {
    pub scope: String,
    pub limit: AttemptLimit,
}

impl AttemptCounter {
    /// Sign-ins for the account of `email` (registered or not) from `source`.
    pub fn sign_in_from(email: &super::Email, source: &str) -> Self {
        let scope = format!("SIGN_IN#{}#FROM#{}", escape(&email.normalized()), escape(source));
        Self { scope, limit: AttemptLimit::PER_ACCOUNT_AND_ADDRESS }
    }

    /// Sign-ins for the account of `email`, from anywhere.
    pub fn sign_in(email: &super::Email) -> Self {
        Self { scope: format!("SIGN_IN#{}", escape(&email.normalized())), limit: AttemptLimit::PER_ACCOUNT }
    }

    /// Checks of `user`'s current password (to change it) from `source`.
    pub fn password_check_from(user: super::UserId, source: &str) -> Self {
        Self { scope: format!("PASSWORD#{user}#FROM#{}", escape(source)), limit: AttemptLimit::PER_ACCOUNT_AND_ADDRESS }
    }

    /// Checks of `user`'s current password, from anywhere.
    pub fn password_check(user: super::UserId) -> Self {
        Self { scope: format!("PASSWORD#{user}"), limit: AttemptLimit::PER_ACCOUNT }
    }

    /// Registrations from `source`.
    pub fn registration_from(source: &str) -> Self {
        Self { scope: format!("REGISTER#FROM#{}", escape(source)), limit: AttemptLimit::REGISTRATIONS_PER_ADDRESS }
    }
}

/// Escapes `#` (the separator of key parts) and `%` (the escape itself),
/// so that no two different parts give the same key: `#` is valid in an
/// email address.
pub fn escape(part: &str) -> String {
    part.replace('%', "%25").replace('#', "%23")
}

/// What counting an attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// A counter is full: nothing was counted; retry after this many seconds.
    Refused {
        retry_after: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_retry_after_runs_to_their_end() {
        let limit = AttemptLimit::PER_ACCOUNT_AND_ADDRESS;
        assert_eq!(limit.window(900), 900);
        assert_eq!(limit.window(1_799), 900);
        assert_eq!(limit.retry_after(900), 900);
        assert_eq!(limit.retry_after(1_799), 1);
    }

    #[test]
    fn scopes_cannot_be_confused() {
        let one = escape("a#b") + "#" + &escape("c");
        let other = escape("a") + "#" + &escape("b#c");
        assert_ne!(one, other);
        assert_eq!(escape("50%#"), "50%25%23");
    }
}
