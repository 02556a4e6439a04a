//! PostgreSQL and Redis for the stack: running servers are reused, missing
//! ones are started as private instances in the run directory.
//!
//! A private Redis keeps its data in an append-only file that is synced on
//! every write, so stopping and starting it (the Redis outage drill) loses
//! no stream entry, as with a container restart on a volume.

use crate::process::{free_port, listening, signal, wait_until_listening};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// How to get a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provision {
    /// Use the one on the standard port when it answers; else start one.
    ReuseOrPrivate,
    /// Always start a private one (tests that stop it must own it).
    Private,
}

/// The PostgreSQL the stack uses, and the database it made for this run.
pub struct Postgres {
    admin_url: String,
    private: Option<Child>,
    data_dir: Option<PathBuf>,
}

impl Postgres {
    /// `admin_url` names the server to reuse (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
    pub async fn provide(admin_url: &str, how: Provision, dir: &Path) -> Result<Self> {
        if how == Provision::ReuseOrPrivate && answers(admin_url) {
            return Ok(Self {
                admin_url: admin_url.to_owned(),
                private: None,
                data_dir: None,
            });
        }
        Self::start_private(dir).await
    }

    async fn start_private(dir: &Path) -> Result<Self> {
        let initdb = postgres_tool("initdb")?;
        let postgres = postgres_tool("postgres")?;
        let data = dir.join("postgres");
        let socket_dir = dir.join("postgres-socket");
        std::fs::create_dir_all(&socket_dir)?;
        let status = Command::new(&initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync"])
            .stdout(Stdio::null())
            .status()
            .await
            .context("cannot run initdb")?;
        if !status.success() {
            bail!(
                "initdb failed ({status}); PostgreSQL refuses to run as root, start the system server instead"
            );
        }
        let port = free_port()?;
        let log = std::fs::File::create(dir.join("postgres.log"))?;
        let child = Command::new(&postgres)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(&socket_dir)
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start postgres")?;
        wait_until_listening(port, Duration::from_secs(30))
            .await
            .context("the private PostgreSQL did not start")?;
        Ok(Self {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            private: Some(child),
            data_dir: Some(data),
        })
    }

    /// Creates an empty database and returns its URL.
    pub async fn create_database(&self, name: &str) -> Result<String> {
        let pool = sqlx::PgPool::connect(&self.admin_url)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", self.admin_url))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        pool.close().await;
        let mut url = url::Url::parse(&self.admin_url)?;
        url.set_path(name);
        Ok(url.to_string())
    }

    /// Drops a database made by [`Postgres::create_database`], connections and all.
    pub async fn drop_database(&self, name: &str) {
        if let Ok(pool) = sqlx::PgPool::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }

    /// Stops a private server (a reused one is left alone).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.private.take() {
            if let Some(pid) = child.id() {
                // SIGINT is PostgreSQL's "fast" shutdown.
                signal("INT", pid);
            }
            let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
            let _ = child.kill().await;
        }
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Whether a server listens on the loopback port of `url`.
fn answers(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.port())
        .is_some_and(listening)
}

/// A PostgreSQL server program: on PATH, or in Debian's versioned directory.
fn postgres_tool(name: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
    {
        return Ok(path);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .map(|v| v.join("bin").join(name))
        .find(|p| p.is_file())
        .with_context(|| {
            format!("{name} not found; install PostgreSQL (apt-get install postgresql)")
        })
}

/// The Redis the stack uses.
pub struct Redis {
    url: String,
    private: Option<PrivateRedis>,
}

struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    /// `url` names the server to reuse (e.g. `redis://127.0.0.1:6379/`).
    pub async fn provide(url: &str, how: Provision, dir: &Path) -> Result<Self> {
        if how == Provision::ReuseOrPrivate && answers(url) {
            return Ok(Self {
                url: url.to_owned(),
                private: None,
            });
        }
        let dir = dir.join("redis");
        std::fs::create_dir_all(&dir)?;
        let mut private = PrivateRedis {
            port: free_port()?,
            dir,
            child: None,
        };
        private.start().await?;
        Ok(Self {
            url: format!("redis://127.0.0.1:{}/", private.port),
            private: Some(private),
        })
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Shuts a private server down (its data stays on disk).
    pub async fn stop(&mut self) -> Result<()> {
        let private = self
            .private
            .as_mut()
            .context("the stack reuses a Redis it does not own; it will not stop it")?;
        private.stop().await;
        Ok(())
    }

    /// Starts a stopped private server again on the same port and data.
    pub async fn start(&mut self) -> Result<()> {
        let private = self
            .private
            .as_mut()
            .context("the stack reuses a Redis it does not own")?;
        private.start().await
    }

    /// Stops a private server for good and removes its data.
    pub async fn shut_down(&mut self) {
        if let Some(mut private) = self.private.take() {
            private.stop().await;
            let _ = std::fs::remove_dir_all(&private.dir);
        }
    }
}

impl PrivateRedis {
    async fn start(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))?;
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start redis-server; install it (apt-get install redis-server)")?;
        self.child = Some(child);
        wait_until_listening(self.port, Duration::from_secs(15))
            .await
            .context("the private Redis did not start")
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                signal("TERM", pid);
            }
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            let _ = child.kill().await;
        }
    }
}
