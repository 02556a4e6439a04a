//! Typed client of SimplyPrint (specs/external-apis.md §2): uploads on the
//! files host, the print queue and the job list on the API host.
//!
//! Every call has a timeout and is retried with back-off on transport errors
//! and 5xx/429. A call that is not idempotent (AddItem) is repeated only when
//! SimplyPrint certainly did not act on it (the connection failed, or it
//! answered with an error status); when the request may have been applied,
//! the error says so ([`SimplyPrintError::maybe_applied`]) and the caller
//! reconciles instead of adding twice. SimplyPrint reports logical errors as
//! HTTP 200 with `status: false`; they become [`SimplyPrintError::Refused`].

mod wire;

use crate::config::SimplyPrintConfig;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::json;
use service_common::client::http_client;
use service_common::contracts::UploadedFile;
use std::time::Duration;

pub(crate) use wire::QueueItem;

/// How many times a request is sent at most.
const ATTEMPTS: u32 = 3;
/// First pause between attempts; tripled each time.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);
/// Pages of the job list searched for a webhook's job (newest first).
const JOB_SEARCH_PAGES: u32 = 5;
const JOB_PAGE_SIZE: u32 = 100;

/// Why a SimplyPrint call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SimplyPrintError {
    /// `status: false`: SimplyPrint understood and refused.
    #[error("SimplyPrint {endpoint} refused: {message}")]
    Refused {
        /// The endpoint called.
        endpoint: &'static str,
        /// SimplyPrint's message.
        message: String,
    },
    /// A non-success HTTP status (after retries for 5xx/429).
    #[error("SimplyPrint {endpoint} answered HTTP {status}: {body}")]
    Http {
        /// The endpoint called.
        endpoint: &'static str,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// No answer (connection, timeout).
    #[error("SimplyPrint {endpoint} could not be reached: {reason}")]
    Transport {
        /// The endpoint called.
        endpoint: &'static str,
        /// The last failure.
        reason: String,
        /// The request may have reached SimplyPrint.
        sent: bool,
    },
    /// A success answer that does not match the contract.
    #[error("SimplyPrint {endpoint} answered something unexpected: {reason}")]
    Decode {
        /// The endpoint called.
        endpoint: &'static str,
        /// What did not match.
        reason: String,
    },
}

impl SimplyPrintError {
    /// Whether trying again later may succeed.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Http { status, .. } => *status >= 500 || *status == 429,
            Self::Refused { .. } | Self::Decode { .. } => false,
        }
    }

    /// Whether SimplyPrint may have acted on the request although we have
    /// no usable answer.
    pub(crate) fn maybe_applied(&self) -> bool {
        match self {
            Self::Transport { sent, .. } => *sent,
            Self::Decode { .. } => true,
            Self::Refused { .. } | Self::Http { .. } => false,
        }
    }
}

/// Whether a request may be sent again after an answer was possibly lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Reading, or harmless to repeat.
    Safe,
    /// Creates something: repeated only when it surely did not arrive.
    OnlyIfNotSent,
}

/// SimplyPrint for one company.
#[derive(Clone)]
pub(crate) struct SimplyPrint {
    api_base: String,
    files_base: String,
    api_key: String,
    part_bytes: u64,
    http: reqwest::Client,
    upload_http: reqwest::Client,
}

impl SimplyPrint {
    /// A client configured from `config`.
    pub(crate) fn new(config: &SimplyPrintConfig) -> Self {
        Self {
            api_base: format!("{}/{}", config.api_url, config.company_id),
            files_base: format!("{}/{}", config.files_url, config.company_id),
            api_key: config.api_key.clone(),
            part_bytes: config.upload_part_bytes,
            http: http_client(config.timeout),
            upload_http: http_client(config.upload_timeout),
        }
    }

    /// `POST queue/AddItem {fileId, amount: 1}`: the new queue item's id.
    pub(crate) async fn add_to_queue(&self, file_id: &str) -> Result<i64, SimplyPrintError> {
        let url = format!("{}/queue/AddItem", self.api_base);
        let body = json!({ "fileId": file_id, "amount": 1 });
        let answer: wire::AddItemAnswer = self
            .call("queue/AddItem", Repeat::OnlyIfNotSent, || {
                self.http.post(&url).json(&body)
            })
            .await?;
        Ok(answer.created_id)
    }

