//! `svc-order [serve | migrate | healthcheck]`.

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct OrderService;

impl Service for OrderService {
    const NAME: &'static str = svc_order::SERVICE;
    const DEFAULT_PORT: u16 = 3001;
    type Config = svc_order::Config;

    fn config(vars: &Vars) -> Result<Self::Config, ConfigError> {
        svc_order::Config::from_vars(vars)
    }

    fn port(config: &Self::Config) -> u16 {
        config.common.port
    }

    async fn migrate(config: Self::Config) -> anyhow::Result<()> {
        svc_order::migrate(config).await
    }

    async fn run(
        config: Self::Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_order::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<OrderService>()
}
