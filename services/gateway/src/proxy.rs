//! Forwarding a request to the service that owns it.
//!
//! Operator routes: credentials → rate limit → role → body limit, then the
//! request goes on with the safe headers only, plus `X-Internal-Api-Key`,
//! `X-Tenant-Id` (from the credential; a client's own is dropped),
//! `X-Operator-Id` and `X-Correlation-Id`. Webhooks go on byte for byte
//! with their headers, because their signatures cover them. Responses are
//! streamed back as they arrive.
//!
//! Request bodies are read in full first (they are small: at most the body
//! limit); that makes the 413 exact and lets a body that failed half way
//! never reach a backend.

use crate::auth::{self, Operator};
use crate::routes::{Access, Route, Upstream};
use crate::{AppState, ratelimit};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use service_common::Problem;
use service_common::auth::INTERNAL_API_KEY_HEADER;
use service_common::telemetry::{CORRELATION_HEADER, current_correlation_id};
use std::net::{IpAddr, SocketAddr};

/// Headers the backend needs to know who is asking.
pub const TENANT_HEADER: &str = "x-tenant-id";
/// The operator's id.
pub const OPERATOR_HEADER: &str = "x-operator-id";
/// The operator's role.
pub const ROLE_HEADER: &str = "x-operator-role";

/// Client headers an operator request may carry to a backend.
const SAFE_REQUEST_HEADERS: &[HeaderName] = &[
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    header::CONTENT_TYPE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::USER_AGENT,
];

/// Headers that describe one connection, never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers only the gateway may set on the way in.
const GATEWAY_OWNED: &[&str] = &[
    INTERNAL_API_KEY_HEADER,
    TENANT_HEADER,
    OPERATOR_HEADER,
    ROLE_HEADER,
    CORRELATION_HEADER,
    "x-forwarded-for",
];

/// Handles a request that matched `route`.
pub async fn handle(state: AppState, route: &'static Route, request: Request) -> Response {
    match forward(&state, route, request).await {
        Ok(r) | Err(r) => r,
    }
}

async fn forward(
    state: &AppState,
    route: &'static Route,
    request: Request,
) -> Result<Response, Response> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    let (parts, body) = request.into_parts();
    let ip = client_ip(&state.config, &parts.headers, peer);
    let operator = match route.access {
        Access::Operator(required) => {
            let operator = auth::authenticate(state, &parts.headers)
                .await
                .map_err(IntoResponse::into_response)?;
            ratelimit::check(state, &format!("operator:{}", operator.id)).await?;
            operator
                .authorize(&parts.method, required)
                .map_err(IntoResponse::into_response)?;
            Some(operator)
        }
        Access::Public => {
            ratelimit::check(state, &format!("ip:{ip}")).await?;
            None
        }
        Access::Webhook => None,
    };
    let limit = match route.access {
        Access::Webhook => state.config.webhook_max_body_bytes,
        _ => state.config.max_body_bytes,
    };
    let body = read_body(&parts.headers, body, limit).await?;

    let path = route.upstream_path(parts.uri.path());
    let url = match parts.uri.query() {
        Some(q) => format!("{}{path}?{q}", state.backend_url(route.backend)),
        None => format!("{}{path}", state.backend_url(route.backend)),
    };
    let mut headers = match route.access {
        Access::Webhook => passthrough_headers(&parts.headers),
        _ => safe_headers(&parts.headers),
    };
    if route.access != Access::Webhook {
        insert(
            &mut headers,
            INTERNAL_API_KEY_HEADER,
            &state.config.common.internal_api_key,
        );
    }
    if let Some(op) = &operator {
        insert(&mut headers, TENANT_HEADER, &op.tenant_id.to_string());
        insert(&mut headers, OPERATOR_HEADER, &op.id.to_string());
        insert(&mut headers, ROLE_HEADER, op.role.as_str());
    }
    if let Some(id) = current_correlation_id() {
        insert(&mut headers, CORRELATION_HEADER, &id);
    }
    insert(&mut headers, "x-forwarded-for", &ip.to_string());

    let sent = state
        .http
        .request(parts.method.clone(), &url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(backend = route.backend.name(), error = %e, "backend unreachable");
            Problem::new(StatusCode::BAD_GATEWAY, "bad-gateway", "Bad gateway")
                .detail(format!("{} could not be reached", route.backend.name()))
                .into_response()
        })?;
    match (route.upstream, &operator) {
        (Upstream::TenantCheckedPrintJobs, Some(op)) => tenant_checked(sent, op).await,
        _ => Ok(stream_back(sent)),
    }
}

