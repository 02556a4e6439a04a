//! What the fake print farm holds (files, queue items, jobs, webhooks) and the
//! types tests use to steer it.

use serde::Serialize;
use serde_json::Value;

/// An uploaded file on the files host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeFile {
    /// The 64-hex "API file id" used as `fileId` in `queue/AddItem`.
    pub id: String,
    /// The first part's file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The content itself.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// An item in the print queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeQueueItem {
    /// `created_id` of `queue/AddItem`.
    pub id: i64,
    /// The uploaded file's id, when added by `fileId`.
    pub file_id: Option<String>,
    /// The library file id, when added by `filesystem`.
    pub filesystem: Option<String>,
    /// File name shown in the queue.
    pub name: String,
    /// Copies requested.
    pub amount: u32,
    /// Copies not yet started.
    pub left: u32,
    /// Copies finished successfully.
    pub printed: u32,
    /// Queue group.
    pub group: i64,
    /// Removed through `queue/DeleteItem`.
    pub deleted: bool,
    /// The AddItem request body as received.
    pub request: Value,
}

/// A job's state as `jobs/GetPaginatedPrintJobs` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Printing.
    Ongoing,
    /// Finished successfully.
    Done,
    /// Failed on the printer.
    Failed,
    /// Cancelled by an operator.
    Cancelled,
}

impl JobStatus {
    /// The `status` string of the jobs API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ongoing => "ongoing",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How a print ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobOutcome {
    /// `job.done`.
    Done,
    /// `job.failed`.
    Failed,
    /// `job.cancelled`.
    Cancelled,
}

impl JobOutcome {
    pub(crate) fn status(self) -> JobStatus {
        match self {
            Self::Done => JobStatus::Done,
            Self::Failed => JobStatus::Failed,
            Self::Cancelled => JobStatus::Cancelled,
        }
    }

    pub(crate) fn event(self) -> &'static str {
        match self {
            Self::Done => "job.done",
            Self::Failed => "job.failed",
            Self::Cancelled => "job.cancelled",
        }
    }
}

/// A print job on the fake farm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeJob {
    /// Numeric job id.
    pub id: i64,
    /// `pj_…` uid, the id `jobs/GetDetails` takes.
    pub uid: String,
    /// The queue item the copy came from.
    pub queue_item_id: Option<i64>,
    /// The printed file's id.
    pub file_id: Option<String>,
    /// The printed file's name.
    pub filename: String,
    /// Current state.
    pub status: JobStatus,
    /// Printer it runs on.
    pub printer_id: i64,
    /// Unix seconds.
    pub started: i64,
    /// Unix seconds, once finished.
    pub ended: Option<i64>,
}

/// A webhook registered through `webhooks/Create` (or [`super::SimplyPrintFake::set_webhook`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeWebhook {
    /// Webhook id (the envelope's `webhook_id`).
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Receiver URL.
    pub url: String,
    /// Sent verbatim in `X-SP-Secret`.
    pub secret: Option<String>,
    /// Only enabled webhooks are delivered.
    pub enabled: bool,
    /// Subscribed events, e.g. `job.done`.
    pub events: Vec<String>,
    /// Creation time, `YYYY-MM-DD HH:MM:SS` UTC.
    pub created_at: String,
}

/// One webhook POST the fake made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    /// Which webhook.
    pub webhook_id: i64,
    /// Where it went.
    pub url: String,
    /// Event name.
    pub event: String,
    /// The envelope sent.
    pub payload: Value,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The transport error, if it did not.
    pub error: Option<String>,
}

impl WebhookDelivery {
    /// Whether the receiver answered 2xx.
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// An error to return from the next call of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// HTTP 200 with `{"status":false,"message":…}`, SimplyPrint's usual error.
    StatusFalse(String),
    /// This HTTP status with a short JSON body.
    Http(u16),
}

/// A test asked the farm for something impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FarmError {
    /// No such queue item, or it was deleted.
    #[error("queue item {0} does not exist")]
    UnknownQueueItem(i64),
    /// Every copy of the item was already started.
    #[error("queue item {0} has no copies left")]
    NothingLeft(i64),
    /// No such job.
    #[error("job {0} does not exist")]
    UnknownJob(i64),
    /// The job already ended.
    #[error("job {0} is not ongoing")]
    NotOngoing(i64),
}
