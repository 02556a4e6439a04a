//! `cargo xtask load`: the webhook load benchmark and the services' idle memory.
//!
//! Release builds of order-service and print-service run as their own
//! processes against the local PostgreSQL and Redis; `webhook-load` drives
//! signed `orders/create` deliveries at a fixed rate from a third process.
//! Afterwards the database must hold every unique order exactly once.

use crate::prereq;
use crate::util::{Result, cargo, output, sh, target_dir};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECRET: &str = "shpss_load_test_secret";
const SHOP: &str = "load-test.myshopify.com";
const KEY: &str = "load-test-internal-key-0123456789";
/// Environment variables of one service process.
type Env = Vec<(&'static str, String)>;

const ADMIN_DB: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Stops and cleans up on every exit path.
struct Stack {
    children: Vec<(String, Child)>,
    database: String,
    prefix: String,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
        for (_, child) in &mut self.children {
            let _ = child.wait();
        }
        let _ = psql(
            ADMIN_DB,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
        );
        if let Ok(keys) = output(Command::new("redis-cli").args([
            "--scan",
            "--pattern",
            &format!("{}:*", self.prefix),
        ])) {
            for key in keys.lines().filter(|k| !k.is_empty()) {
                let _ = output(Command::new("redis-cli").args(["DEL", key]));
            }
        }
    }
}

fn psql(url: &str, sql: &str) -> Result<String> {
    output(Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-tAc", sql]))
        .map(|s| s.trim().to_owned())
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no VmRSS for {pid}"))
}

fn start(bin: &Path, name: &str, envs: &Env, logs: &Path) -> Result<Child> {
    let log = std::fs::File::create(logs.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin);
    cmd.envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .stdin(Stdio::null());
    cmd.spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))
}

fn wait_healthy(bin: &Path, port: u16, child: &mut Child) -> Result {
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} exited during start-up ({status}); see its log",
                bin.display()
            ));
        }
        let ok = Command::new(bin)
            .arg("healthcheck")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{} did not become healthy on port {port}",
        bin.display()
    ))
}

