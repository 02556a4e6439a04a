//! Operator notifications: a persisted feed, and delivery to a webhook URL
//! (the tenant's, else `NOTIFICATION_WEBHOOK_URL`) with retries.

use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Delivery attempts before a notification stays feed-only.
const MAX_ATTEMPTS: i32 = 10;

/// What the operator is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A line item's SKU has no active product mapping.
    UnmappedLineItem,
    /// print-service refused a line item's jobs.
    PrintJobsRefused,
    /// A print job failed.
    PrintJobFailed,
    /// A GRID-CUSTOM line item has missing or invalid properties.
    InvalidConfiguration,
    /// The GridFlock pipeline failed for a line item.
    GenerationFailed,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::UnmappedLineItem => "UNMAPPED_LINE_ITEM",
            Self::PrintJobsRefused => "PRINT_JOBS_REFUSED",
            Self::PrintJobFailed => "PRINT_JOB_FAILED",
            Self::InvalidConfiguration => "INVALID_CONFIGURATION",
            Self::GenerationFailed => "GENERATION_FAILED",
        }
    }
}

/// A notification to record.
pub struct Notice<'a> {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its kind.
    pub kind: Kind,
    /// Human-readable text.
    pub message: String,
    /// The order concerned.
    pub order_id: Option<Uuid>,
    /// The line item concerned.
    pub line_item_id: Option<Uuid>,
    /// Fallback delivery URL.
    pub default_url: Option<&'a str>,
}

/// Records `notice` in the caller's transaction.
pub async fn record(conn: &mut PgConnection, notice: Notice<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO notifications (id, tenant_id, kind, message, order_id, line_item_id, target_url) \
         SELECT $1, $2, $3, $4, $5, $6, coalesce(t.notification_webhook_url, $7) FROM tenants t WHERE t.id = $2",
    )
    .bind(id)
    .bind(notice.tenant_id)
    .bind(notice.kind.as_str())
    .bind(&notice.message)
    .bind(notice.order_id)
    .bind(notice.line_item_id)
    .bind(notice.default_url)
    .execute(conn)
    .await?;
    tracing::warn!(kind = notice.kind.as_str(), message = %notice.message, "operator notified");
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Due {
    id: Uuid,
    tenant_id: Uuid,
    kind: String,
    message: String,
    order_id: Option<Uuid>,
    line_item_id: Option<Uuid>,
    created_at: chrono::DateTime<chrono::Utc>,
    target_url: String,
    attempts: i32,
}

/// Delivers due notifications until `shutdown`.
pub async fn deliver_loop(pool: PgPool, shutdown: CancellationToken) {
    let http = service_common::client::http_client(Duration::from_secs(10));
    loop {
        if let Err(e) = deliver_due(&pool, &http).await {
            tracing::warn!(error = %e, "notification delivery pass failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn deliver_due(pool: &PgPool, http: &reqwest::Client) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, tenant_id, kind, message, order_id, line_item_id, created_at, target_url, attempts \
         FROM notifications WHERE delivered_at IS NULL AND target_url IS NOT NULL \
         AND attempts < $1 AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 20 \
         FOR UPDATE SKIP LOCKED",
    )
    .bind(MAX_ATTEMPTS)
    .fetch_all(&mut *tx)
    .await?;
    for n in due {
        let body = serde_json::json!({
            "id": n.id, "tenantId": n.tenant_id, "kind": n.kind, "message": n.message,
            "orderId": n.order_id, "lineItemId": n.line_item_id, "createdAt": n.created_at,
        });
        let result = match http.post(&n.target_url).json(&body).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("answered {}", r.status())),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => {
                sqlx::query("UPDATE notifications SET delivered_at = now(), attempts = attempts + 1 WHERE id = $1")
                    .bind(n.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Err(error) => {
                let backoff = 2_i64.pow(n.attempts.clamp(0, 12) as u32).min(3600);
                sqlx::query(
                    "UPDATE notifications SET attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                )
                .bind(n.id)
                .bind(&error)
                .bind(backoff as f64)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await
}
