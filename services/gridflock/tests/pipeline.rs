//! The GridFlock pipeline end to end, with the real order-service,
//! print-service (against the SimplyPrint fake), slicer-service (real
//! PrusaSlicer), PostgreSQL and Redis: plates become gcode in SimplyPrint,
//! a product mapping with one part per plate, and one event per waiting
//! line item — also under concurrent requests, failures and a crash.

mod support;

use serde_json::{Value, json};
use service_common::events::names;
use service_common::testing::eventually;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::{CLOSED_URL, Options, Stack, small_printer};
use svc_fakes::simplyprint::Failure;

const PIPELINE_TIMEOUT: Duration = Duration::from_secs(300);

async fn ready_stack() -> Stack {
    let stack = Stack::start(Options::default()).await;
    stack.enable().await;
    stack
}

fn line_items(payloads: &[Value]) -> BTreeSet<String> {
    payloads
        .iter()
        .map(|p| p["lineItemId"].as_str().expect("lineItemId").to_owned())
        .collect()
}

#[tokio::test]
async fn plates_become_a_mapping_and_later_requests_get_it_at_once() {
    let stack = ready_stack().await;
    let body = stack.request(300, 100, small_printer());
    let started = Instant::now();
    let (status, accepted) = stack.generate(&body).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["status"], "STARTED");
    let sku = accepted["sku"].as_str().expect("sku").to_owned();
    assert_eq!(sku, "GF-300x100-IP-NOMAG");
    let job_id = accepted["jobId"].as_str().expect("job id").to_owned();

    let job = stack.finished(&job_id, PIPELINE_TIMEOUT).await;
    let elapsed = started.elapsed();
    assert_eq!(job["status"], "DONE", "{job}");
    let plates = job["plates"].as_array().expect("plates");
    let count = plates.len();
    assert!(count >= 2, "{job}");
    assert_eq!(job["plateCount"], count);
    let ms = |key: &str| -> i64 { plates.iter().map(|p| p[key].as_i64().unwrap_or(0)).sum() };
    eprintln!(
        "{sku} on prusa-mini: {count} plates in {:.1} s (generate {} ms, slice {} ms, upload {} ms)",
        elapsed.as_secs_f64(),
        ms("generateMs"),
        ms("sliceMs"),
        ms("uploadMs")
    );

    // SimplyPrint holds one gcode per plate, named after the SKU and plate.
    let files = stack.farm().files();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let expected: Vec<String> = (1..=count)
        .map(|n| format!("{sku}-plate-{n}.gcode"))
        .collect();
    assert_eq!(names, expected);
    assert!(
        files
            .iter()
            .all(|f| f.bytes.windows(3).any(|w| w == b"G1 ")),
        "gcode moves expected"
    );

    // order-service has the mapping, one part per plate, in plate order.
    let mapping = stack.mapping(&sku).await;
    assert_eq!(mapping["id"], job["mappingId"]);
    assert_eq!(mapping["planHash"], job["planHash"]);
    assert_eq!(mapping["active"], true);
    assert!(
        mapping["productName"]
            .as_str()
            .expect("name")
            .starts_with("Gridfinity baseplate 300 × 100 mm (intersection puzzle, no magnets"),
        "{mapping}"
    );
    let parts = mapping["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), count);
    for (i, part) in parts.iter().enumerate() {
        assert!(
            part["name"]
                .as_str()
                .expect("name")
                .starts_with(&format!("Plate {} (", i + 1))
        );
        assert_eq!(part["simplyprintFileId"], plates[i]["simplyprintFileId"]);
        assert_eq!(
            part["simplyprintFileId"].as_str(),
            Some(files[i].id.as_str())
        );
        assert_eq!(part["quantity"], 1);
    }

    // One mapping-ready for the waiting line item, in the outbox and on the stream.
    let ready = stack.outbox(names::GRIDFLOCK_MAPPING_READY).await;
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0]["lineItemId"], body["lineItemId"]);
    assert_eq!(ready[0]["orderId"], body["orderId"]);
    assert_eq!(ready[0]["mappingId"], job["mappingId"]);
    assert_eq!(ready[0]["sku"], sku.as_str());
    let on_stream = eventually(
        Duration::from_secs(10),
        "mapping-ready on the stream",
        || async {
            let s = stack.stream(names::GRIDFLOCK_MAPPING_READY).await;
            (!s.is_empty()).then_some(s)
        },
    )
    .await;
    assert_eq!(on_stream[0]["source"], "gridflock");
    assert_eq!(on_stream[0]["tenantId"], stack.tenant_id.to_string());
    assert_eq!(on_stream[0]["payload"], ready[0]);

    // A line item arriving later is answered from the finished job at once.
    let late = stack.request(300, 100, small_printer());
    let (status, accepted) = stack.generate(&late).await;
    assert_eq!(status, 202);
    assert_eq!(accepted["status"], "MAPPING_EXISTS");
    assert_eq!(accepted["jobId"].as_str(), Some(job_id.as_str()));
    let ready = stack.outbox(names::GRIDFLOCK_MAPPING_READY).await;
    assert_eq!(ready.len(), 2);
    assert_eq!(ready[1]["lineItemId"], late["lineItemId"]);
    assert_eq!(ready[1]["mappingId"], job["mappingId"]);
    // Its retry changes nothing.
    assert_eq!(stack.generate(&late).await.1["status"], "MAPPING_EXISTS");
    assert_eq!(stack.outbox(names::GRIDFLOCK_MAPPING_READY).await.len(), 2);
    assert_eq!(stack.farm().files().len(), count);
    assert_eq!(stack.count("SELECT count(*) FROM pipeline_jobs").await, 1);
    stack.stop().await;
}

