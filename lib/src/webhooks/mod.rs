//! The transport of webhook deliveries: where a webhook may be sent
//! (`address`) and how a delivery is signed (`signature`). What to deliver,
//! when and how often to retry belong to the callers.

pub mod address;
pub mod signature;
