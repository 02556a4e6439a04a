//! Configuration from environment variables.
//!
//! Every service reads its settings once at start-up through [`Vars`]; a
//! missing or malformed variable stops start-up with one line naming it and
//! the value that was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A configuration variable that is missing or cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {name} {problem}")]
pub struct ConfigError {
    /// The environment variable's name.
    pub name: String,
    /// What is wrong with it, including what was expected.
    pub problem: String,
}

impl ConfigError {
    /// A problem with the variable `name`.
    pub fn new(name: &str, problem: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A snapshot of the environment (or of given pairs, in tests).
#[derive(Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Vars {
    // Values may be secrets: only names are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

impl Vars {
    /// The process environment.
    pub fn from_env() -> Self {
        Self {
            values: std::env::vars().collect(),
        }
    }

    /// Explicit pairs (tests and embedded runs).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets or replaces one variable.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_owned(), value.into());
    }

    /// The raw value, treating an empty string as absent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<String, ConfigError> {
        self.raw(name)
            .map(str::to_owned)
            .ok_or_else(|| ConfigError::new(name, "is missing"))
    }

    /// A required secret of at least `min_len` characters.
    pub fn secret(&self, name: &str, min_len: usize) -> Result<String, ConfigError> {
        let value = self.string(name)?;
        if value.len() < min_len {
            return Err(ConfigError::new(
                name,
                format!("is too short (at least {min_len} characters expected)"),
            ));
        }
        Ok(value)
    }

    /// An optional value parsed with `FromStr`, `default` when absent.
    pub fn parse_or<T>(&self, name: &str, default: T, expected: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| ConfigError::new(name, format!("is {raw:?}, not {expected}"))),
        }
    }

    /// A TCP port, `default` when absent.
    pub fn port(&self, name: &str, default: u16) -> Result<u16, ConfigError> {
        let port: u16 = self.parse_or(name, default, "a port number (0-65535)")?;
        Ok(port)
    }

    /// A duration given in whole seconds within `range`.
    pub fn seconds(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        let expected = format!("a number of seconds in {}..={}", range.start(), range.end());
        let secs: u64 = self.parse_or(name, default, &expected)?;
        if !range.contains(&secs) {
            return Err(ConfigError::new(name, format!("is {secs}, not {expected}")));
        }
        Ok(Duration::from_secs(secs))
    }

    /// A duration given in milliseconds within `range`.
    pub fn millis(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        let expected = format!(
            "a number of milliseconds in {}..={}",
            range.start(),
            range.end()
        );
        let ms: u64 = self.parse_or(name, default, &expected)?;
        if !range.contains(&ms) {
            return Err(ConfigError::new(name, format!("is {ms}, not {expected}")));
        }
        Ok(Duration::from_millis(ms))
    }

    /// An absolute http(s) URL without a trailing slash.
    pub fn url(&self, name: &str) -> Result<String, ConfigError> {
        let raw = self.string(name)?;
        check_url(name, &raw)
    }

    /// An optional absolute http(s) URL.
    pub fn url_or(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        match self.raw(name) {
            None => check_url(name, default),
            Some(raw) => check_url(name, raw),
        }
    }

    /// An optional http(s) URL; `None` when absent.
    pub fn optional_url(&self, name: &str) -> Result<Option<String>, ConfigError> {
        self.raw(name).map(|raw| check_url(name, raw)).transpose()
    }
}

fn check_url(name: &str, raw: &str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(name, format!("is {raw:?}, not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            name,
            format!("is {raw:?}, not an http(s) URL"),
        ));
    }
    Ok(raw.trim().trim_end_matches('/').to_owned())
}

/// Settings every service shares.
#[derive(Clone)]
pub struct CommonConfig {
    /// Service name, used as schema, consumer group and log field.
    pub service: &'static str,
    /// `PORT`: where the HTTP server listens.
    pub port: u16,
    /// `DATABASE_URL`: PostgreSQL, may carry `connection_limit` and `pool_timeout`.
    pub database_url: String,
    /// `REDIS_URL`: the event bus.
    pub redis_url: String,
    /// `INTERNAL_API_KEY`: shared secret of internal calls.
    pub internal_api_key: String,
    /// `EVENT_STREAM_PREFIX`: namespace of the Redis streams (tests use their own).
    pub stream_prefix: String,
    /// `CONSUMER_NAME`: this instance's name in the consumer groups; stable across
    /// restarts so that a restarted instance re-reads what it had not acknowledged.
    pub consumer_name: String,
    /// `EVENT_CLAIM_IDLE_MS`: a pending event idle this long is taken over
    /// from a consumer that died.
    pub claim_idle: Duration,
    /// `SHUTDOWN_GRACE_SECONDS`: how long in-flight work may take after SIGTERM.
    pub shutdown_grace: Duration,
}

