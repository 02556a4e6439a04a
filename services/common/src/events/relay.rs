//! Publishes outbox rows to Redis Streams.
//!
//! Rows are taken in id order under `FOR UPDATE SKIP LOCKED`, so several
//! instances of a service can relay side by side. A row is stamped only
//! after Redis accepted it; a crash between the two publishes it again, which
//! consumers absorb through [`super::first_delivery`].
//!
//! The relay polls. `LISTEN`/`NOTIFY` would wake it sooner, but every
//! transaction that notifies takes a database-wide lock at commit, which
//! caps the webhook throughput far below what polling every few
//! milliseconds costs.

use super::stream_key;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Streams are capped near this many entries; consumers keep up long
/// before, and the outbox keeps the history.
const STREAM_MAX_LEN: usize = 100_000;
const BATCH: i64 = 256;
/// Pause after an empty poll.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// Pause after a partial batch, so that a busy service publishes in batches.
const BUSY_POLL: Duration = Duration::from_millis(5);

/// Runs until `shutdown`, publishing what the service commits to its outbox.
/// `schema` names the service in logs.
pub async fn run(
    pool: PgPool,
    mut redis: ConnectionManager,
    prefix: String,
    schema: String,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let published = publish_batch(&pool, &mut redis, &prefix).await;
        if published.is_ok() {
            backoff = Duration::from_millis(100);
        }
        let pause = match published {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(0) => IDLE_POLL,
            Ok(_) => BUSY_POLL,
            Err(e) => {
                tracing::warn!(error = %e, %schema, retry_in_ms = backoff.as_millis() as u64, "outbox relay failed");
                let pause = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                pause
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => {
                // Publish what was committed during the last requests.
                let _ = publish_batch(&pool, &mut redis, &prefix).await;
                return;
            }
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Publishes up to one batch; returns how many rows were published.
pub async fn publish_batch(
    pool: &PgPool,
    redis: &mut ConnectionManager,
    prefix: &str,
) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(
        "SELECT id, event_type, envelope FROM outbox WHERE published_at IS NULL \
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut pipe = redis::pipe();
    for (_, event_type, envelope) in &rows {
        pipe.cmd("XADD")
            .arg(stream_key(prefix, event_type))
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_MAX_LEN)
            .arg("*")
            .arg("envelope")
            .arg(envelope.to_string())
            .ignore();
    }
    pipe.query_async::<()>(redis).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::debug!(published = rows.len(), "outbox relayed");
    Ok(rows.len())
}
