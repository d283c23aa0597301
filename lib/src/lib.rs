//! The real-estate API: domain types, the store port and its adapters, token
//! handling, the HTTP routers and the transport of webhooks. Every Lambda
//! function and the local server are thin wrappers around what this crate
//! builds.

pub mod alerts;
pub mod auth;
pub mod authorizer;
pub mod aws;
pub mod blobs;
pub mod config;
pub mod domain;
pub mod entrypoints;
pub mod http;
#[cfg(feature = "local")]
pub mod local_server;
pub mod media;
#[cfg(feature = "local")]
pub mod seed;
pub mod store;
pub mod telemetry;
pub mod webhooks;
