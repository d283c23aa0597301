//! The request plumbing every route group shares: extracting and checking
//! bodies, paths and callers; fields as clients send them; idempotent
//! creation; preconditions; and paging through listings.

pub mod extract;
pub mod fields;
pub mod idempotency;
pub(crate) mod paging;
pub(crate) mod preconditions;
