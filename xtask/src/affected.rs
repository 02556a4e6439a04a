//! `cargo xtask affected`: which container images a change between two
//! commits touches, so that the pipeline builds, signs and deploys only those.
//!
//! Rust images follow the Cargo dependency graph: an image is affected when a
//! file of a package in its binary's dependency closure changed, or when
//! `Cargo.lock` records a different entry for a package in that closure. Parts
//! Cargo knows nothing about (Dockerfiles, the preview page, the docs, the
//! staging files) follow the path rules in [`PATH_RULES`]. The result goes out
//! as Azure Pipelines output variables (`<image>Affected`, `deployAffected`)
//! and optionally as JSON.

use crate::util::{Result, root};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every image the pipeline packages, in packaging order.
pub(crate) const IMAGES: &[&str] = &[
    "gateway",
    "order",
    "print",
    "shipping",
    "gridflock",
    "slicer",
    "web",
    "docs",
];

/// What an image is built from in the Cargo graph.
#[derive(Clone, Copy)]
enum Root {
    /// The package that owns this binary target.
    Binary(&'static str),
    /// This package (the web image ships a library compiled to wasm32).
    Package(&'static str),
}

/// The Cargo root of each image; images without one (docs) follow path rules only.
fn cargo_root(image: &str) -> Option<Root> {
    match image {
        "gateway" => Some(Root::Binary("svc-gateway")),
        "order" => Some(Root::Binary("svc-order")),
        "print" => Some(Root::Binary("svc-print")),
        "shipping" => Some(Root::Binary("svc-shipping")),
        "gridflock" => Some(Root::Binary("svc-gridflock")),
        "slicer" => Some(Root::Binary("svc-slicer")),
        "web" => Some(Root::Package("gridflock-wasm")),
        _ => None,
    }
}

/// What a path rule marks.
#[derive(Clone, Copy)]
enum Hit {
    Images(&'static [&'static str]),
    /// Every image built from the Cargo workspace.
    CargoImages,
    /// Every image (the shared build context).
    AllImages,
    /// Nothing is rebuilt, but staging must be redeployed.
    DeployOnly,
}

/// How a rule matches a path (relative to the repository root, `/`-separated).
#[derive(Clone, Copy)]
enum Pattern {
    Exact(&'static str),
    Prefix(&'static str),
    Suffix(&'static str),
}

/// Rules for files outside Cargo's view, or whose effect reaches beyond their
/// package. Every matching rule applies, on top of the package rule (which
/// already maps `services/<name>/Dockerfile` to its image: the file lies in
/// the service's package directory).
const PATH_RULES: &[(Pattern, Hit)] = &[
    (
        Pattern::Prefix("deployment/slicer/"),
        Hit::Images(&["slicer"]),
    ),
    // The docs image serves its pages with the web image's httpd.conf.
    (
        Pattern::Exact("deployment/web/httpd.conf"),
        Hit::Images(&["web", "docs"]),
    ),
    (Pattern::Prefix("deployment/web/"), Hit::Images(&["web"])),
    (Pattern::Prefix("deployment/docs/"), Hit::Images(&["docs"])),
    (Pattern::Prefix("docs/"), Hit::Images(&["docs"])),
    (Pattern::Suffix(".md"), Hit::Images(&["docs"])),
    (Pattern::Prefix("deployment/staging/"), Hit::DeployOnly),
    // Profiles and workspace-wide settings change every Rust binary;
    // dependency versions are judged per package through Cargo.lock instead.
    (Pattern::Exact("Cargo.toml"), Hit::CargoImages),
    (Pattern::Prefix(".cargo/"), Hit::CargoImages),
    // What enters the build context of every image.
    (Pattern::Exact(".dockerignore"), Hit::AllImages),
];

impl Pattern {
    fn matches(self, path: &str) -> bool {
        match self {
            Pattern::Exact(p) => path == p,
            Pattern::Prefix(p) => path.starts_with(p),
            Pattern::Suffix(s) => path.ends_with(s),
        }
    }
}

/// The verdict for one image or for the deployment.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) affected: bool,
    /// Why, one line per cause (empty when not affected).
    pub(crate) reasons: Vec<String>,
}

impl Verdict {
    fn mark(&mut self, reason: String) {
        self.affected = true;
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// The whole answer, as written to JSON.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) base: Option<String>,
    pub(crate) head: Option<String>,
    pub(crate) forced: bool,
    pub(crate) images: BTreeMap<String, Verdict>,
    pub(crate) deploy: Verdict,
}

impl Report {
    fn empty(base: Option<String>, head: Option<String>, forced: bool) -> Self {
        Self {
            base,
            head,
            forced,
            images: IMAGES
                .iter()
                .map(|i| ((*i).to_owned(), Verdict::default()))
                .collect(),
            deploy: Verdict::default(),
        }
    }

    fn mark(&mut self, image: &str, reason: String) {
        if let Some(v) = self.images.get_mut(image) {
            v.mark(reason);
        }
    }

    /// Azure Pipelines output variables, one per image plus `deployAffected`.
    pub(crate) fn azure_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = IMAGES
            .iter()
            .map(|image| {
                let affected = self.images.get(*image).is_some_and(|v| v.affected);
                format!("##vso[task.setvariable variable={image}Affected;isOutput=true]{affected}")
            })
            .collect();
        lines.push(format!(
            "##vso[task.setvariable variable=deployAffected;isOutput=true]{}",
            self.deploy.affected
        ));
        lines
    }
}

// ---- cargo metadata -------------------------------------------------------

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    resolve: Option<Resolve>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    id: String,
    name: String,
    manifest_path: PathBuf,
    source: Option<String>,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The part of the Cargo graph the rules need.
pub(crate) struct Graph {
    /// Local packages: directory relative to the repository root → package name.
    dirs: Vec<(String, String)>,
    /// Image → names of every package in its build closure (dev-dependencies
    /// never reach an image, so they are left out).
    closures: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Graph {
    pub(crate) fn from_metadata(json: &str) -> Result<Self> {
        let meta: Metadata = serde_json::from_str(json)
            .map_err(|e| format!("cannot parse `cargo metadata` output: {e}"))?;
        let resolve = meta
            .resolve
            .ok_or("`cargo metadata` gave no dependency graph (was --no-deps passed?)")?;
        let name_of: BTreeMap<&str, &str> = meta
            .packages
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str()))
            .collect();
        let edges: BTreeMap<&str, Vec<&str>> = resolve
            .nodes
            .iter()
            .map(|n| {
                let deps = n
                    .deps
                    .iter()
                    .filter(|d| {
                        d.dep_kinds.is_empty()
                            || d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev"))
                    })
                    .map(|d| d.pkg.as_str())
                    .collect();
                (n.id.as_str(), deps)
            })
            .collect();

        let mut dirs = Vec::new();
        for p in meta.packages.iter().filter(|p| p.source.is_none()) {
            let Some(dir) = p.manifest_path.parent() else {
                continue;
            };
            // Path dependencies outside the repository cannot show up in its diff.
            if let Ok(rel) = dir.strip_prefix(&meta.workspace_root) {
                dirs.push((slash_path(rel), p.name.clone()));
            }
        }
        // Longest first, so a nested package wins over its parent directory.
        dirs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));

