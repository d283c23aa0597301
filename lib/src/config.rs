//! The configuration: every setting of the functions and of the local
//! server, declared once in [`Settings`], a clap derive whose doc comments
//! are the settings' help (`cargo run -p local -- --help`), and which a
//! test holds docs/deploy.md#configuration to. Each setting is its
//! environment variable or, on the local server, the flag of the same name.
//! Read once at start-up; a missing or malformed setting stops the process
//! with a message that names it.

use crate::auth::{KeyError, TokenIssuer, TokenPolicy, TokenVerifier};
use std::ffi::OsString;
use std::path::Path;

pub const DEFAULT_ISSUER: &str = "real-estate-api";
pub const DEFAULT_AUDIENCE: &str = "real-estate-api";
/// Access tokens are short-lived: 15 minutes unless `JWT_TTL_SECONDS` says
/// otherwise, within these bounds (template.yaml and terraform/ declare the
/// same three numbers; a test holds them together).
pub const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 900;
pub const MIN_TOKEN_LIFETIME_SECONDS: i64 = 60;
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 3600;
/// Where `--help` lists the settings, apart from the local server's own flags.
pub const HELP_HEADING: &str = "Settings (each a flag or its environment variable)";

/// Every setting of the deployed functions. On Lambda, each comes from its
/// environment variable alone ([`Settings::from_env`] parses no argument);
/// the local server also takes the flag of the same name. A blank value is
/// no value. Each setting is checked when a function first needs it, and
/// only the functions that use it need it set, so its value is kept here
/// as given and read through the methods below.
///
/// Its `Debug` never shows the private key, and `--help` never shows the
/// value of a key's variable.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = HELP_HEADING)]
pub struct Settings {
    /// The DynamoDB table (users, properties, rooms, media, webhooks; the local server with `--store dynamodb`)
    #[arg(long, env = "TABLE_NAME", value_name = "NAME")]
    table_name: Option<String>,

    /// The S3 bucket of the photos, uploads and derivatives (properties, media)
    #[arg(long, env = "MEDIA_BUCKET", value_name = "BUCKET")]
    media_bucket: Option<String>,

    /// The public base of the derivatives' URLs, an absolute http(s) URL, no trailing slash needed (properties)
    ///
    /// The CDN in front of the bucket: `https://d111111abcdef8.cloudfront.net`.
    #[arg(long, env = "MEDIA_BASE_URL", value_name = "URL")]
    media_base_url: Option<String>,

    /// The Ed25519 public key (SPKI PEM) that verifies tokens (every function)
    ///
    /// Its line breaks may be written `\n` on one line (env files,
    /// `--env-var` flags).
    #[arg(long, env = "JWT_PUBLIC_KEY_PEM", value_name = "PEM", hide_env_values = true, allow_hyphen_values = true)]
    jwt_public_key_pem: Option<String>,

    /// The next public key, whose tokens are accepted too: a key rotation (every function)
    #[arg(
        long,
        env = "JWT_NEXT_PUBLIC_KEY_PEM",
        value_name = "PEM",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    jwt_next_public_key_pem: Option<String>,

    /// The Secrets Manager secret holding the PKCS#8 PEM private key that signs tokens (users)
    ///
    /// Read once per cold start: the deployed way to the signing key.
    #[arg(long, env = "JWT_PRIVATE_KEY_SECRET_ARN", value_name = "ARN")]
    jwt_private_key_secret_arn: Option<String>,

    /// The private key itself, for development only (users, local)
    ///
    /// With neither this nor `JWT_PRIVATE_KEY_SECRET_ARN`, the local server
    /// generates a key pair at start-up: tokens then last as long as it.
    #[arg(long, env = "JWT_PRIVATE_KEY_PEM", value_name = "PEM", hide_env_values = true, allow_hyphen_values = true)]
    jwt_private_key_pem: Option<Secret>,

