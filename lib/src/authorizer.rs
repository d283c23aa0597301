//! The API Gateway HTTP API Lambda authorizer (payload format 2.0, simple
//! responses): a verified token lets the request through with its subject
//! and its expiry in the context, which the functions then take as the
//! caller. API Gateway caches the answer per token; the expiry lets the
//! functions refuse a cached answer that outlives its token.

use crate::auth::{TokenVerifier, Verified, bearer_token};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    /// The values of the configured identity sources: the Authorization header.
    #[serde(default)]
    pub identity_source: Option<Vec<String>>,
    #[serde(default)]
    pub headers: HashMap<String, String>,
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    pub is_authorized: bool,
    pub context: HashMap<String, String>,
}

pub fn authorize(verifier: &TokenVerifier, request: &AuthorizerRequest) -> AuthorizerResponse {
    let header = request
        .identity_source
        .as_ref()
        .and_then(|sources| sources.first())
        .or_else(|| request.headers.get("authorization"));
    let verified = header.and_then(|value| bearer_token(value)).and_then(|token| verifier.verify(token));
    match verified {
        Some(Verified { user, expires_at }) => AuthorizerResponse {
            is_authorized: true,
            // `exp` as a string like `sub`: the `Caller` extractor reads a
            // number or a numeric string alike, whatever API Gateway passes on.
            context: HashMap::from([("sub".to_owned(), user.to_string()), ("exp".to_owned(), expires_at.to_string())]),
        },
        None => AuthorizerResponse { is_authorized: false, context: HashMap::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{TokenPolicy, ephemeral_keys};
    use crate::domain::{Timestamp, UserId};

    fn request(token: &str) -> AuthorizerRequest {
        AuthorizerRequest { identity_source: Some(vec![format!("Bearer {token}")]), ..Default::default() }
    }

    #[test]
    fn an_allowed_request_carries_the_subject_and_expiry_of_its_token() {
        let (issuer, verifier) = ephemeral_keys(TokenPolicy { issuer: "i".into(), audience: "a".into() }, 900);
        let (user, now) = (UserId::generate(), Timestamp::now());
        let answer = authorize(&verifier, &request(&issuer.issue(user, now).unwrap()));
        assert!(answer.is_authorized);
        let expected = [("sub", user.to_string()), ("exp", (now.unix_seconds() + 900).to_string())];
        assert_eq!(answer.context, expected.map(|(key, value)| (key.to_owned(), value)).into());
    }

    #[test]
    fn a_refused_request_carries_nothing() {
        let (_, verifier) = ephemeral_keys(TokenPolicy { issuer: "i".into(), audience: "a".into() }, 900);
        assert_eq!(
            authorize(&verifier, &request("not.a.token")),
            AuthorizerResponse { is_authorized: false, context: HashMap::new() }
        );
    }
}
