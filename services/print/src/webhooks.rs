//! `POST /webhooks/simplyprint`: SimplyPrint's job events.
//!
//! SimplyPrint authenticates a delivery only by the shared secret it sends
//! verbatim in `X-SP-Secret` (no body signature); it is compared in constant
//! time before anything else happens. Job events are stored in the
//! `webhook_inbox` table and acknowledged at once; the [`crate::inbox`]
//! worker applies them afterwards, so a slow SimplyPrint lookup never delays
//! the answer and a delivery that cannot be mapped yet is kept.
//!
//! The envelope `{webhook_id, event, timestamp, data}` is read leniently: the
//! job object differs between SimplyPrint's current and older formats, so
//! every job field is optional and only the job id is needed.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::Value;
use service_common::auth::constant_time_eq;
use service_common::contracts::PrintJobStatus;
use service_common::{ApiResult, Json, Problem};
use sha2::{Digest, Sha256};

/// The header carrying the shared secret.
pub(crate) const SECRET_HEADER: &str = "x-sp-secret";

/// The parts of a delivery print-service uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// `job.started`, `job.done`, …
    pub(crate) event: String,
    /// `data.job.id`.
    pub(crate) job_id: Option<i64>,
    /// `data.job.uid`, in the current format.
    pub(crate) job_uid: Option<String>,
    /// `timestamp` as sent (unix seconds; kept as text for deduplication).
    pub(crate) timestamp: Option<String>,
}

