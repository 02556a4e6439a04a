//! The OpenAPI 3.1 document of the whole public API, built from the route
//! table plus the gateway's own operations, and a plain HTML page listing
//! the operations (no scripts, nothing fetched from elsewhere).

use crate::routes::{Access, ROUTES, Route};
use axum::response::{Html, IntoResponse};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// An operation the gateway answers itself.
#[derive(Debug, Clone, Copy)]
pub struct OwnOperation {
    /// HTTP method.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// `None`: public; else a security scheme name.
    pub security: Option<&'static str>,
    /// Request schema.
    pub request: Option<&'static str>,
    /// Success status and schema.
    pub response: (u16, Option<&'static str>),
    /// Media type of the success answer.
    pub media: &'static str,
}

const JSON: &str = "application/json";

/// The gateway's own operations.
pub static OWN: &[OwnOperation] = &[
    OwnOperation {
        method: "POST",
        path: "/api/v1/auth/login",
        tag: "auth",
        summary: "Open a web UI session with an API token; answers a Secure, HttpOnly, SameSite=Strict cookie",
        security: None,
        request: Some("LoginRequest"),
        response: (200, Some("LoggedIn")),
        media: JSON,
    },
    OwnOperation {
        method: "POST",
        path: "/api/v1/auth/logout",
        tag: "auth",
        summary: "End the session and clear its cookie",
        security: None,
        request: None,
        response: (204, None),
        media: JSON,
    },
    OwnOperation {
        method: "GET",
        path: "/api/v1/auth/me",
        tag: "auth",
        summary: "The operator behind the credentials",
        security: Some("operator"),
        request: None,
        response: (200, Some("Operator")),
        media: JSON,
    },
    OwnOperation {
        method: "GET",
        path: "/api/v1/events",
        tag: "events",
        summary: "Server-Sent Events: the tenant's order.*, print-job.*, shipment.* and gridflock.* events as they happen; each event is named by its type, data is the envelope",
        security: Some("operator"),
        request: None,
        response: (200, Some("EventEnvelope")),
        media: "text/event-stream",
    },
    OwnOperation {
        method: "GET",
        path: "/health",
        tag: "health",
        summary: "Readiness of every backend; 503 when one is down",
        security: None,
        request: None,
        response: (200, Some("AggregatedHealth")),
        media: JSON,
    },
    OwnOperation {
        method: "GET",
        path: "/health/live",
        tag: "health",
        summary: "The gateway process answers (container health check)",
        security: None,
        request: None,
        response: (200, None),
        media: JSON,
    },
    OwnOperation {
        method: "GET",
        path: "/health/ready",
        tag: "health",
        summary: "The gateway's own readiness (PostgreSQL, Redis)",
        security: None,
        request: None,
        response: (200, Some("Readiness")),
        media: JSON,
    },
    OwnOperation {
        method: "GET",
        path: "/api/docs",
        tag: "docs",
        summary: "This API's operations as an HTML page",
        security: None,
        request: None,
        response: (200, None),
        media: "text/html",
    },
    OwnOperation {
        method: "GET",
        path: "/api/docs/openapi.json",
        tag: "docs",
        summary: "This document",
        security: None,
        request: None,
        response: (200, None),
        media: JSON,
    },
    OwnOperation {
        method: "POST",
        path: "/internal/operators",
        tag: "internal",
        summary: "Create an operator of a tenant (409 for a duplicate e-mail address)",
        security: Some("internalApiKey"),
        request: Some("OperatorInput"),
        response: (201, Some("OperatorRecord")),
        media: JSON,
    },
    OwnOperation {
        method: "POST",
        path: "/internal/operators/{id}/tokens",
        tag: "internal",
        summary: "Issue an API token; its value is shown only in this answer",
        security: Some("internalApiKey"),
        request: Some("TokenInput"),
        response: (201, Some("IssuedToken")),
        media: JSON,
    },
    OwnOperation {
        method: "POST",
        path: "/internal/tokens/{id}/revoke",
        tag: "internal",
        summary: "Revoke a token and every session opened with it",
        security: Some("internalApiKey"),
        request: None,
        response: (204, None),
        media: JSON,
    },
];

/// The document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

fn success(status: u16, schema: Option<&str>, media: &str) -> (String, Value) {
    let mut r = json!({ "description": if status == 204 { "No content" } else { "Success" } });
    if status != 204 {
        let s = schema.map_or_else(|| json!({}), schema_ref);
        r["content"] = json!({ media: { "schema": s } });
    }
    (status.to_string(), r)
}

fn forwarded(route: &Route) -> Value {
    let mut parameters = path_parameters(route.path);
    for p in route.query {
        parameters.push(json!({
            "name": p.name, "in": "query", "required": p.required,
            "description": p.description, "schema": { "type": "string" }
        }));
    }
    let mut responses = Map::new();
    let (code, ok) = success(route.response.0, route.response.1, JSON);
    responses.insert(code, ok);
    let mut op = json!({
        "tags": [route.tag],
        "summary": route.summary,
        "operationId": operation_id(route.method, route.path),
        "parameters": parameters,
    });
    match route.access {
        Access::Operator(role) => {
            op["security"] = json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]);
            op["x-minimum-role"] = json!(role.as_str());
            responses.insert("401".into(), problem("No valid credentials"));
            responses.insert(
                "403".into(),
                problem("The operator's role does not allow this"),
            );
            responses.insert("404".into(), problem("Not found for the operator's tenant"));
            responses.insert("429".into(), problem("Rate limit reached; see Retry-After"));
        }
        Access::Public => {
            op["security"] = json!([]);
            responses.insert("422".into(), problem("Invalid input"));
            responses.insert("429".into(), problem("Rate limit reached; see Retry-After"));
        }
        Access::Webhook => {
            op["security"] = json!([]);
            op["description"] = json!(
                "Passed to the owning service byte for byte with its headers; the owner verifies the signature."
            );
            responses.insert("401".into(), problem("Bad signature"));
        }
    }
    if let Some(req) = route.request {
        op["requestBody"] = json!({
            "required": true,
            "content": { JSON: { "schema": schema_ref(req) } }
        });
        responses.insert("413".into(), problem("The body is larger than the limit"));
    }
    responses.insert(
        "502".into(),
        problem("The owning service could not be reached"),
    );
    op["responses"] = Value::Object(responses);
    op
}

