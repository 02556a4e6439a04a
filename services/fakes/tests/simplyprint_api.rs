//! The fake SimplyPrint hosts over real HTTP: auth answers, single and
//! chunked uploads, queue calls, jobs listing, webhook management and
//! injected failures.

mod common;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use svc_fakes::simplyprint::{Failure, JobOutcome, SimplyPrintFake};

const COMPANY: u64 = 4242;
const KEY: &str = "sp-key";

struct Api {
    fake: SimplyPrintFake,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self {
            fake: SimplyPrintFake::start(COMPANY, KEY).await,
            http: common::client(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{COMPANY}/{path}", self.fake.api_url())
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .header("X-API-KEY", KEY)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .header("X-API-KEY", KEY)
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("JSON")
    }

    async fn upload(&self, form: Form) -> reqwest::Response {
        self.http
            .post(format!("{}/{COMPANY}/files/Upload", self.fake.files_url()))
            .header("X-API-KEY", KEY)
            .multipart(form)
            .send()
            .await
            .expect("answered")
    }

    async fn upload_file(&self, name: &str, bytes: &[u8]) -> Value {
        let form = Form::new().part(
            "file",
            Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
        self.upload(form).await.json().await.expect("JSON")
    }
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn account_test_and_auth_errors_are_http_200() {
    let api = Api::start().await;
    assert_eq!(
        api.get("account/Test").await,
        json!({ "status": true, "message": "Your API key is valid!" })
    );
    for key in [None, Some("wrong")] {
        let mut request = api.http.get(api.url("account/Test"));
        if let Some(key) = key {
            request = request.header("X-API-KEY", key);
        }
        let response = request.send().await.expect("answered");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body,
            json!({ "status": false, "message": "No API key provided, or not logged in" })
        );
    }
    let other = api
        .http
        .get(format!("{}/1/account/Test", api.fake.api_url()))
        .header("X-API-KEY", KEY)
        .send()
        .await
        .expect("answered");
    assert_eq!(other.status(), 200);
    let body: Value = other.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({ "status": false, "message": "You don't have access to this account" })
    );
}

#[tokio::test]
async fn single_upload_answers_in_the_documented_shape() {
    let api = Api::start().await;
    assert_ne!(api.fake.api_url(), api.fake.files_url());
    let content = b"G28\nG1 X10 Y10\n".repeat(10);
    let body = api.upload_file("plate-1.gcode", &content).await;
    let documented =
        common::fixture("simplyprint_api_files_Upload_response__files.simplyprint.io.json");
    assert_eq!(keys(&body), keys(&documented));
    assert_eq!(keys(&body["file"]), keys(&documented["file"]));
    let id = body["file"]["id"].as_str().expect("id");
    assert_eq!(id.len(), 64);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(body["file"]["name"], "plate-1.gcode");
    assert_eq!(body["file"]["size"], content.len());

    let files = api.fake.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].id, id);
    assert_eq!(files[0].bytes, content);
    assert_eq!(
        files[0].sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content))
    );

    // Same bytes again: a new upload, a new id.
    let again = api.upload_file("plate-1.gcode", &content).await;
    assert_ne!(again["file"]["id"], body["file"]["id"]);
}

#[tokio::test]
async fn uploads_refuse_oversized_parts_unknown_types_and_the_api_host() {
    let api = Api::start().await;
    api.fake.set_max_part_size(10);
    let big = api.upload_file("big.gcode", &[b'x'; 11]).await;
    assert_eq!(big["status"], false);
    let odd = api.upload_file("notes.txt", b"hello").await;
    assert_eq!(odd["status"], false);
    let on_api_host = api
        .http
        .post(api.url("files/Upload"))
        .header("X-API-KEY", KEY)
        .multipart(Form::new().part("file", Part::bytes(b"G28".to_vec()).file_name("a.gcode")))
        .send()
        .await
        .expect("answered");
    let body: Value = on_api_host.json().await.expect("JSON");
    assert_eq!(body["status"], false);
    assert!(api.fake.files().is_empty());
}

