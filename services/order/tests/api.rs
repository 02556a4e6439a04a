//! The mapping, order and tenant API: validation, tenancy, authentication.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use service_common::testing::TEST_INTERNAL_KEY;
use support::{Harness, Options};

fn mapping(sku: &str) -> Value {
    json!({
        "sku": sku,
        "productName": "Cable organiser",
        "shopifyProductId": 8061536829755_i64,
        "parts": [
            { "name": "Body", "simplyprintFileId": "f568ead4b0abd", "fileName": "body.gcode", "quantity": 1 },
            { "name": "Clip", "simplyprintFileId": "a1b2c3d4", "fileName": "clip.gcode", "quantity": 2 }
        ]
    })
}

#[tokio::test]
async fn mappings_round_trip_and_refuse_bad_input_field_by_field() {
    let h = Harness::start(Options::default()).await;
    let r = h
        .send_json(Method::POST, "/api/v1/mappings", &mapping("CABLE-ORG"))
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["parts"].as_array().map(Vec::len), Some(2));
    assert_eq!(created["shopifyProductId"], 8061536829755_i64);

    let r = h
        .send_json(Method::POST, "/api/v1/mappings", &mapping("CABLE-ORG"))
        .await;
    assert_eq!(r.status(), 409);

    let mut bad = mapping("bad sku!");
    bad["parts"][1]["quantity"] = json!(0);
    bad["parts"][0]["fileName"] = json!("");
    let r = h.send_json(Method::POST, "/api/v1/mappings", &bad).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        vec!["sku", "parts[0].fileName", "parts[1].quantity"]
    );

    let r = h
        .send_json(Method::POST, "/api/v1/mappings", &json!({ "sku": "X" }))
        .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("productName"),
        "{problem}"
    );

    let id = created["id"].as_str().expect("id");
    let mut changed = mapping("CABLE-ORG-2");
    changed["active"] = json!(false);
    let r = h
        .send_json(Method::PUT, &format!("/api/v1/mappings/{id}"), &changed)
        .await;
    assert_eq!(r.status(), 200);
    let got: Value = h
        .get(&format!("/api/v1/mappings/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(got["sku"], "CABLE-ORG-2");
    assert_eq!(got["active"], false);
    let list: Vec<Value> = h.get("/api/v1/mappings").await.json().await.expect("json");
    assert_eq!(list.len(), 1);
    let r = h
        .send_json(
            Method::DELETE,
            &format!("/api/v1/mappings/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(h.get(&format!("/api/v1/mappings/{id}")).await.status(), 404);
    h.stop().await;
}

#[tokio::test]
async fn another_tenant_sees_nothing_and_unauthenticated_calls_are_refused() {
    let h = Harness::start(Options::default()).await;
    let created: Value = h
        .send_json(Method::POST, "/api/v1/mappings", &mapping("ONLY-MINE"))
        .await
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id");
    let other: Value = h
        .send_json(
            Method::POST,
            "/internal/tenants",
            &json!({ "shopDomain": "other.myshopify.com", "name": "Other" }),
        )
        .await
        .json()
        .await
        .expect("tenant");
    let other_id = other["id"].as_str().expect("id");
    let as_other = |path: String| {
        h.http
            .get(format!("{}{path}", h.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .header("x-tenant-id", other_id)
            .send()
    };
    assert_eq!(
        as_other(format!("/api/v1/mappings/{id}"))
            .await
            .expect("get")
            .status(),
        404
    );
    let list: Vec<Value> = as_other("/api/v1/mappings".into())
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(list.is_empty());

    let r = h
        .http
        .get(format!("{}/api/v1/mappings", h.url))
        .header("x-tenant-id", h.tenant_id.to_string())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let r = h
        .http
        .get(format!("{}/api/v1/mappings", h.url))
        .header("x-internal-api-key", "wrong-key-wrong-key-wrong")
        .header("x-tenant-id", h.tenant_id.to_string())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let r = h
        .http
        .get(format!("{}/api/v1/mappings", h.url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
    let r = h
        .http
        .get(format!("{}/api/v1/orders?limit=0", h.url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .header("x-tenant-id", h.tenant_id.to_string())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 422);
    let r = h
        .send_json(
            Method::POST,
            "/internal/tenants",
            &json!({ "shopDomain": "Not A Domain", "name": "" }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("json");
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(2));
    h.stop().await;
}

#[tokio::test]
async fn internal_tenant_settings_and_credentials_routes_answer() {
    let h = Harness::start(Options {
        access_token: Some("shpat_secret_token".to_owned()),
        ..Options::default()
    })
    .await;
    let id = h.tenant_id;
    let settings: Value = h
        .get(&format!("/internal/tenants/{id}/print-settings"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(settings["printerProfile"], "bambu-a1");
    let mut changed = settings.clone();
    changed["infillPercent"] = json!(25);
    let r = h
        .send_json(
            Method::PUT,
            &format!("/internal/tenants/{id}/print-settings"),
            &changed,
        )
        .await;
    assert_eq!(r.status(), 200);
    let back: Value = h
        .get("/api/v1/settings/print")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(back["infillPercent"], 25);
    let creds: Value = h
        .get(&format!("/internal/tenants/{id}/shopify-credentials"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(creds["accessToken"], "shpat_secret_token");
    assert_eq!(creds["shopDomain"], support::SHOP);
    assert!(
        creds["adminUrl"]
            .as_str()
            .unwrap_or("")
            .ends_with("/admin/api/2026-04")
    );
    // The token never appears in the tenant itself.
    let tenant = h
        .get(&format!("/internal/tenants/{id}"))
        .await
        .text()
        .await
        .expect("text");
    assert!(!tenant.contains("shpat_secret_token"), "{tenant}");
    h.stop().await;
}
