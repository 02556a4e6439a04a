//! Faithful HTTP fakes of the third-party systems GridFlock Connect talks to:
//! Shopify (webhook sender and Admin API), SimplyPrint (API host, files
//! host, print simulation and webhooks) and Sendcloud (v3 shipments, labels,
//! signed status webhooks). Tests start them in-process on port 0; the
//! `gridflock-fakes` binary runs them for local stacks.
//!
//! The wire contracts follow `specs/external-apis.md` sections 1, 2 and 3.

mod failures;
pub mod recorded;
pub mod sendcloud;
mod serve;
pub mod shopify;
pub mod simplyprint;
mod sync;

pub use recorded::RecordedRequest;
