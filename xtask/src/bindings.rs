//! `cargo xtask bindings [golden] [py] [node] [wasm]`: builds the Python, Node
//! and WASM bindings and runs their test suites (all four parts when none is
//! named).
//!
//! It installs what it needs on a fresh Debian machine and skips what is
//! already there: a virtualenv with maturin, pytest, numpy and mypy (for
//! stubtest) under `target/bindings-venv`, the wasm32 target,
//! `wasm-bindgen-cli` 0.2.130 (only when `wasm-bindgen --version` differs),
//! Debian's `chromium`, and the npm packages of `gridflock-node/` and
//! `gridflock-wasm/` (`npm ci`).
//! Every binding checks the reference hashes in `bindings-golden.json`,
//! which `golden` first checks against the core.
//!
//! It owns no policy of the `ci` command; `ci` calls [`run`] with no parts:
//! `crate::bindings::run(&[])`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{Result, sh};

const WASM_BINDGEN_VERSION: &str = "0.2.130";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PARTS: &[&str] = &["golden", "py", "node", "wasm"];

/// One part of the run.
type Step = fn(&Env) -> Result;

/// Builds and tests the named parts (`golden`, `py`, `node`, `wasm`); all
/// when `parts` is empty (what `cargo xtask ci` runs).
pub(crate) fn run(parts: &[String]) -> Result {
    for p in parts {
        if !PARTS.contains(&p.as_str()) {
            return Err(format!(
                "unknown part {p:?}; expected some of {}",
                PARTS.join(", ")
            ));
        }
    }
    let wanted = |name: &str| parts.is_empty() || parts.iter().any(|p| p == name);
    let env = Env::new();
    let start = Instant::now();
    let mut timings = Vec::new();
    let steps: [(&str, Step); 4] = [
        ("golden", golden),
        ("py", python),
        ("node", node),
        ("wasm", wasm),
    ];
    for (name, step) in steps {
        if wanted(name) {
            let t = Instant::now();
            println!("\n==== bindings: {name} ====");
            step(&env).map_err(|e| format!("bindings {name}: {e}"))?;
            timings.push(format!("{name} {:.0} s", t.elapsed().as_secs_f64()));
        }
    }
    println!(
        "\nbindings: all passed in {:.0} s ({})",
        start.elapsed().as_secs_f64(),
        timings.join(", ")
    );
    Ok(())
}

struct Env {
    root: PathBuf,
    target: PathBuf,
    cargo: OsString,
}

impl Env {
    fn new() -> Env {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = here.parent().map_or(here.clone(), Path::to_path_buf);
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Env {
            root,
            target,
            cargo,
        }
    }

    fn cargo(&self) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>, dir: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.root.join(dir))
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    fn venv(&self) -> PathBuf {
        self.target.join("bindings-venv")
    }
}

/// Runs `cmd` quietly; its stdout when it exits 0.
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `bindings-golden.json` agrees with the core.
fn golden(env: &Env) -> Result {
    sh(env
        .cargo()
        .args(["test", "-p", "gridflock-bindings", "--quiet"]))
}

/// Python: venv, `maturin develop --release`, pytest.
fn python(env: &Env) -> Result {
    let venv = env.venv();
    let bin = venv.join("bin");
    if !bin.join("python").exists() {
        sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    let py = bin.join("python");
    let have_tools = bin.join("maturin").exists()
        && output(Command::new(&py).args(["-c", "import numpy, pytest, mypy"])).is_some();
    if !have_tools {
        sh(Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "maturin>=1.16,<2",
            "pytest",
            "numpy",
            "mypy",
        ]))?;
    }
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .map_err(|e| e.to_string())?;
    sh(env
        .cmd(bin.join("maturin"), "gridflock-py")
        .args(["develop", "--release", "--quiet"])
        .env("VIRTUAL_ENV", &venv)
        .env("PATH", &path))?;
    sh(env
        .cmd(&py, "gridflock-py")
        .args(["-m", "pytest", "-q", "tests"])
        .env("PATH", &path))
}

/// `npm ci` unless every listed package is already installed in `dir`.
fn npm_ci(env: &Env, dir: &str, packages: &[&str]) -> Result {
    let modules = env.root.join(dir).join("node_modules");
    if packages
        .iter()
        .all(|p| modules.join(p).join("package.json").exists())
    {
        return Ok(());
    }
    sh(env.cmd("npm", dir).args(["ci", "--no-audit", "--no-fund"]))
}

/// Node: `napi build`, the committed `index.d.ts` is current, node:test.
fn node(env: &Env) -> Result {
    npm_ci(env, "gridflock-node", &["@napi-rs/cli"])?;
    sh(env
        .cmd("npx", "gridflock-node")
        .args(["napi", "build", "--platform", "--release"]))?;
    let diff = Command::new("git")
        .current_dir(&env.root)
        .args([
            "diff",
            "--exit-code",
            "--stat",
            "--",
            "gridflock-node/index.d.ts",
            "gridflock-node/index.js",
        ])
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !diff.success() {
        return Err(
            "gridflock-node/index.d.ts or index.js differ from the generated ones: commit them"
                .into(),
        );
    }
    sh(env.cmd("node", "gridflock-node").arg("--test"))
}

/// Browser: wasm32 build, wasm-bindgen, three.js copy, Chromium test.
fn wasm(env: &Env) -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        sh(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    let want = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    if output(Command::new("wasm-bindgen").arg("--version")).as_deref() != Some(want.as_str()) {
        // Without --locked: the locked webpki-roots of 0.2.130 no longer resolves.
        sh(env.cargo().args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }
    sh(env.cargo().args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
        "-p",
        "gridflock-wasm",
    ]))?;
    let wasm_file = env
        .target
        .join(WASM_TARGET)
        .join("release")
        .join("gridflock_wasm.wasm");
    let web = env.root.join("gridflock-wasm").join("web");
    sh(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-dir"])
        .arg(web.join("pkg"))
        .arg(&wasm_file))?;
    npm_ci(env, "gridflock-wasm", &["three", "playwright-core"])?;
    let three = env.root.join("gridflock-wasm/node_modules/three");
    let vendor = web.join("vendor");
    for (from, to) in [
        ("build/three.module.js", "three.module.js"),
        ("build/three.core.js", "three.core.js"),
        (
            "examples/jsm/controls/OrbitControls.js",
            "addons/controls/OrbitControls.js",
        ),
    ] {
        let to = vendor.join(to);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::copy(three.join(from), &to)
            .map_err(|e| format!("copy three.js {from} to {}: {e}", to.display()))?;
    }
    if !Path::new("/usr/bin/chromium").exists()
        && sh(Command::new("apt-get").args(["install", "-y", "chromium"])).is_err()
    {
        sh(Command::new("apt-get").arg("update"))?;
        sh(Command::new("apt-get").args(["install", "-y", "chromium"]))?;
    }
    sh(env.cmd("node", "gridflock-wasm").args(["--test", "tests/"]))
}
