//! `POST /webhooks/sendcloud`: Sendcloud's parcel status changes.
//!
//! The `Sendcloud-Signature` header (hex HMAC-SHA256 of the raw body with
//! SENDCLOUD_WEBHOOK_SECRET) is checked before anything is read or stored.
//! The delivery is stored first (its body hash makes a repeat recognisable),
//! then applied: the parcel id leads to our shipment, the status is mapped
//! ([`crate::status_map`]) and a change publishes `shipment.status-changed`.

use crate::AppState;
use crate::repo::{self, COLUMNS, Shipment};
use crate::status_map;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use service_common::{ApiResult, Json, Problem};
use sha2::{Digest, Sha256};

/// Whether `signature` (hex) signs `body` with `secret`, in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

pub(crate) async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let signature = headers
        .get("sendcloud-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Problem::unauthorized("the Sendcloud-Signature header is missing"))?;
    if !verify(app.webhook_secret.as_bytes(), &body, signature) {
        tracing::warn!("Sendcloud webhook with a wrong signature");
        return Err(Problem::unauthorized(
            "the Sendcloud-Signature does not match the body",
        ));
    }
    let payload: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("the body is not JSON: {e}")))?;
    let action = payload
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let parcel_id = payload.pointer("/parcel/id").and_then(Value::as_i64);
    let key = hex::encode(Sha256::digest(&body));
    sqlx::query(
        "INSERT INTO sendcloud_webhooks (dedupe_key, action, parcel_id, payload) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&key)
    .bind(&action)
    .bind(parcel_id)
    .bind(&payload)
    .execute(&app.pool)
    .await?;

    let mut tx = app.pool.begin().await?;
    let (id, processed): (i64, Option<String>) = sqlx::query_as(
        "SELECT id, outcome FROM sendcloud_webhooks WHERE dedupe_key = $1 FOR UPDATE",
    )
    .bind(&key)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(outcome) = processed {
        return Ok(Json(json!({ "outcome": outcome, "duplicate": true })));
    }
    let outcome = apply(&mut tx, action.as_deref(), &payload).await?;
    sqlx::query("UPDATE sendcloud_webhooks SET processed_at = now(), outcome = $2 WHERE id = $1")
        .bind(id)
        .bind(outcome)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(json!({ "outcome": outcome })))
}

async fn apply(
    tx: &mut sqlx::PgConnection,
    action: Option<&str>,
    payload: &Value,
) -> Result<&'static str, sqlx::Error> {
    if action != Some("parcel_status_changed") {
        return Ok("ignored-action");
    }
    let parcel_id = payload.pointer("/parcel/id").and_then(Value::as_i64);
    let shipment_uuid = payload
        .pointer("/parcel/shipment_uuid")
        .and_then(Value::as_str);
    let shipment: Option<Shipment> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipments s WHERE s.parcel_id = $1 OR ($2::text IS NOT NULL AND s.sendcloud_shipment_id = $2) \
         ORDER BY (s.parcel_id = $1) DESC NULLS LAST LIMIT 1 FOR UPDATE OF s"
    ))
    .bind(parcel_id)
    .bind(shipment_uuid)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(shipment) = shipment else {
        tracing::warn!(?parcel_id, "Sendcloud status for a parcel we do not know");
        return Ok("unknown-parcel");
    };
    let status_id = payload
        .pointer("/parcel/status/id")
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    let message = payload
        .pointer("/parcel/status/message")
        .and_then(Value::as_str)
        .unwrap_or("");
    sqlx::query(
        "UPDATE shipments SET sendcloud_status_id = $2, sendcloud_status_message = $3, updated_at = now() WHERE id = $1",
    )
    .bind(shipment.id)
    .bind(status_id)
    .bind(message)
    .execute(&mut *tx)
    .await?;
    let Some(to) = status_map::map(status_id, message) else {
        tracing::info!(shipment_id = %shipment.id, status_id, message, "Sendcloud status without a shipment status");
        return Ok("unmapped-status");
    };
    let cause = format!("sendcloud status {status_id} {message}");
    if repo::transition(tx, &shipment, to, &cause, false).await? {
        Ok("applied")
    } else {
        Ok("unchanged")
    }
}

#[cfg(test)]
mod tests {
    use super::verify;
    use serde_json::Value;

    #[test]
    fn accepts_sendcloud_published_vector_only() {
        let dir = service_common::testing::fixtures_dir();
        let raw = std::fs::read(dir.join("sendcloud_signature_vector__sendcloud-docs.json"))
            .expect("fixture");
        let vector: Value = serde_json::from_slice(&raw).expect("JSON");
        let secret = vector["secret"].as_str().expect("secret").as_bytes();
        let body = hex::decode(vector["body_hex"].as_str().expect("hex")).expect("body");
        let signature = vector["expected_sendcloud_signature"]
            .as_str()
            .expect("sig");
        assert!(verify(secret, &body, signature));
        assert!(verify(secret, &body, &signature.to_uppercase()));
        assert!(!verify(b"secretkeY", &body, signature));
        assert!(!verify(secret, b"{\"key\":\"value\"}", signature));
        assert!(!verify(secret, &body, ""));
    }
}
