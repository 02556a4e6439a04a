//! gateway settings.

use service_common::config::{CommonConfig, ConfigError, Vars};
use std::time::Duration;

/// Body limit of operator API requests when `GATEWAY_MAX_BODY_BYTES` is unset.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Body limit of webhooks: a Shopify order with many line items is large.
pub const DEFAULT_WEBHOOK_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Everything the gateway reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// `ORDER_SERVICE_URL`.
    pub order_service_url: String,
    /// `PRINT_SERVICE_URL`.
    pub print_service_url: String,
    /// `SHIPPING_SERVICE_URL`.
    pub shipping_service_url: String,
    /// `GRIDFLOCK_SERVICE_URL`.
    pub gridflock_service_url: String,
    /// `GATEWAY_CORS_ORIGIN`: the web UI's origin; no CORS headers without it.
    pub cors_origin: Option<String>,
    /// `GATEWAY_MAX_BODY_BYTES`: largest operator API request body.
    pub max_body_bytes: usize,
    /// `GATEWAY_WEBHOOK_MAX_BODY_BYTES`: largest webhook body.
    pub webhook_max_body_bytes: usize,
    /// `GATEWAY_RATE_LIMIT_PER_MINUTE`: requests per operator (or per client
    /// address on public routes) per minute, with bursts of the same size.
    pub rate_limit_per_minute: u32,
    /// `SESSION_TTL_SECONDS`: how long a web UI session lives.
    pub session_ttl: Duration,
    /// `GATEWAY_TRUST_FORWARDED_FOR`: take the client address from the last
    /// `X-Forwarded-For` entry (set only behind a proxy that writes it).
    pub trust_forwarded_for: bool,
    /// `GATEWAY_HEALTH_TIMEOUT_MS`: how long one backend's readiness may take.
    pub health_timeout: Duration,
}

impl Config {
    /// Reads and checks the environment.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_vars(vars, "gateway", 3000)?;
        let cors_origin = vars.optional_url("GATEWAY_CORS_ORIGIN")?;
        let max_body_bytes = bytes(vars, "GATEWAY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?;
        let webhook_max_body_bytes = bytes(
            vars,
            "GATEWAY_WEBHOOK_MAX_BODY_BYTES",
            DEFAULT_WEBHOOK_MAX_BODY_BYTES,
        )?;
        let rate: u32 = vars.parse_or(
            "GATEWAY_RATE_LIMIT_PER_MINUTE",
            120,
            "a number of requests in 1..=100000",
        )?;
        if !(1..=100_000).contains(&rate) {
            return Err(ConfigError::new(
                "GATEWAY_RATE_LIMIT_PER_MINUTE",
                format!("is {rate}, not a number of requests in 1..=100000"),
            ));
        }
        let trust = match vars.raw("GATEWAY_TRUST_FORWARDED_FOR").map(str::trim) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "GATEWAY_TRUST_FORWARDED_FOR",
                    format!("is {other:?}, not true or false"),
                ));
            }
        };
        Ok(Self {
            common,
            order_service_url: vars.url("ORDER_SERVICE_URL")?,
            print_service_url: vars.url("PRINT_SERVICE_URL")?,
            shipping_service_url: vars.url("SHIPPING_SERVICE_URL")?,
            gridflock_service_url: vars.url("GRIDFLOCK_SERVICE_URL")?,
            cors_origin,
            max_body_bytes,
            webhook_max_body_bytes,
            rate_limit_per_minute: rate,
            session_ttl: vars.seconds("SESSION_TTL_SECONDS", 8 * 3600, 60..=30 * 86_400)?,
            trust_forwarded_for: trust,
            health_timeout: vars.millis("GATEWAY_HEALTH_TIMEOUT_MS", 2_000, 100..=4_000)?,
        })
    }
}

fn bytes(vars: &Vars, name: &str, default: usize) -> Result<usize, ConfigError> {
    let expected = "a number of bytes in 1024..=1073741824";
    let n: usize = vars.parse_or(name, default, expected)?;
    if !(1024..=1 << 30).contains(&n) {
        return Err(ConfigError::new(name, format!("is {n}, not {expected}")));
    }
    Ok(n)
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
            ("PRINT_SERVICE_URL", "http://print:3002"),
            ("SHIPPING_SERVICE_URL", "http://shipping:3003"),
            ("GRIDFLOCK_SERVICE_URL", "http://gridflock:3004/"),
        ])
    }

    #[test]
    fn reads_defaults() {
        let c = Config::from_vars(&vars()).expect("valid");
        assert_eq!(c.common.port, 3000);
        assert_eq!(c.gridflock_service_url, "http://gridflock:3004");
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert_eq!(c.webhook_max_body_bytes, 5 * 1024 * 1024);
        assert_eq!(c.rate_limit_per_minute, 120);
        assert_eq!(c.session_ttl, Duration::from_secs(8 * 3600));
        assert_eq!(c.cors_origin, None);
        assert!(!c.trust_forwarded_for);
    }

    #[test]
    fn names_the_bad_variable() {
        for (name, value) in [
            ("SHIPPING_SERVICE_URL", ""),
            ("ORDER_SERVICE_URL", "order:3001"),
            ("GATEWAY_MAX_BODY_BYTES", "1MB"),
            ("GATEWAY_MAX_BODY_BYTES", "10"),
            ("GATEWAY_RATE_LIMIT_PER_MINUTE", "0"),
            ("SESSION_TTL_SECONDS", "5"),
            ("GATEWAY_CORS_ORIGIN", "ftp://web"),
            ("GATEWAY_TRUST_FORWARDED_FOR", "maybe"),
        ] {
            let mut v = vars();
            v.set(name, value);
            let e = Config::from_vars(&v).expect_err(name);
            assert_eq!(e.name, name, "{e}");
        }
    }
}
