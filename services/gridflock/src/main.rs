//! `svc-gridflock [serve | migrate | healthcheck]`.

use service_common::cli::{self, Service};
use service_common::config::{ConfigError, Vars};
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct GridflockService;

impl Service for GridflockService {
    const NAME: &'static str = svc_gridflock::SERVICE;
    const DEFAULT_PORT: u16 = svc_gridflock::config::DEFAULT_PORT;
    type Config = svc_gridflock::Config;

    fn config(vars: &Vars) -> Result<Self::Config, ConfigError> {
        svc_gridflock::Config::from_vars(vars)
    }

    fn port(config: &Self::Config) -> u16 {
        config.common.port
    }

    async fn migrate(config: Self::Config) -> anyhow::Result<()> {
        svc_gridflock::migrate(config).await
    }

    async fn run(
        config: Self::Config,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        svc_gridflock::run(config, listener, shutdown).await
    }
}

fn main() -> ExitCode {
    cli::main::<GridflockService>()
}
