//! Access tokens: EdDSA (Ed25519) JWTs. Only the users function holds the
//! private key and issues them; everything else verifies with the public keys.
//!
//! Every token names its signing key in the header's `kid`, so verifiers can
//! hold the current key and the next one at once and a key rotation never
//! refuses a token that is still current.

use crate::domain::{RefreshKey, Timestamp, UserId};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// How far a verifier tolerates clocks that disagree, on `exp` and `iat`.
pub const CLOCK_LEEWAY_SECONDS: i64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, never the email: ids are stable and reveal nothing.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Why a configured key cannot be used. No variant carries the key's bytes:
/// the error may reach a log.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the JWT private key is not an Ed25519 PKCS#8 PEM key")]
    PrivatePem(#[source] jsonwebtoken::errors::Error),
    #[error("the JWT private key is not a valid Ed25519 PKCS#8 key")]
    PrivateKey,
    #[error("the JWT public key is not an Ed25519 PEM key")]
    PublicPem(#[source] jsonwebtoken::errors::Error),
    #[error("the JWT public key is not an Ed25519 key (32 bytes)")]
    PublicKeyLength,
}

/// What a token is checked against besides its signature.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub issuer: String,
    pub audience: String,
}

/// The `kid` of an Ed25519 public key: the first 16 hex digits of the SHA-256
/// of its 32 raw bytes. Derived, not configured, so the private key and the
/// public key each yield it alone and the two can never be paired wrongly.
pub fn key_id(raw_public_key: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, raw_public_key);
    digest.as_ref()[..8].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether an expiry (Unix seconds) has passed at `now`, with the leeway
/// every verifier allows: the one rule for tokens and authorizer contexts.
pub fn has_expired(expires_at: i64, now: i64) -> bool {
    expires_at < now - CLOCK_LEEWAY_SECONDS
}

pub struct TokenIssuer {
    key: EncodingKey,
    key_id: String,
    policy: TokenPolicy,
    lifetime_seconds: i64,
    refresh_key: RefreshKey,
}

impl TokenIssuer {
    /// From a PKCS#8 PEM private key (what `openssl genpkey -algorithm
    /// ed25519` writes: v1, without the public key, which is derived here).
    pub fn from_pem(private_pem: &str, policy: TokenPolicy, lifetime_seconds: i64) -> Result<Self, KeyError> {
        let key = EncodingKey::from_ed_pem(private_pem.as_bytes()).map_err(KeyError::PrivatePem)?;
        // aws-lc's error is dropped: KeyError never says anything of the key.
        let pair = Ed25519KeyPair::from_pkcs8(key.inner()).map_err(|_| KeyError::PrivateKey)?;
        let refresh_key = RefreshKey::derive(key.inner());
        Ok(Self { key_id: key_id(pair.public_key().as_ref()), key, policy, lifetime_seconds, refresh_key })
    }

    pub fn lifetime_seconds(&self) -> i64 {
        self.lifetime_seconds
    }

    /// The key each next refresh token is derived with.
    pub fn refresh_key(&self) -> &RefreshKey {
        &self.refresh_key
    }

    /// The `kid` of every token this issuer signs.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn issue(&self, user: UserId, now: Timestamp) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = now.unix_seconds();
        self.sign(&Claims {
            sub: user.to_string(),
            iat,
            exp: iat + self.lifetime_seconds,
            iss: self.policy.issuer.clone(),
            aud: self.policy.audience.clone(),
        })
    }

    /// Signs arbitrary claims; `issue` is the only production caller, tests
    /// use it to mint expired or foreign tokens.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let header = Header { kid: Some(self.key_id.clone()), ..Header::new(Algorithm::EdDSA) };
        jsonwebtoken::encode(&header, claims, &self.key)
    }
}

/// What a genuine token establishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user: UserId,
    /// The token's `exp`, in Unix seconds.
    pub expires_at: i64,
}

struct VerificationKey {
    id: String,
    key: DecodingKey,
}

/// Verifies tokens against a set of public keys, each known by its `kid`:
/// the current key, and during a rotation the next one.
pub struct TokenVerifier {
    keys: Vec<VerificationKey>,
    validation: Validation,
}