    /// The tokens' issuer (`iss`), issued and expected (every function)
    #[arg(long, env = "JWT_ISSUER", value_name = "ISSUER", default_value = DEFAULT_ISSUER)]
    jwt_issuer: String,

    /// The tokens' audience (`aud`), issued and expected (every function)
    #[arg(long, env = "JWT_AUDIENCE", value_name = "AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    jwt_audience: String,

    /// How long an access token lives, in seconds, from 60 to 3600 (users, local)
    ///
    /// It may be shorter than the API Gateway authorizer's 300 s cache:
    /// the functions check the `exp` the authorizer passes on, so a cached
    /// "allow" ends with its token.
    #[arg(
        long,
        env = "JWT_TTL_SECONDS",
        value_name = "SECONDS",
        default_value_t = DEFAULT_TOKEN_LIFETIME_SECONDS.to_string()
    )]
    jwt_ttl_seconds: String,

    /// The SQS queue of webhook deliveries, its URL (users, webhooks)
    #[arg(long, env = "WEBHOOK_QUEUE_URL", value_name = "URL")]
    webhook_queue_url: Option<String>,

    /// The wait after each failed webhook attempt, in seconds, comma-separated; the last repeats (users, webhooks, local)
    ///
    /// Default: the Standard Webhooks schedule, 5,300,1800,7200,18000,36000,36000;
    /// on the local server 1,5,30,120,300,600,600, so that a retry shows at once.
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", value_name = "SECONDS")]
    webhook_retry_schedule: Option<String>,

    /// The API's public https address, for the links of alert e-mails (notifications)
    #[arg(long, env = "PUBLIC_BASE_URL", value_name = "URL")]
    public_base_url: Option<String>,

    /// The verified SES sender of alert e-mails (notifications); on the local server, the From of the .eml files
    #[arg(long, env = "ALERTS_FROM_ADDRESS", value_name = "ADDRESS", default_value = "alerts@example.com")]
    alerts_from_address: String,

    /// The log filter: a level, or `target=level` pairs, comma-separated (every binary)
    #[arg(long, env = "RUST_LOG", value_name = "FILTER", default_value = crate::telemetry::DEFAULT_LOG_FILTER)]
    rust_log: String,

    /// A PEM bundle of root certificates to trust instead of the five Amazon Trust Services roots compiled in (every binary that calls AWS)
    ///
    /// A local endpoint's CA, or a proxy's.
    #[arg(long, env = "AWS_CA_BUNDLE", value_name = "PATH")]
    aws_ca_bundle: Option<OsString>,
}

/// A value that is never printed: its `Debug` is redacted.
#[derive(Clone)]
pub struct Secret(String);

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

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

/// A value, unless it is blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.trim().is_empty())
}

fn required<'a>(name: &str, value: Option<&'a str>) -> Result<&'a str, ConfigError> {
    given(value).ok_or_else(|| ConfigError::Missing(name.to_owned()))
}

