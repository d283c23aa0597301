//! Favourites, saved searches and the notifications their alerts make
//! (issue 31). What an alert is for a change is decided here (`classify`),
//! from the listing's facets before and after it: the same rule for a
//! saved search and for a favourite.

use super::{Facets, Invalid, ListingStatus, PropertyId, Timestamp, Transition, UserId};
use super::{NotificationId, SavedSearchId};

/// The most listings a user keeps as favourites.
pub const MAX_FAVOURITES_PER_USER: u32 = 500;
/// The most searches a user saves.
pub const MAX_SAVED_SEARCHES_PER_USER: u32 = 20;
/// How long a notification is kept.
pub const NOTIFICATION_LIFETIME_SECONDS: i64 = 90 * 24 * 60 * 60;
/// The hour of a daily digest when its search names none.
pub const DEFAULT_DIGEST_HOUR: u8 = 8;

super::closed_list!(
    /// What happened to a listing that a search or a favourite follows:
    /// it became a result (`new_match`: published, or edited into the
    /// search), its price went down (`price_drop`), it went under offer,
    /// was sold or let, withdrawn or deleted (`status_change`), or it came
    /// back to `active` from `under_offer` or `withdrawn`
    /// (`back_on_market`).
    AlertEvent {
        NewMatch = "new_match",
        PriceDrop = "price_drop",
        StatusChange = "status_change",
        BackOnMarket = "back_on_market",
    }
);

super::closed_list!(
    /// When a saved search's alerts are notified: at once, gathered in a
    /// daily digest, or not at all.
    Frequency {
        Instant = "instant",
        Daily = "daily",
        Off = "off",
    }
);

/// The events a favourite alerts about: a listing saved is one already
/// seen, so it is never a new match.
pub const FAVOURITE_EVENTS: [AlertEvent; 3] =
    [AlertEvent::PriceDrop, AlertEvent::StatusChange, AlertEvent::BackOnMarket];

/// What `transition` is to someone following the listing through `admits`
/// (a saved search's filter, or a favourite's "it is public"), if anything.
pub fn classify(admits: impl Fn(&Facets) -> bool, transition: &Transition) -> Option<AlertEvent> {
    let matched = |facets: &Option<Facets>| facets.as_ref().is_some_and(&admits);
    let (before, after) = (matched(&transition.before), matched(&transition.after));
    let status = |facets: &Option<Facets>| facets.as_ref().map(|facets| facets.status);
    let left_market = status(&transition.before) != status(&transition.after)
        && matches!(
            status(&transition.after),
            None | Some(
                ListingStatus::UnderOffer | ListingStatus::Sold | ListingStatus::Let | ListingStatus::Withdrawn
            )
        );
    match (before, after) {
        (_, true) if transition.back_on_market() => Some(AlertEvent::BackOnMarket),
        (false, true) => Some(AlertEvent::NewMatch),
        (true, _) if left_market => Some(AlertEvent::StatusChange),
        (true, true) if transition.price_lowered() => Some(AlertEvent::PriceDrop),
        _ => None,
    }
}

/// A listing a user keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Favourite {
    pub owner: UserId,
    pub property_id: PropertyId,
    pub saved_at: Timestamp,
}

/// A saved search's name: one line of 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchName(String);

impl SearchName {
    pub const MAX_LENGTH: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        super::text::single_line(raw, 1, Self::MAX_LENGTH).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name, such as `Europe/Paris`, known to the zone
/// database built into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        jiff::tz::TimeZone::get(raw)
            .map(|_| Self(raw.to_owned()))
            .map_err(|_| Invalid::new("must be an IANA time zone name, such as Europe/Paris or UTC"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The next time after `now` when the clock of this zone shows `hour`
    /// o'clock.
    pub fn next_hour(&self, hour: u8, now: Timestamp) -> Timestamp {
        let zone = jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC);
        let now_here = jiff::Timestamp::from_second(now.unix_seconds()).unwrap_or_default().to_zoned(zone);
        let at = |day: jiff::Zoned| {
            day.with().hour(i8::try_from(hour).unwrap_or(0)).minute(0).second(0).subsec_nanosecond(0).build().ok()
        };
        let today = at(now_here.clone()).filter(|at| at.timestamp().as_second() > now.unix_seconds());
        let next = today.or_else(|| now_here.tomorrow().ok().and_then(at));
        next.map_or(now, |at| Timestamp::from_unix_seconds(at.timestamp().as_second()))
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self("UTC".to_owned())
    }
}

/// When and how a saved search alerts its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub frequency: Frequency,
    /// At least one, in `AlertEvent::ALL` order.
    pub events: Vec<AlertEvent>,
    /// Each notification also by e-mail.
    pub email: bool,
    /// A daily digest's zone and hour (0 to 23).
    pub time_zone: TimeZoneName,
    pub hour: u8,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            frequency: Frequency::Instant,
            events: AlertEvent::ALL.to_vec(),
            email: false,
            time_zone: TimeZoneName::default(),
            hour: DEFAULT_DIGEST_HOUR,
        }
    }
}

