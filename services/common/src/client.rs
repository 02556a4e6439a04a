//! Outgoing HTTP: one configured client per service, and typed calls to the
//! other services with timeouts, retries and problem-aware errors.

use crate::auth::INTERNAL_API_KEY_HEADER;
use crate::problem::Problem;
use crate::telemetry::{CORRELATION_HEADER, current_correlation_id};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Once;
use std::time::Duration;

static CRYPTO: Once = Once::new();

/// A reqwest client with rustls (ring) and the given total timeout.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    CRYPTO.call_once(|| {
        // Fails only when a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3).min(timeout))
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("gridflock-connect/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Why a call to another service failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service could not be reached or kept failing (5xx) after retries.
    #[error("{service} is unavailable: {reason}")]
    Unavailable {
        /// The called service.
        service: String,
        /// The last failure.
        reason: String,
    },
    /// The service refused the request with a problem (4xx).
    #[error("{service} refused the request: {problem}")]
    Refused {
        /// The called service.
        service: String,
        /// Its answer.
        problem: Problem,
    },
    /// The answer could not be decoded.
    #[error("{service} answered something unexpected: {reason}")]
    Decode {
        /// The called service.
        service: String,
        /// What did not match.
        reason: String,
    },
}

impl ClientError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// A client of one internal service.
#[derive(Clone)]
pub struct ServiceClient {
    name: &'static str,
    base_url: String,
    api_key: String,
    http: reqwest::Client,
    attempts: u32,
}

impl ServiceClient {
    /// Calls `base_url` as `name`, authenticated with the internal key.
    pub fn new(name: &'static str, base_url: &str, api_key: &str, timeout: Duration) -> Self {
        Self {
            name,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            http: http_client(timeout),
            attempts: 3,
        }
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// GET `path`, decoded as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(|| self.http.get(self.url(path))).await
    }

    /// POST `body` as JSON to `path` (callers make such calls idempotent,
    /// which is what makes retrying them safe).
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(|| self.http.post(self.url(path)).json(body))
            .await
    }

    /// PUT `body` as JSON to `path`.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(|| self.http.put(self.url(path)).json(body)).await
    }

    /// POST raw bytes with a content type (and extra headers).
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        headers: &[(&str, String)],
        body: bytes::Bytes,
    ) -> Result<T, ClientError> {
        self.send(|| {
            let mut req = self
                .http
                .post(self.url(path))
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.clone());
            for (name, value) in headers {
                req = req.header(*name, value);
            }
            req
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let mut delay = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let mut req = build().header(INTERNAL_API_KEY_HEADER, &self.api_key);
            if let Some(id) = current_correlation_id() {
                req = req.header(CORRELATION_HEADER, id);
            }
            match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.map_err(|e| self.unavailable(e))?;
                    let body = if bytes.is_empty() {
                        &b"null"[..]
                    } else {
                        &bytes[..]
                    };
                    return serde_json::from_slice(body).map_err(|e| ClientError::Decode {
                        service: self.name.to_owned(),
                        reason: e.to_string(),
                    });
                }
                Ok(resp) if resp.status().is_server_error() || resp.status() == 429 => {
                    last = format!("answered {}", resp.status());
                }
                Ok(resp) => {
                    let status = resp.status();
                    let bytes = resp.bytes().await.unwrap_or_default();
                    let problem = serde_json::from_slice::<Problem>(&bytes).unwrap_or_else(|_| {
                        Problem::new(status, "upstream", "Upstream refused")
                            .detail(String::from_utf8_lossy(&bytes).into_owned())
                    });
                    return Err(ClientError::Refused {
                        service: self.name.to_owned(),
                        problem,
                    });
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < self.attempts {
                tracing::info!(service = self.name, attempt, reason = %last, "retrying internal call");
                tokio::time::sleep(delay).await;
                delay *= 3;
            }
        }
        Err(ClientError::Unavailable {
            service: self.name.to_owned(),
            reason: last,
        })
    }

    fn unavailable(&self, e: impl std::fmt::Display) -> ClientError {
        ClientError::Unavailable {
            service: self.name.to_owned(),
            reason: e.to_string(),
        }
    }
}