impl Settings {
    /// The settings from the environment alone, no argument parsed: how
    /// the Lambda functions read them, in microseconds.
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::from_args(["estate"])
    }

    /// The settings from `args` (the program's name first), then the
    /// environment.
    pub fn from_args<I: Into<OsString> + Clone>(args: impl IntoIterator<Item = I>) -> Result<Self, clap::Error> {
        #[derive(clap::Parser)]
        struct Environment {
            #[command(flatten)]
            settings: Settings,
        }
        <Environment as clap::Parser>::try_parse_from(args).map(|environment| environment.settings)
    }

    /// `TABLE_NAME`: the DynamoDB table of the deployment.
    pub fn table_name(&self) -> Result<String, ConfigError> {
        required("TABLE_NAME", self.table_name.as_deref()).map(str::to_owned)
    }

    /// `MEDIA_BUCKET`: the bucket of photo uploads and derivatives.
    pub fn media_bucket(&self) -> Result<String, ConfigError> {
        required("MEDIA_BUCKET", self.media_bucket.as_deref()).map(str::to_owned)
    }

    /// `MEDIA_BASE_URL`: where the derivatives are served (the CDN).
    pub fn media_links(&self) -> Result<crate::http::MediaLinks, ConfigError> {
        let base = required("MEDIA_BASE_URL", self.media_base_url.as_deref())?;
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            let expected = "an absolute http(s) URL".into();
            return Err(ConfigError::Invalid { name: "MEDIA_BASE_URL", expected, value: base.to_owned() });
        }
        Ok(crate::http::MediaLinks::new(base))
    }

    /// `JWT_ISSUER` and `JWT_AUDIENCE`, with defaults shared by issuer and verifiers.
    pub fn token_policy(&self) -> TokenPolicy {
        TokenPolicy {
            issuer: given(Some(self.jwt_issuer.as_str())).unwrap_or(DEFAULT_ISSUER).to_owned(),
            audience: given(Some(self.jwt_audience.as_str())).unwrap_or(DEFAULT_AUDIENCE).to_owned(),
        }
    }

    /// `JWT_TTL_SECONDS`: how long an access token lives.
    pub fn token_lifetime_seconds(&self) -> Result<i64, ConfigError> {
        let bounds = MIN_TOKEN_LIFETIME_SECONDS..=MAX_TOKEN_LIFETIME_SECONDS;
        match given(Some(self.jwt_ttl_seconds.as_str())) {
            None => Ok(DEFAULT_TOKEN_LIFETIME_SECONDS),
            Some(raw) => {
                raw.parse::<i64>().ok().filter(|seconds| bounds.contains(seconds)).ok_or_else(|| ConfigError::Invalid {
                    name: "JWT_TTL_SECONDS",
                    expected: format!("a number of seconds from {} to {}", bounds.start(), bounds.end()),
                    value: raw.to_owned(),
                })
            }
        }
    }

    /// `JWT_PUBLIC_KEY_PEM`, the key every verifier holds, and
    /// `JWT_NEXT_PUBLIC_KEY_PEM` (optional), the key a rotation moves to.
    pub fn token_verifier(&self) -> Result<TokenVerifier, ConfigError> {
        let policy = self.token_policy();
        let public_key = |name: &'static str, pem: &str| {
            TokenVerifier::from_pem(&unescape_newlines(pem), &policy)
                .map_err(|source| ConfigError::Key { name, source })
        };
        let current = required("JWT_PUBLIC_KEY_PEM", self.jwt_public_key_pem.as_deref())?;
        let current = public_key("JWT_PUBLIC_KEY_PEM", current)?;
        match given(self.jwt_next_public_key_pem.as_deref()) {
            None => Ok(current),
            Some(next) => Ok(current.with_next(public_key("JWT_NEXT_PUBLIC_KEY_PEM", next)?)),
        }
    }

    fn private_key_pem(&self) -> Option<&str> {
        given(self.jwt_private_key_pem.as_ref().map(|Secret(pem)| pem.as_str()))
    }

    fn private_key_secret_arn(&self) -> Option<&str> {
        given(self.jwt_private_key_secret_arn.as_deref())
    }

    /// Whether a signing key is configured at all (the local server
    /// generates one when it is not).
    pub fn signing_key_configured(&self) -> bool {
        self.private_key_pem().is_some() || self.private_key_secret_arn().is_some()
    }

    /// The private key, from `JWT_PRIVATE_KEY_SECRET_ARN` (a Secrets
    /// Manager secret, read once per cold start: the deployed way) or from
    /// `JWT_PRIVATE_KEY_PEM` (for development).
    pub async fn token_issuer(&self, aws: &aws_config::SdkConfig) -> Result<TokenIssuer, ConfigError> {
        let pem = match self.private_key_secret_arn() {
            Some(arn) => read_secret(aws, arn).await?,
            None => self.private_key_pem().ok_or(ConfigError::NoSigningKey)?.to_owned(),
        };
        TokenIssuer::from_pem(&unescape_newlines(&pem), self.token_policy(), self.token_lifetime_seconds()?)
            .map_err(|source| ConfigError::Key { name: "the JWT private key", source })
    }

    pub fn public_base_url(&self) -> Result<String, ConfigError> {
        required("PUBLIC_BASE_URL", self.public_base_url.as_deref()).map(|url| url.trim_end_matches('/').to_owned())
    }

    pub fn alerts_from_address(&self) -> &str {
        &self.alerts_from_address
    }

    pub fn webhook_queue_url(&self) -> Result<String, ConfigError> {
        required("WEBHOOK_QUEUE_URL", self.webhook_queue_url.as_deref()).map(str::to_owned)
    }

    /// The webhooks' retry schedule in seconds: as set, else `default`.
    pub fn webhook_retry_schedule(&self, default: &[u64]) -> Result<Vec<u64>, ConfigError> {
        let Some(raw) = given(self.webhook_retry_schedule.as_deref()) else { return Ok(default.to_vec()) };
        let waits: Option<Vec<u64>> = raw.split(',').map(|wait| wait.trim().parse().ok().filter(|&s| s > 0)).collect();
        waits.filter(|waits| !waits.is_empty()).ok_or_else(|| ConfigError::Invalid {
            name: "WEBHOOK_RETRY_SCHEDULE",
            expected: "whole numbers of seconds above 0, comma-separated".into(),
            value: raw.to_owned(),
        })
    }

    /// `RUST_LOG`: the log filter.
    pub fn log_filter(&self) -> &str {
        &self.rust_log
    }

    /// `AWS_CA_BUNDLE`: the roots to trust instead of Amazon's, if given.
    pub fn aws_ca_bundle(&self) -> Option<&Path> {
        self.aws_ca_bundle.as_deref().filter(|path| !path.is_empty()).map(Path::new)
    }
}

