//! print-service settings, read once from the environment.

use crate::backoff::Backoff;
use service_common::config::{CommonConfig, ConfigError, Vars};
use std::fmt;
use std::time::Duration;

/// Service name: schema, consumer group, logs.
pub const SERVICE: &str = "print";
/// Port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3002;

/// SimplyPrint takes at most 100 MB per upload request; parts of 95 MiB (what
/// SimplyPrint's own integrations send) leave room for the multipart framing.
pub const DEFAULT_UPLOAD_PART_BYTES: u64 = 95 * 1024 * 1024;
const MAX_UPLOAD_PART_BYTES: u64 = 100_000_000;

/// How to reach SimplyPrint.
#[derive(Clone)]
pub struct SimplyPrintConfig {
    /// `SIMPLYPRINT_API_URL` (queue, jobs).
    pub api_url: String,
    /// `SIMPLYPRINT_FILES_URL` (uploads).
    pub files_url: String,
    /// `SIMPLYPRINT_COMPANY_ID`: the organisation, first path segment.
    pub company_id: u64,
    /// `SIMPLYPRINT_API_KEY`, sent as `X-API-KEY`.
    pub api_key: String,
    /// `SIMPLYPRINT_WEBHOOK_SECRET`: what SimplyPrint sends in `X-SP-Secret`.
    pub webhook_secret: String,
    /// `SIMPLYPRINT_UPLOAD_PART_BYTES`: files larger than this go in parts.
    pub upload_part_bytes: u64,
    /// `SIMPLYPRINT_TIMEOUT_MS`: one API request.
    pub timeout: Duration,
    /// `SIMPLYPRINT_UPLOAD_TIMEOUT_SECONDS`: one upload part.
    pub upload_timeout: Duration,
}

impl fmt::Debug for SimplyPrintConfig {
    // Key and secret stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimplyPrintConfig")
            .field("api_url", &self.api_url)
            .field("files_url", &self.files_url)
            .field("company_id", &self.company_id)
            .field("upload_part_bytes", &self.upload_part_bytes)
            .finish_non_exhaustive()
    }
}

/// Timing of the background workers.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `PRINT_WORKER_POLL_MS`: how often the workers look for due work when
    /// nothing woke them.
    pub poll: Duration,
    /// `PRINT_QUEUE_MAX_ATTEMPTS`: AddItem attempts before a job fails.
    pub queue_max_attempts: u32,
    /// `PRINT_RETRY_BASE_MS` / `PRINT_RETRY_MAX_MS`: back-off between attempts.
    pub backoff: Backoff,
    /// `PRINT_QUEUE_LEASE_MS`: a job being queued is left alone by other
    /// workers this long; a call to SimplyPrint is abandoned after half of it.
    pub lease: Duration,
    /// `PRINT_WEBHOOK_MAX_ATTEMPTS`: how often a webhook that cannot be mapped
    /// to a job is retried before it is left in the inbox as unmapped.
    pub webhook_max_attempts: u32,
}

/// Everything print-service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// SimplyPrint.
    pub simplyprint: SimplyPrintConfig,
    /// Background workers.
    pub worker: WorkerConfig,
    /// `PRINT_UPLOAD_MAX_BYTES`: body limit of `POST /internal/files`.
    pub upload_max_bytes: u64,
}

