//! `cargo xtask affected` on throw-away git repositories: a small Cargo
//! workspace with the project's dependency shape (core → bindings → wasm;
//! services on a shared `service-common`; order and gridflock also on the
//! core; tests of gateway and shipping depending on other services), one
//! commit per scenario, and the real binary reading it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod deployment_tools;

use deployment_tools::{IMAGES, tool};

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    base: String,
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create fixture directory");
    }
    std::fs::write(&path, text).expect("write fixture file");
}

fn manifest(name: &str, deps: &[(&str, &str)], dev: &[(&str, &str)]) -> String {
    let mut text = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.2.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n"
    );
    for (dep, path) in deps {
        text.push_str(&format!("{dep} = {{ path = \"{path}\" }}\n"));
    }
    text.push_str("\n[dev-dependencies]\n");
    for (dep, path) in dev {
        text.push_str(&format!("{dep} = {{ path = \"{path}\" }}\n"));
    }
    text
}

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "user.name=Fixture",
            "-c",
            "user.email=fixture@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Fixture {
    fn new() -> Self {
        // A missing git fails the test with an install hint, never skips it.
        tool("git", "apt-get install -y git");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        write(
            &root,
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nexclude = [\"vendor\"]\nmembers = [\"gridflock-core\", \"gridflock-bindings\", \"gridflock-wasm\", \"services/*\"]\n",
        );
        let lib = "pub fn f() {}\n";
        let bin = "fn main() {}\n";
        let services = [
            (
                "gateway",
                vec![("service-common", "../common")],
                vec![("svc-order", "../order"), ("svc-print", "../print")],
            ),
            (
                "order",
                vec![
                    ("service-common", "../common"),
                    ("gridflock-core", "../../gridflock-core"),
                ],
                vec![],
            ),
            (
                "print",
                vec![
                    ("service-common", "../common"),
                    ("checksum", "../../vendor/checksum"),
                ],
                vec![],
            ),
            (
                "shipping",
                vec![("service-common", "../common")],
                vec![("svc-order", "../order")],
            ),
            (
                "gridflock",
                vec![
                    ("service-common", "../common"),
                    ("gridflock-core", "../../gridflock-core"),
                ],
                vec![],
            ),
            ("slicer", vec![("service-common", "../common")], vec![]),
        ];
        write(
            &root,
            "gridflock-core/Cargo.toml",
            &manifest("gridflock-core", &[], &[]),
        );
        write(&root, "gridflock-core/src/lib.rs", lib);
        write(
            &root,
            "gridflock-bindings/Cargo.toml",
            &manifest(
                "gridflock-bindings",
                &[("gridflock-core", "../gridflock-core")],
                &[],
            ),
        );
        write(&root, "gridflock-bindings/src/lib.rs", lib);
        write(
            &root,
            "gridflock-wasm/Cargo.toml",
            &manifest(
                "gridflock-wasm",
                &[("gridflock-bindings", "../gridflock-bindings")],
                &[],
            ),
        );
        write(&root, "gridflock-wasm/src/lib.rs", lib);
        write(&root, "gridflock-wasm/web/index.html", "<!doctype html>\n");
        write(
            &root,
            "services/common/Cargo.toml",
            &manifest("service-common", &[], &[]),
        );
        write(&root, "services/common/src/lib.rs", lib);
        for (name, deps, dev) in &services {
            let dir = format!("services/{name}");
            write(
                &root,
                &format!("{dir}/Cargo.toml"),
                &manifest(&format!("svc-{name}"), deps, dev),
            );
            write(&root, &format!("{dir}/src/main.rs"), bin);
            write(&root, &format!("{dir}/src/lib.rs"), lib);
            write(&root, &format!("{dir}/Dockerfile"), "FROM scratch\n");
            write(&root, &format!("{dir}/README.md"), "# service\n");
        }
        write(
            &root,
            "vendor/checksum/Cargo.toml",
            &manifest("checksum", &[], &[]),
        );
        write(&root, "vendor/checksum/src/lib.rs", lib);
        write(&root, "deployment/slicer/Dockerfile", "FROM scratch\n");
        write(&root, "deployment/web/Dockerfile", "FROM scratch\n");
        write(&root, "deployment/web/httpd.conf", "\n");
        write(&root, "deployment/docs/Dockerfile", "FROM scratch\n");
        write(&root, "deployment/staging/deploy.sh", "#!/bin/sh\n");
        write(&root, "docs/guide.md", "# guide\n");
        write(&root, "README.md", "# fixture\n");
        write(&root, ".ci/run", "#!/bin/sh\n");
        let lock = Command::new(cargo())
            .current_dir(&root)
            .args(["generate-lockfile", "--offline"])
            .output()
            .expect("run cargo generate-lockfile");
        assert!(
            lock.status.success(),
            "cargo generate-lockfile: {}",
            String::from_utf8_lossy(&lock.stderr)
        );
        git(&root, &["init", "--quiet", "--initial-branch=main"]);
        git(&root, &["add", "."]);
        git(&root, &["commit", "--quiet", "-m", "base"]);
        let base = git(&root, &["rev-parse", "HEAD"]);
        Self {
            _dir: dir,
            root,
            base,
        }
    }

    /// Commits `edits` (path → new content) on top of the current head.
    fn commit(&self, edits: &[(&str, &str)]) {
        for (path, text) in edits {
            write(&self.root, path, text);
        }
        git(&self.root, &["add", "."]);
        git(&self.root, &["commit", "--quiet", "-m", "change"]);
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).expect("read fixture file")
    }

    /// Runs `xtask affected` and returns the output variables by name.
    fn affected(&self, extra: &[&str]) -> BTreeMap<String, bool> {
        let json = self.root.join("affected.json");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.arg("affected")
            .arg("--repo")
            .arg(&self.root)
            .arg("--json")
            .arg(&json);
        if !extra.contains(&"--force") || extra.contains(&"--base") {
            cmd.args(["--base", &self.base, "--head", "HEAD"]);
        }
        let out = cmd.args(extra).output().expect("run xtask affected");
        assert!(
            out.status.success(),
            "xtask affected failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut vars = BTreeMap::new();
        for line in stdout.lines() {
            let rest = line
                .strip_prefix("##vso[task.setvariable variable=")
                .unwrap_or_else(|| panic!("not an output variable: {line}"));
            let (name, value) = rest
                .split_once(";isOutput=true]")
                .unwrap_or_else(|| panic!("not an output variable: {line}"));
            let value = match value {
                "true" => true,
                "false" => false,
                other => panic!("{name} = {other}"),
            };
            vars.insert(name.to_owned(), value);
        }
        // The JSON tells the same story as the variables.
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("read JSON report"))
                .expect("parse JSON report");
        for image in IMAGES {
            assert_eq!(
                report["images"][image]["affected"].as_bool(),
                vars.get(&format!("{image}Affected")).copied(),
                "{image} in JSON vs variables"
            );
        }
        assert_eq!(
            report["deploy"]["affected"].as_bool(),
            vars.get("deployAffected").copied()
        );
        vars
    }
}

