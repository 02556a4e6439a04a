//! Writing events in the producer's transaction, and recording handled ones
//! in the consumer's.

use super::{Envelope, EventDraft};
use sqlx::PgConnection;
use uuid::Uuid;

/// Writes `draft` to the outbox inside the caller's transaction; it is
/// published only if that transaction commits.
pub async fn enqueue(
    conn: &mut PgConnection,
    source: &str,
    draft: EventDraft,
) -> Result<Envelope, sqlx::Error> {
    let (envelope, json) = seal(source, draft).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("INSERT INTO outbox (event_id, event_type, envelope) VALUES ($1, $2, $3)")
        .bind(envelope.event_id)
        .bind(&envelope.event_type)
        .bind(json)
        .execute(conn)
        .await?;
    Ok(envelope)
}

/// The envelope of `draft` and its JSON, as [`enqueue`] writes them: for a
/// producer that inserts the outbox row within a statement of its own.
pub fn seal(
    source: &str,
    draft: EventDraft,
) -> Result<(Envelope, serde_json::Value), serde_json::Error> {
    let envelope = Envelope {
        event_id: Uuid::now_v7(),
        event_type: draft.event_type.to_owned(),
        source: source.to_owned(),
        tenant_id: draft.tenant_id,
        timestamp: chrono::Utc::now(),
        correlation_id: crate::telemetry::current_correlation_id(),
        payload: draft.payload,
    };
    let json = serde_json::to_value(&envelope)?;
    Ok((envelope, json))
}

/// Records that `handler` applied `event_id`, inside the handler's
/// transaction. `false` means it was applied before: skip the work.
pub async fn first_delivery(
    conn: &mut PgConnection,
    handler: &str,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO processed_events (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(handler)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
