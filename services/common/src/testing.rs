//! Test support: a fresh database and stream prefix per test, and services
//! spawned in-process on port 0.
//!
//! Tests run against the real PostgreSQL (`TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and Redis (`TEST_REDIS_URL`,
//! default `redis://127.0.0.1:6379/`); `cargo xtask ci` starts both when
//! they are not running.

use crate::config::Vars;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The internal key test services share.
pub const TEST_INTERNAL_KEY: &str = "test-internal-key-0123456789";

/// The admin connection tests create their databases through.
pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The Redis tests use.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A database of its own, dropped when the value is.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates an empty database.
    pub async fn create() -> Self {
        let admin = admin_database_url();
        let name = format!("gfc_test_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {admin} is needed for this test ({e}); `cargo xtask ci` starts it"
            )
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
        pool.close().await;
        let mut url = url::Url::parse(&admin).unwrap_or_else(|e| panic!("bad {admin}: {e}"));
        url.set_path(&name);
        Self {
            url: url.to_string(),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin_database_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

/// A stream prefix no other test uses.
pub fn stream_prefix() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// A Redis connection for assertions.
pub async fn redis() -> redis::aio::ConnectionManager {
    let url = redis_url();
    let client = redis::Client::open(url.as_str()).unwrap_or_else(|e| panic!("bad {url}: {e}"));
    client.get_connection_manager().await.unwrap_or_else(|e| {
        panic!("Redis at {url} is needed for this test ({e}); `cargo xtask ci` starts it")
    })
}

/// The environment a test service starts with: its database, Redis, a
/// private stream prefix, the test key and fast claim timing.
pub fn base_vars(database_url: &str, prefix: &str, consumer: &str) -> Vars {
    Vars::from_pairs([
        ("DATABASE_URL", database_url.to_owned()),
        ("REDIS_URL", redis_url()),
        ("INTERNAL_API_KEY", TEST_INTERNAL_KEY.to_owned()),
        ("EVENT_STREAM_PREFIX", prefix.to_owned()),
        ("CONSUMER_NAME", consumer.to_owned()),
        ("EVENT_CLAIM_IDLE_MS", "500".to_owned()),
        ("SHUTDOWN_GRACE_SECONDS", "5".to_owned()),
    ])
}

/// A service running in this process.
pub struct RunningService {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its address.
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

/// Binds port 0 and runs `run(listener, shutdown)` on a task.
pub async fn spawn<F, Fut>(run: F) -> RunningService
where
    F: FnOnce(TcpListener, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("cannot bind a test port: {e}"));
    spawn_on(listener, run).await
}

/// Runs `run(listener, shutdown)` on a task, on a listener the test bound
/// (to start a service on a port promised earlier).
pub async fn spawn_on<F, Fut>(listener: TcpListener, run: F) -> RunningService
where
    F: FnOnce(TcpListener, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"));
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(run(listener, shutdown.clone()));
    let service = RunningService {
        url: format!("http://{addr}"),
        addr,
        shutdown,
        handle,
    };
    service.wait_healthy().await;
    service
}

impl RunningService {
    async fn wait_healthy(&self) {
        let client = crate::client::http_client(Duration::from_secs(1));
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{}/health/live", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            if self.handle.is_finished() {
                panic!("the service stopped while starting");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not become healthy at {}", self.url);
    }

    /// Graceful stop: in-flight work finishes.
    pub async fn stop(self) {
        self.shutdown.cancel();
        match tokio::time::timeout(Duration::from_secs(15), self.handle).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the service failed: {e:#}"),
            Ok(Err(e)) => panic!("the service task failed: {e}"),
            Err(_) => panic!("the service did not stop within 15 s"),
        }
    }

    /// A crash: every task of the service is dropped where it stands.
    pub async fn kill(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }
}

/// Waits until the relay has published everything committed to the outbox
/// of `pool`'s schema, so that reading a stream sees all events so far.
pub async fn outbox_drained(pool: &sqlx::PgPool) {
    eventually(Duration::from_secs(20), "the outbox relayed", || async {
        let unpublished: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(pool)
                .await
                .ok()?;
        (unpublished == 0).then_some(())
    })
    .await;
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The directory of third-party fixtures (`../shared/fixtures` beside the
/// checkout): `FIXTURES_DIR` if set, else the first `shared/fixtures` found
/// walking up from this crate, else `/work/shared/fixtures`.
pub fn fixtures_dir() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("FIXTURES_DIR") {
        return dir.into();
    }
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("shared").join("fixtures"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| "/work/shared/fixtures".into())
}

/// A fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
