//! The event bus: Redis Streams fed by a transactional outbox.
//!
//! * A producer writes the event into its `outbox` table in the same
//!   transaction as the state change ([`outbox::enqueue`]); the [`relay`]
//!   publishes unpublished rows to one stream per event type.
//! * A consumer group per consuming service reads those streams
//!   ([`consumer`]); an entry is acknowledged only after its handler
//!   succeeded, so delivery is at least once. Handlers make that exactly-once
//!   in effect by recording the event id in `processed_events` inside their
//!   own transaction ([`first_delivery`]).
//! * Failed handlers are retried with back-off; entries left pending by a
//!   crashed consumer are claimed after `EVENT_CLAIM_IDLE_MS`; an entry
//!   delivered too often goes to the dead-letter stream.

pub mod consumer;
mod envelope;
pub mod names;
pub mod outbox;
pub mod relay;

pub use consumer::{Consumer, ConsumerSettings, HandlerError};
pub use envelope::{Envelope, EventDraft};
pub use outbox::{enqueue, first_delivery, seal};

/// The stream an event type is published to.
pub fn stream_key(prefix: &str, event_type: &str) -> String {
    format!("{prefix}:events:{event_type}")
}

/// The stream failed entries end up in.
pub fn dead_letter_key(prefix: &str) -> String {
    format!("{prefix}:events:dead-letter")
}