impl TokenVerifier {
    /// From one SPKI PEM public key.
    pub fn from_pem(public_pem: &str, policy: &TokenPolicy) -> Result<Self, KeyError> {
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes()).map_err(KeyError::PublicPem)?;
        if key.as_bytes().len() != ED25519_PUBLIC_KEY_BYTES {
            return Err(KeyError::PublicKeyLength);
        }
        Ok(Self::new(key, policy))
    }

    /// From a raw 32-byte public key.
    fn new(key: DecodingKey, policy: &TokenPolicy) -> Self {
        // Pinning the algorithm refuses `alg: none` and key-confusion tricks.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&policy.issuer]);
        validation.set_audience(&[&policy.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = CLOCK_LEEWAY_SECONDS.unsigned_abs();
        Self { keys: vec![VerificationKey { id: key_id(key.as_bytes()), key }], validation }
    }

    /// This verifier that also accepts the tokens of `next`'s keys: the key
    /// a rotation moves to. The policy stays this verifier's.
    pub fn with_next(mut self, next: TokenVerifier) -> Self {
        self.keys.extend(next.keys);
        self
    }

    /// The `kid` of each key this verifier accepts.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.id.as_str())
    }

    /// Who a token speaks for and until when, if it is genuine, current and
    /// meant for us. A token without a `kid`, or naming a key we do not
    /// hold, is refused before any signature check.
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let key = self.keys.iter().find(|key| key.id == kid)?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation).ok()?.claims;
        Some(Verified { user: UserId::parse(&claims.sub)?, expires_at: claims.exp })
    }
}

const ED25519_PUBLIC_KEY_BYTES: usize = 32;

/// The token of an `Authorization: Bearer <token>` header value, read the
/// same way by the functions and by the API Gateway authorizer.
pub fn bearer_token(header: &str) -> Option<&str> {
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim())
}

