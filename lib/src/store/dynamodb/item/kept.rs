//! The answer to a creation, kept under its `Idempotency-Key`.

use super::{decode, encode};
use crate::store::dynamodb::{Item, schema};
use crate::store::{KeptAnswer, StoreResult};
use serde::{Deserialize, Serialize};

/// Keyed by `schema::kept_answer_key`; `expires_at` is the table's TTL
/// attribute (`schema::TIME_TO_LIVE`).
#[derive(Debug, Serialize, Deserialize)]
pub struct KeptAnswerItem {
    scope: String,
    key: String,
    fingerprint: String,
    location: String,
    etag: Option<String>,
    body: String,
    expires_at: i64,
}

impl KeptAnswerItem {
    pub const EXPIRES_AT: &str = schema::TIME_TO_LIVE;

    pub fn from_domain(answer: &KeptAnswer) -> Self {
        Self {
            scope: answer.scope.clone(),
            key: answer.key.clone(),
            fingerprint: answer.fingerprint.clone(),
            location: answer.location.clone(),
            etag: answer.etag.clone(),
            body: answer.body.clone(),
            expires_at: answer.expires_at,
        }
    }

    pub fn into_domain(self) -> KeptAnswer {
        let Self { scope, key, fingerprint, location, etag, body, expires_at } = self;
        KeptAnswer { scope, key, fingerprint, location, etag, body, expires_at }
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::kept_answer_key(&self.scope, &self.key), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}
