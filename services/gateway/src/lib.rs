//! gateway: the only public service. It authenticates operators, scopes
//! every request to the operator's tenant, applies rate and size limits and
//! forwards to the service that owns the route; it also aggregates the
//! services' health, serves the OpenAPI document and streams live events.

pub mod auth;
pub mod config;
pub mod events;
pub mod health;
pub mod openapi;
pub mod proxy;
pub mod ratelimit;
pub mod routes;

pub use config::Config;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{MethodFilter, MethodRouter, get, post};
use redis::aio::ConnectionManager;
use routes::{Backend, ROUTES};
use service_common::auth::{InternalKey, require_internal_key};
use service_common::server::standard_layers;
use service_common::stores::{Stores, migrated_pool};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Name in logs.
pub const SERVICE: &str = "gateway";
/// PostgreSQL schema.
pub const SCHEMA: &str = "gateway";

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The pool (schema `gateway`).
    pub pool: PgPool,
    /// Sessions and rate limits.
    pub redis: ConnectionManager,
    /// Settings.
    pub config: Arc<Config>,
    /// Forwarding client.
    pub http: reqwest::Client,
    /// Backend readiness client.
    pub health_http: reqwest::Client,
    /// Cancelled at shutdown; ends the event streams.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// The base URL of `backend`.
    pub fn backend_url(&self, backend: Backend) -> &str {
        match backend {
            Backend::Order => &self.config.order_service_url,
            Backend::Print => &self.config.print_service_url,
            Backend::Shipping => &self.config.shipping_service_url,
            Backend::Gridflock => &self.config.gridflock_service_url,
        }
    }
}

/// Applies the migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    migrated_pool(&config.common.database_url, SCHEMA, &MIGRATIONS)
        .await
        .map(drop)
}

fn method_filter(method: &str) -> MethodFilter {
    match method {
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    }
}

/// The forwarded routes, one axum route per path of the table.
fn forwarded() -> Router<AppState> {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in ROUTES {
        let handler = move |State(state): State<AppState>, request: Request| {
            proxy::handle(state, route, request)
        };
        let methods = by_path.remove(route.path).unwrap_or_default();
        by_path.insert(route.path, methods.on(method_filter(route.method), handler));
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
}

fn cors(origin: &str) -> Option<CorsLayer> {
    let origin = HeaderValue::from_str(origin).ok()?;
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list([origin]))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-correlation-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-correlation-id"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let key = InternalKey::new(&state.config.common.internal_api_key);
    let internal = Router::new()
        .route("/internal/operators", post(auth::tokens::create_operator))
        .route(
            "/internal/operators/{id}/tokens",
            post(auth::tokens::issue_token),
        )
        .route(
            "/internal/tokens/{id}/revoke",
            post(auth::tokens::revoke_token),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            require_internal_key,
        ));
    let own = Router::new()
        .route("/api/v1/auth/login", post(auth::sessions::login))
        .route("/api/v1/auth/logout", post(auth::sessions::logout))
        .route("/api/v1/auth/me", get(auth::sessions::me))
        .route("/api/v1/events", get(events::stream))
        .route("/health", get(health::aggregate))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/api/docs", get(openapi::html_page))
        .route("/api/docs/openapi.json", get(openapi::json_document));
    let cors = cors_layer(&state.config);
    let app = standard_layers(internal.merge(own).merge(forwarded()).with_state(state));
    match cors {
        Some(layer) => app.layer(layer),
        None => app,
    }
}

fn cors_layer(config: &Config) -> Option<CorsLayer> {
    config.cors_origin.as_deref().and_then(cors)
}

/// Serves until `shutdown`; open event streams end, in-flight requests finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let Stores { pool, redis } = Stores::open(&config.common, SCHEMA, &MIGRATIONS).await?;
    let state = AppState {
        pool: pool.clone(),
        redis,
        http: service_common::client::http_client(Duration::from_secs(60)),
        health_http: service_common::client::http_client(config.health_timeout),
        config: Arc::new(config),
        shutdown: shutdown.clone(),
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    pool.close().await;
    Ok(())
}
