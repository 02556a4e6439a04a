//! Creation and queueing: one queue item per job, idempotent creation,
//! SimplyPrint's `status:false` answers retried, then failing the job.

use crate::harness::{Harness, request};
use service_common::contracts::PrintJobStatus;
use service_common::testing::eventually;
use std::collections::BTreeSet;
use svc_fakes::simplyprint::Failure;

#[tokio::test]
async fn created_jobs_are_queued_once_each_and_announced() {
    let h = Harness::start().await;
    let a = h.file("plate-1.gcode");
    let b = h.file("plate-2.gcode");
    let req = request(&[&a, &b], 2);
    let response = h.create(&req).await;
    assert_eq!(response.status(), 201);
    let created: service_common::contracts::PrintJobList = response.json().await.expect("list");
    assert_eq!(created.jobs.len(), 4);
    assert!(
        created
            .jobs
            .iter()
            .all(|j| j.status == PrintJobStatus::Pending)
    );

    let jobs = h
        .wait_jobs(req.order_id, "all jobs QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    let ours: BTreeSet<i64> = jobs
        .iter()
        .map(|j| j.simplyprint_queue_item_id.expect("queue item id"))
        .collect();
    assert_eq!(ours.len(), 4, "every job has its own queue item");
    let queue = h.fake.queue();
    assert_eq!(queue.len(), 4, "exactly one AddItem per job");
    assert_eq!(queue.iter().map(|q| q.id).collect::<BTreeSet<_>>(), ours);
    for job in &jobs {
        let item = queue
            .iter()
            .find(|q| Some(q.id) == job.simplyprint_queue_item_id)
            .expect("item");
        assert_eq!(
            item.file_id.as_deref(),
            Some(job.simplyprint_file_id.as_str())
        );
        assert_eq!(item.amount, 1);
        assert!(!item.deleted);
    }
    // The API key travels in X-API-KEY on every call.
    assert!(
        h.fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/queue/AddItem"))
            .all(|r| r.header("x-api-key") == Some(crate::harness::SP_API_KEY))
    );

    let changed = eventually(crate::harness::WAIT, "4 status-changed events", || async {
        let events = h.events("print-job.status-changed").await;
        (events.len() >= 4).then_some(events)
    })
    .await;
    assert_eq!(changed.len(), 4);
    for envelope in &changed {
        assert_eq!(envelope.source, "print");
        assert_eq!(envelope.tenant_id, req.tenant_id);
        let p: service_common::contracts::PrintJobEvent = envelope.payload().expect("payload");
        assert_eq!(p.order_id, req.order_id);
        assert_eq!(p.previous_status, PrintJobStatus::Pending);
        assert_eq!(p.status, PrintJobStatus::Queued);
    }
    let created_events = h.events("print-job.created").await;
    assert_eq!(created_events.len(), 4);
}

#[tokio::test]
async fn repeated_and_concurrent_creation_makes_no_duplicates() {
    let h = Harness::start().await;
    let a = h.file("plate-1.gcode");
    let req = request(&[&a], 3);
    let answers = futures::future::join_all((0..8).map(|_| h.create_ok(&req))).await;
    let first: Vec<_> = answers[0].iter().map(|j| j.id).collect();
    assert_eq!(first.len(), 3);
    for answer in &answers {
        assert_eq!(answer.iter().map(|j| j.id).collect::<Vec<_>>(), first);
    }
    h.wait_jobs(req.order_id, "all jobs QUEUED", |j| {
        j.status == PrintJobStatus::Queued
    })
    .await;
    // A later repeat answers 200 with the same (now queued) jobs.
    let again = h.create(&req).await;
    assert_eq!(again.status(), 200);
    let again: service_common::contracts::PrintJobList = again.json().await.expect("list");
    assert_eq!(again.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), first);
    assert!(
        again
            .jobs
            .iter()
            .all(|j| j.status == PrintJobStatus::Queued)
    );

    let pool = h.sql().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM print_jobs")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 3);
    assert_eq!(h.fake.queue().len(), 3);
    assert_eq!(h.events("print-job.created").await.len(), 3);
}

#[tokio::test]
async fn the_same_line_item_under_another_order_is_a_conflict() {
    let h = Harness::start().await;
    let a = h.file("plate-1.gcode");
    let req = request(&[&a], 1);
    h.create_ok(&req).await;
    let mut other = req.clone();
    other.order_id = uuid::Uuid::now_v7();
    let response = h.create(&other).await;
    assert_eq!(response.status(), 409);
}

#[tokio::test]
async fn a_refused_add_item_is_retried() {
    let h = Harness::start().await;
    let a = h.file("plate-1.gcode");
    h.fake.fail_next(
        "queue/AddItem",
        Failure::StatusFalse("Queue is locked".into()),
    );
    let req = request(&[&a], 1);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "the job QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    assert_eq!(
        h.add_item_calls(),
        2,
        "one refused call, one successful retry"
    );
    assert_eq!(h.fake.queue().len(), 1);
    assert_eq!(
        jobs[0].simplyprint_queue_item_id,
        Some(h.fake.queue()[0].id)
    );
}

#[tokio::test]
async fn a_transient_http_failure_is_retried() {
    let h = Harness::start().await;
    let a = h.file("plate-1.gcode");
    h.fake.fail_next("queue/AddItem", Failure::Http(503));
    let req = request(&[&a], 1);
    h.create_ok(&req).await;
    h.wait_jobs(req.order_id, "the job QUEUED", |j| {
        j.status == PrintJobStatus::Queued
    })
    .await;
    assert_eq!(h.fake.queue().len(), 1);
}

#[tokio::test]
async fn add_item_refused_every_time_fails_the_job() {
    let h = Harness::start_with(&[("PRINT_QUEUE_MAX_ATTEMPTS", "3")]).await;
    let a = h.file("plate-1.gcode");
    for _ in 0..3 {
        h.fake.fail_next(
            "queue/AddItem",
            Failure::StatusFalse("You don't have access to this account".into()),
        );
    }
    let req = request(&[&a], 1);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "the job FAILED", |j| {
            j.status == PrintJobStatus::Failed
        })
        .await;
    let error = jobs[0].error.clone().expect("error");
    assert!(error.contains("after 3 attempts"), "{error}");
    assert!(
        error.contains("You don't have access to this account"),
        "{error}"
    );
    assert_eq!(h.add_item_calls(), 3);
    assert!(h.fake.queue().is_empty());
    let failed = eventually(crate::harness::WAIT, "print-job.failed", || async {
        let events = h.events("print-job.failed").await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    let p: service_common::contracts::PrintJobEvent = failed[0].payload().expect("payload");
    assert_eq!(p.print_job_id, jobs[0].id);
    assert_eq!(p.status, PrintJobStatus::Failed);
    assert_eq!(p.previous_status, PrintJobStatus::Pending);
    assert!(p.error.is_some_and(|e| e.contains("after 3 attempts")));

    // Terminal: an operator cannot revive it.
    let response = h
        .internal(
            reqwest::Method::POST,
            &format!("/internal/print-jobs/{}/force-status", jobs[0].id),
        )
        .json(&serde_json::json!({"status": "PENDING", "reason": "try again"}))
        .send()
        .await
        .expect("force");
    assert_eq!(response.status(), 409);
}
