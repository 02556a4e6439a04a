//! GridFlock Connect as local processes: PostgreSQL and Redis (reused or
//! private), the Shopify/SimplyPrint/Sendcloud fakes, and the six services
//! built from this workspace and started with the environment the staging
//! compose file gives them.
//!
//! `cargo xtask stack` runs it for a developer; the end-to-end and fault
//! tests in `tests/` drive it through the gateway only, the way a shop, its
//! operators and the third parties would.

pub mod binaries;
pub mod client;
pub mod flow;
pub mod infra;
pub mod process;
pub mod read_load;
pub mod services;
pub mod stack;

pub use binaries::Profile;
pub use client::{Shop, StackClient};
pub use services::Service;
pub use stack::{Options, Stack};
