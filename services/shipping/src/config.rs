//! shipping-service settings, read once from the environment.

use service_common::config::{CommonConfig, ConfigError, Vars};
use std::fmt;
use std::time::Duration;

/// Service name: consumer group, logs.
pub const SERVICE: &str = "shipping";
/// The database schema.
pub const SCHEMA: &str = "shipping";
/// Port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3003;

/// How to reach Sendcloud.
#[derive(Clone)]
pub struct SendcloudConfig {
    /// `SENDCLOUD_API_URL`: the v3 base.
    pub api_url: String,
    /// `SENDCLOUD_PUBLIC_KEY`: Basic-auth user name.
    pub public_key: String,
    /// `SENDCLOUD_SECRET_KEY`: Basic-auth password.
    pub secret_key: String,
    /// `SENDCLOUD_WEBHOOK_SECRET`: the key of `Sendcloud-Signature`.
    pub webhook_secret: String,
}

impl fmt::Debug for SendcloudConfig {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendcloudConfig")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// The sender printed on every label (`SHIP_FROM_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// `SHIP_FROM_NAME`.
    pub name: String,
    /// `SHIP_FROM_COMPANY` (optional).
    pub company: Option<String>,
    /// `SHIP_FROM_ADDRESS1`.
    pub address1: String,
    /// `SHIP_FROM_ADDRESS2` (optional).
    pub address2: Option<String>,
    /// `SHIP_FROM_HOUSE_NUMBER` (optional; many carriers want it apart).
    pub house_number: Option<String>,
    /// `SHIP_FROM_CITY`.
    pub city: String,
    /// `SHIP_FROM_POSTAL_CODE`.
    pub postal_code: String,
    /// `SHIP_FROM_COUNTRY`: ISO 3166-1 alpha-2.
    pub country: String,
    /// `SHIP_FROM_EMAIL` (optional).
    pub email: Option<String>,
    /// `SHIP_FROM_PHONE` (optional).
    pub phone: Option<String>,
}

/// What every parcel is announced with.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelDefaults {
    /// `SHIPPING_METHOD`: Sendcloud shipping option code, e.g. `postnl:standard`.
    pub shipping_option_code: String,
    /// `PARCEL_WEIGHT_KG`: weight of one parcel.
    pub weight_kg: f64,
}

/// Timing of the shipment worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `SHIPPING_WORKER_POLL_MS`: how often due work is looked for.
    pub poll: Duration,
    /// `SHIPPING_MAX_ATTEMPTS`: attempts of one step before it is given up.
    pub max_attempts: u32,
    /// `SHIPPING_RETRY_BASE_MS`: delay after the first failed attempt, doubled after each.
    pub retry_base: Duration,
    /// `SHIPPING_RETRY_MAX_MS`: the longest delay.
    pub retry_max: Duration,
    /// `SHIPPING_LEASE_MS`: a claimed step is left alone by other workers
    /// this long; its outside calls are abandoned after half of it.
    pub lease: Duration,
}

/// Everything shipping-service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// `ORDER_SERVICE_URL`.
    pub order_service_url: String,
    /// Sendcloud.
    pub sendcloud: SendcloudConfig,
    /// The sender address.
    pub sender: Sender,
    /// Parcel defaults.
    pub parcel: ParcelDefaults,
    /// The worker.
    pub worker: WorkerConfig,
}

fn optional(vars: &Vars, name: &str) -> Option<String> {
    vars.raw(name).map(|v| v.trim().to_owned())
}

