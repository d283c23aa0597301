//! Black-box tests of the HTTP API: requests in, responses out, through the
//! same router the local server serves, on both stores.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod errors;
mod properties;
mod rooms;
mod users;

/// Runs each named `async fn(TestApp)` case against both stores.
#[macro_export]
macro_rules! api_cases {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn memory() {
                super::$case($crate::support::TestApp::memory()).await;
            }

            #[tokio::test]
            async fn dynamodb() {
                if let Some(store) = $crate::support::dynamo_store().await {
                    super::$case($crate::support::TestApp::new(store)).await;
                }
            }
        }
    )*};
}
