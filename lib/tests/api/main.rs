//! The integration tests: one binary, a module per feature.

mod support;

// The HTTP API as a black box, on both stores: requests in, responses out,
// through the router the local server serves.
mod alerts;
mod auth;
mod blobs;
mod concurrency;
mod errors;
mod headers;
mod idempotency;
mod listings;
mod local_server;
mod logs;
mod numbers;
mod photos;
mod preconditions;
mod properties;
mod rooms;
mod session_races;
mod sessions;
mod text;
mod users;
mod webhooks;

// The stores: one conformance suite for both adapters, and the DynamoDB
// calls each route makes.
mod alert_store;
mod call_counts;
mod changes;
mod faults;
mod map_search;
mod permissions;
mod searches;
mod store_conformance;
mod upgrade;
mod webhook_store;

// What the code and the files around it must agree on: the sample events,
// the OpenAPI contract, the route table, and the infrastructure templates.
mod docs;
mod events;
mod infrastructure;
mod openapi;
mod route_table;