impl Config {
    /// Reads and checks every variable; the error names the first bad one.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_vars(vars, SERVICE, DEFAULT_PORT)?;
        let company_id: u64 = vars.parse_or("SIMPLYPRINT_COMPANY_ID", 0, "a positive integer")?;
        if company_id == 0 {
            let problem = if vars.raw("SIMPLYPRINT_COMPANY_ID").is_none() {
                "is missing".to_owned()
            } else {
                "is 0, not a positive integer".to_owned()
            };
            return Err(ConfigError::new("SIMPLYPRINT_COMPANY_ID", problem));
        }
        let upload_part_bytes = vars.parse_or(
            "SIMPLYPRINT_UPLOAD_PART_BYTES",
            DEFAULT_UPLOAD_PART_BYTES,
            "a number of bytes",
        )?;
        if !(1..=MAX_UPLOAD_PART_BYTES).contains(&upload_part_bytes) {
            return Err(ConfigError::new(
                "SIMPLYPRINT_UPLOAD_PART_BYTES",
                format!(
                    "is {upload_part_bytes}, not a number of bytes in 1..={MAX_UPLOAD_PART_BYTES}"
                ),
            ));
        }
        let simplyprint = SimplyPrintConfig {
            api_url: vars.url_or("SIMPLYPRINT_API_URL", "https://api.simplyprint.io")?,
            files_url: vars.url_or("SIMPLYPRINT_FILES_URL", "https://files.simplyprint.io")?,
            company_id,
            api_key: vars.string("SIMPLYPRINT_API_KEY")?,
            webhook_secret: vars.secret("SIMPLYPRINT_WEBHOOK_SECRET", 16)?,
            upload_part_bytes,
            timeout: vars.millis("SIMPLYPRINT_TIMEOUT_MS", 15_000, 100..=300_000)?,
            upload_timeout: vars.seconds("SIMPLYPRINT_UPLOAD_TIMEOUT_SECONDS", 600, 1..=3600)?,
        };
        let base = vars.millis("PRINT_RETRY_BASE_MS", 2_000, 1..=3_600_000)?;
        let max = vars.millis("PRINT_RETRY_MAX_MS", 900_000, 1..=86_400_000)?;
        if max < base {
            return Err(ConfigError::new(
                "PRINT_RETRY_MAX_MS",
                format!("is below PRINT_RETRY_BASE_MS ({} ms)", base.as_millis()),
            ));
        }
        let lease = vars.millis("PRINT_QUEUE_LEASE_MS", 120_000, 200..=3_600_000)?;
        let worker = WorkerConfig {
            poll: vars.millis("PRINT_WORKER_POLL_MS", 1_000, 10..=60_000)?,
            queue_max_attempts: vars.parse_or(
                "PRINT_QUEUE_MAX_ATTEMPTS",
                10,
                "a number in 1..=100",
            )?,
            backoff: Backoff { base, max },
            lease,
            webhook_max_attempts: vars.parse_or(
                "PRINT_WEBHOOK_MAX_ATTEMPTS",
                30,
                "a number in 1..=1000",
            )?,
        };
        if !(1..=100).contains(&worker.queue_max_attempts) {
            return Err(ConfigError::new(
                "PRINT_QUEUE_MAX_ATTEMPTS",
                format!("is {}, not a number in 1..=100", worker.queue_max_attempts),
            ));
        }
        if !(1..=1000).contains(&worker.webhook_max_attempts) {
            return Err(ConfigError::new(
                "PRINT_WEBHOOK_MAX_ATTEMPTS",
                format!(
                    "is {}, not a number in 1..=1000",
                    worker.webhook_max_attempts
                ),
            ));
        }
        let upload_max_bytes = vars.parse_or(
            "PRINT_UPLOAD_MAX_BYTES",
            512 * 1024 * 1024,
            "a number of bytes",
        )?;
        if !(1..=4 * 1024 * 1024 * 1024).contains(&upload_max_bytes) {
            return Err(ConfigError::new(
                "PRINT_UPLOAD_MAX_BYTES",
                format!("is {upload_max_bytes}, not a number of bytes in 1..=4294967296"),
            ));
        }
        Ok(Self {
            common,
            simplyprint,
            worker,
            upload_max_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("REDIS_URL", "redis://127.0.0.1/"),
            ("INTERNAL_API_KEY", "0123456789abcdef0123"),
            ("SIMPLYPRINT_COMPANY_ID", "4242"),
            ("SIMPLYPRINT_API_KEY", "sp-key"),
            ("SIMPLYPRINT_WEBHOOK_SECRET", "0123456789abcdef"),
        ])
    }

    fn error(vars: &Vars) -> String {
        Config::from_vars(vars).expect_err("invalid").to_string()
    }

    #[test]
    fn defaults() {
        let c = Config::from_vars(&vars()).expect("valid");
        assert_eq!(c.common.port, 3002);
        assert_eq!(c.common.service, "print");
        assert_eq!(c.simplyprint.api_url, "https://api.simplyprint.io");
        assert_eq!(c.simplyprint.files_url, "https://files.simplyprint.io");
        assert_eq!(c.simplyprint.company_id, 4242);
        assert_eq!(c.simplyprint.upload_part_bytes, 95 * 1024 * 1024);
        assert_eq!(c.upload_max_bytes, 512 * 1024 * 1024);
        assert_eq!(c.worker.queue_max_attempts, 10);
    }

    #[test]
    fn company_id_must_be_a_positive_integer() {
        let mut v = vars();
        v.set("SIMPLYPRINT_COMPANY_ID", "0");
        assert_eq!(
            error(&v),
            "configuration error: SIMPLYPRINT_COMPANY_ID is 0, not a positive integer"
        );
        v.set("SIMPLYPRINT_COMPANY_ID", "acme");
        assert_eq!(
            error(&v),
            "configuration error: SIMPLYPRINT_COMPANY_ID is \"acme\", not a positive integer"
        );
        v.set("SIMPLYPRINT_COMPANY_ID", "");
        assert_eq!(
            error(&v),
            "configuration error: SIMPLYPRINT_COMPANY_ID is missing"
        );
    }

    #[test]
    fn secrets_are_required() {
        let mut v = vars();
        v.set("SIMPLYPRINT_WEBHOOK_SECRET", "short");
        assert!(error(&v).contains("SIMPLYPRINT_WEBHOOK_SECRET is too short"));
        let mut v = vars();
        v.set("SIMPLYPRINT_API_KEY", "");
        assert_eq!(
            error(&v),
            "configuration error: SIMPLYPRINT_API_KEY is missing"
        );
    }

    #[test]
    fn urls_and_sizes_are_checked() {
        let mut v = vars();
        v.set("SIMPLYPRINT_API_URL", "http://127.0.0.1:9/");
        v.set("SIMPLYPRINT_UPLOAD_PART_BYTES", "1024");
        let c = Config::from_vars(&v).expect("valid");
        assert_eq!(c.simplyprint.api_url, "http://127.0.0.1:9");
        assert_eq!(c.simplyprint.upload_part_bytes, 1024);
        v.set("SIMPLYPRINT_UPLOAD_PART_BYTES", "200000000");
        assert!(error(&v).contains("SIMPLYPRINT_UPLOAD_PART_BYTES is 200000000"));
        let mut v = vars();
        v.set("SIMPLYPRINT_FILES_URL", "files.simplyprint.io");
        assert!(error(&v).starts_with("configuration error: SIMPLYPRINT_FILES_URL is"));
    }

    #[test]
    fn worker_knobs_are_bounded() {
        let mut v = vars();
        v.set("PRINT_QUEUE_MAX_ATTEMPTS", "0");
        assert_eq!(
            error(&v),
            "configuration error: PRINT_QUEUE_MAX_ATTEMPTS is 0, not a number in 1..=100"
        );
        let mut v = vars();
        v.set("PRINT_RETRY_BASE_MS", "5000");
        v.set("PRINT_RETRY_MAX_MS", "100");
        assert!(error(&v).contains("PRINT_RETRY_MAX_MS is below PRINT_RETRY_BASE_MS"));
    }
}
