//! slicer-service settings.
//!
//! The service has no database and no event bus, so it reads its own small
//! set of variables instead of `CommonConfig` (which requires both).

use service_common::config::{ConfigError, Vars};
use std::path::PathBuf;
use std::time::Duration;

/// Port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3010;

/// Which program slices Bambu Lab printers when one is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BambuKind {
    /// Bambu Lab's own `bambu-studio`.
    BambuStudio,
    /// The `orca-slicer` fork (same command line).
    OrcaSlicer,
}

impl BambuKind {
    /// The product name, as shown in `X-Slicer` and `/profiles`.
    pub fn product(self) -> &'static str {
        match self {
            Self::BambuStudio => "BambuStudio",
            Self::OrcaSlicer => "OrcaSlicer",
        }
    }
}

/// Everything slicer-service reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `PORT` (default 3010).
    pub port: u16,
    /// `INTERNAL_API_KEY`: required on `/slice` and `/profiles`.
    pub internal_api_key: String,
    /// `SLICER_PRUSA_BIN`: the PrusaSlicer executable (default `prusa-slicer`).
    pub prusa_bin: PathBuf,
    /// `SLICER_BAMBU_BIN`: BambuStudio or OrcaSlicer; when absent, Bambu
    /// printers are sliced by PrusaSlicer.
    pub bambu_bin: Option<PathBuf>,
    /// `SLICER_BAMBU_KIND`: `bambustudio` (default) or `orcaslicer`.
    pub bambu_kind: BambuKind,
    /// `SLICER_TIMEOUT_SECONDS`: one slicer run may take this long (default 300).
    pub timeout: Duration,
    /// `SLICER_CONCURRENCY`: slicer runs at once (default: number of CPUs).
    pub concurrency: usize,
    /// `SLICER_QUEUE_LIMIT`: requests that may wait for a free slot (default 16);
    /// beyond that the service answers 503 with `Retry-After`.
    pub queue_limit: usize,
    /// `SLICER_WORK_DIR`: where each request gets its scratch directory
    /// (default: the system temp directory, i.e. `TMPDIR`).
    pub work_dir: PathBuf,
    /// `SHUTDOWN_GRACE_SECONDS`: how long in-flight slices may take after SIGTERM.
    pub shutdown_grace: Duration,
}

impl Config {
    /// Reads and checks the environment.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let concurrency: usize =
            vars.parse_or("SLICER_CONCURRENCY", cpus, "a whole number in 1..=64")?;
        if !(1..=64).contains(&concurrency) {
            return Err(ConfigError::new(
                "SLICER_CONCURRENCY",
                format!("is {concurrency}, not a whole number in 1..=64"),
            ));
        }
        let queue_limit: usize =
            vars.parse_or("SLICER_QUEUE_LIMIT", 16, "a whole number in 0..=10000")?;
        if queue_limit > 10_000 {
            return Err(ConfigError::new(
                "SLICER_QUEUE_LIMIT",
                format!("is {queue_limit}, not a whole number in 0..=10000"),
            ));
        }
        let bambu_kind = match vars.raw("SLICER_BAMBU_KIND").map(str::trim) {
            None => BambuKind::BambuStudio,
            Some(k) if k.eq_ignore_ascii_case("bambustudio") => BambuKind::BambuStudio,
            Some(k) if k.eq_ignore_ascii_case("orcaslicer") => BambuKind::OrcaSlicer,
            Some(other) => {
                return Err(ConfigError::new(
                    "SLICER_BAMBU_KIND",
                    format!("is {other:?}, not bambustudio or orcaslicer"),
                ));
            }
        };
        let work_dir = vars
            .raw("SLICER_WORK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Ok(Self {
            port: vars.port("PORT", DEFAULT_PORT)?,
            internal_api_key: vars.secret("INTERNAL_API_KEY", 16)?,
            prusa_bin: vars
                .raw("SLICER_PRUSA_BIN")
                .unwrap_or("prusa-slicer")
                .into(),
            bambu_bin: vars.raw("SLICER_BAMBU_BIN").map(PathBuf::from),
            bambu_kind,
            timeout: vars.seconds("SLICER_TIMEOUT_SECONDS", 300, 1..=3600)?,
            concurrency,
            queue_limit,
            work_dir,
            shutdown_grace: vars.seconds("SHUTDOWN_GRACE_SECONDS", 20, 1..=3600)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vars {
        Vars::from_pairs([("INTERNAL_API_KEY", "0123456789abcdef0123")])
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_vars(&base()).expect("valid");
        assert_eq!(c.port, 3010);
        assert_eq!(c.prusa_bin, PathBuf::from("prusa-slicer"));
        assert_eq!(c.bambu_bin, None);
        assert_eq!(c.timeout, Duration::from_secs(300));
        assert!(c.concurrency >= 1);
        assert_eq!(c.queue_limit, 16);
    }

    #[test]
    fn bad_values_are_named() {
        let mut vars = base();
        vars.set("SLICER_BAMBU_KIND", "cura");
        let err = Config::from_vars(&vars).expect_err("kind");
        assert!(err.to_string().contains("SLICER_BAMBU_KIND"), "{err}");

        let mut vars = base();
        vars.set("SLICER_CONCURRENCY", "0");
        let err = Config::from_vars(&vars).expect_err("concurrency");
        assert!(err.to_string().contains("SLICER_CONCURRENCY is 0"), "{err}");

        let vars = Vars::default();
        let err = Config::from_vars(&vars).expect_err("key");
        assert!(err.to_string().contains("INTERNAL_API_KEY"), "{err}");
    }

    #[test]
    fn orca_is_selectable() {
        let mut vars = base();
        vars.set("SLICER_BAMBU_KIND", "OrcaSlicer");
        vars.set("SLICER_BAMBU_BIN", "/opt/orca/orca-slicer");
        let c = Config::from_vars(&vars).expect("valid");
        assert_eq!(c.bambu_kind, BambuKind::OrcaSlicer);
        assert_eq!(c.bambu_bin, Some(PathBuf::from("/opt/orca/orca-slicer")));
    }
}
