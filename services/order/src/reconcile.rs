//! Reconciliation: Shopify does not guarantee webhook delivery, so orders
//! updated since the last run are fetched from the Admin API and applied
//! like an `orders/updated` delivery (imported when missing).

use crate::AppState;
use crate::import::{self, Outcome, Topic};
use crate::shopify::admin::AdminClient;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use service_common::{ApiResult, Json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Overlap with the previous run, for clock skew and slow commits in Shopify.
const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);

/// What one run did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    tenants: u32,
    orders_seen: u32,
    imported: u32,
    updated: u32,
    failed_tenants: Vec<String>,
}

/// Polls every tenant that has an Admin API token.
pub async fn run_once(state: &AppState) -> anyhow::Result<Report> {
    let tenants: Vec<(Uuid, String, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT id, shop_domain, shopify_access_token, reconciled_until FROM tenants \
         WHERE shopify_access_token IS NOT NULL ORDER BY shop_domain",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut report = Report::default();
    for (tenant_id, shop, token, until) in tenants {
        report.tenants += 1;
        let started = Utc::now();
        let since = until.map_or_else(
            || {
                started
                    - chrono::Duration::from_std(state.config.reconcile_lookback)
                        .unwrap_or(chrono::Duration::days(3))
            },
            |u| u - OVERLAP,
        );
        let client = AdminClient::new(
            &state.config.shopify_admin_url_template,
            &state.config.shopify_api_version,
            &shop,
            &token,
        );
        let orders = match client.orders_updated_since(since).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(%shop, error = %e, "reconciliation failed for a tenant");
                report.failed_tenants.push(shop);
                continue;
            }
        };
        for order in &orders {
            report.orders_seen += 1;
            let mut tx = state.pool.begin().await?;
            match import::apply(&mut tx, tenant_id, Topic::Updated, order).await? {
                Outcome::Created(_) => {
                    tracing::info!(%shop, shopify_order_id = order.id, "reconciliation imported a missed order");
                    report.imported += 1;
                }
                Outcome::Updated(_) | Outcome::Cancelled(_) => report.updated += 1,
                Outcome::Unchanged(_) => {}
            }
            tx.commit().await?;
        }
        sqlx::query("UPDATE tenants SET reconciled_until = $2 WHERE id = $1")
            .bind(tenant_id)
            .bind(started)
            .execute(&state.pool)
            .await?;
    }
    Ok(report)
}

/// Runs reconciliation every `interval` until `shutdown`.
pub async fn every(state: AppState, interval: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match run_once(&state).await {
            Ok(report) => tracing::info!(?report, "reconciliation finished"),
            Err(e) => tracing::warn!(error = %e, "reconciliation failed"),
        }
    }
}

/// `POST /internal/reconcile`: run now and report.
pub async fn trigger(State(state): State<AppState>) -> ApiResult<Json<Report>> {
    Ok(Json(run_once(&state).await?))
}
