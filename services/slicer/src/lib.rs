//! slicer-service: turns STL plates into gcode with a command-line slicer.
//!
//! `POST /slice` checks the upload (a closed STL that fits the chosen
//! printer, settings in range) before any slicer runs, waits for one of a
//! fixed number of slots, runs the slicer in a scratch directory with a
//! deadline and answers with the gcode. `GET /profiles` lists the printers.
//! PrusaSlicer slices everything unless a BambuStudio/OrcaSlicer binary is
//! configured for the Bambu Lab printers.

pub mod adapters;
pub mod config;
pub mod health;
pub mod profiles;
pub mod queue;
pub mod routes;
pub mod stl_check;

pub use config::Config;

use adapters::Slicer;
use adapters::bambu::BambuSlicer;
use adapters::prusa::{self, PrusaSlicer};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use profiles::{Family, Profile};
use queue::SliceQueue;
use service_common::Problem;
use service_common::auth::{InternalKey, require_internal_key};
use service_common::server::{serve, standard_layers};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;

/// Name in logs.
pub const SERVICE: &str = "slicer";

/// Largest accepted upload on `POST /slice`.
pub const SLICE_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// A configured slicer program and what start-up found out about it.
#[derive(Clone)]
pub struct Installed<S> {
    /// The adapter.
    pub adapter: Arc<S>,
    /// The version, or why the program cannot be used.
    pub status: Result<String, String>,
}

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Settings.
    pub config: Arc<Config>,
    /// PrusaSlicer: every printer without a native slicer.
    pub prusa: Installed<PrusaSlicer>,
    /// BambuStudio/OrcaSlicer when `SLICER_BAMBU_BIN` is set.
    pub bambu: Option<Installed<BambuSlicer>>,
    /// Slots and waiting line.
    pub queue: SliceQueue,
}

impl AppState {
    /// Probes the configured slicers (their `--help` version line) and builds the state.
    pub async fn start(config: Config) -> Self {
        let prusa_status = adapters::detect_version(&config.prusa_bin, prusa::PRODUCT).await;
        match &prusa_status {
            Ok(v) => {
                tracing::info!(binary = %config.prusa_bin.display(), version = %v, "PrusaSlicer found")
            }
            Err(e) => {
                tracing::error!(error = %e, "PrusaSlicer is not usable; slices will fail until it is installed")
            }
        }
        let prusa = Installed {
            adapter: Arc::new(PrusaSlicer::new(
                config.prusa_bin.clone(),
                prusa_status.clone().ok(),
            )),
            status: prusa_status,
        };
        let bambu = match &config.bambu_bin {
            None => None,
            Some(bin) => {
                let product = config.bambu_kind.product();
                let status = adapters::detect_version(bin, product).await;
                if let Err(e) = &status {
                    tracing::error!(error = %e, "{product} is not usable");
                }
                Some(Installed {
                    adapter: Arc::new(BambuSlicer::new(
                        bin.clone(),
                        config.bambu_kind,
                        status.clone().ok(),
                    )),
                    status,
                })
            }
        };
        let queue = SliceQueue::new(config.concurrency, config.queue_limit);
        Self {
            config: Arc::new(config),
            prusa,
            bambu,
            queue,
        }
    }

    /// The slicer for `profile` and its start-up status.
    pub fn slicer_for(&self, profile: &Profile) -> (Arc<dyn Slicer>, &Result<String, String>) {
        match (&self.bambu, profile.family) {
            (Some(bambu), Family::Bambu) => (bambu.adapter.clone(), &bambu.status),
            _ => (self.prusa.adapter.clone(), &self.prusa.status),
        }
    }
}

/// The routes.
///
/// `/slice` sits outside the standard layers: its uploads exceed the
/// default body limit and a slice may take longer than the standard 30 s
/// request timeout (its own deadline is `SLICER_TIMEOUT_SECONDS`).
pub fn router(state: AppState) -> Router {
    let key = InternalKey::new(&state.config.internal_api_key);
    let auth = axum::middleware::from_fn_with_state(key, require_internal_key);
    let standard = Router::new()
        .route("/profiles", get(routes::profiles))
        .route_layer(auth.clone())
        .merge(health::routes())
        .with_state(state.clone());
    let slice = Router::new()
        .route("/slice", post(routes::slice))
        .route_layer(auth)
        .with_state(state)
        .layer(DefaultBodyLimit::max(SLICE_BODY_LIMIT))
        .layer(axum::middleware::from_fn(
            service_common::telemetry::correlation_layer,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal("handler panicked").into_response()
        }));
    standard_layers(standard).merge(slice)
}

/// Serves until `shutdown`; running slices finish first (up to the grace period).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.work_dir).map_err(|e| {
        anyhow::anyhow!(
            "SLICER_WORK_DIR {} cannot be created: {e}",
            config.work_dir.display()
        )
    })?;
    let grace = config.shutdown_grace;
    let state = AppState::start(config).await;
    let server = serve(listener, router(state), shutdown.clone());
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_s = grace.as_secs(), "slices still running after the grace period; stopping");
        }
    }
    Ok(())
}
