//! Shared by every test module: the stores to run against, the app to call
//! without a socket, domain fixtures, and the repository's files.

mod app;
mod dynamodb;
pub mod fixtures;
pub mod routes;

pub use app::{PASSWORD, Reply, TestApp, concrete, new_property, new_room, registration, test_keys, test_policy};
pub use dynamodb::{counted_dynamo_store, dynamo_store, unreachable_dynamo_store};

use std::path::{Path, PathBuf};

/// A path in the repository, given from its root (the workspace, above `lib/`).
pub fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The text of a file of the repository, given from its root.
pub fn read_repo_file(path: &str) -> String {
    std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs each named case on both stores, as the tests `<case>::memory` and
/// `<case>::dynamodb`:
///
/// - `on_both_stores!(app: a, b)`: each case is an `async fn(TestApp)`, the
///   whole API over that store;
/// - `on_both_stores!(store: a, b)`: each case is an `async fn(impl Store)`;
/// - `on_both_stores!(app, multi_thread: a, b)`: as `app:`, on a runtime of
///   four worker threads, for the races.
///
/// The DynamoDB test runs on a fresh table of the `DYNAMODB_TEST_ENDPOINT`
/// server; see [`dynamo_store`] for what happens when there is none.
#[macro_export]
macro_rules! on_both_stores {
    (app: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(@tests tokio::test, $crate::support::TestApp::new, $($case),+);
    };
    (app, multi_thread: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(
            @tests tokio::test(flavor = "multi_thread", worker_threads = 4),
            $crate::support::TestApp::new,
            $($case),+
        );
    };
    (store: $($case:ident),+ $(,)?) => {
        $crate::on_both_stores!(@tests tokio::test, std::convert::identity, $($case),+);
    };
    (@tests $runtime:meta, $given:path, $($case:ident),+) => {$(
        mod $case {
            #[$runtime]
            async fn memory() {
                super::$case($given(estate::store::MemoryStore::new())).await;
            }

            #[$runtime]
            async fn dynamodb() {
                if let Some(store) = $crate::support::dynamo_store().await {
                    super::$case($given(store)).await;
                }
            }
        }
    )+};
}
