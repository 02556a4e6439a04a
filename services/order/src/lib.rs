//! order-service: receives Shopify order webhooks, stores orders, tenants
//! and product mappings, turns line items into print jobs and follows them
//! to delivery.

pub mod api;
pub mod config;
pub mod gridflock;
pub mod import;
pub mod notifications;
pub mod orchestrate;
pub mod reconcile;
pub mod shopify;
pub mod status;
pub mod tenant_cache;
pub mod webhooks;

pub use config::Config;

use axum::Router;
use axum::routing::{get, post, put};
use service_common::auth::{InternalKey, require_internal_key};
use service_common::client::ServiceClient;
use service_common::events::{Consumer, ConsumerSettings, names};
use service_common::health::Readiness;
use service_common::server::{Background, serve, standard_layers};
use service_common::stores::{Stores, migrated_pool};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Name in logs, events and consumer groups.
pub const SERVICE: &str = "order";
/// PostgreSQL schema.
pub const SCHEMA: &str = "orders";

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The pool (schema `orders`).
    pub pool: PgPool,
    /// Settings.
    pub config: Arc<Config>,
    /// print-service.
    pub print: ServiceClient,
    /// gridflock-service.
    pub gridflock: ServiceClient,
    /// Shop domain → tenant, for webhooks.
    pub tenants: Arc<tenant_cache::TenantCache>,
}

/// Applies the migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    migrated_pool(&config.common.database_url, SCHEMA, &MIGRATIONS)
        .await
        .map(drop)
}

/// The routes.
pub fn router(state: AppState, readiness: Readiness) -> Router {
    let key = InternalKey::new(&state.config.common.internal_api_key);
    let protected = Router::new()
        .route(
            "/internal/tenants",
            post(api::tenants::create).get(api::tenants::list),
        )
        .route(
            "/internal/tenants/{id}",
            get(api::tenants::get).put(api::tenants::update),
        )
        .route(
            "/internal/tenants/{id}/print-settings",
            get(api::settings::get_internal).put(api::settings::put_internal),
        )
        .route(
            "/internal/tenants/{id}/shopify-credentials",
            get(api::tenants::shopify_credentials),
        )
        .route("/internal/mappings", put(api::mappings::upsert_internal))
        .route("/internal/mappings/lookup", get(api::mappings::lookup))
        .route("/internal/orders/{id}", get(api::orders::get_internal))
        .route("/internal/reconcile", post(reconcile::trigger))
        .route(
            "/api/v1/mappings",
            get(api::mappings::list).post(api::mappings::create),
        )
        .route(
            "/api/v1/mappings/{id}",
            get(api::mappings::get)
                .put(api::mappings::replace)
                .delete(api::mappings::delete),
        )
        .route("/api/v1/orders", get(api::orders::list))
        .route("/api/v1/orders/{id}", get(api::orders::get))
        .route("/api/v1/notifications", get(api::notifications::list))
        .route(
            "/api/v1/settings/print",
            get(api::settings::get).put(api::settings::put),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            require_internal_key,
        ));
    let webhooks = Router::new()
        .route(
            "/webhooks/shopify/orders-create",
            post(webhooks::orders_create),
        )
        .route(
            "/webhooks/shopify/orders-updated",
            post(webhooks::orders_updated),
        )
        .route(
            "/webhooks/shopify/orders-cancelled",
            post(webhooks::orders_cancelled),
        );
    standard_layers(
        protected
            .merge(webhooks)
            .with_state(state)
            .merge(readiness.routes()),
    )
}

/// Serves until `shutdown`; in-flight requests and handlers finish first.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let common = config.common.clone();
    let stores = Stores::open(&common, SCHEMA, &MIGRATIONS).await?;
    let Stores { pool, redis } = stores.clone();
    let print = ServiceClient::new(
        "print-service",
        &config.print_service_url,
        &common.internal_api_key,
        Duration::from_secs(15),
    );
    let gridflock = ServiceClient::new(
        "gridflock-service",
        &config.gridflock_service_url,
        &common.internal_api_key,
        Duration::from_secs(15),
    );
    let config = Arc::new(config);
    let state = AppState {
        pool: pool.clone(),
        config: config.clone(),
        print,
        gridflock,
        tenants: Arc::default(),
    };

    let background = Background::new();
    stores.spawn_relay(&background, &common, SCHEMA, &shutdown);
    let settings = ConsumerSettings::new(
        &common.stream_prefix,
        SERVICE,
        &common.consumer_name,
        common.claim_idle,
    );
    let (s1, s2, s3, s4, s5, s6) = (
        state.clone(),
        state.clone(),
        state.clone(),
        state.clone(),
        state.clone(),
        state.clone(),
    );
    let consumer = Consumer::new(settings)
        .on(names::ORDER_CREATED, move |e| {
            orchestrate::on_order_created(s1.clone(), e)
        })
        .on(names::PRINT_JOB_STATUS_CHANGED, move |e| {
            orchestrate::on_print_job_changed(s2.clone(), e)
        })
        .on(names::SHIPMENT_CREATED, move |e| {
            orchestrate::on_shipment_created(s3.clone(), e)
        })
        .on(names::SHIPMENT_STATUS_CHANGED, move |e| {
            orchestrate::on_shipment_status(s4.clone(), e)
        })
        .on(names::GRIDFLOCK_MAPPING_READY, move |e| {
            orchestrate::on_mapping_ready(s5.clone(), e)
        })
        .on(names::GRIDFLOCK_PIPELINE_FAILED, move |e| {
            orchestrate::on_pipeline_failed(s6.clone(), e)
        });
    background.spawn(
        "event consumer",
        consumer.run(common.redis_url.clone(), shutdown.clone()),
    );
    background.spawn(
        "notifications",
        notifications::deliver_loop(pool.clone(), shutdown.clone()),
    );
    if let Some(interval) = config.reconcile_interval {
        background.spawn(
            "reconciliation",
            reconcile::every(state.clone(), interval, shutdown.clone()),
        );
    }

    let readiness = Readiness::new(SERVICE)
        .with_db(pool.clone())
        .with_redis(redis)
        .with_dependency("print-service", &config.print_service_url)
        .with_dependency("gridflock-service", &config.gridflock_service_url);
    serve(listener, router(state, readiness), shutdown.clone()).await?;
    background.wait(common.shutdown_grace).await;
    pool.close().await;
    Ok(())
}