/// Asserts exactly `images` are affected, and the deploy flag.
fn expect(vars: &BTreeMap<String, bool>, images: &[&str], deploy: bool) {
    let got: Vec<&str> = IMAGES
        .iter()
        .copied()
        .filter(|i| vars.get(&format!("{i}Affected")) == Some(&true))
        .collect();
    assert_eq!(got, images, "affected images");
    for image in IMAGES {
        assert!(
            vars.contains_key(&format!("{image}Affected")),
            "no variable for {image}"
        );
    }
    assert_eq!(vars.get("deployAffected"), Some(&deploy), "deployAffected");
}

/// The one place the scenarios go through: a fresh fixture, one commit of
/// `edits`, and exactly `images` (plus the deploy flag) expected.
fn check(edits: &[(&str, &str)], images: &[&str], deploy: bool) {
    let f = Fixture::new();
    f.commit(edits);
    expect(&f.affected(&[]), images, deploy);
}

#[test]
fn core_change_marks_its_dependents_through_the_graph() {
    check(
        &[("gridflock-core/src/lib.rs", "pub fn g() {}\n")],
        &["order", "gridflock", "web"],
        true,
    );
}

#[test]
fn common_change_marks_every_service() {
    check(
        &[("services/common/src/lib.rs", "pub fn g() {}\n")],
        &[
            "gateway",
            "order",
            "print",
            "shipping",
            "gridflock",
            "slicer",
        ],
        true,
    );
}

#[test]
fn dev_dependencies_do_not_reach_an_image() {
    // The gateway's and shipping's tests run order-service; their images do not contain it.
    check(
        &[("services/order/src/lib.rs", "pub fn g() {}\n")],
        &["order"],
        true,
    );
}

