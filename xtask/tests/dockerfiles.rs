//! The eight images' Dockerfiles: hadolint-clean, multi-stage with cached
//! dependencies, pinned bases, a final stage without build tools that runs
//! as uid 1001 and declares a HEALTHCHECK.

mod deployment_tools;

use deployment_tools::{Scratch, hadolint, root, run, text};
use std::process::Command;

/// The service binary and its port.
type Binary = Option<(&'static str, u16)>;

/// Image name, Dockerfile path, the service binary and port when it has one.
const IMAGES: &[(&str, &str, Binary)] = &[
    (
        "gateway",
        "services/gateway/Dockerfile",
        Some(("svc-gateway", 3000)),
    ),
    (
        "order",
        "services/order/Dockerfile",
        Some(("svc-order", 3001)),
    ),
    (
        "print",
        "services/print/Dockerfile",
        Some(("svc-print", 3002)),
    ),
    (
        "shipping",
        "services/shipping/Dockerfile",
        Some(("svc-shipping", 3003)),
    ),
    (
        "gridflock",
        "services/gridflock/Dockerfile",
        Some(("svc-gridflock", 3004)),
    ),
    (
        "slicer",
        "deployment/slicer/Dockerfile",
        Some(("svc-slicer", 3010)),
    ),
    ("web", "deployment/web/Dockerfile", None),
    ("docs", "deployment/docs/Dockerfile", None),
];

/// One instruction: keyword (upper case) and its arguments, with line
/// continuations joined and comments dropped.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn parse(path: &str) -> Vec<Instruction> {
    let source = std::fs::read_to_string(root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (current.is_empty() && trimmed.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, args) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push(Instruction {
                    keyword: keyword.to_uppercase(),
                    args: args.trim().to_owned(),
                });
                current.clear();
            }
        }
    }
    instructions
}

/// Instructions split into stages at each FROM.
fn stages(path: &str) -> Vec<Vec<Instruction>> {
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for instruction in parse(path) {
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .unwrap_or_else(|| panic!("{path}: an instruction before the first FROM"))
            .push(instruction);
    }
    stages
}

/// The stage name a FROM line declares (`AS name`), if any.
fn stage_name(from: &Instruction) -> Option<String> {
    let words: Vec<&str> = from.args.split_whitespace().collect();
    words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("as"))
        .and_then(|i| words.get(i + 1))
        .map(|s| (*s).to_owned())
}

#[test]
fn hadolint_passes_on_every_dockerfile() {
    let hadolint = hadolint();
    for (name, path, _) in IMAGES {
        let out = run(Command::new(&hadolint).arg(root().join(path)));
        assert!(
            out.status.success(),
            "hadolint found problems in the {name} image ({path}):\n{}",
            text(&out)
        );
    }
}

#[test]
fn hadolint_rejects_an_unpinned_dockerfile() {
    // Guards the test above against a linter that accepts anything.
    let scratch = Scratch::new("hadolint");
    let file = scratch.0.join("Dockerfile");
    std::fs::write(
        &file,
        "FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n",
    )
    .expect("write Dockerfile");
    let out = run(Command::new(hadolint()).arg(&file));
    assert!(!out.status.success(), "hadolint accepted:\n{}", text(&out));
    assert!(text(&out).contains("DL3007"), "{}", text(&out));
}

#[test]
fn images_are_multi_stage_with_pinned_bases() {
    for (name, path, _) in IMAGES {
        let stages = stages(path);
        assert!(stages.len() >= 2, "{name}: not multi-stage");
        let mut names = Vec::new();
        for stage in &stages {
            let from = &stage[0];
            let image = from
                .args
                .split_whitespace()
                .find(|w| !w.starts_with("--"))
                .expect("FROM names an image");
            if names.iter().any(|n| n == image) {
                continue;
            }
            let last = image.rsplit('/').next().unwrap_or(image);
            let pinned = image.contains("@sha256:")
                || last
                    .split_once(':')
                    .is_some_and(|(_, tag)| !tag.is_empty() && tag != "latest");
            assert!(pinned, "{name}: base image {image} is not pinned");
            if let Some(stage) = stage_name(from) {
                names.push(stage);
            }
        }
    }
}

