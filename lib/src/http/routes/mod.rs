//! The route groups, one per Lambda function that serves the API (the
//! sessions are part of the users function): each declares its routes
//! with their contract and builds its router.

pub mod listings;
pub mod photos;
pub mod properties;
pub mod rooms;
pub mod sessions;
pub mod users;
