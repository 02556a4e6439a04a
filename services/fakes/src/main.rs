//! `gridflock-fakes`: runs the Shopify, SimplyPrint and Sendcloud fakes for a local
//! stack, prints their URLs as JSON lines, and stops on Ctrl-C.

use clap::Parser;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use svc_fakes::sendcloud::SendcloudFake;
use svc_fakes::shopify::ShopifyFake;
use svc_fakes::simplyprint::SimplyPrintFake;

/// Fake Shopify, SimplyPrint and Sendcloud servers for local runs.
#[derive(Debug, Parser)]
#[command(name = "gridflock-fakes", version)]
struct Args {
    /// Address to bind.
    #[arg(long, env = "FAKES_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port of the Shopify Admin API fake (0 = any free port).
    #[arg(long, env = "FAKE_SHOPIFY_PORT", default_value_t = 0)]
    shopify_port: u16,
    /// Port of the SimplyPrint API host fake (0 = any free port).
    #[arg(long, env = "FAKE_SIMPLYPRINT_PORT", default_value_t = 0)]
    simplyprint_port: u16,
    /// Port of the SimplyPrint files host fake (0 = any free port).
    #[arg(long, env = "FAKE_SIMPLYPRINT_FILES_PORT", default_value_t = 0)]
    simplyprint_files_port: u16,
    /// SimplyPrint company id served.
    #[arg(long, env = "SIMPLYPRINT_COMPANY_ID", default_value_t = 1)]
    company_id: u64,
    /// SimplyPrint API key accepted in X-API-KEY.
    #[arg(
        long,
        env = "SIMPLYPRINT_API_KEY",
        default_value = "fake-simplyprint-key"
    )]
    api_key: String,
    /// Port of the Sendcloud API fake (0 = any free port).
    #[arg(long, env = "FAKE_SENDCLOUD_PORT", default_value_t = 0)]
    sendcloud_port: u16,
    /// Sendcloud public key accepted as the Basic-auth user name.
    #[arg(
        long,
        env = "SENDCLOUD_PUBLIC_KEY",
        default_value = "fake-sendcloud-public"
    )]
    sendcloud_public_key: String,
    /// Sendcloud secret key accepted as the Basic-auth password.
    #[arg(
        long,
        env = "SENDCLOUD_SECRET_KEY",
        default_value = "fake-sendcloud-secret"
    )]
    sendcloud_secret_key: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let stop = Stop::install()?;
    let shopify = ShopifyFake::start_on(SocketAddr::new(args.host, args.shopify_port)).await?;
    let simplyprint = SimplyPrintFake::start_on(
        args.company_id,
        &args.api_key,
        SocketAddr::new(args.host, args.simplyprint_port),
        SocketAddr::new(args.host, args.simplyprint_files_port),
    )
    .await?;
    let sendcloud = SendcloudFake::start_on(
        SocketAddr::new(args.host, args.sendcloud_port),
        &args.sendcloud_public_key,
        &args.sendcloud_secret_key,
    )
    .await?;
    println!(
        "{}",
        json!({
            "fake": "shopify",
            "url": shopify.url(),
            "admin_url_template": shopify.admin_url_template(),
            "control": format!("{}/_control", shopify.url()),
        })
    );
    println!(
        "{}",
        json!({
            "fake": "simplyprint",
            "api_url": simplyprint.api_url(),
            "files_url": simplyprint.files_url(),
            "company_id": args.company_id,
            "control": format!("{}/_control", simplyprint.api_url()),
        })
    );
    println!(
        "{}",
        json!({
            "fake": "sendcloud",
            "url": sendcloud.url(),
            "api_url": sendcloud.api_url(),
            "control": format!("{}/_control", sendcloud.url()),
        })
    );
    stop.wait().await?;
    tracing::info!("stopping the fakes");
    drop(shopify);
    drop(simplyprint);
    drop(sendcloud);
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one (container stops). The handlers
/// are installed before the URLs are printed, so that a signal sent right
/// after reading them stops the fakes cleanly instead of killing the process.
#[cfg(unix)]
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Stop {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) -> std::io::Result<()> {
        tokio::select! {
            _ = self.interrupt.recv() => Ok(()),
            _ = self.terminate.recv() => Ok(()),
        }
    }
}

#[cfg(not(unix))]
struct Stop;

#[cfg(not(unix))]
impl Stop {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) -> std::io::Result<()> {
        tokio::signal::ctrl_c().await
    }
}