/// A fresh key pair for a developer's machine, where no key is configured.
pub fn ephemeral_keys(policy: TokenPolicy, lifetime_seconds: i64) -> (TokenIssuer, TokenVerifier) {
    let pair = Ed25519KeyPair::generate().expect("generating an Ed25519 key pair");
    let private = pair.to_pkcs8().expect("encoding the private key");
    let verifier = TokenVerifier::new(DecodingKey::from_ed_der(pair.public_key().as_ref()), &policy);
    let issuer = TokenIssuer {
        key: EncodingKey::from_ed_der(private.as_ref()),
        key_id: key_id(pair.public_key().as_ref()),
        policy,
        lifetime_seconds,
        refresh_key: RefreshKey::derive(private.as_ref()),
    };
    (issuer, verifier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn policy() -> TokenPolicy {
        TokenPolicy { issuer: "estate-test".into(), audience: "estate-api".into() }
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    }

    /// A key pair as `openssl genpkey` and `openssl pkey -pubout` write it.
    fn pem_pair() -> (String, String) {
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        let pair = Ed25519KeyPair::generate().unwrap();
        let private = pem("PRIVATE KEY", pair.to_pkcs8v1().unwrap().as_ref());
        let public: PublicKeyX509Der = pair.public_key().as_der().unwrap();
        (private, pem("PUBLIC KEY", public.as_ref()))
    }

    fn claims(user: UserId, exp: i64, iss: &str, aud: &str) -> Claims {
        let now = Timestamp::now().unix_seconds();
        Claims { sub: user.to_string(), iat: now - 7200, exp, iss: iss.into(), aud: aud.into() }
    }

    #[test]
    fn a_token_verifies_to_its_subject_and_expiry() {
        let (issuer, verifier) = ephemeral_keys(policy(), 900);
        let user = UserId::generate();
        let now = Timestamp::now();
        let token = issuer.issue(user, now).unwrap();
        assert_eq!(verifier.verify(&token), Some(Verified { user, expires_at: now.unix_seconds() + 900 }));
    }

    #[test]
    fn the_key_id_is_the_start_of_the_public_keys_sha256() {
        // RFC 8032, 7.1, test 1: the public key, and the first 16 hex digits
        // of `openssl pkey -pubin -outform DER | tail -c 32 | sha256sum`.
        let public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let raw: Vec<u8> =
            (0..public.len()).step_by(2).map(|i| u8::from_str_radix(&public[i..i + 2], 16).unwrap()).collect();
        assert_eq!(key_id(&raw), "21fe31dfa154a261");
    }

    #[test]
    fn a_token_names_its_key_and_both_halves_of_a_pem_pair_agree_on_it() {
        let (private, public) = pem_pair();
        let issuer = TokenIssuer::from_pem(&private, policy(), 900).unwrap();
        let verifier = TokenVerifier::from_pem(&public, &policy()).unwrap();
        assert_eq!(verifier.key_ids().collect::<Vec<_>>(), [issuer.key_id()]);
        assert_eq!(issuer.key_id().len(), 16);

        let user = UserId::generate();
        let token = issuer.issue(user, Timestamp::now()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(issuer.key_id()));
        assert_eq!(verifier.verify(&token).map(|verified| verified.user), Some(user));
    }

    #[test]
    fn keys_in_the_wrong_place_are_refused() {
        let (private, public) = pem_pair();
        assert!(TokenVerifier::from_pem(&private, &policy()).is_err());
        assert!(TokenIssuer::from_pem(&public, policy(), 900).is_err());
    }

    #[test]
    fn a_verifier_of_the_current_and_next_keys_accepts_both_and_only_them() {
        let (current, current_verifier) = ephemeral_keys(policy(), 900);
        let (next, next_verifier) = ephemeral_keys(policy(), 900);
        let (stranger, _) = ephemeral_keys(policy(), 900);
        let verifier = current_verifier.with_next(next_verifier);
        let user = UserId::generate();
        for issuer in [&current, &next] {
            let token = issuer.issue(user, Timestamp::now()).unwrap();
            assert_eq!(verifier.verify(&token).map(|verified| verified.user), Some(user));
        }

        let claims = claims(user, Timestamp::now().unix_seconds() + 600, "estate-test", "estate-api");
        let signed_with = |header: Header| jsonwebtoken::encode(&header, &claims, &current.key).unwrap();
        let with_kid = |kid: &str| Header { kid: Some(kid.into()), ..Header::new(Algorithm::EdDSA) };
        let refused = [
            ("a stranger's", stranger.issue(user, Timestamp::now()).unwrap()),
            ("no kid", signed_with(Header::new(Algorithm::EdDSA))),
            ("an unknown kid", signed_with(with_kid("0123456789abcdef"))),
            ("the other key's kid", signed_with(with_kid(next.key_id()))),
        ];
        for (kind, token) in refused {
            assert_eq!(verifier.verify(&token), None, "a token with {kind} key was accepted");
        }
    }

    #[test]
    fn foreign_expired_and_misaddressed_tokens_are_refused() {
        let (issuer, verifier) = ephemeral_keys(policy(), 3600);
        let (stranger, _) = ephemeral_keys(policy(), 3600);
        let user = UserId::generate();
        let now = Timestamp::now().unix_seconds();
        let refused = [
            stranger.issue(user, Timestamp::now()).unwrap(),
            issuer.sign(&claims(user, now - 60, "estate-test", "estate-api")).unwrap(),
            issuer.sign(&claims(user, now + 600, "estate-test", "another-api")).unwrap(),
            issuer.sign(&claims(user, now + 600, "someone-else", "estate-api")).unwrap(),
            "not.a.token".to_owned(),
        ];
        for token in refused {
            assert_eq!(verifier.verify(&token), None, "{token} was accepted");
        }
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        let (issuer, verifier) = ephemeral_keys(policy(), 3600);
        let header = format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, issuer.key_id());
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
        let token = format!("{header}.eyJzdWIiOiJ4In0.");
        assert_eq!(verifier.verify(&token), None);
    }

    #[test]
    fn expiry_allows_the_clock_leeway_and_no_more() {
        let now = 1_000_000;
        assert!(!has_expired(now + 1, now));
        assert!(!has_expired(now - CLOCK_LEEWAY_SECONDS, now));
        assert!(has_expired(now - CLOCK_LEEWAY_SECONDS - 1, now));
    }
}
