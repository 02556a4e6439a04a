//! JSON logs and correlation ids.
//!
//! A correlation id enters with a request (`X-Correlation-Id`, or a new one),
//! or with an event (its envelope's `correlationId`); it is kept in a task-local
//! for the work done on its behalf, so that logs, outgoing internal calls and
//! published events carry it without threading it through every signature.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::future::Future;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The header carrying the correlation id.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

tokio::task_local! {
    static CORRELATION_ID: String;
}

/// Keeps the log writer thread alive; dropping it flushes what is queued.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Installs the global subscriber: JSON lines unless `LOG_FORMAT=pretty`;
/// level from `RUST_LOG` (default `info`). Lines are written by a separate
/// thread: a request never waits for stdout, and nothing is dropped (the
/// queue blocks when full instead). Safe to call twice (tests).
pub fn init(service: &'static str) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|v| v == "pretty");
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    let result = if pretty {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(writer)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(writer)
            .try_init()
    };
    if result.is_ok() {
        tracing::info!(
            service,
            version = env!("CARGO_PKG_VERSION"),
            "logging started"
        );
        LogGuard(Some(guard))
    } else {
        LogGuard(None)
    }
}

/// The correlation id of the current task, if it runs on behalf of one.
pub fn current_correlation_id() -> Option<String> {
    CORRELATION_ID.try_with(Clone::clone).ok()
}

/// A fresh correlation id.
pub fn new_correlation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Runs `fut` with `id` as its correlation id and a span naming it.
pub async fn with_correlation<F: Future>(id: String, fut: F) -> F::Output {
    let span = tracing::info_span!("work", correlation_id = %id);
    CORRELATION_ID.scope(id, fut.instrument(span)).await
}

/// Spawns `fut` on its own task with the caller's correlation id and span:
/// work that must finish even if the request that started it is dropped.
pub fn spawn_in_context<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let fut = fut.in_current_span();
    match current_correlation_id() {
        Some(id) => tokio::spawn(CORRELATION_ID.scope(id, fut)),
        None => tokio::spawn(fut),
    }
}

/// Middleware: adopts or creates the request's correlation id, logs the
/// request, and echoes the id in the response.
pub async fn correlation_layer(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_id(v))
        .map(str::to_owned)
        .unwrap_or_else(new_correlation_id);
    let method = request.method().clone();
    let path = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |p| p.as_str().to_owned(),
        );
    let span = tracing::info_span!("request", correlation_id = %id, %method, path = %path);
    let started = std::time::Instant::now();
    let header = HeaderValue::from_str(&id).ok();
    let mut response = CORRELATION_ID
        .scope(id, next.run(request).instrument(span.clone()))
        .await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "request failed");
        } else {
            tracing::debug!(status, elapsed_ms, "request");
        }
    });
    if let Some(h) = header {
        response.headers_mut().insert(CORRELATION_HEADER, h);
    }
    response
}

/// Ids from outside are echoed into logs and headers: keep them short and plain.
fn is_acceptable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_ids_are_filtered() {
        assert!(is_acceptable_id("0190-abc_def:1"));
        assert!(!is_acceptable_id("a b"));
        assert!(!is_acceptable_id(""));
        assert!(!is_acceptable_id(&"x".repeat(129)));
    }

    #[tokio::test]
    async fn scope_sets_the_current_id() {
        assert_eq!(current_correlation_id(), None);
        let seen = with_correlation("c-1".into(), async { current_correlation_id() }).await;
        assert_eq!(seen.as_deref(), Some("c-1"));
    }
}
