//! What a service with a database and events opens before it serves: its
//! PostgreSQL schema, migrated, and a Redis connection; and the outbox relay
//! that links the two.

use crate::config::CommonConfig;
use crate::events::relay;
use crate::server::Background;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

/// A service's pool (on its own schema) and Redis connection.
#[derive(Clone)]
pub struct Stores {
    /// Pool with `search_path` set to the service's schema.
    pub pool: PgPool,
    /// Reconnecting Redis connection.
    pub redis: ConnectionManager,
}

impl Stores {
    /// Connects to `schema` (applying the shared and `migrations`) and to Redis.
    pub async fn open(
        common: &CommonConfig,
        schema: &str,
        migrations: &Migrator,
    ) -> anyhow::Result<Self> {
        let pool = migrated_pool(&common.database_url, schema, migrations).await?;
        let redis = redis_connection(&common.redis_url).await?;
        Ok(Self { pool, redis })
    }

    /// Relays `schema`'s outbox to the event streams until `shutdown`.
    pub fn spawn_relay(
        &self,
        background: &Background,
        common: &CommonConfig,
        schema: &str,
        shutdown: &CancellationToken,
    ) {
        background.spawn(
            "outbox relay",
            relay::run(
                self.pool.clone(),
                self.redis.clone(),
                common.stream_prefix.clone(),
                schema.to_owned(),
                shutdown.clone(),
            ),
        );
    }
}

/// A pool on `schema` with the shared and the service's migrations applied
/// (what the `migrate` subcommand does, and what `serve` does first).
pub async fn migrated_pool(
    database_url: &str,
    schema: &str,
    migrations: &Migrator,
) -> anyhow::Result<PgPool> {
    let pool = crate::db::connect(database_url, schema).await?;
    crate::db::migrate(&pool, migrations).await?;
    Ok(pool)
}

/// A Redis connection that reconnects by itself after an outage.
pub async fn redis_connection(url: &str) -> anyhow::Result<ConnectionManager> {
    redis::Client::open(url)?
        .get_connection_manager()
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to Redis: {e}"))
}