/// A PEM key may arrive on one line with `\n` for its line breaks (env
/// files, `--env-var` flags); restore them.
fn unescape_newlines(pem: &str) -> String {
    pem.replace("\\n", "\n")
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

    fn settings(args: &[&str]) -> Settings {
        Settings::from_args(std::iter::once("estate").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_token_lifetime_is_bounded_and_blank_is_the_default() {
        assert_eq!(settings(&["--jwt-ttl-seconds", "60"]).token_lifetime_seconds().unwrap(), 60);
        assert_eq!(settings(&["--jwt-ttl-seconds", " "]).token_lifetime_seconds().unwrap(), 900);
        for wrong in ["59", "3601", "15m"] {
            let error = settings(&["--jwt-ttl-seconds", wrong]).token_lifetime_seconds().unwrap_err().to_string();
            assert_eq!(error, format!("JWT_TTL_SECONDS must be a number of seconds from 60 to 3600, not {wrong:?}"));
        }
    }

    #[test]
    fn a_missing_or_malformed_setting_is_named() {
        let blank = settings(&["--table-name", "", "--media-base-url", "cdn.example.com"]);
        assert_eq!(blank.table_name().unwrap_err().to_string(), "the environment variable TABLE_NAME must be set");
        let error = blank.media_links().expect_err("not a URL").to_string();
        assert_eq!(error, "MEDIA_BASE_URL must be an absolute http(s) URL, not \"cdn.example.com\"");
        let error =
            settings(&["--jwt-public-key-pem", "not a key"]).token_verifier().err().expect("not a key").to_string();
        assert_eq!(error, "JWT_PUBLIC_KEY_PEM holds an unusable key");
    }

    #[test]
    fn the_private_key_is_never_shown() {
        let pem = "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEI\\n-----END PRIVATE KEY-----";
        let settings = settings(&["--jwt-private-key-pem", pem]);
        assert!(settings.signing_key_configured());
        let debug = format!("{settings:?}");
        assert!(!debug.contains("MC4CAQAw") && debug.contains("<redacted>"), "{debug}");
    }
}
