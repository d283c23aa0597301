//! Logging set-up. On Lambda, logs are JSON lines (the functions' log
//! format is JSON); on a developer's machine they are readable text.
//! Neither ever receives a password, a hash or a token: nothing logs them.

use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` does not say (`config::Settings`).
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Crates whose debug output can carry request headers or bodies (an
/// `Authorization` header, a request signature, a password in a body):
/// capped at `info` whatever `RUST_LOG` asks for.
const QUIET_BELOW_INFO: &[&str] = &[
    "lambda_runtime",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sigv4",
    "hyper",
    "hyper_util",
    "h2",
];

/// Installs the logger, with `filter` (`RUST_LOG`, see
/// `crate::config::Settings::log_filter`); one it cannot parse logs at `info`.
pub fn init(filter: &str) {
    let mut filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    for target in QUIET_BELOW_INFO {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a valid directive"));
    }
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if on_lambda {
        builder.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // Only fails when a subscriber is already installed, as in tests.
    let _ = result;
}

/// An error and each of its sources, `: `-separated, for the log.
pub struct Causes<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