fn own(o: &OwnOperation) -> Value {
    let mut responses = Map::new();
    let (code, ok) = success(o.response.0, o.response.1, o.media);
    responses.insert(code, ok);
    let mut op = json!({
        "tags": [o.tag],
        "summary": o.summary,
        "operationId": operation_id(o.method, o.path),
        "parameters": path_parameters(o.path),
    });
    op["security"] = match o.security {
        None => json!([]),
        Some("operator") => {
            responses.insert("401".into(), problem("No valid credentials"));
            json!([{ "bearerAuth": [] }, { "sessionCookie": [] }])
        }
        Some(scheme) => {
            responses.insert("401".into(), problem("Missing or wrong internal key"));
            json!([{ scheme: [] }])
        }
    };
    if let Some(req) = o.request {
        op["requestBody"] =
            json!({ "required": true, "content": { JSON: { "schema": schema_ref(req) } } });
        responses.insert("422".into(), problem("Invalid input"));
    }
    op["responses"] = Value::Object(responses);
    op
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for part in path.split(['/', '-', '{', '}']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

fn build() -> Value {
    let mut paths = Map::new();
    let mut add = |method: &str, path: &str, op: Value| {
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method.to_ascii_lowercase()] = op;
    };
    for route in ROUTES {
        add(route.method, route.path, forwarded(route));
    }
    for o in OWN {
        add(o.method, o.path, own(o));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "GridFlock Connect API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The public API of GridFlock Connect. Operator routes act for the tenant of the credential (an API token as `Authorization: Bearer`, or the web UI's session cookie); another tenant's resources answer 404. Viewers may only read. Errors are RFC 9457 problems."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer", "description": "An API token (gfc_…) issued through POST /internal/operators/{id}/tokens" },
                "sessionCookie": { "type": "apiKey", "in": "cookie", "name": crate::auth::sessions::COOKIE, "description": "Opened by POST /api/v1/auth/login" },
                "internalApiKey": { "type": "apiKey", "in": "header", "name": "X-Internal-Api-Key" }
            },
            "schemas": schemas(),
        }
    })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn list_of(item: &str, field: &str) -> Value {
    object(
        &[field],
        json!({ field: { "type": "array", "items": schema_ref(item) } }),
    )
}

fn array_of(item: &str) -> Value {
    json!({ "type": "array", "items": schema_ref(item) })
}

