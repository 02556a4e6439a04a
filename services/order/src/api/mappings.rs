//! Product mappings: which gcode files (assembly parts) print one unit of a SKU.

use super::{TenantId, check_text};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_common::{ApiResult, FieldError, Json, Problem};
use sqlx::PgConnection;
use uuid::Uuid;

/// Most parts one mapping may list.
const MAX_PARTS: usize = 100;
/// Most copies of one part per unit.
const MAX_PART_QUANTITY: i32 = 100;

/// A part of a mapping.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AssemblyPart {
    #[serde(default)]
    #[sqlx(default)]
    id: Option<Uuid>,
    name: String,
    simplyprint_file_id: String,
    file_name: String,
    quantity: i32,
}

/// A mapping with its parts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    id: Uuid,
    tenant_id: Uuid,
    sku: String,
    product_name: String,
    shopify_product_id: Option<i64>,
    active: bool,
    plan_hash: Option<String>,
    parts: Vec<AssemblyPart>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MappingRow {
    id: Uuid,
    tenant_id: Uuid,
    sku: String,
    product_name: String,
    shopify_product_id: Option<i64>,
    active: bool,
    plan_hash: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Body of create/replace.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MappingInput {
    sku: String,
    product_name: String,
    #[serde(default)]
    shopify_product_id: Option<i64>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    plan_hash: Option<String>,
    parts: Vec<AssemblyPart>,
}

fn yes() -> bool {
    true
}

/// Body of the internal upsert: the tenant travels in the body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternalMappingInput {
    tenant_id: Uuid,
    #[serde(flatten)]
    mapping: MappingInput,
}

