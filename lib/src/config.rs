//! Configuration from the environment, read once at start-up. A missing or
//! malformed setting stops the process with a message that names it.

use crate::auth::{KeyError, TokenIssuer, TokenPolicy, TokenVerifier};

pub const DEFAULT_ISSUER: &str = "real-estate-api";
pub const DEFAULT_AUDIENCE: &str = "real-estate-api";
/// Access tokens are short-lived: 15 minutes unless `JWT_TTL_SECONDS` says
/// otherwise, within these bounds (template.yaml and terraform/ declare the
/// same three numbers; a test holds them together).
pub const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 900;
pub const MIN_TOKEN_LIFETIME_SECONDS: i64 = 60;
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// A setting that is missing or cannot be used, named.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the environment variable {0} must be set")]
    Missing(String),
    #[error("{name} must be {expected}, not {value:?}")]
    Invalid { name: &'static str, expected: String, value: String },
    #[error("set JWT_PRIVATE_KEY_SECRET_ARN (or JWT_PRIVATE_KEY_PEM in development)")]
    NoSigningKey,
    #[error("{name} holds an unusable key")]
    Key {
        name: &'static str,
        #[source]
        source: KeyError,
    },
    #[error("reading the JWT private key secret {arn}")]
    Secret {
        arn: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the secret {0} holds no SecretString")]
    EmptySecret(String),
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

pub fn required(name: &str) -> Result<String, ConfigError> {
    var(name).ok_or_else(|| ConfigError::Missing(name.to_owned()))
}

/// `TABLE_NAME`: the DynamoDB table of the deployment.
pub fn table_name() -> Result<String, ConfigError> {
    required("TABLE_NAME")
}

/// `MEDIA_BUCKET`: the bucket of photo uploads and derivatives.
pub fn media_bucket() -> Result<String, ConfigError> {
    required("MEDIA_BUCKET")
}

/// `MEDIA_BASE_URL`: where the derivatives are served (the CDN), with no
/// trailing slash needed: `https://d111111abcdef8.cloudfront.net`.
pub fn media_links() -> Result<crate::http::MediaLinks, ConfigError> {
    let base = required("MEDIA_BASE_URL")?;
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        let expected = "an absolute http(s) URL".into();
        return Err(ConfigError::Invalid { name: "MEDIA_BASE_URL", expected, value: base });
    }
    Ok(crate::http::MediaLinks::new(&base))
}

/// `JWT_ISSUER` and `JWT_AUDIENCE`, with defaults shared by issuer and verifiers.
pub fn token_policy() -> TokenPolicy {
    TokenPolicy {
        issuer: var("JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into()),
        audience: var("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
    }
}

/// `JWT_TTL_SECONDS`: how long an access token lives. It may be shorter
/// than the API Gateway authorizer's 300 s cache: the functions check the
/// `exp` the authorizer passes on, so a cached "allow" ends with its token.
pub fn token_lifetime_seconds() -> Result<i64, ConfigError> {
    let bounds = MIN_TOKEN_LIFETIME_SECONDS..=MAX_TOKEN_LIFETIME_SECONDS;
    match var("JWT_TTL_SECONDS") {
        None => Ok(DEFAULT_TOKEN_LIFETIME_SECONDS),
        Some(raw) => {
            raw.parse::<i64>().ok().filter(|seconds| bounds.contains(seconds)).ok_or_else(|| ConfigError::Invalid {
                name: "JWT_TTL_SECONDS",
                expected: format!("a number of seconds from {} to {}", bounds.start(), bounds.end()),
                value: raw,
            })
        }
    }
}

/// `JWT_PUBLIC_KEY_PEM`: the Ed25519 public key every verifier holds, and
/// `JWT_NEXT_PUBLIC_KEY_PEM` (optional): the key a rotation moves to, whose
/// tokens are accepted too.
pub fn token_verifier() -> Result<TokenVerifier, ConfigError> {
    let policy = token_policy();
    let public_key = |name: &'static str, pem: &str| {
        TokenVerifier::from_pem(&unescape_newlines(pem), &policy).map_err(|source| ConfigError::Key { name, source })
    };
    let current = public_key("JWT_PUBLIC_KEY_PEM", &required("JWT_PUBLIC_KEY_PEM")?)?;
    match var("JWT_NEXT_PUBLIC_KEY_PEM") {
        None => Ok(current),
        Some(next) => Ok(current.with_next(public_key("JWT_NEXT_PUBLIC_KEY_PEM", &next)?)),
    }
}

/// A PEM key may arrive on one line with `\n` for its line breaks (env
/// files, `--env-var` flags); restore them.
fn unescape_newlines(pem: &str) -> String {
    pem.replace("\\n", "\n")
}

/// Whether a signing key is configured at all (the local server generates
/// one when it is not).
pub fn signing_key_configured() -> bool {
    var("JWT_PRIVATE_KEY_PEM").is_some() || var("JWT_PRIVATE_KEY_SECRET_ARN").is_some()
}

/// The private key, from `JWT_PRIVATE_KEY_SECRET_ARN` (a Secrets Manager
/// secret, read once per cold start: the deployed way) or from
/// `JWT_PRIVATE_KEY_PEM` (for development).
pub async fn token_issuer(aws: &aws_config::SdkConfig) -> Result<TokenIssuer, ConfigError> {
    let pem = match var("JWT_PRIVATE_KEY_SECRET_ARN") {
        Some(arn) => read_secret(aws, &arn).await?,
        None => required("JWT_PRIVATE_KEY_PEM").map_err(|_| ConfigError::NoSigningKey)?,
    };
    TokenIssuer::from_pem(&unescape_newlines(&pem), token_policy(), token_lifetime_seconds()?)
        .map_err(|source| ConfigError::Key { name: "the JWT private key", source })
}

async fn read_secret(aws: &aws_config::SdkConfig, arn: &str) -> Result<String, ConfigError> {
    let client = aws_sdk_secretsmanager::Client::new(aws);
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| ConfigError::Secret { arn: arn.to_owned(), source: e.into() })?;
    output.secret_string.ok_or_else(|| ConfigError::EmptySecret(arn.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_line_pem_gets_its_line_breaks_back() {
        let one_line = "-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEA\\n-----END PUBLIC KEY-----\\n";
        assert_eq!(
            unescape_newlines(one_line),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"
        );
        let multi_line = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n";
        assert_eq!(unescape_newlines(multi_line), multi_line);
    }
}
