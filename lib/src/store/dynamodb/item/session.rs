//! The items of sessions and of attempt counters.

use super::{decode, encode};
use crate::domain::{Session, UserId};
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
    #[serde(default)]
    generation: u64,
    #[serde(default)]
    rotated_at: i64,
    expires_at: i64,
}

impl SessionItem {
    pub const LIVE_TOKEN: &str = "live_token";
    pub const GENERATION: &str = "generation";
    pub const ROTATED_AT: &str = "rotated_at";
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;

    pub fn from_domain(session: &Session) -> Self {
        Self {
            user_id: session.user,
            family: session.family,
            live_token: session.live_token.clone(),
            generation: session.generation,
            rotated_at: session.rotated_at,
            expires_at: session.expires_at,
        }
    }

    pub fn into_domain(self) -> Session {
        Session {
            user: self.user_id,
            family: self.family,
            live_token: self.live_token,
            generation: self.generation,
            rotated_at: self.rotated_at,
            expires_at: self.expires_at,
        }
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::session_key(self.user_id, self.family), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// One window of an attempt counter; keyed by `schema::attempts_key`.
/// Written only by `ADD` (atomic) under a condition; `expires_at`, the
/// table's TTL attribute, lets DynamoDB remove it once its window is over.
pub struct AttemptsItem;

impl AttemptsItem {
    pub const COUNT: &str = "count";
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;
}
