//! The API Gateway HTTP API Lambda authorizer (payload format 2.0, simple
//! responses): a verified token lets the request through with its subject
//! in the context, which the functions then take as the caller.

use crate::auth::{TokenVerifier, bearer_token};
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
    let subject = header.and_then(|value| bearer_token(value)).and_then(|token| verifier.verify(token));
    match subject {
        Some(user) => {
            AuthorizerResponse { is_authorized: true, context: HashMap::from([("sub".to_owned(), user.to_string())]) }
        }
        None => AuthorizerResponse { is_authorized: false, context: HashMap::new() },
    }
}
