//! Sessions: each sign-in starts a family of refresh tokens. A refresh
//! token is spent by using it (the answer carries the family's next one),
//! so a family has one live token at a time; presenting a spent token of
//! the family means one of its copies was stolen, and the whole family ends
//! (reuse detection, RFC 9700 section 4.14.2).
//!
//! A token reads `<user id>.<family id>.<generation>.<secret>`: the ids say
//! where its family is stored, the secret proves it. The first token's
//! secret is random; each next one is an HMAC of the one before under the
//! issuer's [`RefreshKey`], so that:
//! - a token presented again within [`REFRESH_GRACE_SECONDS`] of its
//!   rotation (two tabs, a retry) gets the same successor, which is live;
//! - any spent token is recognised, by walking the chain from it to the
//!   live one, without the store keeping the spent ones;
//! - a token that was never issued is told apart from a spent one, and
//!   changes nothing.
//!
//! Only a hash of the live token is stored.

use crate::domain::{Timestamp, UserId};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a family lives without being used: each refresh extends it.
pub const REFRESH_LIFETIME_SECONDS: i64 = 30 * 24 * 60 * 60;
/// How long after a rotation the token it spent still gets the same
/// successor instead of ending the family.
pub const REFRESH_GRACE_SECONDS: i64 = 10;
/// Live sessions a user may hold; a new one ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 10;
/// The longest chain walked back to recognise a spent token: years of
/// refreshes every few minutes, and a bound on the work a forged claim costs.
const MAX_CHAIN: u64 = 100_000;

/// A family of refresh tokens, as stored: whose it is, which of its tokens
/// is live (by hash and generation), and when it last rotated and ends.
/// Family ids are UUIDv7: in the order the families started, so the
/// oldest is the first to end when a user holds too many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub family: uuid::Uuid,
    /// The hash of the family's live refresh token.
    pub live_token: String,
    pub generation: u64,
    /// Unix seconds: when its live token became live.
    pub rotated_at: i64,
    /// Unix seconds; the store's TTL removes the family some time after.
    pub expires_at: i64,
}

/// What a presented token is to its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// The live token: it may be rotated.
    Live,
    /// The token the live one replaced moments ago: its successor, the
    /// live token, is handed out again.
    JustRotated(RefreshToken),
    /// A token of the family spent earlier: reuse, the family ends.
    Spent,
    /// Not a token this family ever issued: it changes nothing.
    Foreign,
}

impl Session {
    /// A new family for `user`, with its first token.
    pub fn start(user: UserId, now: Timestamp) -> (Self, RefreshToken) {
        let token = RefreshToken::first(user, uuid::Uuid::now_v7());
        (token.session(now), token)
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now.unix_seconds()
    }

    /// The family once `next` has replaced its live token at `now`.
    pub fn rotated_to(&self, next: &RefreshToken, now: Timestamp) -> Self {
        Self {
            live_token: next.hash(),
            generation: next.generation,
            rotated_at: now.unix_seconds(),
            expires_at: now.unix_seconds() + REFRESH_LIFETIME_SECONDS,
            ..self.clone()
        }
    }

    /// What `token` (of this family) is, at `now`.
    pub fn recognise(&self, token: &RefreshToken, key: &RefreshKey, now: Timestamp) -> Presented {
        if token.generation == self.generation && token.hash() == self.live_token {
            return Presented::Live;
        }
        let Some(behind) =
            self.generation.checked_sub(token.generation).filter(|behind| (1..=MAX_CHAIN).contains(behind))
        else {
            return Presented::Foreign;
        };
        let successor = token.successor(key);
        let mut live = successor.clone();
        for _ in 1..behind {
            live = live.successor(key);
        }
        match live.hash() == self.live_token {
            false => Presented::Foreign,
            true if behind == 1 && now.unix_seconds() - self.rotated_at <= REFRESH_GRACE_SECONDS => {
                Presented::JustRotated(successor)
            }
            true => Presented::Spent,
        }
    }
}

/// The key each next refresh token is derived with. Derived itself from
/// the token issuer's private key, so every instance of the users function
/// holds the same one without another secret to deploy; after a key
/// rotation, spent tokens of older families are no longer recognised (a
/// plain 401 instead of ending their family).
pub struct RefreshKey(hmac::Key);

impl RefreshKey {
    pub fn derive(private_key: &[u8]) -> Self {
        let label = b"real-estate refresh-token successors v1";
        let material = [label.as_slice(), private_key].concat();
        Self(hmac::Key::new(hmac::HMAC_SHA256, digest(&SHA256, &material).as_ref()))
    }
}

/// Redacted: it is derived from a private key.
impl std::fmt::Debug for RefreshKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshKey(<redacted>)")
    }
}

/// A refresh token as the client holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub user: UserId,
    pub family: uuid::Uuid,
    pub generation: u64,
    secret: String,
}

