//! The transport of webhook deliveries: where a webhook may be sent
//! (`address`). What to deliver, when and how often to retry belong to the
//! callers.

pub mod address;
