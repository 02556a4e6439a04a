//! The calls the pipeline makes to other services, each answered with
//! success, a transient failure (retry later) or a permanent one (fail now).
//!
//! No retries happen here: a retry is a persisted decision of the job
//! (attempt count and next attempt time in its row), so it survives a
//! restart and its back-off can span minutes.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use service_common::auth::INTERNAL_API_KEY_HEADER;
use service_common::client::http_client;
use service_common::contracts::{PrintSettings, UploadedFile};
use service_common::problem::Problem;
use service_common::telemetry::{CORRELATION_HEADER, current_correlation_id};
use std::time::Duration;
use uuid::Uuid;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Unreachable, timed out, 5xx or 429: the same call may succeed later.
    #[error("{0}")]
    Transient(String),
    /// Refused (4xx, or an upstream refusal relayed as 502): retrying the
    /// same call cannot help.
    #[error("{0}")]
    Permanent(String),
}

/// One part of the product mapping.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingPart {
    /// `Plate N (W×D mm)`.
    pub name: String,
    /// SimplyPrint file id.
    pub simplyprint_file_id: String,
    /// Gcode file name.
    pub file_name: String,
    /// Copies per unit: always 1, each plate once.
    pub quantity: u32,
}

/// Body of order-service's `PUT /internal/mappings`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingUpsert {
    /// Tenant.
    pub tenant_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Product name shown to operators.
    pub product_name: String,
    /// Always true: the mapping is usable at once.
    pub active: bool,
    /// Plan hash the plates were made for.
    pub plan_hash: String,
    /// One part per plate, in plate order.
    pub parts: Vec<MappingPart>,
}

#[derive(Deserialize)]
struct MappingCreated {
    id: Uuid,
}

/// Clients of slicer-service, print-service and order-service.
#[derive(Clone)]
pub struct Upstream {
    slicer_url: String,
    print_url: String,
    order_url: String,
    api_key: String,
    slice_http: reqwest::Client,
    upload_http: reqwest::Client,
    http: reqwest::Client,
}

impl Upstream {
    /// Clients with the configured URLs and timeouts.
    pub fn new(config: &crate::Config) -> Self {
        Self {
            slicer_url: config.slicer_service_url.clone(),
            print_url: config.print_service_url.clone(),
            order_url: config.order_service_url.clone(),
            api_key: config.common.internal_api_key.clone(),
            slice_http: http_client(config.pipeline.slice_timeout),
            upload_http: http_client(config.pipeline.upload_timeout),
            http: http_client(Duration::from_secs(30)),
        }
    }

    fn authenticated(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let req = req.header(INTERNAL_API_KEY_HEADER, &self.api_key);
        match current_correlation_id() {
            Some(id) => req.header(CORRELATION_HEADER, id),
            None => req,
        }
    }

    /// slicer-service `POST /slice`: the STL with the tenant's settings → gcode.
    pub async fn slice(
        &self,
        file_name: &str,
        stl: Vec<u8>,
        settings: &PrintSettings,
    ) -> Result<Bytes, Failure> {
        let part = reqwest::multipart::Part::bytes(stl)
            .file_name(file_name.to_owned())
            .mime_str("model/stl")
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("profile", settings.printer_profile.clone())
            .text("layerHeightMm", settings.layer_height_mm.to_string())
            .text("infillPercent", settings.infill_percent.to_string())
            .text("nozzleDiameterMm", settings.nozzle_diameter_mm.to_string())
            .text("filament", settings.filament.clone());
        let req = self
            .slice_http
            .post(format!("{}/slice", self.slicer_url))
            .multipart(form);
        let resp = send("slicer-service", self.authenticated(req)).await?;
        resp.bytes().await.map_err(|e| {
            Failure::Transient(format!("slicer-service: reading the gcode failed: {e}"))
        })
    }

    /// print-service `POST /internal/files`: the gcode into SimplyPrint.
    pub async fn upload(&self, file_name: &str, gcode: Vec<u8>) -> Result<UploadedFile, Failure> {
        let part = reqwest::multipart::Part::bytes(gcode)
            .file_name(file_name.to_owned())
            .mime_str("text/x.gcode")
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let req = self
            .upload_http
            .post(format!("{}/internal/files", self.print_url))
            .multipart(form);
        let resp = send("print-service", self.authenticated(req)).await?;
        decode("print-service", resp).await
    }

    /// order-service `PUT /internal/mappings` (an upsert by tenant and SKU):
    /// the mapping's id.
    pub async fn put_mapping(&self, body: &MappingUpsert) -> Result<Uuid, Failure> {
        let req = self
            .http
            .put(format!("{}/internal/mappings", self.order_url))
            .json(body);
        let resp = send("order-service", self.authenticated(req)).await?;
        let created: MappingCreated = decode("order-service", resp).await?;
        Ok(created.id)
    }
}

async fn send(service: &str, req: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
    let resp = req.send().await.map_err(|e| {
        Failure::Transient(format!("{service} is unreachable: {}", error_chain(&e)))
    })?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    Err(classify(service, status, &body))
}

async fn decode<T: serde::de::DeserializeOwned>(
    service: &str,
    resp: reqwest::Response,
) -> Result<T, Failure> {
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Failure::Transient(format!("{service}: reading the answer failed: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::Permanent(format!("{service} answered something unexpected: {e}")))
}

/// Sorts a non-success answer into transient or permanent, keeping the
/// problem's own words for the operator.
pub fn classify(service: &str, status: reqwest::StatusCode, body: &[u8]) -> Failure {
    let problem = serde_json::from_slice::<Problem>(body).ok();
    let said = match &problem {
        Some(p) => p.to_string(),
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let cut: String = text.chars().take(300).collect();
            if cut.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {cut}")
            }
        }
    };
    let message = format!("{service} answered {said}");
    // print-service answers 502 "upstream-refused" when SimplyPrint said no
    // (`status: false`): the same upload would be refused again.
    let relayed_refusal = status == reqwest::StatusCode::BAD_GATEWAY
        && problem
            .as_ref()
            .is_some_and(|p| p.kind.ends_with("/upstream-refused"));
    if relayed_refusal {
        return Failure::Permanent(message);
    }
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        Failure::Transient(message)
    } else {
        Failure::Permanent(message)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn statuses_sort_into_transient_and_permanent() {
        let problem = |status: u16, kind: &str| {
            serde_json::to_vec(&serde_json::json!({
                "type": format!("/problems/{kind}"), "title": "T", "status": status, "detail": "why"
            }))
            .expect("json")
        };
        assert!(matches!(
            classify("s", StatusCode::SERVICE_UNAVAILABLE, b""),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify("s", StatusCode::TOO_MANY_REQUESTS, b""),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify("s", StatusCode::BAD_GATEWAY, &problem(502, "bad-gateway")),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(
                "s",
                StatusCode::BAD_GATEWAY,
                &problem(502, "upstream-refused")
            ),
            Failure::Permanent(_)
        ));
        let Failure::Permanent(m) = classify(
            "slicer-service",
            StatusCode::UNPROCESSABLE_ENTITY,
            &problem(422, "invalid-input"),
        ) else {
            panic!("422 is permanent");
        };
        assert_eq!(m, "slicer-service answered 422 T: why");
        let Failure::Permanent(m) = classify("s", StatusCode::NOT_FOUND, b"no such route") else {
            panic!("404 is permanent");
        };
        assert!(m.ends_with("404 Not Found: no such route"), "{m}");
    }
}
