//! Webhooks (docs/api.md#webhooks): where a webhook may be sent
//! (`address`) and how one is sent (`send`); which endpoints a change goes
//! to and how its deliveries wait, merge and retry (`deliver`), through a
//! queue (`queue`: SQS on AWS, in process locally); and the webhooks
//! function's events (`events`). Endpoints and their secrets are domain
//! types (`domain::webhook`).

pub mod address;
pub mod deliver;
pub mod events;
pub mod queue;
pub mod send;

pub use deliver::{Deliveries, DeliveryRules, DeliverySetup};
pub use queue::{DeliveryMessage, DeliveryQueue, MemoryQueue};