fn validate(input: &MappingInput) -> Result<(), Problem> {
    let mut errors = Vec::new();
    let sku = input.sku.trim();
    if sku.is_empty()
        || sku.len() > 100
        || !sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        errors.push(FieldError::new(
            "sku",
            "must be 1..=100 characters of letters, digits, '-', '_' and '.'",
        ));
    }
    check_text(&mut errors, "productName", &input.product_name, 200);
    if input.shopify_product_id.is_some_and(|id| id <= 0) {
        errors.push(FieldError::new(
            "shopifyProductId",
            "must be a positive integer",
        ));
    }
    if input.parts.is_empty() || input.parts.len() > MAX_PARTS {
        errors.push(FieldError::new(
            "parts",
            format!("must hold 1..={MAX_PARTS} parts"),
        ));
    }
    for (i, part) in input.parts.iter().enumerate() {
        check_text(&mut errors, &format!("parts[{i}].name"), &part.name, 200);
        check_text(
            &mut errors,
            &format!("parts[{i}].simplyprintFileId"),
            &part.simplyprint_file_id,
            128,
        );
        check_text(
            &mut errors,
            &format!("parts[{i}].fileName"),
            &part.file_name,
            255,
        );
        if !(1..=MAX_PART_QUANTITY).contains(&part.quantity) {
            errors.push(FieldError::new(
                format!("parts[{i}].quantity"),
                format!("is {}; must be in 1..={MAX_PART_QUANTITY}", part.quantity),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

async fn write_parts(
    conn: &mut PgConnection,
    mapping_id: Uuid,
    parts: &[AssemblyPart],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM assembly_parts WHERE mapping_id = $1")
        .bind(mapping_id)
        .execute(&mut *conn)
        .await?;
    for (position, part) in parts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO assembly_parts (id, mapping_id, position, name, simplyprint_file_id, file_name, quantity) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(mapping_id)
        .bind(position as i32)
        .bind(part.name.trim())
        .bind(part.simplyprint_file_id.trim())
        .bind(part.file_name.trim())
        .bind(part.quantity)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn fetch(conn: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> ApiResult<Mapping> {
    let row: MappingRow = sqlx::query_as(
        "SELECT id, tenant_id, sku, product_name, shopify_product_id, active, plan_hash, created_at, updated_at \
         FROM product_mappings WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Problem::not_found(format!("mapping {id}")))?;
    let parts = sqlx::query_as(
        "SELECT id, name, simplyprint_file_id, file_name, quantity FROM assembly_parts WHERE mapping_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Mapping {
        id: row.id,
        tenant_id: row.tenant_id,
        sku: row.sku,
        product_name: row.product_name,
        shopify_product_id: row.shopify_product_id,
        active: row.active,
        plan_hash: row.plan_hash,
        parts,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Inserts, or replaces the mapping with the same SKU when `replace`.
async fn save(
    state: &AppState,
    tenant_id: Uuid,
    input: &MappingInput,
    replace: bool,
) -> ApiResult<(bool, Mapping)> {
    validate(input)?;
    let mut tx = state.pool.begin().await?;
    let tenant_exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    if !tenant_exists {
        return Err(Problem::not_found(format!("tenant {tenant_id}")));
    }
    let new_id = Uuid::now_v7();
    let (id, inserted): (Uuid, bool) = sqlx::query_as(
        "INSERT INTO product_mappings (id, tenant_id, sku, product_name, shopify_product_id, active, plan_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, sku) DO UPDATE SET sku = EXCLUDED.sku \
         RETURNING id, (xmax = 0)",
    )
    .bind(new_id)
    .bind(tenant_id)
    .bind(input.sku.trim())
    .bind(input.product_name.trim())
    .bind(input.shopify_product_id)
    .bind(input.active)
    .bind(&input.plan_hash)
    .fetch_one(&mut *tx)
    .await?;
    if !inserted {
        if !replace {
            return Err(Problem::conflict(format!(
                "a mapping for SKU {} exists",
                input.sku.trim()
            )));
        }
        sqlx::query(
            "UPDATE product_mappings SET product_name = $2, shopify_product_id = $3, active = $4, plan_hash = $5, \
             updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(input.product_name.trim())
        .bind(input.shopify_product_id)
        .bind(input.active)
        .bind(&input.plan_hash)
        .execute(&mut *tx)
        .await?;
    }
    write_parts(&mut tx, id, &input.parts).await?;
    let mapping = fetch(&mut tx, tenant_id, id).await?;
    tx.commit().await?;
    Ok((inserted, mapping))
}

/// `POST /api/v1/mappings`: 409 when the SKU is mapped already.
pub async fn create(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Json(input): Json<MappingInput>,
) -> ApiResult<(StatusCode, Json<Mapping>)> {
    let (_, mapping) = save(&state, tenant, &input, false).await?;
    Ok((StatusCode::CREATED, Json(mapping)))
}

/// `PUT /api/v1/mappings/{id}`.
pub async fn replace(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Path(id): Path<Uuid>,
    Json(input): Json<MappingInput>,
) -> ApiResult<Json<Mapping>> {
    validate(&input)?;
    let mut tx = state.pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE product_mappings SET sku = $3, product_name = $4, shopify_product_id = $5, active = $6, plan_hash = $7, \
         updated_at = now() WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .bind(input.sku.trim())
    .bind(input.product_name.trim())
    .bind(input.shopify_product_id)
    .bind(input.active)
    .bind(&input.plan_hash)
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 0 => return Err(Problem::not_found(format!("mapping {id}"))),
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Problem::conflict(format!(
                "another mapping has SKU {}",
                input.sku.trim()
            )));
        }
        Err(e) => return Err(e.into()),
    }
    write_parts(&mut tx, id, &input.parts).await?;
    let mapping = fetch(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(Json(mapping))
}

/// `GET /api/v1/mappings/{id}`.
pub async fn get(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Mapping>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(fetch(&mut conn, tenant, id).await?))
}

/// `DELETE /api/v1/mappings/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let deleted = sqlx::query("DELETE FROM product_mappings WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant)
        .execute(&state.pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(Problem::not_found(format!("mapping {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/mappings`.
pub async fn list(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
) -> ApiResult<Json<Vec<Mapping>>> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM product_mappings WHERE tenant_id = $1 ORDER BY sku")
            .bind(tenant)
            .fetch_all(&state.pool)
            .await?;
    let mut conn = state.pool.acquire().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(fetch(&mut conn, tenant, id).await?);
    }
    Ok(Json(out))
}

/// `PUT /internal/mappings`: create or replace by SKU (used by the GridFlock
/// pipeline; repeating it is harmless).
pub async fn upsert_internal(
    State(state): State<AppState>,
    Json(input): Json<InternalMappingInput>,
) -> ApiResult<(StatusCode, Json<Mapping>)> {
    let (inserted, mapping) = save(&state, input.tenant_id, &input.mapping, true).await?;
    Ok((
        if inserted {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(mapping),
    ))
}

/// Query of the internal lookup.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    tenant_id: Uuid,
    sku: String,
}

/// `GET /internal/mappings/lookup?tenantId=&sku=`.
pub async fn lookup(
    State(state): State<AppState>,
    Query(q): Query<Lookup>,
) -> ApiResult<Json<Mapping>> {
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM product_mappings WHERE tenant_id = $1 AND sku = $2")
            .bind(q.tenant_id)
            .bind(q.sku.trim())
            .fetch_optional(&state.pool)
            .await?;
    let id = id.ok_or_else(|| Problem::not_found(format!("mapping for SKU {}", q.sku.trim())))?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(fetch(&mut conn, q.tenant_id, id).await?))
}
