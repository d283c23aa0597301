//! The items of sessions and of sign-in throttling.

use super::{decode, encode};
use crate::domain::{Email, FailedSignIns, Session, UserId};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use serde::{Deserialize, Serialize};

/// A refresh-token family; keyed by `schema::session_key`. `expires_at` is
/// the table's TTL attribute.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionItem {
    user_id: UserId,
    family: uuid::Uuid,
    live_token: String,
    expires_at: i64,
}

impl SessionItem {
    pub const LIVE_TOKEN: &str = "live_token";
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;

    pub fn from_domain(session: &Session) -> Self {
        Self {
            user_id: session.user,
            family: session.family,
            live_token: session.live_token.clone(),
            expires_at: session.expires_at,
        }
    }

    pub fn into_domain(self) -> Session {
        Session { user: self.user_id, family: self.family, live_token: self.live_token, expires_at: self.expires_at }
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::session_key(self.user_id, self.family), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// The failed sign-ins of an address; keyed by `schema::sign_in_failures_key`.
#[derive(Debug, Serialize, Deserialize)]
pub struct FailedSignInsItem {
    count: u32,
    last_at: i64,
    /// When the failures are forgotten: the table's TTL attribute.
    expires_at: i64,
}

impl FailedSignInsItem {
    pub const COUNT: &str = "count";
    pub const LAST_AT: &str = "last_at";
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;

    pub fn first(now: i64) -> Self {
        Self { count: 1, last_at: now, expires_at: now + FailedSignIns::MEMORY_SECONDS }
    }

    pub fn into_domain(self) -> FailedSignIns {
        FailedSignIns { count: self.count, last_at: self.last_at }
    }

    pub fn to_item(&self, email: &Email) -> StoreResult<Item> {
        encode(schema::sign_in_failures_key(email), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}
