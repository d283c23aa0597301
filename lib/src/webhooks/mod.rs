//! The transport of webhook deliveries: where a webhook may be sent
//! (`address`), how a delivery is signed (`signature`) and how it is sent
//! (`send`). What to deliver, when and how often to retry belong to the
//! callers.

pub mod address;
pub mod send;
pub mod signature;
