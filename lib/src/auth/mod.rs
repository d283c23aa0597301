//! Who the caller is: password hashing for sign-in, the Ed25519 access
//! tokens that prove identity afterwards, and the sessions (refresh-token
//! families) that renew them.

pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use tokens::{Claims, KeyError, TokenIssuer, TokenPolicy, TokenVerifier, Verified, bearer_token, ephemeral_keys};
