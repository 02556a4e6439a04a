//! `svc-slicer [serve | healthcheck]` (`migrate` is accepted and does nothing:
//! the service has no database).

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct SlicerService;

impl Service for SlicerService {
    const NAME: &'static str = svc_slicer::SERVICE;
    const DEFAULT_PORT: u16 = svc_slicer::config::DEFAULT_PORT;
    type Config = svc_slicer::Config;

    fn config(vars: &Vars) -> Result<Self::Config, ConfigError> {
        svc_slicer::Config::from_vars(vars)
    }

    fn port(config: &Self::Config) -> u16 {
        config.port
    }

    async fn migrate(_config: Self::Config) -> anyhow::Result<()> {
        tracing::info!("slicer-service has no database; nothing to migrate");
        Ok(())
    }

    async fn run(
        config: Self::Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_slicer::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<SlicerService>()
}
