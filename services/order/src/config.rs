//! order-service settings.

use service_common::config::{CommonConfig, ConfigError, Vars};
use std::time::Duration;

/// Everything order-service reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// `SHOPIFY_WEBHOOK_SECRET` and, during a rotation,
    /// `SHOPIFY_WEBHOOK_SECRET_PREVIOUS`: keys webhooks may be signed with.
    pub shopify_secrets: Vec<String>,
    /// `SHOPIFY_ADMIN_URL_TEMPLATE`: Admin API base with `{shop}` for the
    /// shop domain (`https://{shop}` in production).
    pub shopify_admin_url_template: String,
    /// `SHOPIFY_API_VERSION`: pinned Admin API version.
    pub shopify_api_version: String,
    /// `PRINT_SERVICE_URL`.
    pub print_service_url: String,
    /// `GRIDFLOCK_SERVICE_URL`.
    pub gridflock_service_url: String,
    /// `NOTIFICATION_WEBHOOK_URL`: where operator notifications are POSTed
    /// when the tenant has no URL of its own.
    pub notification_webhook_url: Option<String>,
    /// `RECONCILE_INTERVAL_SECONDS`: how often Shopify is polled for orders
    /// the webhooks missed; `None` when 0.
    pub reconcile_interval: Option<Duration>,
    /// `RECONCILE_LOOKBACK_HOURS`: how far back the first poll of a tenant reaches.
    pub reconcile_lookback: Duration,
}

impl Config {
    /// Reads and checks the environment.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_vars(vars, "order", 3001)?;
        let mut shopify_secrets = vec![vars.secret("SHOPIFY_WEBHOOK_SECRET", 8)?];
        if vars.raw("SHOPIFY_WEBHOOK_SECRET_PREVIOUS").is_some() {
            shopify_secrets.push(vars.secret("SHOPIFY_WEBHOOK_SECRET_PREVIOUS", 8)?);
        }
        let template = vars
            .raw("SHOPIFY_ADMIN_URL_TEMPLATE")
            .unwrap_or("https://{shop}")
            .trim_end_matches('/')
            .to_owned();
        if !template.contains("{shop}") {
            return Err(ConfigError::new(
                "SHOPIFY_ADMIN_URL_TEMPLATE",
                "must contain {shop} (for example https://{shop})",
            ));
        }
        let version = vars
            .raw("SHOPIFY_API_VERSION")
            .unwrap_or("2026-04")
            .to_owned();
        if !is_api_version(&version) {
            return Err(ConfigError::new(
                "SHOPIFY_API_VERSION",
                format!("is {version:?}, not a version like 2026-04"),
            ));
        }
        let interval = vars.seconds("RECONCILE_INTERVAL_SECONDS", 900, 0..=86_400)?;
        let lookback = vars.seconds("RECONCILE_LOOKBACK_HOURS", 72, 1..=720)?;
        Ok(Self {
            common,
            shopify_secrets,
            shopify_admin_url_template: template,
            shopify_api_version: version,
            print_service_url: vars.url("PRINT_SERVICE_URL")?,
            gridflock_service_url: vars.url("GRIDFLOCK_SERVICE_URL")?,
            notification_webhook_url: vars.optional_url("NOTIFICATION_WEBHOOK_URL")?,
            reconcile_interval: (!interval.is_zero()).then_some(interval),
            reconcile_lookback: lookback * 3600,
        })
    }
}

fn is_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("REDIS_URL", "redis://127.0.0.1/"),
            ("INTERNAL_API_KEY", "0123456789abcdef0123"),
            ("SHOPIFY_WEBHOOK_SECRET", "shpss_0123456789"),
            ("PRINT_SERVICE_URL", "http://print:3002"),
            ("GRIDFLOCK_SERVICE_URL", "http://gridflock:3004"),
        ])
    }

    #[test]
    fn reads_defaults() {
        let c = Config::from_vars(&vars()).expect("valid");
        assert_eq!(c.common.port, 3001);
        assert_eq!(c.shopify_secrets.len(), 1);
        assert_eq!(c.shopify_admin_url_template, "https://{shop}");
        assert_eq!(c.reconcile_interval, Some(Duration::from_secs(900)));
        assert_eq!(c.reconcile_lookback, Duration::from_secs(72 * 3600));
    }

    #[test]
    fn names_the_bad_variable() {
        let mut v = vars();
        v.set("SHOPIFY_ADMIN_URL_TEMPLATE", "https://example.com");
        let e = Config::from_vars(&v).expect_err("no {shop}");
        assert_eq!(e.name, "SHOPIFY_ADMIN_URL_TEMPLATE");
        let mut v = vars();
        v.set("SHOPIFY_API_VERSION", "latest");
        assert_eq!(
            Config::from_vars(&v).expect_err("version").name,
            "SHOPIFY_API_VERSION"
        );
        let mut v = vars();
        v.set("PRINT_SERVICE_URL", "");
        assert_eq!(
            Config::from_vars(&v).expect_err("url").name,
            "PRINT_SERVICE_URL"
        );
    }

    #[test]
    fn zero_interval_turns_reconciliation_off() {
        let mut v = vars();
        v.set("RECONCILE_INTERVAL_SECONDS", "0");
        assert_eq!(
            Config::from_vars(&v).expect("valid").reconcile_interval,
            None
        );
    }
}
