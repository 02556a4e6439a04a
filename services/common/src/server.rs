//! The HTTP server every service runs: standard layers, graceful shutdown.

use crate::problem::Problem;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// Default request body limit; upload routes raise it for themselves.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Adds the layers every service shares: correlation ids and request logs,
/// a 30 s timeout, a body limit, panics turned into 500 problems, and a
/// problem body for unknown routes.
pub fn standard_layers(router: Router) -> Router {
    router
        .fallback(|| async { Problem::not_found("no such route") })
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(
            crate::telemetry::correlation_layer,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal("handler panicked").into_response()
        }))
}

/// Serves `router` until `shutdown`, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Background work (relay, consumers, timers) that shutdown waits for.
#[derive(Clone, Default)]
pub struct Background {
    tracker: TaskTracker,
}

impl Background {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `task` until it returns (it should watch the shutdown token).
    pub fn spawn<F>(&self, name: &'static str, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(async move {
            task.await;
            tracing::debug!(task = name, "background task stopped");
        });
    }

    /// Waits up to `grace` for every task to stop.
    pub async fn wait(self, grace: Duration) {
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_s = grace.as_secs(),
                "background tasks did not stop in time"
            );
        }
    }
}

/// Cancels `token` on SIGTERM or Ctrl-C.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("shutdown requested; finishing in-flight work");
        token.cancel();
    });
}
