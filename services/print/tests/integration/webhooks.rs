//! SimplyPrint webhooks: the shared secret, the job lifecycle they drive, and
//! the events published for it.

use crate::harness::{Harness, WAIT, WEBHOOK_SECRET, request};
use service_common::contracts::{PrintJobEvent, PrintJobStatus};
use service_common::testing::{eventually, fixture};
use svc_fakes::simplyprint::JobOutcome;

async fn inbox_rows(h: &Harness) -> i64 {
    let pool = h.sql().await;
    sqlx::query_scalar("SELECT count(*) FROM webhook_inbox")
        .fetch_one(&pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_refused_and_changes_nothing() {
    let mut h = Harness::start().await;
    let body = fixture("simplyprint_webhook_job.done__activepieces.json");
    let url = h.url("/webhooks/simplyprint");
    for secret in [None, Some("wrong-secret-0123456789abcdef"), Some("")] {
        let mut req = h
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.clone());
        if let Some(s) = secret {
            req = req.header("X-SP-Secret", s);
        }
        let response = req.send().await.expect("webhook");
        assert_eq!(response.status(), 401, "secret {secret:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    assert_eq!(inbox_rows(&h).await, 0);

    // A real delivery with the wrong secret leaves the job where it was.
    let file = h.file("plate-1.gcode");
    let req = request(&[&file], 1);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    h.remove_webhook().await;
    h.fake.set_webhook(&url, "another-secret-0123456789abcdef");
    let item = jobs[0].simplyprint_queue_item_id.expect("item");
    h.fake.start_job(item).await.expect("start");
    let deliveries: Vec<_> = h
        .fake
        .webhook_deliveries()
        .into_iter()
        .filter(|d| d.event == "job.started")
        .collect();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, Some(401));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let job = h.job(jobs[0].id).await;
    assert_eq!(job.status, PrintJobStatus::Queued);
    assert_eq!(job.simplyprint_job_id, None);
    assert_eq!(inbox_rows(&h).await, 0);
}

#[tokio::test]
async fn fixture_deliveries_are_accepted_and_unknown_events_ignored() {
    let h = Harness::start().await;
    let url = h.url("/webhooks/simplyprint");
    for name in [
        "simplyprint_webhook_job.done__activepieces.json",
        "simplyprint_webhook_job.done__n8n-v0.1.json",
        "simplyprint_webhook_queue.add_item__activepieces.json",
    ] {
        let response = h
            .http
            .post(&url)
            .header("X-SP-Secret", WEBHOOK_SECRET)
            .header("Content-Type", "application/json")
            .body(fixture(name))
            .send()
            .await
            .expect("webhook");
        assert_eq!(response.status(), 200, "{name}");
    }
    // The two job.done deliveries are stored (different timestamps); the
    // queue event is not a job event and is only logged.
    assert_eq!(inbox_rows(&h).await, 2);
    // A repeat of the same delivery is recognised.
    let response = h
        .http
        .post(&url)
        .header("X-SP-Secret", WEBHOOK_SECRET)
        .body(fixture("simplyprint_webhook_job.done__activepieces.json"))
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["duplicate"], true);
    assert_eq!(inbox_rows(&h).await, 2);

    let bad = h
        .http
        .post(&url)
        .header("X-SP-Secret", WEBHOOK_SECRET)
        .body("not json")
        .send()
        .await
        .expect("webhook");
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn started_and_done_webhooks_complete_the_job() {
    let h = Harness::start().await;
    let file = h.file("plate-1.gcode");
    let req = request(&[&file], 2);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    let (first, second) = (&jobs[0], &jobs[1]);

    let started = h
        .fake
        .start_job(first.simplyprint_queue_item_id.expect("item"))
        .await
        .expect("start");
    let printing = eventually(WAIT, "PRINTING", || async {
        let job = h.job(first.id).await;
        (job.status == PrintJobStatus::Printing).then_some(job)
    })
    .await;
    assert_eq!(printing.simplyprint_job_id, Some(started.id));

    h.fake
        .finish_job(started.id, JobOutcome::Done)
        .await
        .expect("finish");
    eventually(WAIT, "COMPLETED", || async {
        (h.job(first.id).await.status == PrintJobStatus::Completed).then_some(())
    })
    .await;
    let completed = eventually(WAIT, "print-job.completed", || async {
        let events = h.events("print-job.completed").await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(completed.len(), 1);
    let p: PrintJobEvent = completed[0].payload().expect("payload");
    assert_eq!(p.print_job_id, first.id);
    assert_eq!(p.previous_status, PrintJobStatus::Printing);
    assert_eq!(p.status, PrintJobStatus::Completed);
    assert_eq!(completed[0].tenant_id, req.tenant_id);

    // The other copy fails on the printer.
    let started = h
        .fake
        .start_job(second.simplyprint_queue_item_id.expect("item"))
        .await
        .expect("start");
    h.fake
        .finish_job(started.id, JobOutcome::Failed)
        .await
        .expect("finish");
    let failed = eventually(WAIT, "FAILED", || async {
        let job = h.job(second.id).await;
        (job.status == PrintJobStatus::Failed).then_some(job)
    })
    .await;
    assert!(
        failed
            .error
            .is_some_and(|e| e.contains(&started.id.to_string()))
    );

    // A late repeat of job.started does not move a finished job.
    let transitions = h.events("print-job.status-changed").await.len();
    let pool = h.sql().await;
    sqlx::query("UPDATE webhook_inbox SET processed_at = NULL, next_attempt_at = now() WHERE event = 'job.started'")
        .execute(&pool)
        .await
        .expect("replay");
    eventually(WAIT, "replayed webhooks processed", || async {
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")
                .fetch_one(&pool)
                .await
                .expect("count");
        (open == 0).then_some(())
    })
    .await;
    assert_eq!(h.job(first.id).await.status, PrintJobStatus::Completed);
    assert_eq!(h.job(second.id).await.status, PrintJobStatus::Failed);
    assert_eq!(
        h.events("print-job.status-changed").await.len(),
        transitions
    );
}

#[tokio::test]
async fn a_webhook_that_cannot_be_mapped_yet_is_kept_and_applied_later() {
    let h = Harness::start().await;
    let file = h.file("plate-1.gcode");
    let req = request(&[&file], 1);
    h.create_ok(&req).await;
    let jobs = h
        .wait_jobs(req.order_id, "QUEUED", |j| {
            j.status == PrintJobStatus::Queued
        })
        .await;
    let item = jobs[0].simplyprint_queue_item_id.expect("item");
    // Make the first job-list lookups fail: the delivery must wait, not vanish.
    for _ in 0..3 {
        h.fake.fail_next(
            "jobs/GetPaginatedPrintJobs",
            svc_fakes::simplyprint::Failure::Http(500),
        );
    }
    h.fake.start_job(item).await.expect("start");
    eventually(WAIT, "PRINTING after a retry", || async {
        (h.job(jobs[0].id).await.status == PrintJobStatus::Printing).then_some(())
    })
    .await;
    let pool = h.sql().await;
    let (attempts, outcome): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, outcome FROM webhook_inbox WHERE event = 'job.started'")
            .fetch_one(&pool)
            .await
            .expect("row");
    assert!(attempts >= 2, "attempts {attempts}");
    assert!(outcome.is_some_and(|o| o.contains("PRINTING")));
}
