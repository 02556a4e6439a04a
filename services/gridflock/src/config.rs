//! gridflock-service settings, read once from the environment.

use service_common::config::{CommonConfig, ConfigError, Vars};
use std::path::PathBuf;
use std::time::Duration;

/// Service name: schema, consumer name, logs.
pub const SERVICE: &str = "gridflock";
/// Port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3004;

/// How the pipeline worker runs and retries.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `GRIDFLOCK_MAX_RETRIES`: retries of a step after a transient failure
    /// (unreachable service, 5xx) before the job fails; 0 fails at once.
    pub max_retries: u32,
    /// `GRIDFLOCK_RETRY_BASE_MS`: pause before the first retry; doubles per retry.
    pub retry_base: Duration,
    /// `GRIDFLOCK_RETRY_MAX_MS`: the longest pause between retries.
    pub retry_max: Duration,
    /// `GRIDFLOCK_WORKER_CONCURRENCY`: jobs one instance runs at the same time.
    pub worker_concurrency: usize,
    /// `GRIDFLOCK_WORKER_POLL_MS`: how often idle workers look for due jobs
    /// (new jobs of this instance wake them at once).
    pub poll: Duration,
    /// `GRIDFLOCK_LEASE_MS`: a claimed job is left alone by other instances
    /// this long; the worker renews it while it works.
    pub lease: Duration,
    /// `GRIDFLOCK_SLICE_TIMEOUT_SECONDS`: one call of slicer-service.
    pub slice_timeout: Duration,
    /// `GRIDFLOCK_UPLOAD_TIMEOUT_SECONDS`: one upload through print-service.
    pub upload_timeout: Duration,
}

/// Everything gridflock-service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// `ORDER_SERVICE_URL`: product mappings are created there.
    pub order_service_url: String,
    /// `PRINT_SERVICE_URL`: gcode is uploaded to SimplyPrint through it.
    pub print_service_url: String,
    /// `SLICER_SERVICE_URL`: STL → gcode.
    pub slicer_service_url: String,
    /// `GRIDFLOCK_DATA_DIR`: STL and gcode artefacts by content hash.
    pub data_dir: PathBuf,
    /// `GRIDFLOCK_ENABLED_BY_DEFAULT`: whether a tenant without an explicit
    /// feature row may generate plates (default false: GridFlock is opt-in).
    pub enabled_by_default: bool,
    /// `GRIDFLOCK_GENERATION_CONCURRENCY`: plate meshes built at the same
    /// time, previews and pipeline together (default: the number of cores).
    pub generation_concurrency: usize,
    /// `GRIDFLOCK_PREVIEW_MAX_MM`: the largest side a storefront preview may
    /// have (default 2000, gridflock-core's own limit). A 2000 × 2000 mm
    /// preview is an STL of about 240 MB; lower it to bound what one
    /// anonymous request can cost.
    pub preview_max_mm: u32,
    /// Worker and retry settings.
    pub pipeline: PipelineConfig,
}

impl Config {
    /// Reads and checks every variable; the error names the first bad one.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_vars(vars, SERVICE, DEFAULT_PORT)?;
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let retry_base = vars.millis("GRIDFLOCK_RETRY_BASE_MS", 5_000, 1..=3_600_000)?;
        let retry_max = vars.millis("GRIDFLOCK_RETRY_MAX_MS", 600_000, 1..=86_400_000)?;
        if retry_max < retry_base {
            return Err(ConfigError::new(
                "GRIDFLOCK_RETRY_MAX_MS",
                format!(
                    "is below GRIDFLOCK_RETRY_BASE_MS ({} ms)",
                    retry_base.as_millis()
                ),
            ));
        }
        let pipeline = PipelineConfig {
            max_retries: ranged(vars, "GRIDFLOCK_MAX_RETRIES", 5, 0, 100)?,
            retry_base,
            retry_max,
            worker_concurrency: ranged(vars, "GRIDFLOCK_WORKER_CONCURRENCY", 1, 1, 64)?,
            poll: vars.millis("GRIDFLOCK_WORKER_POLL_MS", 1_000, 10..=60_000)?,
            lease: vars.millis("GRIDFLOCK_LEASE_MS", 30_000, 300..=3_600_000)?,
            slice_timeout: vars.seconds("GRIDFLOCK_SLICE_TIMEOUT_SECONDS", 900, 1..=7_200)?,
            upload_timeout: vars.seconds("GRIDFLOCK_UPLOAD_TIMEOUT_SECONDS", 900, 1..=7_200)?,
        };
        Ok(Self {
            common,
            order_service_url: vars.url("ORDER_SERVICE_URL")?,
            print_service_url: vars.url("PRINT_SERVICE_URL")?,
            slicer_service_url: vars.url("SLICER_SERVICE_URL")?,
            data_dir: vars
                .raw("GRIDFLOCK_DATA_DIR")
                .unwrap_or("/data/gridflock")
                .trim()
                .into(),
            enabled_by_default: boolean(vars, "GRIDFLOCK_ENABLED_BY_DEFAULT", false)?,
            generation_concurrency: ranged(vars, "GRIDFLOCK_GENERATION_CONCURRENCY", cores, 1, 64)?,
            preview_max_mm: ranged(vars, "GRIDFLOCK_PREVIEW_MAX_MM", 2000, 42, 2000)?,
            pipeline,
        })
    }
}