/// Reads a delivery; `Err` says why it is not a SimplyPrint envelope.
pub(crate) fn parse(body: &[u8]) -> Result<(Delivery, Value), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event = value
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
        .ok_or("the envelope has no \"event\" name")?
        .to_owned();
    let job = value.get("data").and_then(|d| d.get("job"));
    let job_id = job.and_then(|j| j.get("id")).and_then(|id| match id {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let job_uid = job
        .and_then(|j| j.get("uid"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let timestamp = value.get("timestamp").and_then(|t| match t {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    });
    Ok((
        Delivery {
            event,
            job_id,
            job_uid,
            timestamp,
        },
        value,
    ))
}

/// The state a job event moves our print job to; `None` for events
/// print-service does not act on.
pub(crate) fn target(event: &str) -> Option<PrintJobStatus> {
    Some(match event {
        "job.started" => PrintJobStatus::Printing,
        "job.done" => PrintJobStatus::Completed,
        "job.failed" => PrintJobStatus::Failed,
        "job.cancelled" => PrintJobStatus::Cancelled,
        _ => return None,
    })
}

/// Identifies a delivery across SimplyPrint's repeats: event, job and
/// timestamp; the whole body when job or timestamp is missing.
pub(crate) fn dedupe_key(delivery: &Delivery, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    match (delivery.job_id, &delivery.timestamp) {
        (Some(job), Some(ts)) => {
            hash.update(format!("{}|{job}|{ts}", delivery.event).as_bytes());
        }
        _ => {
            hash.update(delivery.event.as_bytes());
            hash.update(b"|body|");
            hash.update(body);
        }
    }
    hex::encode(hash.finalize())
}

/// The receiver.
pub(crate) async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let presented = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    match presented {
        Some(p) if constant_time_eq(app.webhook_secret.as_bytes(), p) => {}
        Some(_) => {
            tracing::warn!("SimplyPrint webhook with a wrong X-SP-Secret");
            return Err(Problem::unauthorized(
                "the X-SP-Secret header does not match",
            ));
        }
        None => return Err(Problem::unauthorized("the X-SP-Secret header is missing")),
    }
    let (delivery, payload) = parse(&body).map_err(Problem::bad_request)?;
    if target(&delivery.event).is_none() {
        tracing::info!(event = %delivery.event, "SimplyPrint webhook event ignored");
        return Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "received": true, "ignored": true })),
        ));
    }
    let key = dedupe_key(&delivery, &body);
    let stored = sqlx::query(
        "INSERT INTO webhook_inbox (dedupe_key, event, simplyprint_job_id, payload) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&key)
    .bind(&delivery.event)
    .bind(delivery.job_id)
    .bind(&payload)
    .execute(&app.pool)
    .await?;
    let duplicate = stored.rows_affected() == 0;
    tracing::info!(
        event = %delivery.event,
        job_id = ?delivery.job_id,
        job_uid = ?delivery.job_uid,
        duplicate,
        "SimplyPrint webhook stored"
    );
    if !duplicate {
        app.inbox_wake.notify_one();
    }
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "received": true, "duplicate": duplicate })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_common::testing::fixture;

    #[test]
    fn current_format_job_events() {
        for (file, event, status) in [
            (
                "simplyprint_webhook_job.started__activepieces.json",
                "job.started",
                PrintJobStatus::Printing,
            ),
            (
                "simplyprint_webhook_job.done__activepieces.json",
                "job.done",
                PrintJobStatus::Completed,
            ),
            (
                "simplyprint_webhook_job.failed__activepieces.json",
                "job.failed",
                PrintJobStatus::Failed,
            ),
            (
                "simplyprint_webhook_job.cancelled__activepieces.json",
                "job.cancelled",
                PrintJobStatus::Cancelled,
            ),
        ] {
            let (d, _) = parse(&fixture(file)).expect(file);
            assert_eq!(d.event, event);
            assert_eq!(d.job_id, Some(456));
            assert_eq!(d.job_uid.as_deref(), Some("pj_abc123"));
            assert_eq!(d.timestamp.as_deref(), Some("1705320000"));
            assert_eq!(target(&d.event), Some(status));
        }
    }

    #[test]
    fn older_format_without_uid() {
        let (d, _) = parse(&fixture("simplyprint_webhook_job.done__n8n-v0.1.json")).expect("n8n");
        assert_eq!(d.event, "job.done");
        assert_eq!(d.job_id, Some(456));
        assert_eq!(d.job_uid, None);
        assert_eq!(d.timestamp.as_deref(), Some("1713696000"));
    }

    #[test]
    fn queue_events_parse_but_are_not_acted_on() {
        let (d, _) = parse(&fixture(
            "simplyprint_webhook_queue.add_item__activepieces.json",
        ))
        .expect("queue");
        assert_eq!(d.event, "queue.add_item");
        assert_eq!(d.job_id, None);
        assert_eq!(target(&d.event), None);
        assert_eq!(target("job.paused"), None);
        assert_eq!(target("test"), None);
    }

    #[test]
    fn lenient_about_shapes() {
        let (d, _) = parse(br#"{"event":"job.done","data":{"job":{"id":"77"}}}"#).expect("ok");
        assert_eq!(d.job_id, Some(77));
        assert_eq!(d.timestamp, None);
        let (d, _) =
            parse(br#"{"event":"job.done","data":null,"timestamp":"2024-04-21T12:00:00Z"}"#)
                .expect("ok");
        assert_eq!(d.job_id, None);
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"data":{}}"#).is_err());
        assert!(parse(br#"[1,2]"#).is_err());
    }

    #[test]
    fn repeats_share_a_key_and_different_events_do_not() {
        let started = fixture("simplyprint_webhook_job.started__activepieces.json");
        let done = fixture("simplyprint_webhook_job.done__activepieces.json");
        let (ds, _) = parse(&started).expect("started");
        let (dd, _) = parse(&done).expect("done");
        assert_eq!(dedupe_key(&ds, &started), dedupe_key(&ds, &started));
        assert_ne!(dedupe_key(&ds, &started), dedupe_key(&dd, &done));
        // Same event, job and time: the same delivery, even re-serialised.
        let reformatted =
            serde_json::to_vec(&serde_json::from_slice::<Value>(&done).expect("json"))
                .expect("json");
        assert_eq!(dedupe_key(&dd, &done), dedupe_key(&dd, &reformatted));
        assert_eq!(dedupe_key(&dd, &done).len(), 64);
    }
}
