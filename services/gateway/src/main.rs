//! `svc-gateway [serve | migrate | healthcheck]`.

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct Gateway;

impl Service for Gateway {
    const NAME: &'static str = svc_gateway::SERVICE;
    const DEFAULT_PORT: u16 = 3000;
    type Config = svc_gateway::Config;

    fn config(vars: &Vars) -> Result<Self::Config, ConfigError> {
        svc_gateway::Config::from_vars(vars)
    }

    fn port(config: &Self::Config) -> u16 {
        config.common.port
    }

    async fn migrate(config: Self::Config) -> anyhow::Result<()> {
        svc_gateway::migrate(config).await
    }

    async fn run(
        config: Self::Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_gateway::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<Gateway>()
}