impl AlertSettings {
    /// The events of `raw`, at least one, each once, in `AlertEvent::ALL` order.
    pub fn parse_events(raw: &[String]) -> Result<Vec<AlertEvent>, Invalid> {
        let mut events = Vec::new();
        for code in raw {
            events.push(AlertEvent::parse(code)?);
        }
        if events.is_empty() {
            return Err(Invalid::new("must name at least one event"));
        }
        Ok(AlertEvent::ALL.iter().copied().filter(|event| events.contains(event)).collect())
    }

    pub fn parse_hour(raw: u64) -> Result<u8, Invalid> {
        u8::try_from(raw).ok().filter(|hour| *hour < 24).ok_or_else(|| Invalid::new("must be an hour from 0 to 23"))
    }

    /// Whether a match of `event` is notified at all.
    pub fn wants(&self, event: AlertEvent) -> bool {
        self.frequency != Frequency::Off && self.events.contains(&event)
    }
}

/// A search a user keeps, and its alerts. `filter` is the JSON object of
/// `GET /properties` parameters as its owner gave it (checked by the
/// search's own parser at the HTTP edge, and read by it again wherever
/// the search runs or is matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    pub id: SavedSearchId,
    pub owner: UserId,
    pub name: SearchName,
    pub filter: serde_json::Map<String, serde_json::Value>,
    pub alerts: AlertSettings,
    /// Where its results can lie: its alerts' index entries.
    pub bounds: AlertBounds,
    /// The secret of the search's unsubscribe links (`UnsubscribeToken`):
    /// the one thing that turns its alerts off without signing in.
    pub unsubscribe_secret: [u8; 32],
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The token of a saved search's one-click unsubscribe links:
/// `<owner>.<search>.<secret in base64url>`. It can do one thing, turn
/// that search's alerts off, and only while the search holds its secret
/// (a new search, a new secret): a capability, checked in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct UnsubscribeToken {
    pub owner: UserId,
    pub search: SavedSearchId,
    secret: [u8; 32],
}

impl UnsubscribeToken {
    /// A new secret for a saved search.
    pub fn new_secret() -> [u8; 32] {
        let mut bytes = [0; 32];
        aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC's RAND_bytes aborts the process rather than fail");
        bytes
    }

    pub fn of(search: &SavedSearch) -> Self {
        Self { owner: search.owner, search: search.id, secret: search.unsubscribe_secret }
    }

    pub fn encode(&self) -> String {
        use base64::Engine;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.secret);
        format!("{}.{}.{secret}", self.owner, self.search)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        use base64::Engine;
        let mut parts = raw.split('.');
        let (owner, search, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(secret).ok()?;
        Some(Self {
            owner: UserId::parse(owner)?,
            search: SavedSearchId::parse(search)?,
            secret: secret.try_into().ok().filter(|_| parts.next().is_none())?,
        })
    }

    /// Whether the token is `search`'s.
    pub fn opens(&self, search: &SavedSearch) -> bool {
        let same_secret = aws_lc_rs::constant_time::verify_slices_are_equal(&self.secret, &search.unsubscribe_secret);
        search.id == self.search && search.owner == self.owner && same_secret.is_ok()
    }
}

/// Never shows its secret.
impl std::fmt::Debug for UnsubscribeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsubscribeToken").field("search", &self.search).finish_non_exhaustive()
    }
}

/// Where a saved search's results can lie, for its alerts' index: the
/// city key it names, or the map cells its area meets (never both empty:
/// a saved search must name one or the other).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertBounds {
    pub city: Option<String>,
    pub cells: Vec<String>,
}

/// What a notification tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationKind {
    /// One event of one listing, for every search of the owner that it
    /// matches and for the owner's favourite.
    Alert {
        event: AlertEvent,
        property_id: PropertyId,
        version: u64,
        /// The owner's saved searches that it matches.
        searches: Vec<SavedSearchId>,
        /// The listing is one of the owner's favourites.
        favourite: bool,
    },
    /// The day's matches of one saved search.
    Digest { search: SavedSearchId, matches: Vec<DigestMatch> },
}

/// One match of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestMatch {
    pub event: AlertEvent,
    pub property_id: PropertyId,
    pub version: u64,
    pub at: Timestamp,
}

impl DigestMatch {
    /// Names the match among its search's: one per listing, event and version.
    pub fn key(&self) -> String {
        told_key(self.property_id, self.event, self.version)
    }
}

/// What names a listing's event at a version for the user told of it, by
/// an alert or a digest: the one key that keeps either from telling twice.
fn told_key(property_id: PropertyId, event: AlertEvent, version: u64) -> String {
    format!("{property_id}#{}#{version:020}", event.code())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Time-ordered: the inbox's order.
    pub id: NotificationId,
    pub owner: UserId,
    pub created_at: Timestamp,
    pub kind: NotificationKind,
}

impl Notification {
    pub fn new(owner: UserId, kind: NotificationKind, now: Timestamp) -> Self {
        Self { id: NotificationId::generate(), owner, created_at: now, kind }
    }