    /// Removes a queue item. The docs do not state the method; the query
    /// parameter is what they document, the `id` body what a known client sends.
    pub(crate) async fn delete_queue_item(
        &self,
        queue_item_id: i64,
    ) -> Result<(), SimplyPrintError> {
        let url = format!("{}/queue/DeleteItem?job={queue_item_id}", self.api_base);
        let body = json!({ "id": queue_item_id });
        let _: serde_json::Value = self
            .call("queue/DeleteItem", Repeat::Safe, || {
                self.http.post(&url).json(&body)
            })
            .await?;
        Ok(())
    }

    /// The waiting queue items.
    pub(crate) async fn queue_items(&self) -> Result<Vec<QueueItem>, SimplyPrintError> {
        let url = format!("{}/queue/GetItems", self.api_base);
        let answer: wire::QueueItemsAnswer = self
            .call("queue/GetItems", Repeat::Safe, || self.http.get(&url))
            .await?;
        Ok(answer.into_items())
    }

    /// The queue item a SimplyPrint job was started from, looked up in the
    /// newest pages of `jobs/GetPaginatedPrintJobs` (webhook job payloads do
    /// not carry it). `None`: the job is not (yet) listed, or was started
    /// without the queue.
    pub(crate) async fn queue_item_of_job(
        &self,
        job_id: i64,
    ) -> Result<Option<i64>, SimplyPrintError> {
        let url = format!("{}/jobs/GetPaginatedPrintJobs", self.api_base);
        for page in 1..=JOB_SEARCH_PAGES {
            let body = json!({ "page": page, "page_size": JOB_PAGE_SIZE });
            let answer: wire::PaginatedJobs = self
                .call("jobs/GetPaginatedPrintJobs", Repeat::Safe, || {
                    self.http.post(&url).json(&body)
                })
                .await?;
            if let Some(job) = answer.data.iter().find(|j| j.id == job_id) {
                tracing::debug!(job_id, uid = ?job.uid, "SimplyPrint job found in the job list");
                return Ok(job.queue_item.as_ref().map(|q| q.id));
            }
            let last_page = answer.page_amount.unwrap_or(1);
            if answer.data.len() < JOB_PAGE_SIZE as usize || page >= last_page {
                break;
            }
        }
        Ok(None)
    }

    /// Uploads a print file to the files host; files larger than the part
    /// size go in parts chained by `continueToken`.
    pub(crate) async fn upload_file(
        &self,
        name: &str,
        data: Bytes,
    ) -> Result<UploadedFile, SimplyPrintError> {
        const ENDPOINT: &str = "files/Upload";
        let url = format!("{}/files/Upload", self.files_base);
        let total = data.len() as u64;
        let part = usize::try_from(self.part_bytes)
            .unwrap_or(usize::MAX)
            .max(1);
        let chunks: Vec<Bytes> = if data.is_empty() {
            vec![data]
        } else {
            (0..data.len())
                .step_by(part)
                .map(|start| data.slice(start..(start + part).min(data.len())))
                .collect()
        };
        let parts = chunks.len();
        let mut token: Option<String> = None;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let is_first = i == 0;
            let answer: wire::UploadAnswer = self
                .call(ENDPOINT, Repeat::Safe, || {
                    let file = reqwest::multipart::Part::stream_with_length(
                        reqwest::Body::from(chunk.clone()),
                        chunk.len() as u64,
                    )
                    .file_name(name.to_owned());
                    let mut form = reqwest::multipart::Form::new().part("file", file);
                    if is_first && parts > 1 {
                        form = form.text("totalSize", total.to_string());
                    }
                    if let Some(t) = &token {
                        form = form.text("continueToken", t.clone());
                    }
                    self.upload_http.post(&url).multipart(form)
                })
                .await?;
            let is_last = i + 1 == parts;
            match (answer.file, answer.continue_token, is_last) {
                (Some(f), _, true) => {
                    return Ok(UploadedFile {
                        file_id: f.id,
                        name: f.name,
                        size: f.size,
                    });
                }
                (None, Some(t), false) => token = Some(t),
                (file, t, _) => {
                    return Err(SimplyPrintError::Decode {
                        endpoint: ENDPOINT,
                        reason: format!(
                            "part {} of {parts} answered with{} a file and with{} a continueToken",
                            i + 1,
                            if file.is_some() { "" } else { "out" },
                            if t.is_some() { "" } else { "out" },
                        ),
                    });
                }
            }
        }
        Err(SimplyPrintError::Decode {
            endpoint: ENDPOINT,
            reason: "no part was sent".to_owned(),
        })
    }

    /// Sends the request `build` makes, with the API key, retrying as
    /// `repeat` allows; decodes `T` from a `status: true` answer.
    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        repeat: Repeat,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, SimplyPrintError> {
        let mut delay = FIRST_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            let result = self.call_once(endpoint, build()).await;
            let error = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let again = error.is_transient()
                && (repeat == Repeat::Safe || !error.maybe_applied())
                && attempt < ATTEMPTS;
            if !again {
                return Err(error);
            }
            tracing::info!(endpoint, attempt, error = %error, "retrying SimplyPrint call");
            tokio::time::sleep(delay).await;
            delay *= 3;
            attempt += 1;
        }
    }

    async fn call_once<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SimplyPrintError> {
        let response = request
            .header("X-API-KEY", &self.api_key)
            .send()
            .await
            .map_err(|e| SimplyPrintError::Transport {
                endpoint,
                reason: error_chain(&e),
                sent: !(e.is_connect() || e.is_builder()),
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| SimplyPrintError::Transport {
                endpoint,
                reason: format!("reading the answer: {}", error_chain(&e)),
                sent: true,
            })?;
        if !status.is_success() {
            return Err(SimplyPrintError::Http {
                endpoint,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            });
        }
        decode(endpoint, &body)
    }
}