        let mut closures = BTreeMap::new();
        for image in IMAGES {
            let Some(root) = cargo_root(image) else {
                continue;
            };
            let start = meta
                .packages
                .iter()
                .find(|p| match root {
                    Root::Binary(bin) => p
                        .targets
                        .iter()
                        .any(|t| t.name == bin && t.kind.iter().any(|k| k == "bin")),
                    Root::Package(name) => p.name == name && p.source.is_none(),
                })
                .ok_or_else(|| {
                    let what = match root {
                        Root::Binary(bin) => format!("binary `{bin}`"),
                        Root::Package(name) => format!("package `{name}`"),
                    };
                    format!(
                        "image `{image}`: no {what} in the workspace (update xtask/src/affected.rs)"
                    )
                })?;
            let mut seen = BTreeSet::new();
            let mut todo = vec![start.id.as_str()];
            while let Some(id) = todo.pop() {
                if !seen.insert(id) {
                    continue;
                }
                todo.extend(edges.get(id).into_iter().flatten().copied());
            }
            let names = seen
                .into_iter()
                .filter_map(|id| name_of.get(id).map(|n| (*n).to_owned()))
                .collect();
            closures.insert(*image, names);
        }
        Ok(Self { dirs, closures })
    }

    /// The local package a repository path belongs to, if any.
    fn package_of(&self, path: &str) -> Option<&str> {
        self.dirs
            .iter()
            .find(|(dir, _)| dir.is_empty() || path.starts_with(&format!("{dir}/")))
            .map(|(_, name)| name.as_str())
    }
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

// ---- Cargo.lock ------------------------------------------------------------

/// `[[package]]` entries of a lock file, by package name; each entry is its
/// normalised text, so any difference in version, source, checksum or
/// dependency list counts as a change.
fn lock_entries(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut flush = |entry: &mut Vec<String>| {
        let name = entry.iter().find_map(|l| {
            l.strip_prefix("name = ")
                .map(|v| v.trim_matches('"').to_owned())
        });
        if let Some(name) = name {
            out.entry(name).or_default().push(entry.join("\n"));
        }
        entry.clear();
    };
    let mut entry: Vec<String> = Vec::new();
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && !line.starts_with("[[package]]") && in_package {
            // A table header ends the entry; array lines inside an entry start with `"`.
            flush(&mut entry);
            in_package = false;
        }
        if line == "[[package]]" {
            flush(&mut entry);
            in_package = true;
            continue;
        }
        if in_package && !line.is_empty() && !line.starts_with('#') {
            entry.push(line.to_owned());
        }
    }
    flush(&mut entry);
    for entries in out.values_mut() {
        entries.sort();
    }
    out
}

