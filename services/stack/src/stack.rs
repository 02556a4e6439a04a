//! Starting, watching and stopping the whole stack.

use crate::binaries::{Binaries, Profile};
use crate::infra::{Postgres, Provision, Redis};
use crate::process::{ServiceProcess, free_port, wait_until_listening};
use crate::services::{Service, Wiring, secrets};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct Options {
    /// Debug or release binaries.
    pub profile: Profile,
    /// Take the binaries from the workspace's test build (see
    /// [`Binaries::build_as_workspace_tests`]); debug only.
    pub binaries_from_test_build: bool,
    /// The compose ports (3000…3010), or free ports picked at random
    /// (tests, several stacks at once).
    pub standard_ports: bool,
    /// PostgreSQL to reuse (`postgres` database of a trust-auth server).
    pub postgres_admin_url: String,
    /// Redis to reuse.
    pub redis_url: String,
    /// Reuse or start PostgreSQL.
    pub postgres: Provision,
    /// Reuse or start Redis; tests that stop Redis need their own.
    pub redis: Provision,
    /// Where logs, data and private servers live.
    pub run_dir: PathBuf,
    /// `RUST_LOG` of the services.
    pub log_level: String,
    /// Variables set on top of the compose-equivalent environment.
    pub overrides: Vec<(Service, String, String)>,
}