impl fmt::Debug for CommonConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommonConfig")
            .field("service", &self.service)
            .field("port", &self.port)
            .field("stream_prefix", &self.stream_prefix)
            .field("consumer_name", &self.consumer_name)
            .finish_non_exhaustive()
    }
}

impl CommonConfig {
    /// Reads the shared variables for `service`, listening on `default_port`
    /// unless `PORT` says otherwise.
    pub fn from_vars(
        vars: &Vars,
        service: &'static str,
        default_port: u16,
    ) -> Result<Self, ConfigError> {
        let stream_prefix = vars
            .raw("EVENT_STREAM_PREFIX")
            .unwrap_or("gridflock")
            .to_owned();
        if !stream_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError::new(
                "EVENT_STREAM_PREFIX",
                "may only hold letters, digits, '-', '_' and '.'",
            ));
        }
        let host = vars
            .raw("HOSTNAME")
            .map(str::to_owned)
            .unwrap_or_else(|| "local".to_owned());
        Ok(Self {
            service,
            port: vars.port("PORT", default_port)?,
            database_url: vars.string("DATABASE_URL")?,
            redis_url: vars.string("REDIS_URL")?,
            internal_api_key: vars.secret("INTERNAL_API_KEY", 16)?,
            stream_prefix,
            consumer_name: vars
                .raw("CONSUMER_NAME")
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{service}@{host}")),
            claim_idle: vars.millis("EVENT_CLAIM_IDLE_MS", 30_000, 50..=3_600_000)?,
            shutdown_grace: vars.seconds("SHUTDOWN_GRACE_SECONDS", 20, 1..=600)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vars {
        Vars::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("REDIS_URL", "redis://127.0.0.1/"),
            ("INTERNAL_API_KEY", "0123456789abcdef0123"),
        ])
    }

    #[test]
    fn defaults_apply() {
        let c = CommonConfig::from_vars(&base(), "order", 3001).expect("valid");
        assert_eq!(c.port, 3001);
        assert_eq!(c.stream_prefix, "gridflock");
        assert_eq!(c.consumer_name, "order@local");
    }

    #[test]
    fn missing_variable_is_named() {
        let mut vars = base();
        vars.set("DATABASE_URL", "");
        let err = CommonConfig::from_vars(&vars, "order", 3001).expect_err("missing");
        assert_eq!(
            err.to_string(),
            "configuration error: DATABASE_URL is missing"
        );
    }

    #[test]
    fn malformed_port_is_named_with_range() {
        let mut vars = base();
        vars.set("PORT", "eighty");
        let err = CommonConfig::from_vars(&vars, "order", 3001).expect_err("bad port");
        assert_eq!(
            err.to_string(),
            "configuration error: PORT is \"eighty\", not a port number (0-65535)"
        );
    }

    #[test]
    fn short_api_key_is_refused() {
        let mut vars = base();
        vars.set("INTERNAL_API_KEY", "short");
        let err = CommonConfig::from_vars(&vars, "order", 3001).expect_err("short");
        assert!(err.to_string().contains("INTERNAL_API_KEY is too short"));
    }

    #[test]
    fn urls_are_checked() {
        let vars = Vars::from_pairs([("X_URL", "ftp://x"), ("Y_URL", "http://h:1/")]);
        assert!(vars.url("X_URL").is_err());
        assert_eq!(vars.url("Y_URL").expect("ok"), "http://h:1");
    }

    #[test]
    fn out_of_range_seconds_are_refused() {
        let vars = Vars::from_pairs([("S", "0")]);
        let err = vars.seconds("S", 5, 1..=10).expect_err("range");
        assert_eq!(
            err.to_string(),
            "configuration error: S is 0, not a number of seconds in 1..=10"
        );
    }
}
