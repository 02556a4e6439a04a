//! Tenants: a Shopify shop domain and its settings.

use super::check_text;
use crate::AppState;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_common::{ApiResult, FieldError, Json, Problem};
use uuid::Uuid;

/// A tenant as the API shows it (the access token is never shown).
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    id: Uuid,
    shop_domain: String,
    name: String,
    notification_webhook_url: Option<String>,
    #[sqlx(default)]
    has_shopify_access_token: bool,
    reconciled_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// Body of create and update.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantInput {
    shop_domain: String,
    name: String,
    #[serde(default)]
    shopify_access_token: Option<String>,
    #[serde(default)]
    notification_webhook_url: Option<String>,
}

const SELECT: &str = "SELECT id, shop_domain, name, notification_webhook_url, \
    shopify_access_token IS NOT NULL AS has_shopify_access_token, reconciled_until, created_at FROM tenants";

fn validate(input: &TenantInput) -> Result<(), Problem> {
    let mut errors = Vec::new();
    let domain = input.shop_domain.trim();
    if !is_shop_domain(domain) {
        errors.push(FieldError::new(
            "shopDomain",
            "must be a shop host name such as example.myshopify.com (lower-case letters, digits, '-' and '.')",
        ));
    }
    check_text(&mut errors, "name", &input.name, 200);
    if let Some(url) = &input.notification_webhook_url
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        errors.push(FieldError::new(
            "notificationWebhookUrl",
            "must be an http(s) URL",
        ));
    }
    if let Some(token) = &input.shopify_access_token {
        check_text(&mut errors, "shopifyAccessToken", token, 255);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

fn is_shop_domain(d: &str) -> bool {
    (3..=255).contains(&d.len())
        && d.contains('.')
        && d.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// `POST /internal/tenants`.
pub async fn create(
    State(state): State<AppState>,
    Json(input): Json<TenantInput>,
) -> ApiResult<(axum::http::StatusCode, Json<Tenant>)> {
    validate(&input)?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO tenants (id, shop_domain, name, shopify_access_token, notification_webhook_url) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop_domain) DO NOTHING",
    )
    .bind(id)
    .bind(input.shop_domain.trim())
    .bind(input.name.trim())
    .bind(&input.shopify_access_token)
    .bind(&input.notification_webhook_url)
    .execute(&state.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(Problem::conflict(format!(
            "shop {} is already a tenant",
            input.shop_domain.trim()
        )));
    }
    Ok((
        axum::http::StatusCode::CREATED,
        Json(fetch(&state, id).await?),
    ))
}

/// `PUT /internal/tenants/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(input): Json<TenantInput>,
) -> ApiResult<Json<Tenant>> {
    validate(&input)?;
    let updated = sqlx::query(
        "UPDATE tenants SET shop_domain = $2, name = $3, shopify_access_token = coalesce($4, shopify_access_token), \
         notification_webhook_url = $5, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(input.shop_domain.trim())
    .bind(input.name.trim())
    .bind(&input.shopify_access_token)
    .bind(&input.notification_webhook_url)
    .execute(&state.pool)
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 0 => Err(Problem::not_found(format!("tenant {id}"))),
        Ok(_) => {
            state.tenants.clear();
            Ok(Json(fetch(&state, id).await?))
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(Problem::conflict("another tenant has this shop domain"))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /internal/tenants`.
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Tenant>>> {
    let rows = sqlx::query_as(&format!("{SELECT} ORDER BY created_at"))
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(rows))
}

/// `GET /internal/tenants/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<Tenant>> {
    Ok(Json(fetch(&state, id).await?))
}

async fn fetch(state: &AppState, id: Uuid) -> ApiResult<Tenant> {
    sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| Problem::not_found(format!("tenant {id}")))
}

/// What shipping-service needs to fulfil an order in Shopify.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ShopifyCredentials {
    shop_domain: String,
    access_token: String,
    admin_url: String,
    api_version: String,
}

/// `GET /internal/tenants/{id}/shopify-credentials`: the Admin API token
/// (internal only; 404 when the tenant has none).
pub async fn shopify_credentials(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ShopifyCredentials>> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT shop_domain, shopify_access_token FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    let Some((shop_domain, Some(access_token))) = row else {
        return Err(Problem::not_found(format!(
            "Shopify credentials of tenant {id}"
        )));
    };
    Ok(Json(ShopifyCredentials {
        admin_url: format!(
            "{}/admin/api/{}",
            state
                .config
                .shopify_admin_url_template
                .replace("{shop}", &shop_domain),
            state.config.shopify_api_version
        ),
        api_version: state.config.shopify_api_version.clone(),
        shop_domain,
        access_token,
    }))
}
