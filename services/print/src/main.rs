//! `svc-print [serve] | migrate | healthcheck`.

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use svc_print::Config;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct PrintService;

impl Service for PrintService {
    const NAME: &'static str = svc_print::config::SERVICE;
    const DEFAULT_PORT: u16 = svc_print::config::DEFAULT_PORT;
    type Config = Config;

    fn config(vars: &Vars) -> Result<Config, ConfigError> {
        Config::from_vars(vars)
    }

    fn port(config: &Config) -> u16 {
        config.common.port
    }

    async fn migrate(config: Config) -> anyhow::Result<()> {
        svc_print::migrate(config).await
    }

    async fn run(
        config: Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_print::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<PrintService>()
}