#[tokio::test]
async fn chunked_upload_chains_continue_tokens() {
    let api = Api::start().await;
    api.fake.set_max_part_size(8);
    let content: Vec<u8> = (0..20u8).collect();
    let first = Form::new()
        .text("totalSize", content.len().to_string())
        .part(
            "file",
            Part::bytes(content[..8].to_vec()).file_name("plate.3mf"),
        );
    let body: Value = api.upload(first).await.json().await.expect("JSON");
    let documented = common::fixture(
        "simplyprint_api_files_Upload_continueToken_response__files.simplyprint.io.json",
    );
    assert_eq!(keys(&body), keys(&documented));
    let mut token = body["continueToken"].as_str().expect("token").to_owned();

    let second = Form::new().text("continueToken", token.clone()).part(
        "file",
        Part::bytes(content[8..16].to_vec()).file_name("part2"),
    );
    let body: Value = api.upload(second).await.json().await.expect("JSON");
    token = body["continueToken"].as_str().expect("token").to_owned();

    let last = Form::new().text("continueToken", token.clone()).part(
        "file",
        Part::bytes(content[16..].to_vec()).file_name("part3"),
    );
    let body: Value = api.upload(last).await.json().await.expect("JSON");
    assert_eq!(body["status"], true);
    assert_eq!(body["file"]["name"], "plate.3mf", "the first part's name");
    assert_eq!(body["file"]["size"], 20);
    assert_eq!(api.fake.files()[0].bytes, content);

    let stale = Form::new()
        .text("continueToken", token)
        .part("file", Part::bytes(vec![1]).file_name("part4"));
    let body: Value = api.upload(stale).await.json().await.expect("JSON");
    assert_eq!(body["status"], false);
}