impl Options {
    /// Defaults for `run_dir`: the servers a developer runs, standard ports.
    pub fn local(run_dir: PathBuf) -> Self {
        Self {
            profile: Profile::Debug,
            binaries_from_test_build: false,
            standard_ports: true,
            postgres_admin_url: std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
            redis_url: std::env::var("TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned()),
            postgres: Provision::ReuseOrPrivate,
            redis: Provision::ReuseOrPrivate,
            run_dir,
            log_level: "info".to_owned(),
            overrides: Vec::new(),
        }
    }

    /// For tests: free ports and a private Redis.
    pub fn isolated(run_dir: PathBuf) -> Self {
        Self {
            standard_ports: false,
            binaries_from_test_build: true,
            redis: Provision::Private,
            ..Self::local(run_dir)
        }
    }
}

/// URLs of the fakes.
#[derive(Debug, Clone)]
pub struct Fakes {
    /// Shopify fake base (Admin API under `/shops/{shop}/admin/...`).
    pub shopify_url: String,
    /// SimplyPrint API host.
    pub simplyprint_api_url: String,
    /// SimplyPrint files host.
    pub simplyprint_files_url: String,
    /// Sendcloud fake base.
    pub sendcloud_url: String,
}

/// The running stack. Dropping it kills every process; [`Stack::stop`]
/// stops them gracefully and removes the run's database.
pub struct Stack {
    postgres: Postgres,
    redis: Redis,
    database: String,
    wiring: Wiring,
    fakes_process: ServiceProcess,
    fakes: Fakes,
    services: BTreeMap<Service, ServiceProcess>,
    run_dir: PathBuf,
    http: reqwest::Client,
}

const READY_TIMEOUT: Duration = Duration::from_secs(120);
const GRACE: Duration = Duration::from_secs(15);

impl Stack {
    /// Builds the binaries, provides PostgreSQL and Redis, starts the fakes
    /// and the six services, waits until each is ready (backends first,
    /// gateway last) and points the fakes' webhooks at the gateway.
    pub async fn start(options: Options) -> Result<Self> {
        std::fs::create_dir_all(&options.run_dir)
            .with_context(|| format!("cannot create {}", options.run_dir.display()))?;
        let binaries = {
            let profile = options.profile;
            let from_tests = options.binaries_from_test_build && profile == Profile::Debug;
            tokio::task::spawn_blocking(move || {
                if from_tests {
                    Binaries::build_as_workspace_tests()
                } else {
                    Binaries::build(profile)
                }
            })
            .await??
        };
        let postgres = Postgres::provide(
            &options.postgres_admin_url,
            options.postgres,
            &options.run_dir,
        )
        .await?;
        let redis = Redis::provide(&options.redis_url, options.redis, &options.run_dir).await?;
        let database = format!("gfc_stack_{}", uuid::Uuid::new_v4().simple());
        let database_url = postgres.create_database(&database).await?;

        let pick = |standard: u16| -> Result<u16> {
            if options.standard_ports {
                if crate::process::listening(standard) {
                    bail!(
                        "port {standard} is taken; stop what listens there or run the tests' isolated stack"
                    );
                }
                Ok(standard)
            } else {
                free_port()
            }
        };
        let fake_ports = FakePorts {
            shopify: pick(3100)?,
            simplyprint: pick(3101)?,
            simplyprint_files: pick(3102)?,
            sendcloud: pick(3103)?,
        };
        let mut fakes_process = ServiceProcess::new(
            "fakes",
            binaries.get("gridflock-fakes")?,
            fake_ports.environment(),
            fake_ports.shopify,
            &options.run_dir,
        );
        fakes_process.start()?;
        for port in fake_ports.all() {
            wait_until_listening(port, Duration::from_secs(20))
                .await
                .with_context(|| {
                    format!(
                        "the fakes did not start; see {}",
                        fakes_process.log().display()
                    )
                })?;
        }
        let fakes = fake_ports.urls();

        let mut ports = Vec::new();
        for service in Service::START_ORDER {
            ports.push((service, pick(service.standard_port())?));
        }
        let wiring = Wiring {
            database_url,
            redis_url: redis.url().to_owned(),
            stream_prefix: format!("stack-{}", uuid::Uuid::new_v4().simple()),
            ports,
            shopify_admin_url_template: format!("{}/shops/{{shop}}", fakes.shopify_url),
            simplyprint_api_url: fakes.simplyprint_api_url.clone(),
            simplyprint_files_url: fakes.simplyprint_files_url.clone(),
            sendcloud_api_url: format!("{}/api/v3", fakes.sendcloud_url),
            gridflock_data_dir: options.run_dir.join("gridflock-data"),
            slicer_work_dir: options.run_dir.join("slicer-work"),
            log_level: options.log_level.clone(),
        };
        std::fs::create_dir_all(&wiring.gridflock_data_dir)?;
        std::fs::create_dir_all(&wiring.slicer_work_dir)?;

        let mut stack = Self {
            postgres,
            redis,
            database,
            fakes_process,
            fakes,
            services: BTreeMap::new(),
            run_dir: options.run_dir.clone(),
            http: service_common::client::http_client(Duration::from_secs(30)),
            wiring,
        };
        for service in Service::START_ORDER {
            let mut env = stack.wiring.environment(service);
            for (_, name, value) in options.overrides.iter().filter(|o| o.0 == service) {
                env.retain(|(k, _)| k != name);
                env.push((name.clone(), value.clone()));
            }
            let process = ServiceProcess::new(
                service.name(),
                binaries.get(service.binary())?,
                env,
                stack.wiring.port(service),
                &stack.run_dir,
            );
            stack.services.insert(service, process);
        }
        // order-service and gridflock-service each count the other as a
        // readiness dependency, so all start before any is waited for.
        for process in stack.services.values_mut() {
            process.start()?;
        }
        let http = stack.http.clone();
        for service in Service::START_ORDER {
            if let Some(process) = stack.services.get_mut(&service) {
                process.wait_ready(&http, READY_TIMEOUT).await?;
            }
        }
        stack.register_webhooks().await?;
        Ok(stack)
    }

    /// The fakes send their webhooks to the gateway, as the real platforms
    /// would to the public host.
    async fn register_webhooks(&self) -> Result<()> {
        let gateway = self.url(Service::Gateway);
        let fakes = [
            (
                "SimplyPrint",
                &self.fakes.simplyprint_api_url,
                "simplyprint",
                secrets::SIMPLYPRINT_WEBHOOK_SECRET,
            ),
            (
                "Sendcloud",
                &self.fakes.sendcloud_url,
                "sendcloud",
                secrets::SENDCLOUD_WEBHOOK_SECRET,
            ),
        ];
        for (name, fake_url, path, secret) in fakes {
            let r = self
                .http
                .post(format!("{fake_url}/_control/webhook"))
                .json(&json!({
                    "url": format!("{gateway}/webhooks/{path}"),
                    "secret": secret,
                }))
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("the {name} fake refused the webhook: {}", r.status());
            }
        }
        Ok(())
    }

