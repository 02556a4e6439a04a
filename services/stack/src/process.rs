//! One service as a child process: started with its environment, logs in a
//! file, stopped with SIGTERM like a container, or killed.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A process the stack started and can stop, kill and start again.
pub struct ServiceProcess {
    name: String,
    program: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl ServiceProcess {
    /// A process description; nothing runs until [`ServiceProcess::start`].
    pub fn new(
        name: &str,
        program: &Path,
        env: Vec<(String, String)>,
        port: u16,
        log_dir: &Path,
    ) -> Self {
        Self {
            name: name.to_owned(),
            program: program.to_path_buf(),
            env,
            log: log_dir.join(format!("{name}.log")),
            port,
            child: None,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its log file (stdout and stderr, appended across restarts).
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Starts it (the environment is exactly [`ServiceProcess::env`] plus PATH and HOME).
    pub fn start(&mut self) -> Result<()> {
        if self.child.is_some() {
            bail!("{} is already running", self.name);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let mut cmd = Command::new(&self.program);
        cmd.env_clear()
            .envs(inherited())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        self.child = Some(
            cmd.spawn()
                .with_context(|| format!("cannot start {}", self.program.display()))?,
        );
        Ok(())
    }

    /// Waits until `GET /health/ready` answers 200, failing early when the
    /// process exits (its log says why).
    pub async fn wait_ready(&mut self, http: &reqwest::Client, timeout: Duration) -> Result<()> {
        let url = format!("{}/health/ready", self.url());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                bail!(
                    "{} exited ({status}) before it was ready; see {}",
                    self.name,
                    self.log.display()
                );
            }
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} was not ready within {timeout:?}; see {}",
                    self.name,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, as `docker stop` sends, then SIGKILL after `grace`.
    pub async fn stop(&mut self, grace: Duration) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                signal("TERM", pid);
            }
            if tokio::time::timeout(grace, child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }

    /// SIGKILL: a crash, with no chance to finish anything.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

/// Resident memory of a process in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// What a child keeps from this process's environment: enough to find
/// programs (the slicer) and a home directory, nothing that could change a
/// service's configuration behind the stack's back.
fn inherited() -> Vec<(String, String)> {
    ["PATH", "HOME", "TMPDIR", "LANG"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_owned(), v)))
        .collect()
}

/// Sends a signal by name; the workspace forbids `unsafe`, so `kill(1)`.
pub fn signal(name: &str, pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A port nothing listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

/// Waits until 127.0.0.1:`port` accepts connections.
pub async fn wait_until_listening(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !listening(port) {
        if Instant::now() > deadline {
            bail!("nothing listens on port {port} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
