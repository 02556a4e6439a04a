//! shipping-service: Sendcloud shipments and labels, carrier tracking, and
//! the Shopify fulfilment of shipped orders.
//!
//! * `order.ready-for-fulfillment` writes a PENDING shipment ([`ready`]);
//!   the [`worker`] announces it at Sendcloud (v3 `shipments/announce`,
//!   idempotent on `external_reference_id`), stores tracking data and the
//!   label PDF, publishes `shipment.created`, then creates the Shopify
//!   fulfilment with the tracking number. Every step is persisted, retried
//!   with back-off and resumed after a restart.
//! * `POST /webhooks/sendcloud` verifies `Sendcloud-Signature`, stores the
//!   delivery and moves the shipment's status ([`status_map`]), publishing
//!   `shipment.status-changed`.
//! * Reads: `/internal/shipments…` and, for the gateway, `/api/v1/shipments…`.

pub mod config;
mod orders;
mod ready;
mod repo;
mod routes;
mod sendcloud;
mod shopify;
pub mod status_map;
pub mod webhooks;
mod worker;

pub use config::Config;

use service_common::auth::InternalKey;
use service_common::client::ServiceClient;
use service_common::events::{Consumer, ConsumerSettings, names};
use service_common::health::Readiness;
use service_common::server::{Background, serve};
use service_common::stores::{Stores, migrated_pool};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The channel committed work is announced on (the worker LISTENs).
pub(crate) const WORK_CHANNEL: &str = "shipping_work";

/// What the HTTP handlers share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: PgPool,
    pub(crate) webhook_secret: Arc<str>,
}

async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    migrated_pool(&config.common.database_url, config::SCHEMA, &MIGRATOR).await
}

/// Applies the migrations (shared and shipping-service's) and returns.
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
    let stores = Stores::open(&config.common, config::SCHEMA, &MIGRATOR).await?;
    let Stores { pool, redis } = stores.clone();
    let config = Arc::new(config);
    let call_timeout = (config.worker.lease / 2).min(Duration::from_secs(60));
    let orders = orders::Orders(ServiceClient::new(
        "order-service",
        &config.order_service_url,
        &config.common.internal_api_key,
        Duration::from_secs(15).min(call_timeout),
    ));

    // Dropping this future (a crash, an aborted task) drops `background`,
    // which aborts the work it spawned.
    let background = Background::new();
    stores.spawn_relay(&background, &config.common, config::SCHEMA, &shutdown);
    let consumer_pool = pool.clone();
    let consumer = Consumer::new(ConsumerSettings::new(
        &config.common.stream_prefix,
        config::SERVICE,
        &config.common.consumer_name,
        config.common.claim_idle,
    ))
    .on(names::ORDER_READY_FOR_FULFILLMENT, move |event| {
        ready::on_ready(consumer_pool.clone(), event)
    });
    background.spawn(
        "event-consumer",
        consumer.run(config.common.redis_url.clone(), shutdown.clone()),
    );
    let worker = worker::Worker {
        pool: pool.clone(),
        config: config.clone(),
        orders: orders.clone(),
        sendcloud: sendcloud::Sendcloud::new(&config.sendcloud, call_timeout),
        shopify: shopify::Shopify::new(call_timeout),
    };
    background.spawn("shipment-worker", worker.run(shutdown.clone()));

    let state = AppState {
        pool: pool.clone(),
        webhook_secret: Arc::from(config.sendcloud.webhook_secret.as_str()),
    };
    let readiness = Readiness::new(config::SERVICE)
        .with_db(pool.clone())
        .with_redis(redis)
        .with_dependency("order-service", &config.order_service_url);
    let app = routes::app(
        state,
        readiness,
        InternalKey::new(&config.common.internal_api_key),
    );
    let served = serve(listener, app, shutdown.clone()).await;
    shutdown.cancel();
    background.wait(config.common.shutdown_grace).await;
    pool.close().await;
    served.map_err(|e| anyhow::anyhow!("HTTP server failed: {e}"))
}
