//! Alerts (issue 31; docs/api.md#alerts): each change of the feed is
//! matched against the saved searches indexed under its city and its map
//! cell, and against the favourites of its listing, in memory
//! (`domain::classify`): one notification per user, listing and event,
//! naming every search of theirs it matches, and an e-mail when one of
//! those searches asks for it. The notifications function runs this on
//! AWS from the table's stream; the local server from the feed.

pub mod events;
pub mod mail;

use crate::domain::{
    AlertEvent, DigestMatch, FAVOURITE_EVENTS, Facets, FeedEvent, Frequency, Notification, NotificationKind,
    SavedSearch, SavedSearchId, Timestamp, UserId, classify,
};
use crate::http::request::search::saved_filter;
use crate::store::alerts::MAX_DIGEST_MATCHES;
use crate::store::search::MAP_CELL_PRECISION;
use crate::store::{Store, StoreError};
use mail::{Mail, Mailer};
use std::collections::{BTreeMap, HashMap};

/// What alerting needs: the store, how mail leaves, and the API's public
/// address for the links the mail holds.
#[derive(Clone)]
pub struct Alerts<S> {
    pub store: S,
    pub mailer: Mailer,
    pub public_url: String,
}

/// What one user is told about one change: an event, the searches of
/// theirs it matches, whether it is their favourite.
#[derive(Default)]
struct Tidings {
    searches: Vec<SavedSearch>,
    favourite: bool,
}

impl<S: Store> Alerts<S> {
    /// Notifies everyone who asked about `event`'s change; applied again
    /// (a retry, a replay of the feed), it notifies no one twice.
    pub async fn handle(&self, event: &FeedEvent) -> Result<(), StoreError> {
        let change = &event.change;
        let transition = &change.listing;
        let Some(listing) = transition.after.as_ref().or(transition.before.as_ref()) else { return Ok(()) };
        let publisher = listing.owner;
        let mut told: HashMap<(UserId, AlertEvent), Tidings> = HashMap::new();
        let mut daily: Vec<(SavedSearch, AlertEvent)> = Vec::new();
        for search in self.candidates(transition.before.as_ref(), transition.after.as_ref()).await? {
            if search.owner == publisher || search.alerts.frequency == Frequency::Off {
                continue;
            }
            let Ok((filter, _)) = saved_filter(&search.filter) else {
                tracing::warn!(search = %search.id, "a saved filter no longer reads: skipped");
                continue;
            };
            if let Some(alert) = classify(|facets| filter.admits(facets), transition)
                && search.alerts.wants(alert)
            {
                match search.alerts.frequency {
                    Frequency::Daily => daily.push((search, alert)),
                    _ => told.entry((search.owner, alert)).or_default().searches.push(search),
                }
            }
        }
        let keeps = |facets: &Facets| facets.status.is_public();
        if let Some(alert) = classify(keeps, transition).filter(|alert| FAVOURITE_EVENTS.contains(alert)) {
            for keeper in self.store.favourited_by(change.property_id).await? {
                if keeper != publisher {
                    told.entry((keeper, alert)).or_default().favourite = true;
                }
            }
        }
        for ((user, alert), tidings) in told {
            let kind = NotificationKind::Alert {
                event: alert,
                property_id: change.property_id,
                version: change.version,
                searches: tidings.searches.iter().map(|search| search.id).collect::<Vec<SavedSearchId>>(),
                favourite: tidings.favourite,
            };
            let notification = Notification::new(user, kind, Timestamp::now());
            if self.store.notify(&notification).await? {
                self.mail(&notification, &tidings.searches, event).await?;
            }
        }
        // After the alerts: a user told at once of this listing's event is
        // not told again in a digest (the same marker guards both).
        for (search, alert) in daily {
            let now = Timestamp::now();
            let found = DigestMatch { event: alert, property_id: change.property_id, version: change.version, at: now };
            let due = search.alerts.time_zone.next_hour(search.alerts.hour, now);
            self.store.hold_for_digest(&search, &found, due).await?;
        }
        Ok(())
    }

    /// Sends the daily digests due by `now`, each one notification of the
    /// matches held for its search (and an e-mail if the search asks for
    /// one): how many were sent. A search deleted or turned off meanwhile
    /// sends nothing, and what it held goes.
    pub async fn send_digests(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut sent = 0;
        loop {
            let due = self.store.due_digests(now, 100).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            for digest in due {
                let search = self.store.get_saved_search(digest.owner, digest.search).await?;
                let held = self.store.held_matches(&digest).await?;
                let all = held.len() <= MAX_DIGEST_MATCHES;
                let matches = &held[..held.len().min(MAX_DIGEST_MATCHES)];
                let search = search.filter(|search| search.alerts.frequency != Frequency::Off && !matches.is_empty());
                let notification = search.as_ref().map(|search| {
                    let kind = NotificationKind::Digest { search: search.id, matches: matches.to_vec() };
                    Notification::new(digest.owner, kind, now)
                });
                self.store.close_digest(&digest, matches, notification.as_ref(), all).await?;
                if let (Some(search), Some(notification)) = (&search, &notification) {
                    sent += 1;
                    if search.alerts.email
                        && let Some(user) = self.store.get_user(digest.owner).await?
                    {
                        let mail = Mail::digest(&user.email, notification, search, &self.public_url);
                        self.mailer
                            .send(&mail)
                            .await
                            .map_err(|why| StoreError::Unavailable(format!("sending a digest: {why}")))?;
                    }
                }
            }
        }
    }

    /// The saved searches indexed where the listing was and where it is:
    /// its city's, and its map cell's (one Query each, for each place).
    async fn candidates(
        &self,
        before: Option<&Facets>,
        after: Option<&Facets>,
    ) -> Result<Vec<SavedSearch>, StoreError> {
        let place = |facets: &Facets| {
            let cell = facets.location.map(|at| crate::domain::geo::Cell::of(at, MAP_CELL_PRECISION).hash());
            (facets.city_key.clone(), cell)
        };
        let mut places: Vec<(String, Option<String>)> = before.into_iter().chain(after).map(place).collect();
        places.dedup();
        let mut found: BTreeMap<SavedSearchId, SavedSearch> = BTreeMap::new();
        for (city, cell) in places {
            for search in self.store.alert_candidates(&city, cell.as_deref()).await? {
                found.insert(search.id, search);
            }
        }
        Ok(found.into_values().collect())
    }

    /// Sends the notification by e-mail if one of its searches asks for it.
    async fn mail(
        &self,
        notification: &Notification,
        searches: &[SavedSearch],
        event: &FeedEvent,
    ) -> Result<(), StoreError> {
        let Some(first) = searches.iter().find(|search| search.alerts.email) else { return Ok(()) };
        let Some(user) = self.store.get_user(notification.owner).await? else { return Ok(()) };
        let mail = Mail::alert(&user.email, notification, first, searches, event, &self.public_url);
        self.mailer.send(&mail).await.map_err(|why| StoreError::Unavailable(format!("sending an alert e-mail: {why}")))
    }
}
