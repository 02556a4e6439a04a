//! Crashes: a killed service loses no job and queues none twice.

use crate::harness::{Harness, request};
use service_common::contracts::PrintJobStatus;
use std::collections::BTreeSet;

#[tokio::test]
async fn a_crash_around_queueing_loses_nothing_and_duplicates_nothing() {
    // A short lease, so that jobs the dead instance had claimed come due soon.
    let mut h = Harness::start_with(&[("PRINT_QUEUE_LEASE_MS", "1500")]).await;
    let a = h.file("plate-1.gcode");
    let b = h.file("plate-2.gcode");
    let req = request(&[&a, &b], 15);
    let created = h.create_ok(&req).await;
    assert_eq!(created.len(), 30);
    // Killed wherever the worker stands: before, during or after AddItem calls.
    h.service.take().expect("running").kill().await;
    let queued_before_crash = h.fake.queue().len();

    h.restart().await;
    let jobs = h
        .wait_jobs(req.order_id, "all QUEUED after the restart", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    assert_eq!(jobs.len(), 30);
    let ours: BTreeSet<i64> = jobs
        .iter()
        .map(|j| j.simplyprint_queue_item_id.expect("item"))
        .collect();
    assert_eq!(ours.len(), 30);
    let queue = h.fake.queue();
    let live: BTreeSet<i64> = queue.iter().filter(|q| !q.deleted).map(|q| q.id).collect();
    assert_eq!(
        live, ours,
        "every job queued exactly once ({queued_before_crash} items existed at the crash)"
    );
}

#[tokio::test]
async fn an_unrecorded_add_item_is_adopted_not_repeated() {
    // The state a crash between SimplyPrint's answer and our commit leaves:
    // the job PENDING with an attempt in flight, the queue item in SimplyPrint.
    let mut h = Harness::prepare(&[]).await;
    svc_print::migrate(h.config.clone()).await.expect("migrate");
    let file = h.file("plate-1.gcode");
    let other = h.file("plate-2.gcode");
    let orphan: serde_json::Value = h
        .http
        .post(format!(
            "{}/{}/queue/AddItem",
            h.fake.api_url(),
            crate::harness::COMPANY_ID
        ))
        .header("X-API-KEY", crate::harness::SP_API_KEY)
        .json(&serde_json::json!({ "fileId": file.id, "amount": 1 }))
        .send()
        .await
        .expect("AddItem")
        .json()
        .await
        .expect("json");
    let orphan_id = orphan["created_id"].as_i64().expect("created_id");
    // An item of another file must not be taken for it.
    h.http
        .post(format!(
            "{}/{}/queue/AddItem",
            h.fake.api_url(),
            crate::harness::COMPANY_ID
        ))
        .header("X-API-KEY", crate::harness::SP_API_KEY)
        .json(&serde_json::json!({ "fileId": other.id, "amount": 1 }))
        .send()
        .await
        .expect("AddItem");
    let req = request(&[&file], 2);
    let pool = h.sql().await;
    for (i, spec) in req.jobs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO print_jobs (id, tenant_id, order_id, line_item_id, part_id, copy_index, \
                 status, simplyprint_file_id, file_name, queue_attempts, queue_started_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8, 1, $9)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(req.tenant_id)
        .bind(req.order_id)
        .bind(req.line_item_id)
        .bind(spec.part_id)
        .bind(spec.copy_index as i32)
        .bind(&spec.simplyprint_file_id)
        .bind(&spec.file_name)
        // Only the first job's attempt may have reached SimplyPrint.
        .bind((i == 0).then(chrono::Utc::now))
        .execute(&pool)
        .await
        .expect("insert");
    }

    h.restart().await;
    let jobs = h
        .wait_jobs(req.order_id, "all QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    let items: BTreeSet<i64> = jobs
        .iter()
        .map(|j| j.simplyprint_queue_item_id.expect("item"))
        .collect();
    assert!(
        items.contains(&orphan_id),
        "the orphan was adopted: {items:?}"
    );
    assert_eq!(items.len(), 2);
    // The orphan, the other file's item, and one new item for the second job.
    assert_eq!(h.fake.queue().len(), 3);
    assert_eq!(h.add_item_calls(), 3, "two by the test, one by the service");
}