fn schemas() -> Value {
    let s = json!({ "type": "string" });
    let uuid = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let int = json!({ "type": "integer" });
    let num = json!({ "type": "number" });
    let any = json!({ "type": "object", "additionalProperties": true });
    json!({
        "Problem": object(&["type", "title", "status"], json!({
            "type": s, "title": s, "status": int, "detail": s, "correlationId": s,
            "errors": { "type": "array", "items": object(&["field", "message"], json!({ "field": s, "message": s })) }
        })),
        "LoginRequest": object(&["token"], json!({ "token": s })),
        "Operator": object(&["id", "tenantId", "email", "role"], json!({
            "id": uuid, "tenantId": uuid, "email": s,
            "role": { "type": "string", "enum": ["admin", "operator", "viewer"] }
        })),
        "LoggedIn": object(&["operator", "expiresAt"], json!({ "operator": schema_ref("Operator"), "expiresAt": time })),
        "OperatorInput": object(&["tenantId", "email", "role"], json!({
            "tenantId": uuid, "email": s, "role": { "type": "string", "enum": ["admin", "operator", "viewer"] }
        })),
        "OperatorRecord": object(&["id", "tenantId", "email", "role", "createdAt"], json!({
            "id": uuid, "tenantId": uuid, "email": s, "role": s, "createdAt": time
        })),
        "TokenInput": object(&[], json!({ "name": s })),
        "IssuedToken": object(&["id", "operatorId", "name", "token", "createdAt"], json!({
            "id": uuid, "operatorId": uuid, "name": s, "token": s, "createdAt": time
        })),
        "Order": object(&["id", "status"], json!({
            "id": uuid, "tenantId": uuid, "shopDomain": s, "shopifyOrderId": int, "name": s, "status": s, "createdAt": time,
            "lineItems": { "type": "array", "items": any }
        })),
        "OrderList": array_of("Order"),
        "MappingInput": object(&["sku", "productName", "parts"], json!({
            "sku": s, "productName": s,
            "parts": { "type": "array", "items": object(&["name", "simplyprintFileId", "fileName", "quantity"], json!({
                "name": s, "simplyprintFileId": s, "fileName": s, "quantity": int
            })) }
        })),
        "Mapping": object(&["id", "sku"], json!({
            "id": uuid, "sku": s, "productName": s, "parts": { "type": "array", "items": any }
        })),
        "MappingList": array_of("Mapping"),
        "NotificationList": array_of("Notification"),
        "Notification": object(&["id"], json!({ "id": uuid, "kind": s, "message": s, "createdAt": time })),
        "PrintSettings": any,
        "PrintJob": object(&["id", "tenantId", "orderId", "status"], json!({
            "id": uuid, "tenantId": uuid, "orderId": uuid, "lineItemId": uuid, "partId": uuid,
            "copyIndex": int, "status": s, "simplyprintFileId": s, "fileName": s,
            "error": s, "createdAt": time, "updatedAt": time
        })),
        "PrintJobList": list_of("PrintJob", "jobs"),
        "Shipment": object(&["id", "orderId", "status"], json!({
            "id": uuid, "orderId": uuid, "status": s, "carrier": s, "trackingNumber": s, "trackingUrl": s
        })),
        "ShipmentList": list_of("Shipment", "shipments"),
        "PreviewRequest": object(&["widthMm", "heightMm"], json!({
            "widthMm": num, "heightMm": num,
            "connectorType": s, "magnets": { "type": "boolean" }, "printerProfile": s,
            "format": { "type": "string", "enum": ["stl", "3mf"] }
        })),
        "Preview": any,
        "PlanSummary": any,
        "ShopifyOrder": any,
        "WebhookPayload": any,
        "EventEnvelope": object(&["eventId", "eventType", "source", "tenantId", "timestamp", "payload"], json!({
            "eventId": uuid, "eventType": s, "source": s, "tenantId": uuid, "timestamp": time,
            "correlationId": s, "payload": any
        })),
        "AggregatedHealth": object(&["status", "services"], json!({
            "status": s,
            "services": { "type": "array", "items": object(&["name", "status", "elapsedMs"], json!({
                "name": s, "status": { "type": "string", "enum": ["up", "down"] }, "httpStatus": int, "elapsedMs": int, "error": s
            })) }
        })),
        "Readiness": any,
    })
}

/// `GET /api/docs/openapi.json`.
pub async fn json_document() -> impl IntoResponse {
    axum::Json(document().clone())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /api/docs`: the operations as a table, rendered on the server.
pub async fn html_page() -> impl IntoResponse {
    let doc = document();
    let mut rows = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                let auth = match op["security"].as_array().map(Vec::len) {
                    Some(0) | None => "public".to_owned(),
                    _ => op["security"][0]
                        .as_object()
                        .and_then(|o| o.keys().next().cloned())
                        .unwrap_or_default(),
                };
                rows.push_str(&format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                    escape(&method.to_ascii_uppercase()),
                    escape(path),
                    escape(op["summary"].as_str().unwrap_or_default()),
                    escape(&auth),
                ));
            }
        }
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}</style></head>\
         <body><h1>{title} {version}</h1><p>The machine-readable document is at \
         <a href=\"/api/docs/openapi.json\">/api/docs/openapi.json</a>.</p>\
         <table><thead><tr><th>method</th><th>path</th><th>what</th><th>auth</th></tr></thead>\
         <tbody>\n{rows}</tbody></table></body></html>\n",
        title = escape(doc["info"]["title"].as_str().unwrap_or_default()),
        version = escape(doc["info"]["version"].as_str().unwrap_or_default()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_own_operation_is_documented() {
        let doc = document();
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} missing", r.method, r.path);
        }
        for o in OWN {
            assert!(doc["paths"][o.path][o.method.to_ascii_lowercase()].is_object());
        }
    }

    #[test]
    fn every_reference_resolves() {
        let text = document().to_string();
        let schemas = &document()["components"]["schemas"];
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(schemas[&name].is_object(), "schema {name} missing");
        }
    }

    #[test]
    fn operation_ids_are_readable() {
        assert_eq!(
            operation_id("GET", "/api/v1/print-jobs/{id}"),
            "getApiV1PrintJobsId"
        );
    }
}
