//! Who the caller is: password hashing for sign-in, and the Ed25519 access
//! tokens that prove identity afterwards (the sessions that renew them are
//! domain entities: `crate::domain::Session`).

pub mod passwords;
pub mod tokens;

pub use tokens::{Claims, KeyError, TokenIssuer, TokenPolicy, TokenVerifier, Verified, bearer_token, ephemeral_keys};
