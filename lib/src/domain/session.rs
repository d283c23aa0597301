//! Sessions: each sign-in starts a family of refresh tokens. A refresh
//! token is spent by using it (the answer carries the family's next one),
//! so a family has one live token at a time; presenting any other token of
//! the family means one of them was stolen, and the whole family ends
//! (reuse detection, RFC 9700 section 4.14.2).
//!
//! A token reads `<user id>.<family id>.<secret>`: the ids say where its
//! family is stored, the secret (256 random bits) proves it. Only a hash of
//! the whole token is stored.

use crate::domain::{Timestamp, UserId};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a family lives without being used: each refresh extends it.
pub const REFRESH_LIFETIME_SECONDS: i64 = 30 * 24 * 60 * 60;

/// A family of refresh tokens, as stored: whose it is, which of its tokens
/// is live (by hash), and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub family: uuid::Uuid,
    /// The hash of the family's live refresh token.
    pub live_token: String,
    /// Unix seconds; the store's TTL removes the family some time after.
    pub expires_at: i64,
}

impl Session {
    /// A new family for `user`, with its first token.
    pub fn start(user: UserId, now: Timestamp) -> (Self, RefreshToken) {
        let mut family = [0u8; 16];
        aws_lc_rs::rand::fill(&mut family).expect("the system's random source works");
        let token = RefreshToken::generate(user, uuid::Builder::from_random_bytes(family).into_uuid());
        (token.session(now), token)
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now.unix_seconds()
    }
}

/// A refresh token as the client holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub user: UserId,
    pub family: uuid::Uuid,
    secret: String,
}

impl RefreshToken {
    fn generate(user: UserId, family: uuid::Uuid) -> Self {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system's random source works");
        Self { user, family, secret: URL_SAFE_NO_PAD.encode(secret) }
    }

    /// The family's next token, which replaces this one.
    pub fn next(&self) -> Self {
        Self::generate(self.user, self.family)
    }

    /// The family as stored once this token is its live one.
    pub fn session(&self, now: Timestamp) -> Session {
        Session {
            user: self.user,
            family: self.family,
            live_token: self.hash(),
            expires_at: now.unix_seconds() + REFRESH_LIFETIME_SECONDS,
        }
    }

    /// What the store keeps instead of the token: its SHA-256, in hex. The
    /// secret is random, so a fast hash is enough: there is nothing to guess.
    pub fn hash(&self) -> String {
        digest(&SHA256, self.to_string().as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// A token as a client sent it; `None` if it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let (user, family, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let well_formed = parts.next().is_none()
            && secret.len() == 43
            && URL_SAFE_NO_PAD.decode(secret).is_ok_and(|bytes| bytes.len() == 32);
        if !well_formed {
            return None;
        }
        Some(Self { user: UserId::parse(user)?, family: uuid::Uuid::parse_str(family).ok()?, secret: secret.into() })
    }
}

impl std::fmt::Display for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.user, self.family.as_hyphenated(), self.secret)
    }
}

/// Redacted: a refresh token is a credential and never reaches a log.
impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_and_its_successor_stays_in_the_family() {
        let user = UserId::generate();
        let (session, token) = Session::start(user, Timestamp::now());
        let parsed = RefreshToken::parse(&token.to_string()).expect("our own token parses");
        assert_eq!(parsed, token);
        assert_eq!(session.live_token, parsed.hash());
        let next = token.next();
        assert_eq!((next.user, next.family), (user, token.family));
        assert_ne!(next.hash(), token.hash());
        assert!(!format!("{token:?}").contains(&token.secret));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let (_, token) = Session::start(UserId::generate(), Timestamp::now());
        let text = token.to_string();
        for bad in [
            String::new(),
            "a.b.c".into(),
            format!("{text}.extra"),
            text[..text.len() - 1].to_owned(),
            text.replacen('.', ":", 1),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
    }
}
