//! The parameters of `GET /changes`, declared once (`FeedFilter`: the
//! handler reads it, the contract lists it), and the rules that turn them
//! into a `FeedQuery`.

use super::fields::{Fields, Member, Scalar, Scalars};
use super::paging::whole;
use crate::domain::{ChangeType, City, Invalid};
use crate::http::error::{ApiError, ApiResult};
use crate::store::feed::{DEFAULT_LIMIT, FeedQuery, MAX_LIMIT, oldest_position};
use serde::Deserialize;
use std::time::SystemTime;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedFilter {
    /// The changes after this position: a change's `seq`, or the `next` of the page before; default: the oldest kept (30 days ago)
    #[serde(default)]
    #[param(value_type = Option<u64>, minimum = 0)]
    after: Member<Scalar>,
    /// Page size, default 100
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Member<Scalar>,
    /// Only the changes of listings in this city (letter case, accents and separators ignored)
    #[serde(default)]
    #[param(value_type = Option<String>, min_length = 1, max_length = 100)]
    city: Member<Scalar>,
    /// Only changes of this type; repeat it for several (`type=listing.published&type=listing.deleted`)
    #[serde(rename = "type", default)]
    #[param(rename = "type", value_type = Option<Vec<ChangeType>>, explode = true)]
    types: Member<Scalars>,
}

impl FeedFilter {
    /// The query, given where the feed stands now (`position`): a position
    /// ahead of it is no position of this feed (422), and one older than
    /// the feed keeps is gone (410).
    pub fn parse(self, position: u64) -> ApiResult<FeedQuery> {
        let mut fields = Fields::new();
        let after = fields.optional("after", self.after, |raw| {
            let after = whole(&raw.0, u64::MAX).map_err(|_| Invalid::new("must be a `seq` or the `next` of a page"))?;
            match after > position {
                true => Err(Invalid::new("is ahead of the feed: pass a `seq` or the `next` of a page")),
                false => Ok(after),
            }
        });
        let limit = fields.optional("limit", self.limit, |raw| {
            whole(&raw.0, MAX_LIMIT as u64)
                .ok()
                .filter(|limit| *limit >= 1)
                .map(|limit| limit as usize)
                .ok_or_else(|| Invalid(format!("must be a whole number from 1 to {MAX_LIMIT}")))
        });
        let city = fields.optional("city", self.city, |raw| City::parse(&raw.0));
        let types =
            fields.optional("type", self.types, |raw| raw.0.iter().map(|code| ChangeType::parse(code)).collect());
        let query = fields.finish(|| {
            let types: Vec<ChangeType> = types?.unwrap_or_default();
            Some(FeedQuery { after: after?, limit: limit?.unwrap_or(DEFAULT_LIMIT), city: city?, types })
        })?;
        if query.after.is_some_and(|after| after < oldest_position(SystemTime::now())) {
            return Err(ApiError::Gone(
                "This position is older than the 30 days the feed keeps: copy the catalogue again, \
                 from the position GET /changes/snapshot answers."
                    .into(),
            ));
        }
        Ok(query)
    }
}
