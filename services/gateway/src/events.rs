//! `GET /api/v1/events`: live order, print-job, shipment and GridFlock
//! events for dashboards, as Server-Sent Events.
//!
//! Each connection reads the event streams with plain `XREAD` (no consumer
//! group: a dashboard is an observer and must not take events from the
//! services' groups, nor leave pending entries behind) from the streams'
//! ends at connection time, and passes on only envelopes of the operator's
//! tenant. Every SSE event is named by the event type, carries the stream
//! entry id as its id and the envelope JSON as data. A dashboard that
//! reconnects gets what happens from then on; history is in the APIs.

use crate::AppState;
use crate::auth;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::SinkExt;
use futures::channel::mpsc;
use redis::streams::StreamReadReply;
use service_common::Problem;
use service_common::events::{names, stream_key};
use std::convert::Infallible;
use std::time::Duration;
use uuid::Uuid;

/// The event types dashboards receive.
pub const EVENT_TYPES: &[&str] = &[
    names::ORDER_CREATED,
    names::ORDER_CANCELLED,
    names::ORDER_READY_FOR_FULFILLMENT,
    names::PRINT_JOB_CREATED,
    names::PRINT_JOB_STATUS_CHANGED,
    names::PRINT_JOB_COMPLETED,
    names::PRINT_JOB_FAILED,
    names::PRINT_JOB_CANCELLED,
    names::GRIDFLOCK_MAPPING_READY,
    names::GRIDFLOCK_PIPELINE_FAILED,
    names::SHIPMENT_CREATED,
    names::SHIPMENT_STATUS_CHANGED,
];

/// How long one `XREAD` blocks; also how soon a closed client or a shutdown is noticed.
const BLOCK: Duration = Duration::from_secs(2);
/// How often a comment keeps idle connections (and proxies) alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /api/v1/events`.
pub async fn stream(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let operator = match auth::authenticate(&state, &headers).await {
        Ok(op) => op,
        Err(p) => return p.into_response(),
    };
    if let Err(r) = crate::ratelimit::check(&state, &format!("operator:{}", operator.id)).await {
        return r;
    }
    let client = match redis::Client::open(state.config.common.redis_url.as_str()) {
        Ok(c) => c,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(Some(BLOCK + Duration::from_secs(10)))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    // Blocking reads hold their connection: each dashboard gets its own.
    let mut conn = match client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            return Problem::unavailable(format!("the event stream is unavailable: {e}"))
                .into_response();
        }
    };
    let keys: Vec<String> = EVENT_TYPES
        .iter()
        .map(|t| stream_key(&state.config.common.stream_prefix, t))
        .collect();
    let ids = match last_ids(&mut conn, &keys).await {
        Ok(ids) => ids,
        Err(e) => {
            return Problem::unavailable(format!("the event stream is unavailable: {e}"))
                .into_response();
        }
    };
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(pump(
        conn,
        keys,
        ids,
        operator.tenant_id,
        tx,
        state.shutdown.clone(),
    ));
    tracing::info!(operator = %operator.id, "event stream opened");
    Sse::new(rx)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// Where each stream ends now: `$` resolved once, so that nothing added
/// between two reads is missed.
async fn last_ids(
    conn: &mut redis::aio::MultiplexedConnection,
    keys: &[String],
) -> redis::RedisResult<Vec<String>> {
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("XREVRANGE")
            .arg(key)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
    }
    let replies: Vec<Vec<(String, redis::Value)>> = pipe.query_async(conn).await?;
    Ok(replies
        .into_iter()
        .map(|r| {
            r.into_iter()
                .next()
                .map_or_else(|| "0-0".to_owned(), |(id, _)| id)
        })
        .collect())
}

async fn pump(
    mut conn: redis::aio::MultiplexedConnection,
    keys: Vec<String>,
    mut ids: Vec<String>,
    tenant: Uuid,
    mut tx: mpsc::Sender<Result<Event, Infallible>>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let tenant = tenant.to_string();
    while !tx.is_closed() && !shutdown.is_cancelled() {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(200)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&keys)
            .arg(&ids);
        let read = cmd.query_async::<Option<StreamReadReply>>(&mut conn);
        let reply = tokio::select! {
            () = shutdown.cancelled() => break,
            r = read => r,
        };
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "event stream read failed; closing the connection");
                break;
            }
        };
        for stream in reply.map(|r| r.keys).unwrap_or_default() {
            let Some(slot) = keys.iter().position(|k| *k == stream.key) else {
                continue;
            };
            let event_type = EVENT_TYPES[slot];
            for entry in stream.ids {
                ids[slot] = entry.id.clone();
                let Some(envelope) = entry.get::<String>("envelope") else {
                    continue;
                };
                if !belongs_to(&envelope, &tenant) {
                    continue;
                }
                let event = Event::default()
                    .event(event_type)
                    .id(entry.id.clone())
                    .data(envelope);
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn belongs_to(envelope: &str, tenant: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(envelope)
        .ok()
        .and_then(|v| {
            v.get("tenantId")
                .and_then(|t| t.as_str())
                .map(|t| t == tenant)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tenants_envelopes_pass() {
        let t = "0190a0a0-0000-7000-8000-000000000001";
        assert!(belongs_to(&format!(r#"{{"tenantId":"{t}"}}"#), t));
        assert!(!belongs_to(r#"{"tenantId":"other"}"#, t));
        assert!(!belongs_to("not json", t));
    }

    #[test]
    fn covers_every_published_family() {
        for family in ["order.", "print-job.", "shipment.", "gridflock."] {
            assert!(
                EVENT_TYPES.iter().any(|t| t.starts_with(family)),
                "{family}"
            );
        }
    }
}
