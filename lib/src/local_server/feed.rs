//! Following the change feed on the local server, as the table's stream
//! feeds the webhooks and notifications functions on AWS: from where the
//! feed stands when the server starts, each change handed on in order, a
//! change that fails handed on again until it does not.

use crate::domain::FeedEvent;
use crate::store::Store;
use crate::store::feed::{DEFAULT_LIMIT, FeedQuery};
use std::time::Duration;

/// How often the feed is read when it has nothing new: the delay of a
/// webhook or an alert on this machine.
const FEED_POLL: Duration = Duration::from_millis(500);

/// Hands every change from now on to `handle`, for as long as the server
/// runs; `what` names the follower in the log.
pub(super) async fn follow<S: Store, F, Fut>(store: S, what: &'static str, handle: F)
where
    F: Fn(FeedEvent) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut after = loop {
        match store.feed_position().await {
            Ok(position) => break position,
            Err(error) => tracing::warn!(error = %error, "reading the change feed failed; trying again"),
        }
        tokio::time::sleep(FEED_POLL).await;
    };
    loop {
        let query = FeedQuery { after: Some(after), limit: DEFAULT_LIMIT, city: None, types: Vec::new() };
        let page = match store.changes(&query).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(error = %error, "reading the change feed failed; trying again");
                tokio::time::sleep(FEED_POLL).await;
                continue;
            }
        };
        let (mut handled, idle) = (true, page.events.is_empty());
        for event in page.events {
            let seq = event.seq;
            if let Err(error) = handle(event).await {
                tracing::warn!(error = %error, seq, "{what}: a change failed; trying again");
                handled = false;
                break;
            }
            after = seq;
        }
        if handled {
            after = page.next;
        }
        if idle || !handled {
            tokio::time::sleep(FEED_POLL).await;
        }
    }
}