    /// `http://127.0.0.1:<port>` of `service`.
    pub fn url(&self, service: Service) -> String {
        self.wiring.url(service)
    }

    /// The fakes' URLs.
    pub fn fakes(&self) -> &Fakes {
        &self.fakes
    }

    /// Where the logs are.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The process of `service`.
    pub fn process(&self, service: Service) -> Result<&ServiceProcess> {
        self.services
            .get(&service)
            .with_context(|| format!("{} is not part of the stack", service.name()))
    }

    /// Starts `service` (again) and waits until it is ready.
    pub async fn start_service(&mut self, service: Service) -> Result<()> {
        let http = self.http.clone();
        let process = self
            .services
            .get_mut(&service)
            .with_context(|| format!("{} is not part of the stack", service.name()))?;
        process.start()?;
        process.wait_ready(&http, READY_TIMEOUT).await
    }

    /// Stops `service` as `docker stop` does (SIGTERM, then SIGKILL).
    pub async fn stop_service(&mut self, service: Service) {
        if let Some(p) = self.services.get_mut(&service) {
            p.stop(GRACE).await;
        }
    }

    /// Kills `service` (SIGKILL): a crash.
    pub async fn kill_service(&mut self, service: Service) {
        if let Some(p) = self.services.get_mut(&service) {
            p.kill().await;
        }
    }

    /// Stops the stack's private Redis (refused for a reused one).
    pub async fn stop_redis(&mut self) -> Result<()> {
        self.redis.stop().await
    }

    /// Starts the private Redis again, same port, same data.
    pub async fn start_redis(&mut self) -> Result<()> {
        self.redis.start().await
    }

    /// A connection to the stack's database (for assertions and reports).
    pub async fn database(&self) -> Result<sqlx::PgPool> {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.wiring.database_url)
            .await
            .context("cannot connect to the stack's database")
    }

    /// Stops every service (gateway first), the fakes, a private Redis and
    /// PostgreSQL, and drops the run's database.
    pub async fn stop(mut self) {
        for service in Service::START_ORDER.iter().rev() {
            self.stop_service(*service).await;
        }
        self.fakes_process.stop(GRACE).await;
        self.postgres.drop_database(&self.database).await;
        self.redis.shut_down().await;
        self.postgres.stop().await;
    }
}

struct FakePorts {
    shopify: u16,
    simplyprint: u16,
    simplyprint_files: u16,
    sendcloud: u16,
}

impl FakePorts {
    fn all(&self) -> [u16; 4] {
        [
            self.shopify,
            self.simplyprint,
            self.simplyprint_files,
            self.sendcloud,
        ]
    }

    fn environment(&self) -> Vec<(String, String)> {
        [
            ("FAKE_SHOPIFY_PORT", self.shopify.to_string()),
            ("FAKE_SIMPLYPRINT_PORT", self.simplyprint.to_string()),
            (
                "FAKE_SIMPLYPRINT_FILES_PORT",
                self.simplyprint_files.to_string(),
            ),
            ("FAKE_SENDCLOUD_PORT", self.sendcloud.to_string()),
            (
                "SIMPLYPRINT_COMPANY_ID",
                secrets::SIMPLYPRINT_COMPANY_ID.to_string(),
            ),
            (
                "SIMPLYPRINT_API_KEY",
                secrets::SIMPLYPRINT_API_KEY.to_owned(),
            ),
            (
                "SENDCLOUD_PUBLIC_KEY",
                secrets::SENDCLOUD_PUBLIC_KEY.to_owned(),
            ),
            (
                "SENDCLOUD_SECRET_KEY",
                secrets::SENDCLOUD_SECRET_KEY.to_owned(),
            ),
            ("RUST_LOG", "warn".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn urls(&self) -> Fakes {
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        Fakes {
            shopify_url: url(self.shopify),
            simplyprint_api_url: url(self.simplyprint),
            simplyprint_files_url: url(self.simplyprint_files),
            sendcloud_url: url(self.sendcloud),
        }
    }
}
