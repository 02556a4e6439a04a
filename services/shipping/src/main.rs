//! `svc-shipping [serve] | migrate | healthcheck`.

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use svc_shipping::Config;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct ShippingService;

impl Service for ShippingService {
    const NAME: &'static str = svc_shipping::config::SERVICE;
    const DEFAULT_PORT: u16 = svc_shipping::config::DEFAULT_PORT;
    type Config = Config;

    fn config(vars: &Vars) -> Result<Config, ConfigError> {
        Config::from_vars(vars)
    }

    fn port(config: &Config) -> u16 {
        config.common.port
    }

    async fn migrate(config: Config) -> anyhow::Result<()> {
        svc_shipping::migrate(config).await
    }

    async fn run(
        config: Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_shipping::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<ShippingService>()
}
