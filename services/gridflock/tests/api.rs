//! gridflock-service alone: storefront plan and preview, input validation,
//! internal authentication and the per-tenant feature flag.

mod support;

use serde_json::{Value, json};
use std::io::Read as _;
use support::{Options, Stack};

async fn alone() -> Stack {
    Stack::start(Options {
        with_dependencies: false,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn plan_summary_describes_the_plate_set() {
    let stack = alone().await;
    let r = stack
        .http
        .get(format!(
            "{}/api/v1/gridflock/plan?widthMm=450&heightMm=320&connectorType=intersection-puzzle\
             &magnets=true&printerProfile=bambu-a1",
            stack.url
        ))
        .send()
        .await
        .expect("plan");
    assert_eq!(r.status(), 200);
    let plan: Value = r.json().await.expect("json");
    assert_eq!(plan["sku"], "GF-450x320-IP-MAG");
    let count = plan["plateCount"].as_u64().expect("count");
    assert!(count >= 4, "{plan}");
    let plates = plan["plates"].as_array().expect("plates");
    assert_eq!(plates.len() as u64, count);
    assert_eq!(plan["planHash"].as_str().expect("hash").len(), 64);
    // The plates tile the set: the first plate of every column adds up to the width.
    let width: f64 = plates
        .iter()
        .filter(|p| p["row"] == 0)
        .map(|p| p["widthMm"].as_f64().expect("w"))
        .sum();
    assert!((width - 450.0).abs() < 1e-6, "{plan}");
    assert!(
        plates
            .iter()
            .all(|p| p["widthMm"].as_f64().expect("w") <= 256.0)
    );
    stack.stop().await;
}

#[tokio::test]
async fn bad_plan_input_is_422_naming_each_field() {
    let stack = alone().await;
    let get = |query: &'static str| {
        stack
            .http
            .get(format!("{}/api/v1/gridflock/plan?{query}", stack.url))
            .send()
    };
    let r = get("widthMm=20&heightMm=abc").await.expect("plan");
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["heightMm"], "{problem}");

    let r = get("widthMm=20&heightMm=100").await.expect("plan");
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "widthMm");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("42 to 2000 mm"),
        "{problem}"
    );

    let r = get("widthMm=100&heightMm=100&printerProfile=ender-9")
        .await
        .expect("plan");
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "printerProfile", "{problem}");
    stack.stop().await;
}

async fn preview(stack: &Stack, body: Value) -> reqwest::Response {
    stack
        .http
        .post(format!("{}/api/v1/gridflock/preview", stack.url))
        .json(&body)
        .send()
        .await
        .expect("preview")
}

#[tokio::test]
async fn preview_stl_holds_every_plate_in_one_solid() {
    let stack = alone().await;
    let r = preview(
        &stack,
        json!({ "widthMm": 300, "heightMm": 100, "printerProfile": "prusa-mini", "format": "stl" }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "model/stl");
    let bytes = r.bytes().await.expect("body");
    let triangles = gridflock_core::stl_read::parse(&bytes).expect("a valid STL");
    assert!(!triangles.is_empty());
    assert_eq!(bytes.len(), 84 + 50 * triangles.len());

    // The same as the plates built one by one, laid side by side.
    let params = gridflock_core::Params {
        printer: gridflock_core::Printer::Profile {
            id: "prusa-mini".to_owned(),
        },
        magnets: gridflock_core::Magnets::None,
        ..gridflock_core::Params::new(300.0, 100.0)
    };
    let plan = gridflock_core::plan(&params).expect("plan");
    assert!(plan.plates.len() >= 2);
    let expected: usize = gridflock_core::build(&plan)
        .iter()
        .map(gridflock_core::Mesh::triangle_count)
        .sum();
    assert_eq!(triangles.len(), expected);
    stack.stop().await;
}

#[tokio::test]
async fn preview_3mf_is_a_zip_with_one_object_per_plate() {
    let stack = alone().await;
    let r = preview(
        &stack,
        json!({ "widthMm": 300, "heightMm": 100, "connectorType": "edge-puzzle", "magnets": true,
                "printerProfile": "prusa-mini", "format": "3mf" }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "model/3mf");
    let bytes = r.bytes().await.expect("body");
    assert_eq!(&bytes[..2], b"PK");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut model = String::new();
    zip.by_name("3D/3dmodel.model")
        .expect("model part")
        .read_to_string(&mut model)
        .expect("model text");
    let objects = model.matches("<object ").count();
    assert!(objects >= 2, "{objects} objects");
    assert!(model.contains("Plate 2"));
    stack.stop().await;
}

#[tokio::test]
async fn bad_preview_input_is_422_naming_the_field() {
    let stack = alone().await;
    let r = preview(&stack, json!({ "widthMm": 100, "heightMm": 30 })).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "heightMm", "{problem}");

    let r = preview(
        &stack,
        json!({ "widthMm": 100, "heightMm": 100, "format": "obj" }),
    )
    .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "format", "{problem}");

    let r = preview(&stack, json!({ "widthMm": 100 })).await;
    assert_eq!(r.status(), 422);
    stack.stop().await;

    // GRIDFLOCK_PREVIEW_MAX_MM bounds previews (and only previews).
    let stack = Stack::start(Options {
        with_dependencies: false,
        preview_max_mm: Some(500),
        ..Options::default()
    })
    .await;
    let r = preview(&stack, json!({ "widthMm": 600, "heightMm": 100 })).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "widthMm", "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("42 to 500 mm"),
        "{problem}"
    );
    let r = stack
        .http
        .get(format!(
            "{}/api/v1/gridflock/plan?widthMm=600&heightMm=100",
            stack.url
        ))
        .send()
        .await
        .expect("plan");
    assert_eq!(r.status(), 200);
    stack.stop().await;
}