impl RefreshToken {
    fn first(user: UserId, family: uuid::Uuid) -> Self {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system's random source works");
        Self { user, family, generation: 0, secret: URL_SAFE_NO_PAD.encode(secret) }
    }

    /// A family started at `now` whose live token is this one.
    pub fn session(&self, now: Timestamp) -> Session {
        Session {
            user: self.user,
            family: self.family,
            live_token: self.hash(),
            generation: self.generation,
            rotated_at: now.unix_seconds(),
            expires_at: now.unix_seconds() + REFRESH_LIFETIME_SECONDS,
        }
    }

    /// The family's next token, which replaces this one: the same for the
    /// same token and key.
    pub fn successor(&self, key: &RefreshKey) -> Self {
        let tag = hmac::sign(&key.0, self.to_string().as_bytes());
        Self {
            user: self.user,
            family: self.family,
            generation: self.generation + 1,
            secret: URL_SAFE_NO_PAD.encode(tag.as_ref()),
        }
    }

    /// What the store keeps instead of the token: its SHA-256, in hex. The
    /// secret is random or derived under a secret key, so a fast hash is
    /// enough: there is nothing to guess.
    pub fn hash(&self) -> String {
        digest(&SHA256, self.to_string().as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// A token as a client sent it; `None` if it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let (user, family, generation, secret) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let canonical = |digits: &str| digits == "0" || (!digits.starts_with('0') && !digits.is_empty());
        let well_formed = parts.next().is_none()
            && canonical(generation)
            && generation.bytes().all(|byte| byte.is_ascii_digit())
            && secret.len() == 43
            && URL_SAFE_NO_PAD.decode(secret).is_ok_and(|bytes| bytes.len() == 32);
        if !well_formed {
            return None;
        }
        Some(Self {
            user: UserId::parse(user)?,
            family: uuid::Uuid::parse_str(family).ok().filter(|id| id.as_hyphenated().to_string() == family)?,
            generation: generation.parse().ok()?,
            secret: secret.into(),
        })
    }
}

impl std::fmt::Display for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.user, self.family.as_hyphenated(), self.generation, self.secret)
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

    fn key() -> RefreshKey {
        RefreshKey::derive(b"a test private key")
    }

    #[test]
    fn a_token_reads_back_and_its_successor_stays_in_the_family() {
        let user = UserId::generate();
        let (session, token) = Session::start(user, Timestamp::now());
        let parsed = RefreshToken::parse(&token.to_string()).expect("our own token parses");
        assert_eq!(parsed, token);
        assert_eq!(session.live_token, parsed.hash());
        let next = token.successor(&key());
        assert_eq!((next.user, next.family, next.generation), (user, token.family, 1));
        assert_eq!(next, token.successor(&key()), "the same successor every time");
        assert_ne!(next.hash(), token.hash());
        assert_eq!(RefreshToken::parse(&next.to_string()), Some(next.clone()));
        assert!(!format!("{token:?}").contains(&token.secret));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let (_, token) = Session::start(UserId::generate(), Timestamp::now());
        let text = token.to_string();
        for bad in [
            String::new(),
            "a.b.c.d".into(),
            format!("{text}.extra"),
            text[..text.len() - 1].to_owned(),
            text.replacen('.', ":", 1),
            text.replacen(".0.", ".00.", 1),
            text.replacen(".0.", ".+1.", 1),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_family_recognises_its_live_just_rotated_spent_and_foreign_tokens() {
        let start = Timestamp::now();
        let (session, first) = Session::start(UserId::generate(), start);
        assert_eq!(session.recognise(&first, &key(), start), Presented::Live);
        let second = first.successor(&key());
        let rotated = session.rotated_to(&second, start);
        assert_eq!(rotated.recognise(&second, &key(), start), Presented::Live);
        assert_eq!(rotated.recognise(&first, &key(), start), Presented::JustRotated(second.clone()));
        let later = Timestamp::from_unix_seconds(start.unix_seconds() + REFRESH_GRACE_SECONDS + 1);
        assert_eq!(rotated.recognise(&first, &key(), later), Presented::Spent);
        let third = rotated.rotated_to(&second.successor(&key()), start);
        assert_eq!(third.recognise(&first, &key(), start), Presented::Spent, "two generations back");

        let forged = RefreshToken { secret: URL_SAFE_NO_PAD.encode([7u8; 32]), ..first.clone() };
        assert_eq!(rotated.recognise(&forged, &key(), start), Presented::Foreign);
        let ahead = second.successor(&key());
        assert_eq!(rotated.recognise(&ahead, &key(), start), Presented::Foreign, "not issued yet");
        let other_key = RefreshKey::derive(b"another key");
        assert_eq!(rotated.recognise(&first, &other_key, later), Presented::Foreign);
    }
}