#[test]
fn final_stage_runs_as_uid_1001_with_a_healthcheck_and_no_build_tools() {
    for (name, path, service) in IMAGES {
        let stages = stages(path);
        let last = stages.last().expect("a stage");
        let from = &last[0].args;
        for toolchain in ["rust:", "node:", "golang:"] {
            assert!(
                !from.starts_with(toolchain),
                "{name}: final stage is {from}"
            );
        }
        let users: Vec<&str> = last
            .iter()
            .filter(|i| i.keyword == "USER")
            .map(|i| i.args.as_str())
            .collect();
        assert!(
            users
                .last()
                .is_some_and(|u| u.split(':').next() == Some("1001")),
            "{name}: final USER is {users:?}"
        );
        let healthchecks: Vec<&str> = last
            .iter()
            .filter(|i| i.keyword == "HEALTHCHECK")
            .map(|i| i.args.as_str())
            .collect();
        assert_eq!(healthchecks.len(), 1, "{name}: {healthchecks:?}");
        for instruction in last.iter().filter(|i| i.keyword == "RUN") {
            for tool in [
                "cargo ",
                "rustup ",
                "rustc ",
                "npm ",
                "gcc",
                "build-essential",
                "make ",
            ] {
                assert!(
                    !instruction.args.contains(tool),
                    "{name}: final stage runs `{tool}`: {}",
                    instruction.args
                );
            }
        }
        if let Some((binary, port)) = service {
            let expected = format!("[\"/usr/local/bin/{binary}\", \"healthcheck\"]");
            assert!(
                healthchecks[0].ends_with(&format!("CMD {expected}")),
                "{name}: {}",
                healthchecks[0]
            );
            assert!(
                last.iter()
                    .any(|i| i.keyword == "EXPOSE" && i.args == port.to_string()),
                "{name}: EXPOSE {port}"
            );
            assert!(
                last.iter().any(|i| i.keyword == "ENTRYPOINT"
                    && i.args == format!("[\"/usr/local/bin/{binary}\"]")),
                "{name}: ENTRYPOINT"
            );
        }
    }
}

#[test]
fn dependencies_are_built_before_the_sources_are_copied() {
    for (name, path, service) in IMAGES {
        let instructions = parse(path);
        let position = |pred: &dyn Fn(&Instruction) -> bool| instructions.iter().position(pred);
        if let Some((binary, _)) = service {
            // cargo-chef: the recipe is cooked before the builder copies the
            // whole tree, so source edits leave the dependency layer cached.
            let cook = position(&|i| {
                i.keyword == "RUN"
                    && i.args.contains("cargo chef cook")
                    && i.args.contains(&format!("--bin {binary}"))
            })
            .unwrap_or_else(|| panic!("{name}: no `cargo chef cook --bin {binary}`"));
            let build = position(&|i| {
                i.keyword == "RUN"
                    && i.args.contains(&format!(
                        "cargo build --release --locked -p {binary} --bin {binary}"
                    ))
            })
            .unwrap_or_else(|| panic!("{name}: no release build of {binary}"));
            let copy_all = instructions[cook..build]
                .iter()
                .any(|i| i.keyword == "COPY" && i.args == ". .");
            assert!(
                copy_all,
                "{name}: sources are copied between cook and build"
            );
        } else if *name == "web" {
            assert!(
                position(&|i| i.keyword == "RUN"
                    && i.args
                        .contains("--mount=type=cache,target=/usr/local/cargo/registry"))
                .is_some(),
                "{name}: the cargo registry and target are cache mounts"
            );
        }
    }
}

#[test]
fn the_build_context_leaves_out_build_products() {
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect("read .dockerignore");
    let entries: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for entry in ["target", ".git", "**/node_modules"] {
        assert!(entries.contains(&entry), ".dockerignore lacks {entry}");
    }
}

#[test]
fn the_rust_service_images_share_one_recipe() {
    // Docker has no include: the six service Dockerfiles repeat one recipe.
    // This keeps them from drifting apart; only the name, the port and the
    // system packages (PrusaSlicer, gridflock's data directory) may differ.
    let normalised = |name: &str, path: &str, binary: &str, port: u16| -> Vec<String> {
        let source = std::fs::read_to_string(root().join(path)).expect("read Dockerfile");
        source
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| !l.contains("apt-get install") && !l.contains("install -d"))
            .map(|l| {
                l.replace(binary, "svc-NAME")
                    .replace(&format!("gridflock-{name}"), "gridflock-NAME")
                    .replace(&port.to_string(), "PORT")
                    .trim_end_matches(" \\")
                    .to_owned()
            })
            .collect()
    };
    let mut shapes = IMAGES.iter().filter_map(|(name, path, service)| {
        service.map(|(binary, port)| (*name, normalised(name, path, binary, port)))
    });
    let (first, reference) = shapes.next().expect("a service image");
    for (name, shape) in shapes {
        assert_eq!(shape, reference, "{name} differs from {first}");
    }
}