    /// When the store forgets it (its TTL), in Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.created_at.unix_seconds() + NOTIFICATION_LIFETIME_SECONDS
    }

    /// What makes an alert unique, whatever redelivers its change: its
    /// owner's listing, event and version. `None` for a digest.
    pub fn dedup_key(&self) -> Option<String> {
        match &self.kind {
            NotificationKind::Alert { event, property_id, version, .. } => {
                Some(told_key(*property_id, *event, *version))
            }
            NotificationKind::Digest { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Price, PriceAmount, PropertyType, Transaction};

    fn facets(status: ListingStatus, price: u64) -> Facets {
        Facets {
            owner: UserId::generate(),
            status,
            transaction: Transaction::Sale,
            property_type: PropertyType::Apartment,
            city_key: "lyon".into(),
            price: Some(Price { amount: PriceAmount::from_hundredths(price).unwrap(), currency: Currency::Eur }),
            area: 6_000,
            bedrooms: 2,
            location: None,
        }
    }

    /// A search of sale listings on the market under 300 000.
    fn under_300k(facets: &Facets) -> bool {
        facets.status.is_listed_by_default() && facets.price.is_some_and(|p| p.amount.hundredths() <= 30_000_000)
    }

    fn event(before: Option<Facets>, after: Option<Facets>) -> Option<AlertEvent> {
        classify(under_300k, &Transition { before, after })
    }

    #[test]
    fn each_change_is_the_event_its_follower_expects() {
        use AlertEvent::*;
        use ListingStatus::*;
        let (cheap, dear) = (25_000_000, 35_000_000);
        assert_eq!(event(None, Some(facets(Active, cheap))), Some(NewMatch), "published into it");
        assert_eq!(event(Some(facets(Draft, cheap)), Some(facets(Active, cheap))), Some(NewMatch));
        assert_eq!(event(Some(facets(Active, dear)), Some(facets(Active, cheap))), Some(NewMatch), "edited into it");
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(Active, cheap - 100))), Some(PriceDrop));
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(Active, cheap + 100))), None, "a rise");
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(UnderOffer, cheap))), Some(StatusChange));
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(Sold, cheap))), Some(StatusChange));
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(Withdrawn, cheap))), Some(StatusChange));
        assert_eq!(event(Some(facets(Active, cheap)), None), Some(StatusChange), "deleted");
        assert_eq!(event(Some(facets(UnderOffer, cheap)), Some(facets(Active, cheap))), Some(BackOnMarket));
        assert_eq!(event(Some(facets(Withdrawn, cheap)), Some(facets(Active, cheap))), Some(BackOnMarket));
        assert_eq!(event(Some(facets(Active, cheap)), Some(facets(Active, dear))), None, "edited out of it");
        assert_eq!(event(Some(facets(Active, dear)), Some(facets(Sold, dear))), None, "never a result");
        assert_eq!(event(Some(facets(Active, dear)), None), None);
    }

    #[test]
    fn a_digest_is_due_at_its_hour_in_its_zone() {
        let zone = TimeZoneName::parse("Europe/Paris").unwrap();
        // 2026-12-06 06:30 UTC is 07:30 in Paris: 08:00 there is 07:00 UTC.
        let now = Timestamp::from_unix_seconds(1_796_538_600);
        assert_eq!(zone.next_hour(8, now).unix_seconds(), 1_796_540_400);
        // Past it, the next is tomorrow's.
        assert_eq!(zone.next_hour(7, now).unix_seconds(), 1_796_540_400 - 3600 + 86_400);
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn an_unsubscribe_token_opens_its_search_only() {
        let search = SavedSearch {
            id: SavedSearchId::generate(),
            owner: UserId::generate(),
            name: SearchName::parse("Lyon").unwrap(),
            filter: serde_json::Map::new(),
            alerts: AlertSettings::default(),
            bounds: AlertBounds::default(),
            unsubscribe_secret: UnsubscribeToken::new_secret(),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            version: 1,
        };
        let token = UnsubscribeToken::parse(&UnsubscribeToken::of(&search).encode()).unwrap();
        assert!(token.opens(&search));
        let renewed = SavedSearch { unsubscribe_secret: UnsubscribeToken::new_secret(), ..search.clone() };
        assert!(!token.opens(&renewed));
        let encoded = UnsubscribeToken::of(&search).encode();
        assert!(UnsubscribeToken::parse(&format!("{encoded}.x")).is_none());
        assert!(UnsubscribeToken::parse(&encoded[..encoded.len() - 2]).is_none());
        assert!(!format!("{token:?}").contains(&encoded[encoded.len() - 20..]));
    }

    #[test]
    fn events_are_read_once_each_in_their_order() {
        let raw = ["price_drop".to_owned(), "new_match".to_owned(), "price_drop".to_owned()];
        assert_eq!(AlertSettings::parse_events(&raw).unwrap(), [AlertEvent::NewMatch, AlertEvent::PriceDrop]);
        assert!(AlertSettings::parse_events(&[]).is_err());
        assert!(AlertSettings::parse_events(&["sale".to_owned()]).is_err());
        assert!(AlertSettings::parse_hour(24).is_err());
    }
}