pub(crate) fn run(args: &[String]) -> Result {
    let rate = flag(args, "--rate").unwrap_or(1500);
    let seconds = flag(args, "--seconds").unwrap_or(20);
    let log_level = args
        .iter()
        .position(|a| a == "--log")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "info".to_owned());
    prereq::databases()?;
    sh(cargo().args([
        "build",
        "--release",
        "-p",
        "svc-order",
        "-p",
        "svc-print",
        "-p",
        "svc-gridflock",
        "-p",
        "svc-slicer",
        "-p",
        "svc-loadtest",
    ]))?;
    let bin = target_dir().join("release");
    let logs = target_dir().join("load-logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;

    let database = format!("gfc_load_{}", std::process::id());
    psql(ADMIN_DB, &format!("CREATE DATABASE {database}"))?;
    let db_url = format!("postgres://postgres@127.0.0.1:5432/{database}");
    let mut stack = Stack {
        children: Vec::new(),
        database,
        prefix: format!("load-{}", std::process::id()),
    };
    let (order_port, print_port) = (free_port()?, free_port()?);
    let (gridflock_port, slicer_port) = (free_port()?, free_port()?);
    let data_dir = target_dir().join("load-data");
    let common = |port: u16, consumer: &str| -> Vec<(&'static str, String)> {
        vec![
            ("PORT", port.to_string()),
            ("DATABASE_URL", format!("{db_url}?connection_limit=10")),
            ("REDIS_URL", "redis://127.0.0.1:6379/".to_owned()),
            ("INTERNAL_API_KEY", KEY.to_owned()),
            ("EVENT_STREAM_PREFIX", stack.prefix.clone()),
            ("CONSUMER_NAME", consumer.to_owned()),
            ("RUST_LOG", log_level.clone()),
        ]
    };
    let mut print_env = common(print_port, "print-load");
    print_env.extend([
        ("SIMPLYPRINT_COMPANY_ID", "1".to_owned()),
        ("SIMPLYPRINT_API_KEY", "load-test-key".to_owned()),
        (
            "SIMPLYPRINT_WEBHOOK_SECRET",
            "load-test-webhook-secret".to_owned(),
        ),
        ("SIMPLYPRINT_API_URL", "http://127.0.0.1:9".to_owned()),
        ("SIMPLYPRINT_FILES_URL", "http://127.0.0.1:9".to_owned()),
    ]);
    let mut slicer_env = vec![
        ("PORT", slicer_port.to_string()),
        ("INTERNAL_API_KEY", KEY.to_owned()),
    ];
    slicer_env.push(("RUST_LOG", "info".to_owned()));
    let mut gridflock_env = common(gridflock_port, "gridflock-load");
    gridflock_env.extend([
        (
            "ORDER_SERVICE_URL",
            format!("http://127.0.0.1:{order_port}"),
        ),
        (
            "PRINT_SERVICE_URL",
            format!("http://127.0.0.1:{print_port}"),
        ),
        (
            "SLICER_SERVICE_URL",
            format!("http://127.0.0.1:{slicer_port}"),
        ),
        ("GRIDFLOCK_DATA_DIR", data_dir.display().to_string()),
    ]);
    let mut order_env = common(order_port, "order-load");
    order_env.extend([
        ("SHOPIFY_WEBHOOK_SECRET", SECRET.to_owned()),
        (
            "PRINT_SERVICE_URL",
            format!("http://127.0.0.1:{print_port}"),
        ),
        (
            "GRIDFLOCK_SERVICE_URL",
            format!("http://127.0.0.1:{gridflock_port}"),
        ),
        ("RECONCILE_INTERVAL_SECONDS", "0".to_owned()),
    ]);
    let services = [
        ("print-service", "svc-print", &print_env, print_port),
        ("slicer-service", "svc-slicer", &slicer_env, slicer_port),
        (
            "gridflock-service",
            "svc-gridflock",
            &gridflock_env,
            gridflock_port,
        ),
        ("order-service", "svc-order", &order_env, order_port),
    ];
    for (name, binary, env, port) in services {
        let mut child = start(&bin.join(binary), name, env, &logs)?;
        let healthy = wait_healthy(&bin.join(binary), port, &mut child);
        stack.children.push((name.to_owned(), child));
        healthy?;
    }
    psql(
        &db_url,
        &format!(
            "INSERT INTO orders.tenants (id, shop_domain, name) VALUES (gen_random_uuid(), '{SHOP}', 'Load test')"
        ),
    )?;

    // Idle: connections made, migrations done, nothing to do.
    std::thread::sleep(Duration::from_secs(3));
    let mut idle = Vec::new();
    for (name, child) in &stack.children {
        idle.push((name.clone(), rss_kib(child.id())?));
    }

    let report = output(Command::new(bin.join("webhook-load")).args([
        "--url",
        &format!("http://127.0.0.1:{order_port}"),
        "--secret",
        SECRET,
        "--shop",
        SHOP,
        "--rate",
        &rate.to_string(),
        "--seconds",
        &seconds.to_string(),
    ]))?;
    let field = |name: &str| -> String {
        let key = format!("\"{name}\":");
        report
            .split(&key)
            .nth(1)
            .map(|rest| {
                rest.split([',', '}'])
                    .next()
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let under_load: Vec<(String, u64)> = stack
        .children
        .iter()
        .map(|(n, c)| (n.clone(), rss_kib(c.id()).unwrap_or(0)))
        .collect();

    let counts = psql(
        &db_url,
        "SELECT count(*) || ' ' || count(DISTINCT shopify_order_id) FROM orders.orders",
    )?;
    let created_events = psql(
        &db_url,
        "SELECT count(*) FROM orders.outbox WHERE event_type = 'order.created'",
    )?;
    let unique: u64 = field("uniqueOrders").parse().unwrap_or(0);
    let (rows, distinct) = counts.split_once(' ').unwrap_or(("?", "?"));

    println!("\n{report}");
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| target rate (webhooks/s) | {} |", field("targetRate"));
    println!(
        "| achieved rate (webhooks/s) | {:.0} |",
        field("achievedRate").parse::<f64>().unwrap_or(f64::NAN)
    );
    for p in ["p50Ms", "p90Ms", "p99Ms", "maxMs"] {
        println!(
            "| latency {} (ms) | {:.1} |",
            &p[..p.len() - 2],
            field(p).parse::<f64>().unwrap_or(f64::NAN)
        );
    }
    println!(
        "| deliveries sent / answered 2xx / errors | {} / {} / {} |",
        field("sent"),
        field("ok"),
        field("errors")
    );
    println!(
        "| unique orders sent / rows / distinct / order.created events | {unique} / {rows} / {distinct} / {created_events} |"
    );
    for ((name, idle_kib), (_, busy_kib)) in idle.iter().zip(&under_load) {
        println!(
            "| {name} RSS idle / after load (MiB) | {:.1} / {:.1} |",
            *idle_kib as f64 / 1024.0,
            *busy_kib as f64 / 1024.0
        );
    }
    let lost_or_doubled = rows != unique.to_string()
        || distinct != unique.to_string()
        || created_events != unique.to_string();
    if field("errors") != "0" || lost_or_doubled {
        return Err(format!("orders lost, doubled or refused: {report}"));
    }
    drop(stack);
    Ok(())
}

fn flag(args: &[String], name: &str) -> Option<u32> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}
