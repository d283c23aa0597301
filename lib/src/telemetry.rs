//! Logging set-up. On Lambda, logs are JSON lines (the functions' log
//! format is JSON); on a developer's machine they are readable text.
//! Neither ever receives a password, a hash or a token: nothing logs them.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;

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
    use tracing_subscriber::layer::SubscriberExt;
    let filter = log_filter(filter);
    // The filter decides; the builder's own level would stop at `info`.
    let builder = tracing_subscriber::fmt().with_max_level(LevelFilter::TRACE);
    let result = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        let json = builder.json().with_current_span(true).with_span_list(false).finish();
        tracing::subscriber::set_global_default(json.with(filter))
    } else {
        tracing::subscriber::set_global_default(builder.with_target(false).finish().with(filter))
    };
    // Only fails when a subscriber is already installed, as in tests.
    let _ = result;
}

/// `filter` (`level` or `target=level`, comma-separated), or `info` if it
/// does not parse, with the crates of `QUIET_BELOW_INFO` capped at `info`.
fn log_filter(filter: &str) -> Targets {
    use tracing::Level;
    let mut targets: Targets = filter.parse().unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    for target in QUIET_BELOW_INFO {
        let asked = [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR]
            .into_iter()
            .find(|level| targets.would_enable(target, level))
            .map_or(LevelFilter::OFF, LevelFilter::from_level);
        targets = targets.with_target(*target, asked.min(LevelFilter::INFO));
    }
    targets
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

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_filter_reads_levels_and_targets_and_keeps_the_quiet_crates_at_info() {
        let filter = log_filter("warn,estate=debug,hyper=trace");
        assert!(filter.would_enable("estate::http", &Level::DEBUG));
        assert!(!filter.would_enable("tower", &Level::INFO), "warn elsewhere");
        assert!(filter.would_enable("hyper", &Level::INFO) && !filter.would_enable("hyper", &Level::DEBUG));
        let everything = log_filter("trace");
        assert!(!everything.would_enable("aws_sigv4", &Level::DEBUG), "capped at info");
        assert!(!log_filter("error").would_enable("h2", &Level::INFO), "a quieter ask stands");
        assert!(log_filter("estate=loud").would_enable("estate", &Level::INFO), "info when unreadable");
        assert!(!log_filter("estate=loud").would_enable("estate", &Level::DEBUG));
    }
}