#[tokio::test]
async fn queue_add_get_and_delete() {
    let api = Api::start().await;
    let file = api.upload_file("plate.gcode", b"G28").await;
    let file_id = file["file"]["id"].clone();

    let added = api
        .post(
            "queue/AddItem",
            json!({ "fileId": file_id, "amount": 3, "group": 0 }),
        )
        .await;
    let documented = common::fixture("simplyprint_api_queue_AddItem_response__docs.json");
    assert_eq!(keys(&added), keys(&documented));
    assert_eq!(added["status"], true);
    let id = added["created_id"].as_i64().expect("created_id");

    let unknown = api
        .post("queue/AddItem", json!({ "fileId": "00", "amount": 1 }))
        .await;
    assert_eq!(unknown["status"], false);
    assert!(unknown["message"].is_string());

    let items = api.get("queue/GetItems").await;
    let list = items["queue"]["items"].as_array().expect("items");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["left"], 3);
    assert_eq!(list[0]["printed"], 0);
    assert_eq!(list[0]["filename"], "plate.gcode");

    let item = api.get(&format!("queue/GetItem?id={id}")).await;
    assert_eq!(item["queue"]["id"], id);
    assert_eq!(item["item"]["id"], id);

    let deleted = api
        .post(&format!("queue/DeleteItem?job={id}"), json!({}))
        .await;
    assert_eq!(deleted["status"], true);
    let again = api.post("queue/DeleteItem", json!({ "id": id })).await;
    assert_eq!(again["status"], false);
    assert!(
        api.get("queue/GetItems").await["queue"]["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );
    assert!(api.fake.queue()[0].deleted);
}

#[tokio::test]
async fn injected_failures_hit_only_the_next_call() {
    let api = Api::start().await;
    let file = api.fake.add_file("plate.gcode", b"G28");
    api.fake.fail_next(
        "queue/AddItem",
        Failure::StatusFalse("Queue is full".into()),
    );
    api.fake.fail_next("queue/AddItem", Failure::Http(503));
    let first = api
        .post("queue/AddItem", json!({ "fileId": file.id }))
        .await;
    assert_eq!(
        first,
        json!({ "status": false, "message": "Queue is full" })
    );
    let second = api
        .http
        .post(api.url("queue/AddItem"))
        .header("X-API-KEY", KEY)
        .json(&json!({ "fileId": file.id }))
        .send()
        .await
        .expect("answered");
    assert_eq!(second.status(), 503);
    let third = api
        .post("queue/AddItem", json!({ "fileId": file.id }))
        .await;
    assert_eq!(third["status"], true);
    assert_eq!(api.fake.queue().len(), 1);

    api.fake.fail_next("files/Upload", Failure::Http(500));
    let form = Form::new().part("file", Part::bytes(b"G28".to_vec()).file_name("a.gcode"));
    assert_eq!(api.upload(form).await.status(), 500);
}

#[tokio::test]
async fn jobs_are_listed_newest_first_and_map_back_to_queue_items() {
    let api = Api::start().await;
    let file = api.fake.add_file("plate.gcode", b"G28");
    let added = api
        .post("queue/AddItem", json!({ "fileId": file.id, "amount": 2 }))
        .await;
    let queue_id = added["created_id"].as_i64().expect("id");

    let first = api.fake.start_job(queue_id).await.expect("started");
    let second = api.fake.start_job(queue_id).await.expect("started");
    assert!(first.uid.starts_with("pj_"));
    assert!(
        api.fake.start_job(queue_id).await.is_err(),
        "no copies left"
    );
    api.fake
        .finish_job(first.id, JobOutcome::Done)
        .await
        .expect("finished");
    api.fake
        .finish_job(second.id, JobOutcome::Failed)
        .await
        .expect("finished");
    assert!(
        api.fake
            .finish_job(second.id, JobOutcome::Done)
            .await
            .is_err()
    );

    let page = api
        .post(
            "jobs/GetPaginatedPrintJobs",
            json!({ "page": 1, "page_size": 1 }),
        )
        .await;
    assert_eq!(page["page_amount"], 2);
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], second.id);
    assert_eq!(data[0]["status"], "failed");
    assert_eq!(data[0]["queueItem"]["id"], queue_id);
    assert!(data[0]["endDate"].is_string());

    let done = api
        .post(
            "jobs/GetPaginatedPrintJobs",
            json!({ "page": 1, "page_size": 10, "accepted_statuses": ["finished"] }),
        )
        .await;
    let data = done["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["uid"], first.uid);
    assert_eq!(data[0]["status"], "done");

    let bad = api
        .post(
            "jobs/GetPaginatedPrintJobs",
            json!({ "page": 1, "page_size": 500 }),
        )
        .await;
    assert_eq!(bad["status"], false);

    let details = api.get(&format!("jobs/GetDetails?id={}", first.uid)).await;
    assert_eq!(details["status"], true);
    assert_eq!(details["data"]["queueItem"]["id"], queue_id);

    let item = &api.fake.queue()[0];
    assert_eq!((item.left, item.printed), (0, 1));
}

#[tokio::test]
async fn webhooks_are_created_listed_and_deleted() {
    let api = Api::start().await;
    let created = api
        .post(
            "webhooks/Create",
            json!({ "name": "print-service", "url": "https://print.example/hooks", "secret": "s3cret",
                    "enabled": true, "events": ["job.done", "job.failed"] }),
        )
        .await;
    assert_eq!(created["status"], true);
    let id = created["webhook"]["id"].as_i64().expect("id");
    let missing_url = api
        .post(
            "webhooks/Create",
            json!({ "name": "x", "events": ["job.done"] }),
        )
        .await;
    assert_eq!(missing_url["status"], false);

    let listed = api.get("webhooks/Get").await;
    assert_eq!(listed["data"][0]["url"], "https://print.example/hooks");
    assert_eq!(
        listed["data"][0]["events"],
        json!(["job.done", "job.failed"])
    );

    assert_eq!(
        api.post("webhooks/Delete", json!({ "id": id })).await["status"],
        true
    );
    assert_eq!(
        api.post("webhooks/Delete", json!({ "id": id })).await["status"],
        false
    );
    assert!(api.fake.webhooks().is_empty());
}