/// The client's address: the peer, or with `GATEWAY_TRUST_FORWARDED_FOR`
/// the last `X-Forwarded-For` entry (the one the trusted proxy appended).
pub fn client_ip(config: &crate::Config, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if config.trust_forwarded_for
        && let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return ip;
    }
    peer.ip()
}

/// 413 for a body above `limit`.
pub fn too_large(limit: usize) -> Response {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
    )
    .detail(format!("the body may be at most {limit} bytes"))
    .into_response()
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mut collected = BytesMut::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::bad_request(format!("the body could not be read: {e}")).into_response()
        })?;
        if collected.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(collected.freeze())
}

fn safe_headers(incoming: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in SAFE_REQUEST_HEADERS {
        for value in incoming.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn passthrough_headers(incoming: &HeaderMap) -> HeaderMap {
    let mut out = incoming.clone();
    for name in HOP_BY_HOP.iter().chain(GATEWAY_OWNED) {
        out.remove(*name);
    }
    // The body is re-sent as collected; the client's framing does not apply.
    out.remove(header::HOST);
    out.remove(header::CONTENT_LENGTH);
    out.remove(header::AUTHORIZATION);
    out.remove(header::COOKIE);
    out
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

fn response_headers(upstream: &HeaderMap) -> HeaderMap {
    let mut out = upstream.clone();
    for name in HOP_BY_HOP {
        out.remove(*name);
    }
    // The gateway's correlation layer sets its own.
    out.remove(CORRELATION_HEADER);
    out
}

fn stream_back(upstream: reqwest::Response) -> Response {
    let status = upstream.status();
    let headers = response_headers(upstream.headers());
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// print-service's internal print-job routes answer for any tenant: the
/// answer is passed on only when every job in it is the operator's. Another
/// tenant's job is a 404, exactly like one that does not exist.
async fn tenant_checked(upstream: reqwest::Response, op: &Operator) -> Result<Response, Response> {
    let status = upstream.status();
    if !status.is_success() {
        return Ok(stream_back(upstream));
    }
    let headers = response_headers(upstream.headers());
    let bytes = upstream.bytes().await.map_err(|e| {
        Problem::new(StatusCode::BAD_GATEWAY, "bad-gateway", "Bad gateway")
            .detail(format!("print-service's answer broke off: {e}"))
            .into_response()
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Problem::internal(format!(
            "print-service answered something that is not JSON: {e}"
        ))
        .into_response()
    })?;
    let tenant = op.tenant_id.to_string();
    let jobs: Vec<&serde_json::Value> = match value.get("jobs").and_then(|j| j.as_array()) {
        Some(list) => list.iter().collect(),
        None => vec![&value],
    };
    if jobs
        .iter()
        .any(|job| job.get("tenantId").and_then(|t| t.as_str()) != Some(tenant.as_str()))
    {
        return Err(Problem::not_found("no such print job for this tenant").into_response());
    }
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_requests_lose_everything_but_safe_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        h.insert(header::COOKIE, HeaderValue::from_static("gfc_session=1"));
        h.insert(TENANT_HEADER, HeaderValue::from_static("someone-else"));
        h.insert(INTERNAL_API_KEY_HEADER, HeaderValue::from_static("guess"));
        let out = safe_headers(&h);
        assert_eq!(out.len(), 1);
        assert_eq!(out[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn webhooks_keep_their_headers_but_not_ours() {
        let mut h = HeaderMap::new();
        h.insert("x-shopify-hmac-sha256", HeaderValue::from_static("sig"));
        h.insert("x-shopify-topic", HeaderValue::from_static("orders/create"));
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        h.insert(INTERNAL_API_KEY_HEADER, HeaderValue::from_static("guess"));
        h.insert(TENANT_HEADER, HeaderValue::from_static("t"));
        let out = passthrough_headers(&h);
        assert_eq!(out["x-shopify-hmac-sha256"], "sig");
        assert_eq!(out["x-shopify-topic"], "orders/create");
        assert!(out.get(header::CONNECTION).is_none());
        assert!(out.get(INTERNAL_API_KEY_HEADER).is_none());
        assert!(out.get(TENANT_HEADER).is_none());
    }
}
