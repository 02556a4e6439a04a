//! Web UI sessions: `POST /api/v1/auth/login {token}` opens one in Redis and
//! answers with a `Secure; HttpOnly; SameSite=Strict` cookie;
//! `POST /api/v1/auth/logout` ends it.
//!
//! Redis keys hold the SHA-256 of the session id, not the id itself, so
//! reading Redis does not let anyone ride a session. The cookie never holds
//! the API token: a stolen cookie dies with the session's TTL.

use super::{Operator, tokens};
use crate::{AppState, ratelimit};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_common::{Json, Problem};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use uuid::Uuid;

/// The session cookie's name.
pub const COOKIE: &str = "gfc_session";

/// What a session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Who logged in.
    pub operator_id: Uuid,
    /// With which token; revoking it ends the session.
    pub token_id: Uuid,
}

fn key(state: &AppState, session_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(session_id.as_bytes()));
    format!(
        "{}:gateway:session:{digest}",
        state.config.common.stream_prefix
    )
}

/// The session id from the request's cookies.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The live session `session_id`, if any.
pub async fn load(state: &AppState, session_id: &str) -> Result<Option<Session>, Problem> {
    let mut redis = state.redis.clone();
    let raw: Option<String> = redis::cmd("GET")
        .arg(key(state, session_id))
        .query_async(&mut redis)
        .await
        .map_err(|e| Problem::unavailable(format!("the session store is unavailable: {e}")))?;
    Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize)]
pub struct Login {
    token: String,
}

/// Answer of a login.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    operator: Operator,
    expires_at: DateTime<Utc>,
}

/// `POST /api/v1/auth/login`: 200 with the operator and a session cookie;
/// 401 for an unknown token. Attempts are rate-limited per client address.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<Login>,
) -> Result<Response, Response> {
    let ip = crate::proxy::client_ip(&state.config, &headers, peer);
    ratelimit::check(&state, &format!("login:{ip}")).await?;
    let operator = tokens::operator_for_token(&state.pool, body.token.trim())
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(|| Problem::unauthorized("the token is unknown or revoked").into_response())?;
    let session_id = tokens::generate()
        .map_err(|e| Problem::internal(e).into_response())?
        .split_off(tokens::TOKEN_PREFIX.len());
    let session = Session {
        operator_id: operator.id,
        token_id: operator.token_id,
    };
    let ttl = state.config.session_ttl;
    let mut redis = state.redis.clone();
    redis::cmd("SET")
        .arg(key(&state, &session_id))
        .arg(serde_json::to_string(&session).unwrap_or_default())
        .arg("EX")
        .arg(ttl.as_secs())
        .query_async::<()>(&mut redis)
        .await
        .map_err(|e| {
            Problem::unavailable(format!("the session store is unavailable: {e}")).into_response()
        })?;
    tracing::info!(operator = %operator.id, "operator logged in");
    let cookie = format!(
        "{COOKIE}={session_id}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict",
        ttl.as_secs()
    );
    let expires_at = Utc::now() + ttl;
    let mut response = Json(LoggedIn {
        operator,
        expires_at,
    })
    .into_response();
    set_cookie(&mut response, &cookie);
    Ok(response)
}

/// `POST /api/v1/auth/logout`: 204; ends the session (if any) and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&headers) {
        let mut redis = state.redis.clone();
        if let Err(e) = redis::cmd("DEL")
            .arg(key(&state, &id))
            .query_async::<()>(&mut redis)
            .await
        {
            return Problem::unavailable(format!("the session store is unavailable: {e}"))
                .into_response();
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        &mut response,
        &format!("{COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"),
    );
    response
}

/// `GET /api/v1/auth/me`: the operator behind the credentials.
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Operator>, Problem> {
    super::authenticate(&state, &headers).await.map(Json)
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_among_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gfc_session=abc; b=2"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("gfc_session="));
        assert_eq!(session_cookie(&h), None);
    }
}
