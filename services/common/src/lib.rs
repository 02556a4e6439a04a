//! Code every GridFlock Connect service shares: configuration, logs with
//! correlation ids, problem errors, the database pool and migrations, the
//! event bus (outbox + Redis Streams), internal authentication, typed
//! clients, health routes, the server and the command line.

pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod contracts;
pub mod db;
pub mod events;
pub mod health;
pub mod problem;
pub mod server;
pub mod stores;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod testing;

pub use problem::{ApiResult, FieldError, Json, Problem};