#[tokio::test]
async fn concurrent_requests_for_a_new_sku_share_one_pipeline() {
    let stack = ready_stack().await;
    // Twenty line items of one SKU and two of another, all at once.
    let twenty: Vec<Value> = (0..20)
        .map(|_| stack.request(100, 100, small_printer()))
        .collect();
    let two: Vec<Value> = (0..2)
        .map(|_| {
            let mut b = stack.request(100, 100, small_printer());
            b["magnets"] = json!(true);
            b
        })
        .collect();
    let answers =
        futures::future::join_all(twenty.iter().chain(&two).map(|b| stack.generate(b))).await;
    for (group, sku, size) in [
        (&answers[..20], "GF-100x100-IP-NOMAG", 20),
        (&answers[20..], "GF-100x100-IP-MAG", 2),
    ] {
        assert!(
            group.iter().all(|(s, a)| *s == 202 && a["sku"] == sku),
            "{group:?}"
        );
        let started = group
            .iter()
            .filter(|(_, a)| a["status"] == "STARTED")
            .count();
        let joined = group
            .iter()
            .filter(|(_, a)| a["status"] == "JOINED")
            .count();
        assert_eq!((started, joined), (1, size - 1), "{group:?}");
        let jobs: BTreeSet<&str> = group
            .iter()
            .map(|(_, a)| a["jobId"].as_str().expect("id"))
            .collect();
        assert_eq!(jobs.len(), 1);
    }
    assert_eq!(stack.count("SELECT count(*) FROM pipeline_jobs").await, 2);
    assert_eq!(
        stack.count("SELECT count(*) FROM pipeline_waiters").await,
        22
    );

    let mut plate_total = 0;
    for (_, accepted) in [&answers[0], &answers[20]] {
        let job = stack
            .finished(accepted["jobId"].as_str().expect("id"), PIPELINE_TIMEOUT)
            .await;
        assert_eq!(job["status"], "DONE", "{job}");
        let plates = job["plates"].as_array().expect("plates").len();
        plate_total += plates;
        let mapping = stack.mapping(accepted["sku"].as_str().expect("sku")).await;
        assert_eq!(mapping["parts"].as_array().expect("parts").len(), plates);
        assert_eq!(mapping["id"], job["mappingId"]);
    }
    // Each plate was sliced and uploaded once, however many line items waited.
    assert_eq!(stack.farm().files().len(), plate_total);
    let ready = stack.outbox(names::GRIDFLOCK_MAPPING_READY).await;
    assert_eq!(ready.len(), 22);
    let expected: BTreeSet<String> = twenty
        .iter()
        .chain(&two)
        .map(|b| b["lineItemId"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(line_items(&ready), expected);
    assert_eq!(
        stack
            .count("SELECT count(*) FROM pipeline_waiters WHERE NOT notified")
            .await,
        0
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_setting_the_slicer_refuses_fails_the_slice_step_at_once() {
    let stack = ready_stack().await;
    let mut settings = small_printer();
    settings["filament"] = json!("WOOD");
    let body = stack.request(100, 100, settings);
    let (status, accepted) = stack.generate(&body).await;
    assert_eq!(status, 202, "{accepted}");
    let job = stack
        .finished(accepted["jobId"].as_str().expect("id"), PIPELINE_TIMEOUT)
        .await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(job["failedStep"], "slice");
    // A refusal is not retried.
    assert_eq!(job["attempts"], 0, "{job}");
    let failed = stack.outbox(names::GRIDFLOCK_PIPELINE_FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["step"], "slice");
    assert_eq!(failed[0]["lineItemId"], body["lineItemId"]);
    let message = failed[0]["errorMessage"].as_str().expect("message");
    assert!(
        message.contains("slicer-service") && message.contains("filament"),
        "{message}"
    );
    assert!(
        stack
            .outbox(names::GRIDFLOCK_MAPPING_READY)
            .await
            .is_empty()
    );
    assert!(stack.farm().files().is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn an_unreachable_slicer_fails_the_slice_step_after_the_retries() {
    let stack = Stack::start(Options {
        with_dependencies: false,
        enabled_by_default: true,
        slicer_url: Some(CLOSED_URL.to_owned()),
        max_retries: 1,
        ..Options::default()
    })
    .await;
    let body = stack.request(100, 100, small_printer());
    let (status, accepted) = stack.generate(&body).await;
    assert_eq!(status, 202, "{accepted}");
    let job = stack
        .finished(accepted["jobId"].as_str().expect("id"), PIPELINE_TIMEOUT)
        .await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(job["failedStep"], "slice");
    assert_eq!(job["attempts"], 1, "one retry was made: {job}");
    // The STL was built once and kept for the retry.
    assert_eq!(job["plates"][0]["status"], "GENERATED");
    let failed = stack.outbox(names::GRIDFLOCK_PIPELINE_FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["step"], "slice");
    let message = failed[0]["errorMessage"].as_str().expect("message");
    assert!(
        message.contains("unreachable") && message.contains("gave up after 1 retries"),
        "{message}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_refused_upload_fails_the_upload_step_and_a_new_request_resumes() {
    let stack = ready_stack().await;
    stack.farm().fail_next(
        "files/Upload",
        Failure::StatusFalse("Storage quota exceeded".to_owned()),
    );
    let body = stack.request(100, 100, small_printer());
    let (_, accepted) = stack.generate(&body).await;
    let job_id = accepted["jobId"].as_str().expect("id").to_owned();
    let job = stack.finished(&job_id, PIPELINE_TIMEOUT).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(job["failedStep"], "upload");
    assert_eq!(job["plates"][0]["status"], "SLICED");
    let failed = stack.outbox(names::GRIDFLOCK_PIPELINE_FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["step"], "upload");
    let message = failed[0]["errorMessage"].as_str().expect("message");
    assert!(
        message.contains("print-service") && message.contains("Storage quota exceeded"),
        "{message}"
    );
    assert!(stack.farm().files().is_empty());

    // The operator retries the line item: the same job runs again from the
    // upload (the gcode is kept), and this time the mapping is made.
    let sliced_at = job["plates"][0]["gcodeHash"].clone();
    let (status, again) = stack.generate(&body).await;
    assert_eq!(status, 202);
    assert_eq!(again["status"], "STARTED");
    assert_eq!(again["jobId"].as_str(), Some(job_id.as_str()));
    let job = stack.finished(&job_id, PIPELINE_TIMEOUT).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!(job["plates"][0]["gcodeHash"], sliced_at);
    assert_eq!(stack.farm().files().len(), 1);
    let ready = stack.outbox(names::GRIDFLOCK_MAPPING_READY).await;
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0]["lineItemId"], body["lineItemId"]);
    stack.stop().await;
}

#[tokio::test]
async fn a_crash_mid_pipeline_resumes_without_uploading_a_plate_twice() {
    let mut stack = ready_stack().await;
    let body = stack.request(300, 100, small_printer());
    let (_, accepted) = stack.generate(&body).await;
    let job_id: uuid::Uuid = accepted["jobId"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");

    // Crash while the second plate is being built or sliced: the first is
    // sliced and uploaded, and no upload is in flight (one that is could
    // reach SimplyPrint without being recorded, which no client can undo).
    eventually(
        PIPELINE_TIMEOUT,
        "plate 1 uploaded, plate 2 not yet sliced",
        || async {
            let states: Vec<String> = sqlx::query_scalar(
                "SELECT status FROM pipeline_plates WHERE job_id = $1 ORDER BY plate_index",
            )
            .bind(job_id)
            .fetch_all(&stack.pool)
            .await
            .ok()?;
            (states.len() >= 2
                && states[0] == "UPLOADED"
                && matches!(states[1].as_str(), "PENDING" | "GENERATED"))
            .then_some(())
        },
    )
    .await;
    stack.crash_and_restart().await;

    let job = stack.finished(&job_id.to_string(), PIPELINE_TIMEOUT).await;
    assert_eq!(job["status"], "DONE", "{job}");
    let count = job["plates"].as_array().expect("plates").len();
    let files = stack.farm().files();
    assert_eq!(files.len(), count, "{files:?}");
    let mapping = stack.mapping(accepted["sku"].as_str().expect("sku")).await;
    assert_eq!(mapping["parts"].as_array().expect("parts").len(), count);
    assert_eq!(stack.outbox(names::GRIDFLOCK_MAPPING_READY).await.len(), 1);
    stack.stop().await;
}

/// The production size on the production printer, for the timing report:
/// `cargo test -p svc-gridflock --test pipeline -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "slow: slices a full 450 × 320 mm plate set; run for timings"]
async fn timing_450x320_ip_mag_on_bambu_a1() {
    let stack = ready_stack().await;
    let mut body = stack.request(
        450,
        320,
        json!({ "printerProfile": "bambu-a1", "nozzleDiameterMm": 0.4, "layerHeightMm": 0.2,
                "infillPercent": 15, "filament": "PLA" }),
    );
    body["magnets"] = json!(true);
    let started = Instant::now();
    let (_, accepted) = stack.generate(&body).await;
    assert_eq!(accepted["sku"], "GF-450x320-IP-MAG");
    let job = stack
        .finished(
            accepted["jobId"].as_str().expect("id"),
            Duration::from_secs(3600),
        )
        .await;
    assert_eq!(job["status"], "DONE", "{job}");
    let plates = job["plates"].as_array().expect("plates");
    let ms = |key: &str| -> i64 { plates.iter().map(|p| p[key].as_i64().unwrap_or(0)).sum() };
    let total = started.elapsed().as_millis() as i64;
    eprintln!(
        "GF-450x320-IP-MAG on bambu-a1: {} plates in {total} ms; generate {} ms ({:.0}%), slice {} ms ({:.0}%), upload {} ms",
        plates.len(),
        ms("generateMs"),
        100.0 * ms("generateMs") as f64 / total as f64,
        ms("sliceMs"),
        100.0 * ms("sliceMs") as f64 / total as f64,
        ms("uploadMs"),
    );
    stack.stop().await;
}
