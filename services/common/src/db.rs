//! PostgreSQL: one pool per service, confined to the service's own schema.

use crate::config::ConfigError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

/// Migrations every service carries (outbox, processed events); versions
/// below 1000 are reserved for them, services number theirs from 1000.
static COMMON_MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// Pool settings read from the `DATABASE_URL` query string, in the names
/// Prisma made common (`connection_limit`, `pool_timeout` in seconds); they
/// are removed before the URL reaches the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// The URL without the pool parameters.
    pub url: String,
    /// Maximum open connections (default 10).
    pub connection_limit: u32,
    /// How long a query waits for a free connection.
    pub pool_timeout: Duration,
}

impl PoolSettings {
    /// Splits `DATABASE_URL` into the driver URL and the pool settings.
    pub fn parse(database_url: &str) -> Result<Self, ConfigError> {
        let mut url = url::Url::parse(database_url).map_err(|e| {
            ConfigError::new("DATABASE_URL", format!("is not a PostgreSQL URL ({e})"))
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://",
            ));
        }
        let mut connection_limit = 10;
        let mut pool_timeout = Duration::from_secs(10);
        let mut kept = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "connection_limit" => {
                    connection_limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            ConfigError::new(
                                "DATABASE_URL",
                                format!("has connection_limit={value}, not a number in 1..=1000"),
                            )
                        })?;
                }
                "pool_timeout" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=600).contains(n))
                        .ok_or_else(|| {
                            ConfigError::new(
                                "DATABASE_URL",
                                format!(
                                    "has pool_timeout={value}, not a number of seconds in 1..=600"
                                ),
                            )
                        })?;
                    pool_timeout = Duration::from_secs(secs);
                }
                // Prisma's schema parameter would fight the service schema.
                "schema" => {}
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok(Self {
            url: url.to_string(),
            connection_limit,
            pool_timeout,
        })
    }
}

/// Whether `schema` is a plain lower-case identifier (it is spliced into SQL).
fn is_identifier(schema: &str) -> bool {
    !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Opens the pool with `search_path` set to `schema` (created when missing).
pub async fn connect(database_url: &str, schema: &str) -> anyhow::Result<PgPool> {
    anyhow::ensure!(is_identifier(schema), "invalid schema name {schema:?}");
    let settings = PoolSettings::parse(database_url)?;
    let options = PgConnectOptions::from_str(&settings.url)
        .map_err(|e| ConfigError::new("DATABASE_URL", format!("is not usable ({e})")))?
        .options([("search_path", schema)]);
    let pool = PgPoolOptions::new()
        .max_connections(settings.connection_limit)
        .min_connections(0)
        .acquire_timeout(settings.pool_timeout)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&pool)
        .await?;
    Ok(pool)
}

/// Applies the shared migrations and then the service's own, in version order.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    let mut all: Vec<_> = COMMON_MIGRATIONS.migrations.to_vec();
    for m in service.migrations.iter() {
        anyhow::ensure!(
            m.version >= 1000,
            "service migration {} must be numbered from 1000 (lower versions are shared)",
            m.version
        );
        all.push(m.clone());
    }
    let migrator = Migrator {
        migrations: Cow::Owned(all),
        ..Migrator::DEFAULT
    };
    migrator.run(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_parameters_are_taken_out_of_the_url() {
        let s = PoolSettings::parse(
            "postgres://u:p@db:25060/app?sslmode=require&connection_limit=3&pool_timeout=20",
        )
        .expect("valid");
        assert_eq!(s.connection_limit, 3);
        assert_eq!(s.pool_timeout, Duration::from_secs(20));
        assert_eq!(s.url, "postgres://u:p@db:25060/app?sslmode=require");
    }

    #[test]
    fn defaults_without_parameters() {
        let s = PoolSettings::parse("postgres://localhost/app").expect("valid");
        assert_eq!(s.connection_limit, 10);
        assert_eq!(s.url, "postgres://localhost/app");
    }

    #[test]
    fn bad_limits_name_the_parameter() {
        let e = PoolSettings::parse("postgres://h/app?connection_limit=0").expect_err("zero");
        assert!(
            e.to_string()
                .contains("has connection_limit=0, not a number in 1..=1000")
        );
        assert!(PoolSettings::parse("mysql://h/app").is_err());
    }

    #[test]
    fn schema_names_are_identifiers() {
        assert!(is_identifier("order_svc"));
        assert!(!is_identifier("Order"));
        assert!(!is_identifier("x; drop"));
    }
}
