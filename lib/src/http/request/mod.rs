//! The request plumbing every route group shares: extracting and checking
//! bodies, paths, query strings and callers; fields as clients send them;
//! idempotent creation; preconditions; paging; and the public search.

pub mod extract;
pub mod feed;
pub mod fields;
pub mod idempotency;
pub(crate) mod paging;
pub mod path;
pub(crate) mod preconditions;
pub mod query;
pub mod search;
