//! The `gridflock-fakes` binary: flags, the JSON lines it prints, the
//! control routes, and a clean stop on Ctrl-C (SIGINT).

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[cfg(unix)]
#[tokio::test]
async fn runs_both_fakes_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridflock-fakes"))
        .args(["--company-id", "99", "--api-key", "local-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let shopify: Value =
        serde_json::from_str(&lines.next().expect("line").expect("read")).expect("JSON");
    let simplyprint: Value =
        serde_json::from_str(&lines.next().expect("line").expect("read")).expect("JSON");
    assert_eq!(shopify["fake"], "shopify");
    assert_eq!(simplyprint["company_id"], 99);

    let http = common::client();
    let api = simplyprint["api_url"].as_str().expect("api_url");
    let test: Value = http
        .get(format!("{api}/99/account/Test"))
        .header("X-API-KEY", "local-key")
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(test["status"], true);

    let shop = shopify["url"].as_str().expect("url");
    let added = http
        .post(format!("{shop}/_control/shops/local.myshopify.com/orders"))
        .json(&json!({ "id": 1, "line_items": [{ "id": 10, "quantity": 1 }] }))
        .send()
        .await
        .expect("answered");
    assert_eq!(added.status(), 201);
    let template = shopify["admin_url_template"].as_str().expect("template");
    let order = http
        .get(format!(
            "{}/admin/api/2026-04/orders/1.json",
            template.replace("{shop}", "local.myshopify.com")
        ))
        .header("X-Shopify-Access-Token", "t")
        .send()
        .await
        .expect("answered");
    assert_eq!(order.status(), 200);

    http.post(format!("{api}/_control/fail-next"))
        .json(&json!({ "endpoint": "account/Test", "failure": { "status_false": "down" } }))
        .send()
        .await
        .expect("answered");
    let failed: Value = http
        .get(format!("{api}/99/account/Test"))
        .header("X-API-KEY", "local-key")
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(failed, json!({ "status": false, "message": "down" }));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("binary exits");
    assert!(exit.success(), "{exit:?}");
}