impl Config {
    /// Reads and checks every variable; the error names the first bad one.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_vars(vars, SERVICE, DEFAULT_PORT)?;
        let sendcloud = SendcloudConfig {
            api_url: vars.url_or("SENDCLOUD_API_URL", "https://panel.sendcloud.sc/api/v3")?,
            public_key: vars.string("SENDCLOUD_PUBLIC_KEY")?,
            secret_key: vars.string("SENDCLOUD_SECRET_KEY")?,
            webhook_secret: vars.secret("SENDCLOUD_WEBHOOK_SECRET", 8)?,
        };
        let country = vars.string("SHIP_FROM_COUNTRY")?.trim().to_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ConfigError::new(
                "SHIP_FROM_COUNTRY",
                format!("is {country:?}, not a two-letter ISO country code"),
            ));
        }
        let sender = Sender {
            name: vars.string("SHIP_FROM_NAME")?,
            company: optional(vars, "SHIP_FROM_COMPANY"),
            address1: vars.string("SHIP_FROM_ADDRESS1")?,
            address2: optional(vars, "SHIP_FROM_ADDRESS2"),
            house_number: optional(vars, "SHIP_FROM_HOUSE_NUMBER"),
            city: vars.string("SHIP_FROM_CITY")?,
            postal_code: vars.string("SHIP_FROM_POSTAL_CODE")?,
            country,
            email: optional(vars, "SHIP_FROM_EMAIL"),
            phone: optional(vars, "SHIP_FROM_PHONE"),
        };
        let shipping_option_code = vars.string("SHIPPING_METHOD")?.trim().to_owned();
        if !shipping_option_code.contains(':') {
            return Err(ConfigError::new(
                "SHIPPING_METHOD",
                format!(
                    "is {shipping_option_code:?}, not a Sendcloud shipping option code like postnl:standard"
                ),
            ));
        }
        let weight_kg: f64 =
            vars.parse_or("PARCEL_WEIGHT_KG", 1.0, "a weight in kg (0.001..=70)")?;
        if !(0.001..=70.0).contains(&weight_kg) {
            return Err(ConfigError::new(
                "PARCEL_WEIGHT_KG",
                format!("is {weight_kg}, not a weight in kg (0.001..=70)"),
            ));
        }
        let retry_base = vars.millis("SHIPPING_RETRY_BASE_MS", 5_000, 1..=3_600_000)?;
        let retry_max = vars.millis("SHIPPING_RETRY_MAX_MS", 900_000, 1..=86_400_000)?;
        if retry_max < retry_base {
            return Err(ConfigError::new(
                "SHIPPING_RETRY_MAX_MS",
                format!(
                    "is below SHIPPING_RETRY_BASE_MS ({} ms)",
                    retry_base.as_millis()
                ),
            ));
        }
        let max_attempts: u32 =
            vars.parse_or("SHIPPING_MAX_ATTEMPTS", 12, "a number in 1..=100")?;
        if !(1..=100).contains(&max_attempts) {
            return Err(ConfigError::new(
                "SHIPPING_MAX_ATTEMPTS",
                format!("is {max_attempts}, not a number in 1..=100"),
            ));
        }
        let worker = WorkerConfig {
            poll: vars.millis("SHIPPING_WORKER_POLL_MS", 1_000, 10..=60_000)?,
            max_attempts,
            retry_base,
            retry_max,
            lease: vars.millis("SHIPPING_LEASE_MS", 120_000, 200..=3_600_000)?,
        };
        Ok(Self {
            common,
            order_service_url: vars.url("ORDER_SERVICE_URL")?,
            sendcloud,
            sender,
            parcel: ParcelDefaults {
                shipping_option_code,
                weight_kg,
            },
            worker,
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
            ("ORDER_SERVICE_URL", "http://order:3001"),
            ("SENDCLOUD_PUBLIC_KEY", "pk"),
            ("SENDCLOUD_SECRET_KEY", "sk"),
            ("SENDCLOUD_WEBHOOK_SECRET", "0123456789abcdef"),
            ("SHIP_FROM_NAME", "GridFlock"),
            ("SHIP_FROM_ADDRESS1", "Fabriekstraat 1"),
            ("SHIP_FROM_CITY", "Eindhoven"),
            ("SHIP_FROM_POSTAL_CODE", "5611 AA"),
            ("SHIP_FROM_COUNTRY", "nl"),
            ("SHIPPING_METHOD", "postnl:standard"),
        ])
    }

    fn error(vars: &Vars) -> String {
        Config::from_vars(vars).expect_err("invalid").to_string()
    }

    #[test]
    fn defaults() {
        let c = Config::from_vars(&vars()).expect("valid");
        assert_eq!(c.common.port, 3003);
        assert_eq!(c.sendcloud.api_url, "https://panel.sendcloud.sc/api/v3");
        assert_eq!(c.sender.country, "NL");
        assert!((c.parcel.weight_kg - 1.0).abs() < f64::EPSILON);
        assert_eq!(c.worker.max_attempts, 12);
    }

    #[test]
    fn each_problem_is_one_line_naming_the_variable() {
        let mut v = vars();
        v.set("SENDCLOUD_SECRET_KEY", "");
        assert_eq!(
            error(&v),
            "configuration error: SENDCLOUD_SECRET_KEY is missing"
        );
        let mut v = vars();
        v.set("SHIP_FROM_COUNTRY", "Netherlands");
        assert_eq!(
            error(&v),
            "configuration error: SHIP_FROM_COUNTRY is \"NETHERLANDS\", not a two-letter ISO country code"
        );
        let mut v = vars();
        v.set("PARCEL_WEIGHT_KG", "heavy");
        assert_eq!(
            error(&v),
            "configuration error: PARCEL_WEIGHT_KG is \"heavy\", not a weight in kg (0.001..=70)"
        );
        let mut v = vars();
        v.set("SHIPPING_METHOD", "standard");
        assert!(error(&v).starts_with("configuration error: SHIPPING_METHOD is \"standard\""));
        let mut v = vars();
        v.set("SENDCLOUD_API_URL", "panel.sendcloud.sc");
        assert!(error(&v).starts_with("configuration error: SENDCLOUD_API_URL is"));
        let mut v = vars();
        v.set("ORDER_SERVICE_URL", "");
        assert_eq!(
            error(&v),
            "configuration error: ORDER_SERVICE_URL is missing"
        );
    }
}
