//! The fake print farm's state and rules: uploads (single and chunked), the
//! queue, jobs started from queue items, webhooks and injected failures.
//! Everything here is synchronous; HTTP and webhook sending live elsewhere.

use super::model::{
    Failure, FakeFile, FakeJob, FakeQueueItem, FakeWebhook, FarmError, JobOutcome, JobStatus,
    WebhookDelivery,
};
use crate::failures::FailureQueue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The files host takes at most 100 MB per request.
pub(super) const DEFAULT_MAX_PART_SIZE: usize = 100 * 1024 * 1024;

/// Extensions the files host accepts (the name decides the type; content is not sniffed).
const FILE_TYPES: &[&str] = &[
    "gcode", "gco", "g", "bgcode", "3mf", "stl", "obj", "step", "stp",
];

/// The operator the fake attributes queue additions and job starts to.
pub(super) fn operator() -> Value {
    json!({ "id": 1, "sso": false, "first_name": "Farm", "last_name": "Operator", "avatar": null })
}

const PRINTER_ID: i64 = 1;
/// A job's simulated print time in seconds, used in analysis and duration fields.
const ESTIMATE_S: i64 = 3600;

#[derive(Debug)]
struct Upload {
    name: String,
    total_size: u64,
    received: Vec<u8>,
}

/// What one `files/Upload` request achieved.
#[derive(Debug)]
pub(super) enum UploadStep {
    Continue(String),
    Done(FakeFile),
}

#[derive(Debug)]
pub(super) struct Farm {
    pub(super) company_id: u64,
    pub(super) api_key: String,
    pub(super) max_part_size: usize,
    pub(super) files: Vec<FakeFile>,
    uploads: BTreeMap<String, Upload>,
    pub(super) queue: Vec<FakeQueueItem>,
    pub(super) jobs: Vec<FakeJob>,
    pub(super) webhooks: Vec<FakeWebhook>,
    pub(super) deliveries: Vec<WebhookDelivery>,
    failures: FailureQueue<Failure>,
    counter: u64,
    next_queue_id: i64,
    next_job_id: i64,
    next_webhook_id: i64,
}