fn ranged<T>(vars: &Vars, name: &str, default: T, lo: T, hi: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let expected = format!("a whole number in {lo}..={hi}");
    let value: T = vars.parse_or(name, default, &expected)?;
    if value < lo || value > hi {
        return Err(ConfigError::new(
            name,
            format!("is {value}, not {expected}"),
        ));
    }
    Ok(value)
}

fn boolean(vars: &Vars, name: &str, default: bool) -> Result<bool, ConfigError> {
    match vars.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(
            name,
            format!("is {v:?}, not true or false"),
        )),
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
            ("ORDER_SERVICE_URL", "http://order:3001"),
            ("PRINT_SERVICE_URL", "http://print:3002/"),
            ("SLICER_SERVICE_URL", "http://slicer:3010"),
        ])
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_vars(&vars()).expect("valid");
        assert_eq!(c.common.port, 3004);
        assert_eq!(c.print_service_url, "http://print:3002");
        assert_eq!(c.data_dir, PathBuf::from("/data/gridflock"));
        assert!(!c.enabled_by_default);
        assert_eq!(c.pipeline.max_retries, 5);
        assert_eq!(c.pipeline.retry_base, Duration::from_secs(5));
        assert_eq!(c.pipeline.worker_concurrency, 1);
        assert!(c.generation_concurrency >= 1);
    }

    #[test]
    fn each_bad_variable_is_named() {
        for (name, value, message) in [
            ("SLICER_SERVICE_URL", "", "is missing"),
            ("ORDER_SERVICE_URL", "ftp://x", "not an http(s) URL"),
            (
                "GRIDFLOCK_MAX_RETRIES",
                "many",
                "is \"many\", not a whole number in 0..=100",
            ),
            (
                "GRIDFLOCK_WORKER_CONCURRENCY",
                "0",
                "is 0, not a whole number in 1..=64",
            ),
            (
                "GRIDFLOCK_ENABLED_BY_DEFAULT",
                "maybe",
                "is \"maybe\", not true or false",
            ),
            (
                "GRIDFLOCK_RETRY_MAX_MS",
                "1",
                "is below GRIDFLOCK_RETRY_BASE_MS",
            ),
        ] {
            let mut v = vars();
            v.set(name, value);
            let e = Config::from_vars(&v).expect_err(name);
            assert_eq!(e.name, name);
            assert!(
                e.to_string().contains(message),
                "{name}: {e} should contain {message}"
            );
        }
    }

    #[test]
    fn flag_default_and_small_retry_base_are_accepted() {
        let mut v = vars();
        v.set("GRIDFLOCK_ENABLED_BY_DEFAULT", "true");
        v.set("GRIDFLOCK_RETRY_BASE_MS", "10");
        v.set("GRIDFLOCK_RETRY_MAX_MS", "20");
        let c = Config::from_vars(&v).expect("valid");
        assert!(c.enabled_by_default);
        assert_eq!(c.pipeline.retry_base, Duration::from_millis(10));
    }
}
