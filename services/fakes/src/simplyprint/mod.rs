//! Fake SimplyPrint: the API host, the files host, a print farm simulation
//! (queue items become jobs that finish on command) and outgoing webhooks.

mod access;
mod api;
mod control;
mod envelope;
mod farm;
mod model;
mod server;
mod upload;
mod webhooks;

pub use model::{
    Failure, FakeFile, FakeJob, FakeQueueItem, FakeWebhook, FarmError, JobOutcome, JobStatus,
    WebhookDelivery,
};
pub use server::SimplyPrintFake;

/// The largest part one `files/Upload` request may carry unless changed
/// with [`SimplyPrintFake::set_max_part_size`].
pub const DEFAULT_MAX_PART_SIZE: usize = farm::DEFAULT_MAX_PART_SIZE;
