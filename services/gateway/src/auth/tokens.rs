//! Operators and API tokens in the `gateway` schema, and the internal
//! endpoints that provision them.
//!
//! A token is 32 random bytes shown once as `gfc_<hex>`; only its SHA-256
//! is stored, so the table cannot be used to call the API.

use super::{Operator, Role};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_common::{ApiResult, FieldError, Json, Problem};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// What every token starts with (recognisable in logs and secret scanners).
pub const TOKEN_PREFIX: &str = "gfc_";

/// A fresh token: the prefix and 32 random bytes in hex.
pub fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// The stored form of `token`.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[derive(sqlx::FromRow)]
struct OperatorRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    role: String,
    token_id: Uuid,
}

impl OperatorRow {
    fn into_operator(self) -> Result<Operator, Problem> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            Problem::internal(format!("operator {} has role {:?}", self.id, self.role))
        })?;
        Ok(Operator {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email,
            role,
            token_id: self.token_id,
        })
    }
}

const SELECT_OPERATOR: &str = "SELECT o.id, o.tenant_id, o.email, o.role, t.id AS token_id \
     FROM api_tokens t JOIN operators o ON o.id = t.operator_id \
     WHERE t.revoked_at IS NULL AND o.disabled_at IS NULL";

/// The operator holding `token`, if it is live.
pub async fn operator_for_token(pool: &PgPool, token: &str) -> Result<Option<Operator>, Problem> {
    let row: Option<OperatorRow> =
        sqlx::query_as(&format!("{SELECT_OPERATOR} AND t.token_hash = $1"))
            .bind(hash(token))
            .fetch_optional(pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    touch(pool, row.token_id).await?;
    row.into_operator().map(Some)
}

/// The operator holding the token `token_id`, if it is live.
pub async fn operator_for_token_id(
    pool: &PgPool,
    token_id: Uuid,
) -> Result<Option<Operator>, Problem> {
    let row: Option<OperatorRow> = sqlx::query_as(&format!("{SELECT_OPERATOR} AND t.id = $1"))
        .bind(token_id)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    touch(pool, row.token_id).await?;
    row.into_operator().map(Some)
}

/// Records use, at most once a minute per token: one write per request
/// would turn every read into a write.
async fn touch(pool: &PgPool, token_id: Uuid) -> Result<(), Problem> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 \
         AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(token_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Body of `POST /internal/operators`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOperator {
    tenant_id: Uuid,
    email: String,
    role: String,
}

/// An operator as the internal API shows it.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct OperatorView {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    role: String,
    created_at: DateTime<Utc>,
}

/// `POST /internal/operators`: 201 with the operator; 409 when the tenant
/// already has that e-mail address.
pub async fn create_operator(
    State(state): State<AppState>,
    Json(body): Json<NewOperator>,
) -> ApiResult<(StatusCode, Json<OperatorView>)> {
    let mut errors = Vec::new();
    let email = body.email.trim().to_owned();
    if email.is_empty() || email.len() > 320 || !email.contains('@') {
        errors.push(FieldError::new("email", "must be an e-mail address"));
    }
    let role = Role::parse(&body.role);
    if role.is_none() {
        errors.push(FieldError::new("role", "must be admin, operator or viewer"));
    }
    if body.tenant_id.is_nil() {
        errors.push(FieldError::new("tenantId", "must not be the nil UUID"));
    }
    let (Some(role), true) = (role, errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };
    let created: Option<OperatorView> = sqlx::query_as(
        "INSERT INTO operators (id, tenant_id, email, role) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING id, tenant_id, email, role, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(body.tenant_id)
    .bind(&email)
    .bind(role.as_str())
    .fetch_optional(&state.pool)
    .await?;
    let created = created
        .ok_or_else(|| Problem::conflict(format!("the tenant already has an operator {email}")))?;
    tracing::info!(operator = %created.id, tenant = %created.tenant_id, role = role.as_str(), "operator created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// Body of `POST /internal/operators/{id}/tokens`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    #[serde(default)]
    name: Option<String>,
}

/// A newly issued token: the only time its value is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    id: Uuid,
    operator_id: Uuid,
    name: String,
    token: String,
    created_at: DateTime<Utc>,
}

/// `POST /internal/operators/{id}/tokens`: 201 with the token; 404 for an
/// unknown or disabled operator.
pub async fn issue_token(
    State(state): State<AppState>,
    Path(operator_id): Path<Uuid>,
    body: bytes::Bytes,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    // The body is optional: no body means a token named "api".
    let body: NewToken = if body.iter().all(u8::is_ascii_whitespace) {
        NewToken::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Problem::bad_request(format!("the body is not a token request: {e}")))?
    };
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "api".to_owned());
    if name.len() > 200 {
        return Err(Problem::invalid_field(
            "name",
            "must be at most 200 characters",
        ));
    }
    let token = generate()?;
    let id = Uuid::now_v7();
    let created_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO api_tokens (id, operator_id, token_hash, name) \
         SELECT $1, o.id, $3, $4 FROM operators o WHERE o.id = $2 AND o.disabled_at IS NULL \
         RETURNING created_at",
    )
    .bind(id)
    .bind(operator_id)
    .bind(hash(&token))
    .bind(&name)
    .fetch_optional(&state.pool)
    .await?;
    let created_at =
        created_at.ok_or_else(|| Problem::not_found(format!("operator {operator_id}")))?;
    tracing::info!(operator = %operator_id, token = %id, "API token issued");
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            id,
            operator_id,
            name,
            token,
            created_at,
        }),
    ))
}

/// `POST /internal/tokens/{id}/revoke`: 204; the token and every session
/// opened with it stop working at once.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(token_id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1")
            .bind(token_id)
            .execute(&state.pool)
            .await?;
    if done.rows_affected() == 0 {
        return Err(Problem::not_found(format!("token {token_id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = generate().expect("token");
        let b = generate().expect("token");
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash(&a).len(), 32);
        assert_ne!(hash(&a), hash(&b));
    }
}
