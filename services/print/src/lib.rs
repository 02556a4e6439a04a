//! print-service: print jobs and their state machine, the SimplyPrint print
//! queue, files and webhooks.
//!
//! * `POST /internal/print-jobs` creates a line item's jobs (PENDING,
//!   idempotent); the [`queue_worker`] puts them into the SimplyPrint queue
//!   with retries kept in the database.
//! * `POST /webhooks/simplyprint` stores SimplyPrint's job events; the
//!   [`inbox`] worker maps them to jobs and moves them through
//!   PRINTING → COMPLETED / FAILED / CANCELLED.
//! * `order.cancelled` cancels an order's unfinished jobs ([`cancellation`]).
//! * Every state change publishes `print-job.status-changed` (and
//!   `print-job.completed|failed|cancelled`) through the outbox.

pub mod backoff;
mod cancellation;
pub mod config;
mod files;
mod inbox;
mod jobs;
mod queue_worker;
mod routes;
mod simplyprint;
mod state;
mod webhooks;

pub use config::Config;

use service_common::auth::InternalKey;
use service_common::events::{Consumer, ConsumerSettings, names};
use service_common::health::Readiness;
use service_common::server::{Background, serve};
use service_common::stores::{Stores, migrated_pool};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    migrated_pool(&config.common.database_url, config::SERVICE, &MIGRATOR).await
}

/// Applies the migrations (shared and print-service's) and returns.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let pool = connect(&config).await?;
    pool.close().await;
    tracing::info!("migrations applied");
    Ok(())
}

/// Serves until `shutdown`, then lets requests and background work finish
/// within the grace period.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let stores = Stores::open(&config.common, config::SERVICE, &MIGRATOR).await?;
    let Stores { pool, redis } = stores.clone();
    let simplyprint = simplyprint::SimplyPrint::new(&config.simplyprint);
    let inbox_wake = Arc::new(tokio::sync::Notify::new());

    // Dropping this future (a crash, an aborted task) drops `background`,
    // which aborts the work it spawned.
    let background = Background::new();
    let spawn = |name: &'static str, task: futures::future::BoxFuture<'static, ()>| {
        background.spawn(name, task);
    };

    stores.spawn_relay(&background, &config.common, config::SERVICE, &shutdown);
    let consumer_pool = pool.clone();
    let consumer = Consumer::new(ConsumerSettings::new(
        &config.common.stream_prefix,
        config::SERVICE,
        &config.common.consumer_name,
        config.common.claim_idle,
    ))
    .on(names::ORDER_CANCELLED, move |event| {
        cancellation::on_order_cancelled(consumer_pool.clone(), event)
    });
    spawn(
        "event-consumer",
        Box::pin(consumer.run(config.common.redis_url.clone(), shutdown.clone())),
    );
    let queue = queue_worker::QueueWorker {
        pool: pool.clone(),
        simplyprint: simplyprint.clone(),
        config: config.worker.clone(),
    };
    spawn("queue-worker", Box::pin(queue.run(shutdown.clone())));
    let inbox = inbox::InboxWorker {
        pool: pool.clone(),
        simplyprint: simplyprint.clone(),
        config: config.worker.clone(),
        wake: inbox_wake.clone(),
    };
    spawn("webhook-inbox", Box::pin(inbox.run(shutdown.clone())));

    let state = state::AppState {
        pool: pool.clone(),
        simplyprint,
        webhook_secret: Arc::from(config.simplyprint.webhook_secret.as_str()),
        inbox_wake,
    };
    let readiness = Readiness::new(config::SERVICE)
        .with_db(pool.clone())
        .with_redis(redis);
    let upload_limit = usize::try_from(config.upload_max_bytes).unwrap_or(usize::MAX);
    let app = routes::app(
        state,
        readiness,
        InternalKey::new(&config.common.internal_api_key),
        upload_limit,
    );
    let served = serve(listener, app, shutdown.clone()).await;
    // A server error stops the background work too.
    shutdown.cancel();
    background.wait(config.common.shutdown_grace).await;
    pool.close().await;
    served.map_err(|e| anyhow::anyhow!("HTTP server failed: {e}"))
}
