//! `gridflock-stack`: the whole stack on this machine until Ctrl-C
//! (`cargo xtask stack`), optionally with the demo orders.

use anyhow::Result;
use clap::Parser;
use gridflock_stack::flow::{self, Baseplate, Until};
use gridflock_stack::{Options, Profile, Service, Stack, StackClient};
use std::path::PathBuf;
use std::time::Duration;

/// Runs PostgreSQL, Redis, the fakes and the six services locally.
#[derive(Debug, Parser)]
#[command(name = "gridflock-stack", version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// After start-up, send a signed GRID-CUSTOM order and a standard order
    /// and follow both to SHIPPED, printing each step.
    #[arg(long, global = true)]
    demo: bool,
    /// Release builds of the services.
    #[arg(long, global = true)]
    release: bool,
    /// Free ports instead of the compose ports (3000–3010, fakes 3100–3103).
    #[arg(long, global = true)]
    any_ports: bool,
    /// Directory for logs and private servers (default: target/stack/run-<time>).
    #[arg(long, global = true)]
    run_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Read load through the gateway (orders listed and opened by operators)
    /// with the peak memory of every service; stops the stack afterwards.
    BenchReads {
        /// Concurrent clients.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
        connections: u16,
        /// Measured seconds.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
        seconds: u64,
        /// Orders seeded before the run.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=200))]
        orders: i64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gridflock-stack: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let run_dir = args.run_dir.unwrap_or_else(default_run_dir);
    let mut options = Options::local(run_dir);
    options.standard_ports = !args.any_ports;
    if args.release {
        options.profile = Profile::Release;
    }
    if let Some(Command::BenchReads { .. }) = args.command {
        // One operator token drives the whole load; the per-operator limit
        // (120/min by default) would otherwise measure the rate limiter's
        // refusals. The limiter still runs on every request.
        options.overrides.push((
            Service::Gateway,
            "GATEWAY_RATE_LIMIT_PER_MINUTE".to_owned(),
            "100000".to_owned(),
        ));
        // Request logs at info would make the run measure stdout.
        options.log_level = "warn".to_owned();
    }
    println!("starting the stack (logs in {})", options.run_dir.display());
    let stack = tokio::select! {
        started = Stack::start(options) => started?,
        _ = tokio::signal::ctrl_c() => {
            // Children are killed on drop; nothing half-started lingers.
            println!("interrupted during start-up");
            return Ok(());
        }
    };
    print_urls(&stack);
    if let Some(Command::BenchReads {
        connections,
        seconds,
        orders,
    }) = args.command
    {
        let report = gridflock_stack::read_load::run(
            &stack,
            orders,
            usize::from(connections),
            Duration::from_secs(seconds),
        )
        .await;
        stack.stop().await;
        print!(
            "{}",
            gridflock_stack::read_load::describe(&report?, usize::from(connections))
        );
        return Ok(());
    }
    let outcome = if args.demo {
        tokio::select! {
            demo = demo(&stack) => demo,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    } else {
        Ok(())
    };
    if outcome.is_ok() && args.demo {
        println!("demo done; the stack keeps running. Ctrl-C stops it.");
    }
    if outcome.is_ok() {
        let _ = tokio::signal::ctrl_c().await;
    }
    println!("stopping…");
    stack.stop().await;
    println!("stopped");
    outcome
}

fn default_run_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| gridflock_stack::binaries::workspace_root().join("target"));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    target.join("stack").join(format!("run-{stamp}"))
}

fn print_urls(stack: &Stack) {
    println!("\nready:");
    for service in Service::START_ORDER.iter().rev() {
        println!("  {:<18} {}", service.name(), stack.url(*service));
    }
    let fakes = stack.fakes();
    println!("  {:<18} {}", "shopify fake", fakes.shopify_url);
    println!("  {:<18} {}", "simplyprint fake", fakes.simplyprint_api_url);
    println!("  {:<18} {}", "sendcloud fake", fakes.sendcloud_url);
    println!(
        "\n  API docs: {}/api/docs   health: {}/health",
        stack.url(Service::Gateway),
        stack.url(Service::Gateway)
    );
    println!("  logs:     {}\n", stack.run_dir().display());
}

async fn demo(stack: &Stack) -> Result<()> {
    let client = StackClient::new(stack);
    println!(
        "demo: setting up demo-shop.myshopify.com (tenant, operator, A1 settings, standard product)"
    );
    let shop = flow::prepare_shop(&client, "demo-shop.myshopify.com").await?;
    println!("demo: operator token {}", shop.token);
    let grid = flow::customer_order(
        7001,
        Some(Baseplate {
            width_mm: 450,
            height_mm: 320,
            magnets: true,
        }),
        false,
    );
    let standard = flow::customer_order(7002, None, true);
    client.place_order(&shop, &grid).await?;
    println!(
        "demo: Shopify sent orders/create #7001 (GRID-CUSTOM 450 x 320 mm, intersection puzzle, magnets)"
    );
    client.place_order(&shop, &standard).await?;
    println!("demo: Shopify sent orders/create #7002 (cable organiser)");
    let timeout = Duration::from_secs(15 * 60);
    let (a, b) = tokio::join!(
        flow::follow(&client, &shop, 7001, Until::Shipped, timeout, |s| println!(
            "  {s}"
        )),
        flow::follow(&client, &shop, 7002, Until::Shipped, timeout, |s| println!(
            "  {s}"
        )),
    );
    let (a, b) = (a?, b?);
    for order in [a, b] {
        println!("demo: {} is SHIPPED", order["name"].as_str().unwrap_or("?"));
    }
    let fulfilments = client.shopify_fulfillments(&shop).await?;
    println!(
        "demo: Shopify has {} fulfilment(s) with tracking",
        fulfilments.len()
    );
    Ok(())
}
