//! Webhooks the fake SimplyPrint sends: envelope and job shapes against the
//! vendor samples, `X-SP-Secret`, subscriptions, and the print simulation.

mod common;

use common::Receiver;
use serde_json::{Value, json};
use svc_fakes::simplyprint::{JobOutcome, SimplyPrintFake};

const COMPANY: u64 = 7;
const KEY: &str = "sp-key";

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

async fn add_item(fake: &SimplyPrintFake, amount: u32) -> i64 {
    let file = fake.add_file("plate.gcode", b"G28");
    let response = common::client()
        .post(format!("{}/{COMPANY}/queue/AddItem", fake.api_url()))
        .header("X-API-KEY", KEY)
        .json(&json!({ "fileId": file.id, "amount": amount }))
        .send()
        .await
        .expect("answered");
    let body: Value = response.json().await.expect("JSON");
    body["created_id"].as_i64().expect("created_id")
}

#[tokio::test]
async fn job_events_carry_the_secret_verbatim_and_the_sample_shapes() {
    let receiver = Receiver::start().await;
    let fake = SimplyPrintFake::start(COMPANY, KEY).await;
    let webhook_id = fake.set_webhook(&receiver.url, "shared-secret");
    let queue_id = add_item(&fake, 1).await;
    receiver.wait_for(1).await; // queue.add_item

    let job = fake.start_job(queue_id).await.expect("started");
    fake.finish_job(job.id, JobOutcome::Done)
        .await
        .expect("done");
    let got = receiver.wait_for(3).await;

    let events: Vec<Value> = got.iter().map(common::Received::json).collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(names, ["queue.add_item", "job.started", "job.done"]);
    for request in &got {
        assert_eq!(
            request.header("x-sp-secret").as_deref(),
            Some("shared-secret")
        );
        assert_eq!(
            request.header("content-type").as_deref(),
            Some("application/json")
        );
    }

    let sample_started = common::fixture("simplyprint_webhook_job.started__activepieces.json");
    let sample_done = common::fixture("simplyprint_webhook_job.done__activepieces.json");
    let sample_added = common::fixture("simplyprint_webhook_queue.add_item__activepieces.json");
    let (added, started, done) = (&events[0], &events[1], &events[2]);
    assert_eq!(keys(done), keys(&sample_done));
    assert_eq!(keys(&done["data"]), keys(&sample_done["data"]));
    assert_eq!(
        keys(&done["data"]["job"]),
        keys(&sample_done["data"]["job"])
    );
    assert_eq!(keys(&started["data"]), keys(&sample_started["data"]));
    assert_eq!(keys(&added["data"]), keys(&sample_added["data"]));
    assert!(done["timestamp"].is_i64());
    assert_eq!(done["webhook_id"], webhook_id);
    assert_eq!(done["data"]["job"]["uid"], job.uid);
    assert_eq!(done["data"]["job"]["state"], "completed");
    assert_eq!(started["data"]["job"]["state"], "printing");
    assert_eq!(added["data"]["queue_item"]["id"], queue_id);
    // As in production, the job names no queue item.
    assert!(done["data"]["job"].get("queue_item").is_none());
    assert!(done["data"]["job"].get("queueItem").is_none());

    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d.delivered()));
}

#[tokio::test]
async fn only_enabled_subscribers_of_the_event_receive_it() {
    let all = Receiver::start().await;
    let failed_only = Receiver::start().await;
    let disabled = Receiver::start().await;
    let fake = SimplyPrintFake::start(COMPANY, KEY).await;
    let create = |url: &str, enabled: bool, events: Value| {
        let request = common::client()
            .post(format!("{}/{COMPANY}/webhooks/Create", fake.api_url()))
            .header("X-API-KEY", KEY)
            .json(&json!({ "name": "w", "url": url, "secret": "s", "enabled": enabled, "events": events }));
        async move {
            let body: Value = request
                .send()
                .await
                .expect("answered")
                .json()
                .await
                .expect("JSON");
            assert_eq!(body["status"], true);
        }
    };
    create(
        &all.url,
        true,
        json!(["job.started", "job.failed", "job.cancelled"]),
    )
    .await;
    create(&failed_only.url, true, json!(["job.failed"])).await;
    create(&disabled.url, false, json!(["job.failed"])).await;

    let queue_id = add_item(&fake, 2).await;
    let first = fake.start_job(queue_id).await.expect("started");
    fake.finish_job(first.id, JobOutcome::Failed)
        .await
        .expect("failed");
    let second = fake.start_job(queue_id).await.expect("started");
    fake.finish_job(second.id, JobOutcome::Cancelled)
        .await
        .expect("cancelled");

    let names = |r: &Receiver| -> Vec<String> {
        r.received()
            .iter()
            .map(|x| x.json()["event"].as_str().expect("event").to_owned())
            .collect()
    };
    assert_eq!(
        names(&all),
        ["job.started", "job.failed", "job.started", "job.cancelled"]
    );
    assert_eq!(names(&failed_only), ["job.failed"]);
    assert!(disabled.received().is_empty());
    let cancelled = &all.received()[3].json();
    let sample = common::fixture("simplyprint_webhook_job.cancelled__activepieces.json");
    assert_eq!(keys(&cancelled["data"]), keys(&sample["data"]));
}

#[tokio::test]
async fn failed_deliveries_are_recorded() {
    let receiver = Receiver::start().await;
    receiver.script(&[500]);
    let fake = SimplyPrintFake::start(COMPANY, KEY).await;
    fake.set_webhook(&receiver.url, "s");
    let queue_id = add_item(&fake, 1).await;
    receiver.wait_for(1).await;
    fake.start_job(queue_id).await.expect("started");
    // queue.add_item goes out in the background; wait until its result is recorded.
    let mut deliveries = fake.webhook_deliveries();
    for _ in 0..200 {
        if deliveries.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        deliveries = fake.webhook_deliveries();
    }
    let of = |event: &str| {
        deliveries
            .iter()
            .find(|d| d.event == event)
            .expect("delivery")
            .clone()
    };
    assert_eq!(of("queue.add_item").status, Some(500));
    assert!(!of("queue.add_item").delivered());
    assert!(of("job.started").delivered());
    assert_eq!(of("job.started").payload["event"], "job.started");
}

#[tokio::test]
async fn print_all_prints_every_queued_copy() {
    let receiver = Receiver::start().await;
    let fake = SimplyPrintFake::start(COMPANY, KEY).await;
    fake.set_webhook(&receiver.url, "s");
    let a = add_item(&fake, 2).await;
    let b = add_item(&fake, 1).await;
    receiver.wait_for(2).await;
    let jobs = fake.print_all().await;
    assert_eq!(jobs.len(), 3);
    assert_eq!(
        jobs.iter().filter(|j| j.queue_item_id == Some(a)).count(),
        2
    );
    assert_eq!(
        jobs.iter().filter(|j| j.queue_item_id == Some(b)).count(),
        1
    );
    let queue = fake.queue();
    assert!(queue.iter().all(|q| q.left == 0 && q.printed == q.amount));
    let got = receiver.wait_for(8).await;
    let done = got
        .iter()
        .filter(|r| r.json()["event"] == "job.done")
        .count();
    assert_eq!(done, 3);
}
