//! `order.cancelled` and operator-forced states: jobs cancelled, their queue
//! items removed from SimplyPrint, each event handled once.

use crate::harness::{Harness, WAIT, request};
use serde_json::json;
use service_common::contracts::PrintJobStatus;
use service_common::testing::eventually;
use uuid::Uuid;

#[tokio::test]
async fn order_cancelled_cancels_jobs_and_removes_their_queue_items() {
    let h = Harness::start().await;
    let file = h.file("plate-1.gcode");
    let req = request(&[&file], 3);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    // One copy is already on a printer.
    let printing = &jobs[0];
    h.fake
        .start_job(printing.simplyprint_queue_item_id.expect("item"))
        .await
        .expect("start");
    eventually(WAIT, "PRINTING", || async {
        (h.job(printing.id).await.status == PrintJobStatus::Printing).then_some(())
    })
    .await;

    // Another order's jobs stay untouched.
    let other = request(&[&file], 1);
    h.create_ok(&other).await;
    h.wait_jobs(other.order_id, "QUEUED", |j| {
        j.status == PrintJobStatus::Queued
    })
    .await;

    let event_id = Uuid::now_v7();
    let payload = json!({ "orderId": req.order_id, "shopifyOrderId": 820982911946154508_i64, "reason": "customer" });
    h.publish("order.cancelled", req.tenant_id, event_id, payload.clone())
        .await;
    let cancelled = h
        .wait_jobs(req.order_id, "all CANCELLED", |j| {
            j.status == PrintJobStatus::Cancelled
        })
        .await;
    assert_eq!(cancelled.len(), 3);

    // The two waiting items leave the SimplyPrint queue; the printing one is
    // not a queue item any more.
    let waiting: Vec<i64> = jobs[1..]
        .iter()
        .map(|j| j.simplyprint_queue_item_id.expect("item"))
        .collect();
    eventually(WAIT, "queue items deleted", || async {
        let queue = h.fake.queue();
        waiting
            .iter()
            .all(|id| queue.iter().any(|q| q.id == *id && q.deleted))
            .then_some(())
    })
    .await;
    let queue = h.fake.queue();
    assert!(
        !queue
            .iter()
            .any(|q| Some(q.id) == printing.simplyprint_queue_item_id && q.deleted)
    );
    let untouched = h.jobs_of(other.order_id).await;
    assert_eq!(untouched[0].status, PrintJobStatus::Queued);
    assert!(
        !queue
            .iter()
            .any(|q| Some(q.id) == untouched[0].simplyprint_queue_item_id && q.deleted)
    );

    let events = eventually(WAIT, "3 print-job.cancelled", || async {
        let e = h.events("print-job.cancelled").await;
        (e.len() >= 3).then_some(e)
    })
    .await;
    assert_eq!(events.len(), 3);

    // The same event delivered again changes nothing.
    h.publish("order.cancelled", req.tenant_id, event_id, payload)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(h.events("print-job.cancelled").await.len(), 3);
    let deletes = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/queue/DeleteItem"))
        .count();
    assert_eq!(deletes, 2);

    // A late done for the cancelled print does not revive it.
    let job = h.fake.jobs()[0].clone();
    h.fake
        .finish_job(job.id, svc_fakes::simplyprint::JobOutcome::Done)
        .await
        .expect("finish");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(h.job(printing.id).await.status, PrintJobStatus::Cancelled);
}

#[tokio::test]
async fn operators_force_stuck_jobs_but_never_terminal_ones() {
    let h = Harness::start().await;
    let file = h.file("plate-1.gcode");
    let req = request(&[&file], 1);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    let path = format!("/internal/print-jobs/{}/force-status", jobs[0].id);
    let response = h
        .internal(reqwest::Method::POST, &path)
        .json(&json!({ "status": "CANCELLED", "reason": "duplicate print, removed by operator" }))
        .send()
        .await
        .expect("force");
    assert_eq!(response.status(), 200);
    let job: service_common::contracts::PrintJob = response.json().await.expect("job");
    assert_eq!(job.status, PrintJobStatus::Cancelled);
    let item = jobs[0].simplyprint_queue_item_id.expect("item");
    eventually(WAIT, "queue item deleted", || async {
        h.fake
            .queue()
            .iter()
            .any(|q| q.id == item && q.deleted)
            .then_some(())
    })
    .await;
    let pool = h.sql().await;
    let (cause, reason): (String, Option<String>) = sqlx::query_as(
        "SELECT cause, reason FROM print_job_transitions WHERE print_job_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(jobs[0].id)
    .fetch_one(&pool)
    .await
    .expect("history");
    assert_eq!(cause, "operator");
    assert_eq!(
        reason.as_deref(),
        Some("duplicate print, removed by operator")
    );

    let response = h
        .internal(reqwest::Method::POST, &path)
        .json(&json!({ "status": "QUEUED", "reason": "oops" }))
        .send()
        .await
        .expect("force");
    assert_eq!(response.status(), 409);
    let problem: serde_json::Value = response.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("terminal")),
        "{problem}"
    );

    let missing = h
        .internal(
            reqwest::Method::POST,
            &format!("/internal/print-jobs/{}/force-status", Uuid::now_v7()),
        )
        .json(&json!({ "status": "FAILED", "reason": "x" }))
        .send()
        .await
        .expect("force");
    assert_eq!(missing.status(), 404);
}