pub(super) fn iso(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// `files/Upload`, `/files/Upload`, `7/files/Upload` → `files/Upload`.
pub(super) fn endpoint_key(endpoint: &str) -> String {
    let trimmed = endpoint.trim_matches('/');
    match trimmed.split_once('/') {
        Some((first, rest)) if first.chars().all(|c| c.is_ascii_digit()) => rest.to_owned(),
        _ => trimmed.to_owned(),
    }
}

impl Farm {
    pub(super) fn new(company_id: u64, api_key: &str) -> Self {
        Self {
            company_id,
            api_key: api_key.to_owned(),
            max_part_size: DEFAULT_MAX_PART_SIZE,
            files: Vec::new(),
            uploads: BTreeMap::new(),
            queue: Vec::new(),
            jobs: Vec::new(),
            webhooks: Vec::new(),
            deliveries: Vec::new(),
            failures: FailureQueue::default(),
            counter: 0,
            next_queue_id: 1001,
            next_job_id: 50_001,
            next_webhook_id: 1,
        }
    }

    pub(super) fn fail_next(&mut self, endpoint: &str, failure: Failure) {
        self.failures.push(endpoint_key(endpoint), failure);
    }

    pub(super) fn take_failure(&mut self, endpoint: &str) -> Option<Failure> {
        self.failures.take(&endpoint_key(endpoint))
    }

    pub(super) fn store_file(&mut self, name: String, bytes: Vec<u8>) -> FakeFile {
        self.counter += 1;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        // Content plus a counter: uploading the same bytes twice gives two ids, as two uploads do.
        let mut hasher = Sha256::new();
        hasher.update(&bytes);
        hasher.update(self.counter.to_be_bytes());
        let file = FakeFile {
            id: hex::encode(hasher.finalize()),
            name,
            size: bytes.len() as u64,
            sha256,
            bytes,
        };
        self.files.push(file.clone());
        file
    }

    /// One request to `files/Upload`: `file` is the part (name, bytes).
    pub(super) fn upload(
        &mut self,
        file: Option<(String, Vec<u8>)>,
        total_size: Option<u64>,
        continue_token: Option<String>,
    ) -> Result<UploadStep, String> {
        let Some((name, bytes)) = file else {
            return Err("No file was uploaded".into());
        };
        if bytes.len() > self.max_part_size {
            return Err(format!(
                "File part too large ({} bytes, at most {} per request); send totalSize and continue with continueToken",
                bytes.len(),
                self.max_part_size
            ));
        }
        if let Some(token) = continue_token.filter(|t| !t.is_empty()) {
            let Some(upload) = self.uploads.get_mut(&token) else {
                return Err("Invalid or expired continueToken".into());
            };
            upload.received.extend_from_slice(&bytes);
            let received = upload.received.len() as u64;
            if received > upload.total_size {
                self.uploads.remove(&token);
                return Err("Uploaded parts exceed totalSize".into());
            }
            if received < upload.total_size {
                return Ok(UploadStep::Continue(token));
            }
            let Some(upload) = self.uploads.remove(&token) else {
                return Err("Invalid or expired continueToken".into());
            };
            return Ok(UploadStep::Done(
                self.store_file(upload.name, upload.received),
            ));
        }
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        if !extension.is_some_and(|e| FILE_TYPES.contains(&e.as_str())) {
            return Err(format!("Unsupported file type: {name}"));
        }
        match total_size {
            Some(total) if total > bytes.len() as u64 => {
                self.counter += 1;
                let claims = json!({ "type": "action_token", "action": "file_continue_upload",
                    "company": self.company_id, "data": { "totalSize": total, "n": self.counter } });
                let token = format!(
                    "{}.{}.{}",
                    URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES384"}"#),
                    URL_SAFE_NO_PAD.encode(claims.to_string()),
                    uuid::Uuid::new_v4().simple()
                );
                self.uploads.insert(
                    token.clone(),
                    Upload {
                        name,
                        total_size: total,
                        received: bytes,
                    },
                );
                Ok(UploadStep::Continue(token))
            }
            Some(total) if total < bytes.len() as u64 => {
                Err("Uploaded file exceeds totalSize".into())
            }
            _ => Ok(UploadStep::Done(self.store_file(name, bytes))),
        }
    }

    /// `queue/AddItem`; returns the created id.
    pub(super) fn add_queue_item(&mut self, body: &Value) -> Result<FakeQueueItem, String> {
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let (file_id, filesystem) = (text("fileId"), text("filesystem"));
        let reference = file_id
            .or(filesystem)
            .ok_or("Missing fileId or filesystem")?;
        let file = self
            .files
            .iter()
            .find(|f| f.id == reference)
            .ok_or_else(|| format!("File not found: {reference}"))?;
        let amount = match body.get("amount") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or("Invalid amount")?,
        };
        if !(1..=10_000).contains(&amount) {
            return Err("Amount must be at least 1".into());
        }
        let group = body
            .get("group")
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(0);
        let item = FakeQueueItem {
            id: self.next_queue_id,
            file_id: file_id.map(str::to_owned),
            filesystem: filesystem.map(str::to_owned),
            name: file.name.clone(),
            amount: amount as u32,
            left: amount as u32,
            printed: 0,
            group,
            deleted: false,
            request: body.clone(),
        };
        self.next_queue_id += 1;
        self.queue.push(item.clone());
        Ok(item)
    }

    pub(super) fn queue_item(&self, id: i64) -> Option<&FakeQueueItem> {
        self.queue.iter().find(|q| q.id == id && !q.deleted)
    }

    pub(super) fn delete_queue_item(&mut self, id: i64) -> Result<FakeQueueItem, String> {
        let item = self
            .queue
            .iter_mut()
            .find(|q| q.id == id && !q.deleted)
            .ok_or_else(|| format!("Queue item {id} not found"))?;
        item.deleted = true;
        Ok(item.clone())
    }

    /// The queue item in the shape of `queue/GetItems` and the `queue.*` webhooks.
    pub(super) fn queue_item_json(&self, item: &FakeQueueItem) -> Value {
        let index = self
            .queue
            .iter()
            .filter(|q| !q.deleted && q.left > 0)
            .position(|q| q.id == item.id);
        let size = self
            .files
            .iter()
            .find(|f| {
                Some(&f.id) == item.file_id.as_ref() || Some(&f.id) == item.filesystem.as_ref()
            })
            .map(|f| f.size);
        json!({
            "id": item.id,
            "index": index,
            "filename": item.name,
            "note": null,
            "model": false,
            "printable": true,
            "left": item.left,
            "printed": item.printed,
            "amount": item.amount,
            "filesystem_id": item.filesystem.as_ref().or(item.file_id.as_ref()),
            "group": item.group,
            "for": { "printers": null, "models": null, "groups": null },
            "tags": null,
            "analysis": { "slicer": null, "filament": [], "estimate": ESTIMATE_S, "temps": null, "modelSize": null },
            "size": size,
            "user": "Farm Operator",
            "user_id": 1,
            "custom_fields": [],
            "customFields": [],
        })
    }

    pub(super) fn start_job(&mut self, queue_item_id: i64) -> Result<FakeJob, FarmError> {
        let item = self
            .queue
            .iter_mut()
            .find(|q| q.id == queue_item_id && !q.deleted)
            .ok_or(FarmError::UnknownQueueItem(queue_item_id))?;
        if item.left == 0 {
            return Err(FarmError::NothingLeft(queue_item_id));
        }
        item.left -= 1;
        let job = FakeJob {
            id: self.next_job_id,
            uid: format!("pj_{}", uuid::Uuid::new_v4().simple()),
            queue_item_id: Some(queue_item_id),
            file_id: item.file_id.clone().or_else(|| item.filesystem.clone()),
            filename: item.name.clone(),
            status: JobStatus::Ongoing,
            printer_id: PRINTER_ID,
            started: Utc::now().timestamp(),
            ended: None,
        };
        self.next_job_id += 1;
        self.jobs.push(job.clone());
        Ok(job)
    }

    pub(super) fn finish_job(
        &mut self,
        job_id: i64,
        outcome: JobOutcome,
    ) -> Result<FakeJob, FarmError> {
        let job = self
            .jobs
            .iter_mut()
            .find(|j| j.id == job_id)
            .ok_or(FarmError::UnknownJob(job_id))?;
        if job.status != JobStatus::Ongoing {
            return Err(FarmError::NotOngoing(job_id));
        }
        job.status = outcome.status();
        // Simulated prints take the estimate, whatever the wall clock says.
        job.ended = Some(job.started + ESTIMATE_S);
        let job = job.clone();
        if outcome == JobOutcome::Done
            && let Some(item) = self
                .queue
                .iter_mut()
                .find(|q| Some(q.id) == job.queue_item_id)
        {
            item.printed += 1;
        }
        Ok(job)
    }

    pub(super) fn job_by_uid(&self, uid: &str) -> Option<&FakeJob> {
        self.jobs
            .iter()
            .find(|j| j.uid == uid || j.id.to_string() == uid)
    }

    /// The job in the shape of the `job.*` webhooks (`PrintJob::getFormattedData`).
    pub(super) fn job_webhook_json(job: &FakeJob) -> Value {
        let (state, percentage) = match job.status {
            JobStatus::Ongoing => ("printing", 0),
            JobStatus::Done => ("completed", 100),
            JobStatus::Failed => ("failed", 50),
            JobStatus::Cancelled => ("cancelled", 50),
        };
        json!({
            "id": job.id,
            "uid": job.uid,
            "panel_url": format!("https://simplyprint.io/panel/{}", job.id),
            "printer_id": job.printer_id,
            "state": state,
            "file": job.filename,
            "percentage": percentage,
            "time_left": if job.ended.is_some() { Value::Null } else { json!(ESTIMATE_S) },
            "current_layer": if job.ended.is_some() { 200 } else { 0 },
            "analysis": { "estimate": ESTIMATE_S, "totalLayers": 200 },
            "started": job.started,
            "ended": job.ended,
            "ai": null,
            "autoprint": false,
            "printer": { "id": job.printer_id, "name": "Fake printer 1", "group": { "id": 1, "name": "Fake farm" } },
            "cost": 0.42,
            "duration": job.ended.map(|e| e - job.started),
            "skippedObjects": null,
        })
    }

    /// The job in the shape of `jobs/GetPaginatedPrintJobs` and `jobs/GetDetails`.
    pub(super) fn job_list_json(job: &FakeJob) -> Value {
        let finished = job.status != JobStatus::Ongoing;
        json!({
            "id": job.id,
            "uid": job.uid,
            "status": job.status.as_str(),
            "cancelReasonType": if job.status == JobStatus::Cancelled { json!("5") } else { Value::Null },
            "rating": 0,
            "filename": job.filename,
            "startDate": iso(job.started),
            "endDate": job.ended.map(iso),
            "user": 1,
            "printer": job.printer_id,
            "filament": "{\"e0\": {\"usage\": 60}}",
            "filUsage": 60,
            "filUsageGram": 0,
            "currentPercentage": if job.status == JobStatus::Done { 100 } else if finished { 50 } else { 0 },
            "printTime": job.ended.map_or(0, |e| e - job.started),
            "cost": { "total": 0.42, "currency": "EUR" },
            "queueItem": job.queue_item_id.map(|id| json!({ "id": id, "user": 1, "queueNum": id })),
        })
    }

    pub(super) fn subscribers(&self, event: &str) -> Vec<FakeWebhook> {
        self.webhooks
            .iter()
            .filter(|w| w.enabled && w.events.iter().any(|e| e == event))
            .cloned()
            .collect()
    }

    /// `webhooks/Create`: creates, or updates when `id` names an existing webhook.
    pub(super) fn save_webhook(&mut self, body: &Value) -> Result<FakeWebhook, String> {
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let url = text("url")
            .filter(|u| u.starts_with("http"))
            .ok_or("A valid url is required")?;
        let secret = text("secret").filter(|s| !s.is_empty());
        if secret.as_ref().is_some_and(|s| s.len() > 128) {
            return Err("The secret may be at most 128 characters".into());
        }
        let events: Vec<String> = body
            .get("events")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if events.is_empty() {
            return Err("Select at least one event".into());
        }
        let enabled = body.get("enabled").is_some_and(|v| {
            v.as_bool()
                .unwrap_or_else(|| v.as_i64() == Some(1) || v.as_str() == Some("true"))
        });
        let id = body.get("id").and_then(Value::as_i64);
        let webhook = FakeWebhook {
            id: id.unwrap_or(self.next_webhook_id),
            name: text("name").unwrap_or_else(|| "Webhook".into()),
            description: text("description"),
            url,
            secret,
            enabled,
            events,
            created_at: Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        match id {
            Some(id) => {
                let existing = self
                    .webhooks
                    .iter_mut()
                    .find(|w| w.id == id)
                    .ok_or_else(|| format!("Webhook {id} not found"))?;
                let created_at = existing.created_at.clone();
                *existing = FakeWebhook {
                    created_at,
                    ..webhook.clone()
                };
            }
            None => {
                self.next_webhook_id += 1;
                self.webhooks.push(webhook.clone());
            }
        }
        Ok(webhook)
    }

    pub(super) fn delete_webhook(&mut self, id: i64) -> Result<(), String> {
        let before = self.webhooks.len();
        self.webhooks.retain(|w| w.id != id);
        if self.webhooks.len() == before {
            return Err(format!("Webhook {id} not found"));
        }
        Ok(())
    }
}

/// Every event the fake can send, for the `set_webhook` shortcut.
pub(super) const ALL_EVENTS: &[&str] = &[
    "job.started",
    "job.done",
    "job.failed",
    "job.cancelled",
    "queue.add_item",
    "queue.delete_item",
    "test",
];
