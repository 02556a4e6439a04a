//! gridflock-service: turns a custom Gridfinity size into printable plates.
//!
//! * Storefront: plan summaries and previews (STL or 3MF), built in process
//!   with gridflock-core.
//! * Orders: `generate-for-order` starts (or joins) one persisted pipeline per
//!   tenant, SKU and plan hash — plan, then per plate STL → slicer-service →
//!   print-service (SimplyPrint) — and ends with a product mapping in
//!   order-service and a `gridflock.mapping-ready` event per waiting line
//!   item, or `gridflock.pipeline-failed` naming the step that failed.
//!
//! The service holds no geometry of its own: everything about the plates
//! comes from gridflock-core.

pub mod api;
pub mod artefacts;
pub mod config;
pub mod generation;
pub mod input;
pub mod jobs;
pub mod notify;
pub mod pipeline;

pub use config::{Config, SERVICE};

use artefacts::Store;
use generation::Generator;
use pipeline::Worker;
use pipeline::upstream::Upstream;
use service_common::auth::InternalKey;
use service_common::events::relay;
use service_common::health::Readiness;
use service_common::server::{serve, standard_layers};
use service_common::stores::{Stores, migrated_pool};
use sqlx::PgPool;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// PostgreSQL schema.
pub const SCHEMA: &str = "gridflock";

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The pool (schema `gridflock`).
    pub pool: PgPool,
    /// Settings.
    pub config: Arc<Config>,
    /// The limit on concurrent plate builds.
    pub generator: Generator,
    /// Wakes an idle pipeline worker when a job is created.
    pub wake: Arc<Notify>,
}

/// Applies the migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    migrated_pool(&config.common.database_url, SCHEMA, &MIGRATIONS)
        .await
        .map(drop)
}

/// The routes.
pub fn router(state: AppState, readiness: Readiness) -> axum::Router {
    let key = InternalKey::new(&state.config.common.internal_api_key);
    standard_layers(
        api::internal(state.clone(), key)
            .merge(api::public(state))
            .merge(readiness.routes()),
    )
}

/// Serves until `shutdown`; the pipeline worker and the outbox relay stop
/// with it (a step in progress gets `SHUTDOWN_GRACE_SECONDS` to finish).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let common = config.common.clone();
    let Stores { pool, redis } = Stores::open(&common, SCHEMA, &MIGRATIONS).await?;
    tokio::fs::create_dir_all(&config.data_dir)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "GRIDFLOCK_DATA_DIR {} is not usable: {e}",
                config.data_dir.display()
            )
        })?;

    let config = Arc::new(config);
    let generator = Generator::new(config.generation_concurrency);
    let wake = Arc::new(Notify::new());
    let worker = Arc::new(Worker {
        pool: pool.clone(),
        config: config.clone(),
        owner: common.consumer_name.clone(),
        upstream: Upstream::new(&config),
        store: Store::new(&config.data_dir),
        generator: generator.clone(),
        wake: wake.clone(),
    });
    let state = AppState {
        pool: pool.clone(),
        config: config.clone(),
        generator,
        wake,
    };
    let readiness = Readiness::new(SERVICE)
        .with_db(pool.clone())
        .with_redis(redis.clone())
        .with_dependency("order-service", &config.order_service_url)
        .with_dependency("print-service", &config.print_service_url)
        .with_dependency("slicer-service", &config.slicer_service_url);

    // The worker and the relay run inside this future rather than as
    // spawned tasks, so that aborting it (a crash in tests) stops them where
    // they stand, exactly as a killed process would.
    let background = async {
        tokio::join!(
            worker.run(shutdown.clone()),
            relay::run(
                pool.clone(),
                redis,
                common.stream_prefix.clone(),
                SCHEMA.to_owned(),
                shutdown.clone(),
            ),
        );
    };
    let bounded = async {
        tokio::select! {
            () = background => {}
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(common.shutdown_grace).await;
            } => tracing::warn!("pipeline work did not stop within the grace period; it resumes at the next start"),
        }
    };
    let server = async {
        let served = serve(listener, router(state, readiness), shutdown.clone()).await;
        shutdown.cancel();
        served
    };
    let (served, ()) = tokio::join!(server, bounded);
    pool.close().await;
    served?;
    Ok(())
}