#[test]
fn slicer_deployment_folder_marks_slicer() {
    check(
        &[("deployment/slicer/Dockerfile", "FROM scratch\nUSER 1001\n")],
        &["slicer"],
        true,
    );
}

#[test]
fn service_dockerfile_marks_its_image() {
    check(
        &[("services/gateway/Dockerfile", "FROM scratch\nUSER 1001\n")],
        &["gateway"],
        true,
    );
}

#[test]
fn wasm_web_folder_and_web_dockerfile_mark_web() {
    check(
        &[("gridflock-wasm/web/index.html", "<!doctype html><p>\n")],
        &["web"],
        true,
    );
    check(
        &[("deployment/web/Dockerfile", "FROM scratch\nUSER 1001\n")],
        &["web"],
        true,
    );
    // The docs image serves its pages with the web image's httpd.conf.
    check(
        &[("deployment/web/httpd.conf", "# changed\n")],
        &["web", "docs"],
        true,
    );
}

#[test]
fn docs_and_markdown_mark_docs() {
    check(&[("docs/guide.md", "# guide\n\nmore\n")], &["docs"], true);
    check(
        &[("deployment/docs/render.sh", "#!/bin/sh\n")],
        &["docs"],
        true,
    );
    // A README inside a package is in that package's directory as well.
    check(
        &[("services/print/README.md", "# print\n")],
        &["print", "docs"],
        true,
    );
}

#[test]
fn staging_files_redeploy_without_building() {
    check(
        &[("deployment/staging/deploy.sh", "#!/bin/sh\nexit 0\n")],
        &[],
        true,
    );
}

#[test]
fn unrelated_files_mark_nothing() {
    check(&[(".ci/run", "#!/bin/sh\ntrue\n")], &[], false);
}

#[test]
fn root_manifest_marks_every_rust_image() {
    let f = Fixture::new();
    let manifest = f.read("Cargo.toml") + "\n[profile.release]\nlto = true\n";
    f.commit(&[("Cargo.toml", &manifest)]);
    expect(
        &f.affected(&[]),
        &[
            "gateway",
            "order",
            "print",
            "shipping",
            "gridflock",
            "slicer",
            "web",
        ],
        true,
    );
}

#[test]
fn lock_changes_are_judged_per_package() {
    // Only Cargo.lock differs between base and head: `checksum` moved from
    // 0.1.0 to 0.2.0, and only print-service links it.
    let f = Fixture::new();
    let head_lock = f.read("Cargo.lock");
    let old = "name = \"checksum\"\nversion = \"0.2.0\"";
    assert!(head_lock.contains(old), "fixture lock file:\n{head_lock}");
    let base_lock = head_lock.replace(old, "name = \"checksum\"\nversion = \"0.1.0\"");
    f.commit(&[("Cargo.lock", &base_lock)]);
    let base = git(&f.root, &["rev-parse", "HEAD"]);
    f.commit(&[("Cargo.lock", &head_lock)]);
    let vars = f.affected(&["--base", &base]);
    expect(&vars, &["print"], true);
}

#[test]
fn head_other_than_the_work_tree_is_read_from_its_own_checkout() {
    // The work tree moves on past --head; the answer is about --head.
    let f = Fixture::new();
    f.commit(&[("services/print/src/lib.rs", "pub fn g() {}\n")]);
    let head = git(&f.root, &["rev-parse", "HEAD"]);
    f.commit(&[("gridflock-core/src/lib.rs", "pub fn g() {}\n")]);
    expect(&f.affected(&["--head", &head]), &["print"], true);
    let worktrees = git(&f.root, &["worktree", "list"]);
    assert_eq!(worktrees.lines().count(), 1, "left behind:\n{worktrees}");
}

#[test]
fn force_marks_everything() {
    let f = Fixture::new();
    f.commit(&[(".ci/run", "#!/bin/sh\ntrue\n")]);
    expect(&f.affected(&["--force"]), &IMAGES, true);
    // ForceFullVersioningAndDeployment needs no history at all.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["affected", "--force"])
        .output()
        .expect("run xtask affected --force");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.ends_with("]true")).count(),
        IMAGES.len() + 1
    );
}

#[test]
fn unknown_revision_is_an_error() {
    let f = Fixture::new();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("affected")
        .arg("--repo")
        .arg(&f.root)
        .args([
            "--base",
            "0000000000000000000000000000000000000000",
            "--head",
            "HEAD",
        ])
        .output()
        .expect("run xtask affected");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a commit"));
}