/// Names of the packages whose lock entries differ between the two lock files.
pub(crate) fn changed_locked_packages(base: &str, head: &str) -> BTreeSet<String> {
    let (base, head) = (lock_entries(base), lock_entries(head));
    base.keys()
        .chain(head.keys())
        .filter(|name| base.get(*name) != head.get(*name))
        .cloned()
        .collect()
}

// ---- the rules -------------------------------------------------------------

/// Applies every rule to the changed files. `locked` holds the packages
/// whose `Cargo.lock` entries changed (empty when the lock file did not).
pub(crate) fn decide(
    graph: &Graph,
    changed: &[String],
    locked: &BTreeSet<String>,
    report: &mut Report,
) {
    let cargo_images: Vec<&str> = graph.closures.keys().copied().collect();
    for path in changed {
        if path == "Cargo.lock" {
            continue;
        }
        if let Some(package) = graph.package_of(path) {
            for (image, closure) in &graph.closures {
                if closure.contains(package) {
                    report.mark(image, format!("{path} (package {package})"));
                }
            }
        }
        for (pattern, hit) in PATH_RULES {
            if !pattern.matches(path) {
                continue;
            }
            match hit {
                Hit::Images(images) => {
                    for image in *images {
                        report.mark(image, path.clone());
                    }
                }
                Hit::CargoImages => {
                    for image in &cargo_images {
                        report.mark(image, path.clone());
                    }
                }
                Hit::AllImages => {
                    for image in IMAGES {
                        report.mark(image, path.clone());
                    }
                }
                Hit::DeployOnly => report.deploy.mark(path.clone()),
            }
        }
    }
    for package in locked {
        for (image, closure) in &graph.closures {
            if closure.contains(package) {
                report.mark(image, format!("Cargo.lock: {package}"));
            }
        }
    }
    let affected: Vec<String> = report
        .images
        .iter()
        .filter(|(_, v)| v.affected)
        .map(|(name, _)| format!("image {name}"))
        .collect();
    for reason in affected {
        report.deploy.mark(reason);
    }
}

/// Everything marked, for `--force` (the pipeline's
/// `ForceFullVersioningAndDeployment`).
fn force(report: &mut Report) {
    let reason = "forced (ForceFullVersioningAndDeployment)".to_owned();
    for v in report.images.values_mut() {
        v.mark(reason.clone());
    }
    report.deploy.mark(reason);
}

// ---- git and cargo ---------------------------------------------------------

fn run(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{shown}: output is not UTF-8: {e}"))
}

fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(repo);
    cmd
}

fn rev_parse(repo: &Path, rev: &str) -> Result<String> {
    run(git(repo).args([
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ]))
    .map(|s| s.trim().to_owned())
    .map_err(|_| format!("`{rev}` is not a commit in {}", repo.display()))
}

/// The file at `rev`, or `None` when it does not exist there.
fn show(repo: &Path, rev: &str, path: &str) -> Option<String> {
    run(git(repo).args(["show", &format!("{rev}:{path}")])).ok()
}

/// A detached checkout of one commit under the temp directory, for reading
/// its Cargo manifests; removed again on drop.
struct Checkout {
    repo: PathBuf,
    dir: PathBuf,
}

impl Checkout {
    fn new(repo: &Path, commit: &str) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("xtask-affected-{}-{nanos}", std::process::id()));
        run(git(repo)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&dir)
            .arg(commit))?;
        Ok(Self {
            repo: repo.to_path_buf(),
            dir,
        })
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let _ = run(git(&self.repo)
            .args(["worktree", "remove", "--force"])
            .arg(&self.dir));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the whole detection on the repository at `repo`. Cargo reads the
