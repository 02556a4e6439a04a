//! What the HTTP handlers share.

use crate::simplyprint::SimplyPrint;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;

/// Router state.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: PgPool,
    pub(crate) simplyprint: SimplyPrint,
    /// `SIMPLYPRINT_WEBHOOK_SECRET`.
    pub(crate) webhook_secret: Arc<str>,
    /// Wakes this instance's inbox worker when a webhook was stored.
    pub(crate) inbox_wake: Arc<Notify>,
}