/// Checks the envelope, then decodes the payload.
fn decode<T: DeserializeOwned>(endpoint: &'static str, body: &[u8]) -> Result<T, SimplyPrintError> {
    let envelope: wire::Envelope =
        serde_json::from_slice(body).map_err(|e| SimplyPrintError::Decode {
            endpoint,
            reason: format!("no status envelope ({e})"),
        })?;
    if !envelope.status {
        return Err(SimplyPrintError::Refused {
            endpoint,
            message: envelope
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "no message given".to_owned()),
        });
    }
    serde_json::from_slice(body).map_err(|e| SimplyPrintError::Decode {
        endpoint,
        reason: e.to_string(),
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_false_is_a_refusal_with_the_message() {
        let e = decode::<serde_json::Value>(
            "queue/AddItem",
            br#"{"status":false,"message":"No API key provided, or not logged in"}"#,
        )
        .expect_err("refused");
        assert_eq!(
            e,
            SimplyPrintError::Refused {
                endpoint: "queue/AddItem",
                message: "No API key provided, or not logged in".to_owned()
            }
        );
        assert!(!e.is_transient());
        assert!(!e.maybe_applied());
        let e = decode::<serde_json::Value>("x", br#"{"status":false,"message":null}"#)
            .expect_err("refused");
        assert!(e.to_string().ends_with("refused: no message given"));
    }

    #[test]
    fn answers_without_an_envelope_are_unexpected() {
        let e = decode::<serde_json::Value>("x", b"<html>").expect_err("html");
        assert!(matches!(e, SimplyPrintError::Decode { .. }));
        assert!(e.maybe_applied());
    }

    #[test]
    fn only_lost_answers_may_have_been_applied() {
        let sent = SimplyPrintError::Transport {
            endpoint: "x",
            reason: "timed out".to_owned(),
            sent: true,
        };
        let refused_connection = SimplyPrintError::Transport {
            endpoint: "x",
            reason: "connection refused".to_owned(),
            sent: false,
        };
        let server_error = SimplyPrintError::Http {
            endpoint: "x",
            status: 503,
            body: String::new(),
        };
        let client_error = SimplyPrintError::Http {
            endpoint: "x",
            status: 404,
            body: String::new(),
        };
        assert!(sent.is_transient() && sent.maybe_applied());
        assert!(refused_connection.is_transient() && !refused_connection.maybe_applied());
        assert!(server_error.is_transient() && !server_error.maybe_applied());
        assert!(!client_error.is_transient());
    }
}
