//! The command line every service binary shares:
//! `svc-<name> [serve]`, `svc-<name> migrate`, `svc-<name> healthcheck`.

use crate::config::{ConfigError, Vars};
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What a service binary provides to [`main`].
pub trait Service {
    /// Name in logs, schema and consumer groups.
    const NAME: &'static str;
    /// Port when `PORT` is not set.
    const DEFAULT_PORT: u16;
    /// Parsed configuration.
    type Config: Send + 'static;

    /// Reads the configuration.
    fn config(vars: &Vars) -> Result<Self::Config, ConfigError>;
    /// The port to listen on.
    fn port(config: &Self::Config) -> u16;
    /// Applies the database migrations and returns.
    fn migrate(config: Self::Config) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Serves until `shutdown`.
    fn run(
        config: Self::Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

const USAGE: &str = "commands: serve (default) | migrate | healthcheck";

/// Parses the arguments and runs the chosen command.
pub fn main<S: Service>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map_or("serve", String::as_str);
    match command {
        "healthcheck" => healthcheck(S::DEFAULT_PORT),
        "serve" | "migrate" => {
            let _log = crate::telemetry::init(S::NAME);
            let config = match S::config(&Vars::from_env()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}: {e}", S::NAME);
                    return ExitCode::from(2);
                }
            };
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}: cannot start the runtime: {e}", S::NAME);
                    return ExitCode::FAILURE;
                }
            };
            let result = runtime.block_on(async {
                if command == "migrate" {
                    return S::migrate(config).await;
                }
                let port = S::port(&config);
                let listener = TcpListener::bind(("0.0.0.0", port))
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on port {port}: {e}"))?;
                let shutdown = CancellationToken::new();
                crate::server::cancel_on_signal(shutdown.clone());
                tracing::info!(service = S::NAME, port, "listening");
                S::run(config, listener, shutdown).await
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "{} stopped", S::NAME);
                    eprintln!("{}: {e:#}", S::NAME);
                    ExitCode::FAILURE
                }
            }
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("{}: unknown command {other:?}; {USAGE}", S::NAME);
            ExitCode::from(2)
        }
    }
}

/// For Docker's HEALTHCHECK: exit 0 when `GET /health/live` on this
/// container's port answers 200 within 3 s.
fn healthcheck(default_port: u16) -> ExitCode {
    let port = match Vars::from_env().port("PORT", default_port) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    let ok = runtime.block_on(async {
        let client = crate::client::http_client(Duration::from_secs(3));
        match client
            .get(format!("http://127.0.0.1:{port}/health/live"))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                eprintln!("unhealthy: /health/live answered {}", r.status());
                false
            }
            Err(e) => {
                eprintln!("unhealthy: {e}");
                false
            }
        }
    });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
