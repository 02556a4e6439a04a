use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What travels on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Unique per event; handlers deduplicate on it.
    pub event_id: Uuid,
    /// One of [`super::names`].
    pub event_type: String,
    /// The producing service.
    pub source: String,
    /// The tenant the event belongs to.
    pub tenant_id: Uuid,
    /// When the state change happened.
    pub timestamp: DateTime<Utc>,
    /// The request or event that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Event-specific data.
    pub payload: serde_json::Value,
}

impl Envelope {
    /// The payload as `T`.
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.payload.clone())
    }
}

/// An event about to be written to the outbox.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// One of [`super::names`].
    pub event_type: &'static str,
    /// The tenant.
    pub tenant_id: Uuid,
    /// Event-specific data.
    pub payload: serde_json::Value,
}

impl EventDraft {
    /// A draft with a serialisable payload.
    pub fn new<T: Serialize>(
        event_type: &'static str,
        tenant_id: Uuid,
        payload: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            event_type,
            tenant_id,
            payload: serde_json::to_value(payload)?,
        })
    }
}
