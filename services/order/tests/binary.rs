//! The `svc-order` binary: start-up configuration errors, the `healthcheck`
//! subcommand Docker uses, `migrate`, and a graceful stop on SIGTERM.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Harness, Options};

const BIN: &str = env!("CARGO_BIN_EXE_svc-order");

#[test]
fn a_missing_or_malformed_variable_stops_start_up_with_one_line_naming_it() {
    let out = Command::new(BIN).env_clear().output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "order: configuration error: DATABASE_URL is missing"
    );

    let out = Command::new(BIN)
        .env_clear()
        .env("DATABASE_URL", "postgres://localhost/x")
        .env("REDIS_URL", "redis://127.0.0.1/")
        .env("INTERNAL_API_KEY", "0123456789abcdef0123")
        .env("SHOPIFY_WEBHOOK_SECRET", "shpss_0123456789")
        .env("PRINT_SERVICE_URL", "print-service:3002")
        .env("GRIDFLOCK_SERVICE_URL", "http://gridflock:3004")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr
            .starts_with("order: configuration error: PRINT_SERVICE_URL is \"print-service:3002\""),
        "{stderr}"
    );

    let out = Command::new(BIN).arg("frobnicate").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

// Multi-threaded: the blocking subprocess call must not stall the service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_answers_for_a_running_service_and_fails_for_a_closed_port() {
    let h = Harness::start(Options::default()).await;
    let port = h.url.rsplit(':').next().expect("port").to_owned();
    let ok = Command::new(BIN)
        .arg("healthcheck")
        .env("PORT", &port)
        .status()
        .expect("run");
    assert!(ok.success());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port().to_string();
    drop(closed);
    let out = Command::new(BIN)
        .arg("healthcheck")
        .env("PORT", &closed_port)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("unhealthy"));
    h.stop().await;
}

#[tokio::test]
async fn the_process_migrates_serves_and_stops_cleanly_on_sigterm() {
    let db = service_common::testing::TestDatabase::create().await;
    let prefix = service_common::testing::stream_prefix();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let env = [
        ("DATABASE_URL", format!("{}?connection_limit=3", db.url)),
        ("REDIS_URL", service_common::testing::redis_url()),
        (
            "INTERNAL_API_KEY",
            service_common::testing::TEST_INTERNAL_KEY.to_owned(),
        ),
        ("EVENT_STREAM_PREFIX", prefix.clone()),
        ("SHOPIFY_WEBHOOK_SECRET", support::SECRET.to_owned()),
        ("PRINT_SERVICE_URL", "http://127.0.0.1:9".to_owned()),
        ("GRIDFLOCK_SERVICE_URL", "http://127.0.0.1:9".to_owned()),
        ("PORT", port.to_string()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let migrated = Command::new(BIN)
        .arg("migrate")
        .envs(env.clone())
        .output()
        .expect("migrate");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let pool = service_common::db::connect(&db.url, "orders")
        .await
        .expect("pool");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'orders'",
    )
    .fetch_one(&pool)
    .await
    .expect("tables");
    assert!(tables >= 9, "{tables} tables");

    let mut child = Command::new(BIN)
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut healthy = false;
    for _ in 0..100 {
        if Command::new(BIN)
            .arg("healthcheck")
            .env("PORT", port.to_string())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the service never answered /health");
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("stopped within 10 s of SIGTERM");
    assert!(status.success(), "exit {status}");
    let out = child.wait_with_output().expect("output");
    let log = String::from_utf8_lossy(&out.stdout);
    // JSON lines with the service fields.
    let first: serde_json::Value =
        serde_json::from_str(log.lines().next().unwrap_or("{}")).expect("a JSON log line");
    assert_eq!(first["service"], "order");
    assert!(log.contains("shutdown requested"), "{log}");
}