#[tokio::test]
async fn generate_for_order_needs_the_key_and_the_feature() {
    let stack = alone().await;
    let body = stack.request(300, 100, support::small_printer());

    let r = stack
        .http
        .post(format!(
            "{}/internal/gridflock/generate-for-order",
            stack.url
        ))
        .json(&body)
        .send()
        .await
        .expect("no key");
    assert_eq!(r.status(), 401);

    let (status, problem) = stack.generate(&body).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["type"], "/problems/gridflock-disabled");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains(&stack.tenant_id.to_string()), "{detail}");
    assert!(detail.contains("/feature"), "{detail}");
    assert_eq!(stack.count("SELECT count(*) FROM pipeline_jobs").await, 0);

    let feature: Value = stack
        .internal(
            reqwest::Method::GET,
            &format!("/internal/gridflock/tenants/{}/feature", stack.tenant_id),
        )
        .send()
        .await
        .expect("feature")
        .json()
        .await
        .expect("json");
    assert_eq!(feature["enabled"], false);
    assert_eq!(feature["source"], "default");

    stack.enable().await;
    let (status, accepted) = stack.generate(&body).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["status"], "STARTED");
    assert_eq!(accepted["sku"], "GF-300x100-IP-NOMAG");

    // Switched off again: refused again.
    let r = stack
        .internal(
            reqwest::Method::PUT,
            &format!("/internal/gridflock/tenants/{}/feature", stack.tenant_id),
        )
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .expect("feature off");
    assert_eq!(r.status(), 200);
    assert_eq!(
        stack
            .generate(&stack.request(300, 100, support::small_printer()))
            .await
            .0,
        403
    );
    stack.stop().await;
}

#[tokio::test]
async fn generate_for_order_validates_size_profile_and_settings() {
    let stack = Stack::start(Options {
        with_dependencies: false,
        enabled_by_default: true,
        ..Options::default()
    })
    .await;
    let settings = json!({
        "printerProfile": "prusa-mini",
        "nozzleDiameterMm": 0.4,
        "layerHeightMm": 0.5,
        "infillPercent": 100,
        "filament": "PLA",
    });
    let (status, problem) = stack.generate(&stack.request(2500, 100, settings)).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        ["printSettings.layerHeightMm", "widthMm"],
        "{problem}"
    );

    let mut unknown = support::small_printer();
    unknown["printerProfile"] = json!("prusa-xl-9");
    let (status, problem) = stack.generate(&stack.request(100, 100, unknown)).await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"][0]["field"],
        "printSettings.printerProfile"
    );

    let mut body = stack.request(100, 100, support::small_printer());
    body["connectorType"] = json!("glue");
    let (status, problem) = stack.generate(&body).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "connectorType", "{problem}");
    assert_eq!(stack.count("SELECT count(*) FROM pipeline_jobs").await, 0);
    stack.stop().await;
}
