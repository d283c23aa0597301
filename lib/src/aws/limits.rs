//! How long an AWS client waits for its service. Without limits the SDK
//! waits for an answer forever: a service that accepts connections but
//! never answers would hang the request until the function's timeout, and
//! API Gateway would answer its own error instead of our 503.
//!
//! Each adapter sets its own ([`crate::store::dynamodb::LIMITS`],
//! [`crate::blobs::s3::LIMITS`]) on its client with [`Limits::sdk_settings`]:
//! a call then ends within [`Limits::call`], whatever the service does, and
//! one that ran out of time is the adapter's `Unavailable`, a 503 with
//! `Retry-After`.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use std::time::Duration;

/// The time limits of an AWS client's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Opening a TCP connection.
    pub connect: Duration,
    /// One attempt of a call: sending the request and reading the whole
    /// response. An attempt that runs out of time is retried, on a new
    /// connection, like any transient failure.
    pub attempt: Duration,
    /// One call, all its attempts and the backoff between them included.
    pub call: Duration,
    /// Attempts per call, the first included ("standard" retry mode).
    pub max_attempts: u32,
}

impl Limits {
    /// The SDK settings that hold an AWS client to these limits, the first
    /// backoff at most `initial_backoff` and none longer than a second
    /// ("standard" retry mode). Set on the client, they replace any
    /// `AWS_MAX_ATTEMPTS` or `AWS_RETRY_MODE` of the environment, which
    /// could unbind them.
    pub fn sdk_settings(&self, initial_backoff: Duration) -> (TimeoutConfig, RetryConfig) {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.call)
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(initial_backoff)
            .with_max_backoff(Duration::from_secs(1));
        (timeouts, retries)
    }
}
