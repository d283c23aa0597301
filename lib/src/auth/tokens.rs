//! Access tokens: EdDSA (Ed25519) JWTs. Only the users function holds the
//! private key and issues them; everything else verifies with the public key.

use crate::domain::{Timestamp, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, never the email: ids are stable and reveal nothing.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Debug)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// What a token is checked against besides its signature.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub issuer: String,
    pub audience: String,
}

pub struct TokenIssuer {
    key: EncodingKey,
    policy: TokenPolicy,
    lifetime_seconds: i64,
}

impl TokenIssuer {
    pub fn from_pem(private_pem: &str, policy: TokenPolicy, lifetime_seconds: i64) -> Result<Self, KeyError> {
        let key = EncodingKey::from_ed_pem(private_pem.as_bytes())
            .map_err(|e| KeyError(format!("JWT private key is not an Ed25519 PKCS#8 PEM key: {e}")))?;
        Ok(Self { key, policy, lifetime_seconds })
    }

    pub fn lifetime_seconds(&self) -> i64 {
        self.lifetime_seconds
    }

    pub fn issue(&self, user: UserId, now: Timestamp) -> Result<String, String> {
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
    pub fn sign(&self, claims: &Claims) -> Result<String, String> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(|e| format!("signing a token: {e}"))
    }
}

pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn from_pem(public_pem: &str, policy: &TokenPolicy) -> Result<Self, KeyError> {
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes())
            .map_err(|e| KeyError(format!("JWT public key is not an Ed25519 PEM key: {e}")))?;
        Ok(Self::new(key, policy))
    }

    fn new(key: DecodingKey, policy: &TokenPolicy) -> Self {
        // Pinning the algorithm refuses `alg: none` and key-confusion tricks.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&policy.issuer]);
        validation.set_audience(&[&policy.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self { key, validation }
    }

    /// The user a token speaks for, if it is genuine, current and meant for us.
    pub fn verify(&self, token: &str) -> Option<UserId> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).ok()?;
        UserId::parse(&data.claims.sub)
    }
}

/// The token of an `Authorization: Bearer <token>` header value, read the
/// same way by the functions and by the API Gateway authorizer.
pub fn bearer_token(header: &str) -> Option<&str> {
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim())
}

/// A fresh key pair for a developer's machine, where no key is configured.
pub fn ephemeral_keys(policy: TokenPolicy, lifetime_seconds: i64) -> (TokenIssuer, TokenVerifier) {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let pair = Ed25519KeyPair::generate().expect("generating an Ed25519 key pair");
    let private = pair.to_pkcs8().expect("encoding the private key");
    let verifier = TokenVerifier::new(DecodingKey::from_ed_der(pair.public_key().as_ref()), &policy);
    let issuer = TokenIssuer { key: EncodingKey::from_ed_der(private.as_ref()), policy, lifetime_seconds };
    (issuer, verifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TokenPolicy {
        TokenPolicy { issuer: "estate-test".into(), audience: "estate-api".into() }
    }

    #[test]
    fn a_token_verifies_to_its_subject() {
        let (issuer, verifier) = ephemeral_keys(policy(), 3600);
        let user = UserId::generate();
        let token = issuer.issue(user, Timestamp::now()).unwrap();
        assert_eq!(verifier.verify(&token), Some(user));
    }

    #[test]
    fn foreign_expired_and_misaddressed_tokens_are_refused() {
        let (issuer, verifier) = ephemeral_keys(policy(), 3600);
        let (stranger, _) = ephemeral_keys(policy(), 3600);
        let user = UserId::generate();
        let now = Timestamp::now().unix_seconds();
        let claims = |exp: i64, iss: &str, aud: &str| Claims {
            sub: user.to_string(),
            iat: now - 7200,
            exp,
            iss: iss.into(),
            aud: aud.into(),
        };
        let refused = [
            stranger.issue(user, Timestamp::now()).unwrap(),
            issuer.sign(&claims(now - 60, "estate-test", "estate-api")).unwrap(),
            issuer.sign(&claims(now + 600, "estate-test", "another-api")).unwrap(),
            issuer.sign(&claims(now + 600, "someone-else", "estate-api")).unwrap(),
            "not.a.token".to_owned(),
        ];
        for token in refused {
            assert_eq!(verifier.verify(&token), None, "{token} was accepted");
        }
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        let (_, verifier) = ephemeral_keys(policy(), 3600);
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
        let token = format!("{header}.eyJzdWIiOiJ4In0.");
        assert_eq!(verifier.verify(&token), None);
    }
}