/// manifests of `head` from disk: from the work tree when it is at `head`,
/// else from a temporary checkout of it.
pub(crate) fn detect(repo: &Path, base: &str, head: &str) -> Result<Report> {
    let base = rev_parse(repo, base)?;
    let head = rev_parse(repo, head)?;
    let checkout = if rev_parse(repo, "HEAD")? == head {
        None
    } else {
        Some(Checkout::new(repo, &head)?)
    };
    let tree = checkout.as_ref().map_or(repo, |c| c.dir.as_path());
    let diff = run(git(repo).args(["diff", "--name-only", "-z", "--no-renames", &base, &head]))?;
    let changed: Vec<String> = diff
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata =
        run(Command::new(cargo)
            .current_dir(tree)
            .args(["metadata", "--format-version", "1"]))?;
    let graph = Graph::from_metadata(&metadata)?;
    let locked = if changed.iter().any(|p| p == "Cargo.lock") {
        changed_locked_packages(
            &show(repo, &base, "Cargo.lock").unwrap_or_default(),
            &show(repo, &head, "Cargo.lock").unwrap_or_default(),
        )
    } else {
        BTreeSet::new()
    };
    let mut report = Report::empty(Some(base), Some(head), false);
    decide(&graph, &changed, &locked, &mut report);
    Ok(report)
}

/// Everything affected, without looking at git or cargo.
pub(crate) fn forced(base: Option<String>, head: Option<String>) -> Report {
    let mut report = Report::empty(base, head, true);
    force(&mut report);
    report
}

const USAGE: &str = "usage: cargo xtask affected --base <rev> --head <rev> [--force] [--json <file>] [--repo <dir>]";

/// `cargo xtask affected …`: prints the output variables on stdout and a
/// summary on stderr.
pub(crate) fn main(args: &[String]) -> Result {
    let mut base = None;
    let mut head = None;
    let mut json = None;
    let mut repo = root();
    let mut forced_run = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--base" => base = Some(value()?),
            "--head" => head = Some(value()?),
            "--json" => json = Some(PathBuf::from(value()?)),
            "--repo" => repo = PathBuf::from(value()?),
            "--force" => forced_run = true,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let report = if forced_run {
        forced(base, head)
    } else {
        match (base, head) {
            (Some(base), Some(head)) => detect(&repo, &base, &head)?,
            _ => {
                return Err(format!(
                    "--base and --head are required without --force\n{USAGE}"
                ));
            }
        }
    };
    for line in report.azure_lines() {
        println!("{line}");
    }
    for (image, verdict) in report
        .images
        .iter()
        .chain(std::iter::once((&"deploy".to_owned(), &report.deploy)))
    {
        let first = verdict.reasons.first().map(String::as_str).unwrap_or("");
        let more = verdict.reasons.len().saturating_sub(1);
        let tail = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        eprintln!(
            "{image:<10} {:<5} {first}{tail}",
            if verdict.affected { "yes" } else { "no" }
        );
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| format!("cannot serialise the report: {e}"))?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa",
 "syn 1.0.109",
 "syn 2.0.100",
]

[[package]]
name = "itoa"
version = "1.0.15"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaaa"

[[package]]
name = "syn"
version = "1.0.109"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bbbb"

[[package]]
name = "syn"
version = "2.0.100"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cccc"
"#;

    fn changed(base: &str, head: &str) -> Vec<String> {
        changed_locked_packages(base, head).into_iter().collect()
    }

    #[test]
    fn identical_locks_change_nothing() {
        assert!(changed(LOCK, LOCK).is_empty());
    }

    #[test]
    fn a_version_bump_names_the_package_only() {
        let head = LOCK
            .replace("\"1.0.15\"", "\"1.0.16\"")
            .replace("\"aaaa\"", "\"dddd\"");
        assert_eq!(changed(LOCK, &head), ["itoa"]);
    }

    #[test]
    fn one_of_two_versions_changing_names_the_package() {
        let head = LOCK.replace("\"cccc\"", "\"eeee\"");
        assert_eq!(changed(LOCK, &head), ["syn"]);
    }

    #[test]
    fn a_dropped_dependency_names_the_dependent_and_the_removed_package() {
        let head = LOCK
            .replace(" \"itoa\",\n", "")
            .replace(
                "[[package]]\nname = \"itoa\"\nversion = \"1.0.15\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aaaa\"\n\n",
                "",
            );
        assert_eq!(changed(LOCK, &head), ["app", "itoa"]);
    }

    #[test]
    fn a_missing_lock_file_changes_every_package() {
        assert_eq!(changed("", LOCK), ["app", "itoa", "syn"]);
    }
}
