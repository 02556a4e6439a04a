//! `deployment/staging/deploy.sh` against a fake `docker` (and `curl`) on
//! PATH. The fake keeps which tag each service's container runs, answers
//! `compose ps -q` and `inspect` from that, reports health as told, and logs
//! every step as `<verb> <service>@<tag> …` so that the tests can assert the
//! order of the rollout and the tags each step used.

mod deployment_tools;

use deployment_tools::{IMAGES, Scratch, root, run, shellcheck, text};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const FAKE_DOCKER: &str = r#"#!/usr/bin/env bash
# Fake docker: state under $FAKE_DOCKER_DIR/running/<service> (its tag),
# steps appended to $FAKE_DOCKER_DIR/calls.
set -u
dir=${FAKE_DOCKER_DIR:?}
mkdir -p "$dir/running"
tag_of() {
  local var=${1^^}
  var="${var//-/_}_IMAGE_TAG"
  printf '%s' "${!var:-pinned}"
}
log() { printf '%s\n' "$*" >>"$dir/calls"; }
with_tags() {
  local s out=()
  for s in "$@"; do out+=("$s@$(tag_of "$s")"); done
  printf '%s' "${out[*]}"
}
services() { local a; for a in "$@"; do [[ $a == -* ]] || printf '%s\n' "$a"; done; }
case "$1 ${2:-}" in
  "compose ps")
    svc=${!#}
    [[ -f $dir/running/$svc ]] && printf 'cid-%s\n' "$svc"
    exit 0 ;;
  "compose pull")
    shift 2; mapfile -t s < <(services "$@"); log "pull $(with_tags "${s[@]}")" ;;
  "compose up")
    shift 2; mapfile -t s < <(services "$@"); log "up $(with_tags "${s[@]}")"
    for svc in "${s[@]}"; do tag_of "$svc" >"$dir/running/$svc"; done ;;
  "compose stop")
    shift 2; log "stop $*"; for svc in "$@"; do rm -f "$dir/running/$svc"; done ;;
  "compose run")
    shift 2; mapfile -t s < <(services "$@")
    svc=${s[0]}
    log "${s[1]} $svc@$(tag_of "$svc")"
    [[ " ${FAKE_FAILING_MIGRATIONS:-} " == *" $svc "* ]] && exit 1 ;;
  "inspect --format")
    svc=${4#cid-}
    tag=$(cat "$dir/running/$svc")
    case $3 in
      *Config.Image*) printf 'registry.example/gridflock-%s:%s\n' "$svc" "$tag" ;;
      *Health*)
        log "health $svc@$tag"
        if [[ " ${FAKE_UNHEALTHY:-} " == *" $svc@$tag "* ]]; then echo unhealthy
        elif [[ " ${FAKE_STARTING:-} " == *" $svc@$tag "* ]]; then echo starting
        else echo healthy; fi ;;
    esac ;;
  *) log "unexpected docker $*"; exit 2 ;;
esac
exit 0
"#;

const FAKE_CURL: &str = r#"#!/usr/bin/env bash
printf 'curl %s\n' "${!#}" >>"${FAKE_DOCKER_DIR:?}/calls"
[[ -z ${FAKE_GATEWAY_DOWN:-} ]]
"#;

struct Host {
    scratch: Scratch,
}

impl Host {
    /// A deploy directory with deploy.sh and a `.env`, a fake docker and
    /// curl, and `running` services already up on tag `old`.
    fn new(running: &[&str]) -> Host {
        let scratch = Scratch::new("deploy");
        let dir = &scratch.0;
        let bin = dir.join("bin");
        let state = dir.join("docker");
        let deploy = dir.join("staging");
        for d in [&bin, &state.join("running"), &deploy] {
            std::fs::create_dir_all(d).expect("create directory");
        }
        executable(&bin.join("docker"), FAKE_DOCKER);
        executable(&bin.join("curl"), FAKE_CURL);
        std::fs::copy(
            root().join("deployment/staging/deploy.sh"),
            deploy.join("deploy.sh"),
        )
        .expect("copy deploy.sh");
        std::fs::write(
            deploy.join(".env"),
            "SHIP_FROM_NAME=GridFlock Connect\nGATEWAY_HEALTH_URL=https://api.test/health\n",
        )
        .expect("write .env");
        for service in running.iter().chain(&["redis", "traefik"]) {
            std::fs::write(state.join("running").join(service), "old").expect("write state");
        }
        Host { scratch }
    }

    fn deploy(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let dir = &self.scratch.0;
        let path = std::env::join_paths(std::iter::once(dir.join("bin")).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .expect("PATH");
        let mut cmd = Command::new("bash");
        cmd.arg(dir.join("staging/deploy.sh"))
            .args(args)
            .env("PATH", path)
            .env("FAKE_DOCKER_DIR", dir.join("docker"))
            .env("HEALTH_TIMEOUT", "2")
            .env("HEALTH_INTERVAL", "0.05");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    }

    /// The logged steps, health polls included.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.scratch.0.join("docker/calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The logged steps without health polls.
    fn steps(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("health "))
            .collect()
    }

    fn running(&self, service: &str) -> String {
        std::fs::read_to_string(self.scratch.0.join("docker/running").join(service))
            .unwrap_or_default()
    }

    fn recorded(&self) -> String {
        std::fs::read_to_string(self.scratch.0.join("staging/.deployed-tags")).unwrap_or_default()
    }
}

fn executable(path: &Path, body: &str) {
    std::fs::write(path, body).expect("write fake");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod fake");
}

fn tagged(services: &[&str], tag: &str) -> String {
    services
        .iter()
        .map(|s| format!("{s}@{tag}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn index(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("no `{call}` in {calls:#?}"))
}

#[test]
fn shellcheck_passes() {
    let out = run(Command::new(shellcheck())
        .arg("--shell=bash")
        .arg(root().join("deployment/staging/deploy.sh")));
    assert!(out.status.success(), "shellcheck:\n{}", text(&out));
}

#[test]
fn a_full_rollout_runs_its_steps_in_order() {
    let host = Host::new(&IMAGES);
    let out = host.deploy(&["new"], &[]);
    assert!(out.status.success(), "deploy failed:\n{}", text(&out));
    let expected = [
        format!("pull {}", tagged(&IMAGES, "new")),
        "up redis@pinned traefik@pinned".to_owned(),
        "migrate order@new".to_owned(),
        "migrate print@new".to_owned(),
        "migrate shipping@new".to_owned(),
        "migrate gridflock@new".to_owned(),
        "migrate gateway@new".to_owned(),
        format!(
            "up {}",
            tagged(
                &["slicer", "order", "print", "shipping", "gridflock"],
                "new"
            )
        ),
        "up gateway@new".to_owned(),
        "up web@new docs@new".to_owned(),
        "up uptime-kuma@pinned dozzle@pinned".to_owned(),
        "curl https://api.test/health".to_owned(),
    ];
    assert_eq!(host.steps(), expected);

    // Each group is healthy before the next starts.
    let calls = host.calls();
    let backends_up = index(&calls, &expected[7]);
    let gateway_up = index(&calls, "up gateway@new");
    assert!(index(&calls, "health redis@pinned") < index(&calls, "migrate order@new"));
    for backend in ["slicer", "order", "print", "shipping", "gridflock"] {
        let health = index(&calls, &format!("health {backend}@new"));
        assert!(backends_up < health && health < gateway_up, "{backend}");
    }
    let gateway_health = index(&calls, "health gateway@new");
    assert!(gateway_health < index(&calls, "up web@new docs@new"));

    for service in IMAGES {
        assert_eq!(host.running(service), "new", "{service}");
        let var = format!("{}_IMAGE_TAG=new", service.to_uppercase());
        assert!(
            host.recorded().lines().any(|l| l == var),
            "{}",
            host.recorded()
        );
    }
}

#[test]
fn only_the_affected_services_move_and_the_others_keep_their_tags() {
    let host = Host::new(&IMAGES);
    let out = host.deploy(&["abc123", "order", "web"], &[]);
    assert!(out.status.success(), "deploy failed:\n{}", text(&out));
    assert_eq!(
        host.steps(),
        [
            "pull order@abc123 web@abc123",
            "up redis@pinned traefik@pinned",
            "migrate order@abc123",
            "up order@abc123",
            "up web@abc123",
            "up uptime-kuma@pinned dozzle@pinned",
            "curl https://api.test/health",
        ]
    );
    assert_eq!(host.running("order"), "abc123");
    assert_eq!(host.running("print"), "old");
    assert_eq!(host.running("gateway"), "old");
}

#[test]
fn an_unhealthy_backend_is_rolled_back_and_the_gateway_is_left_alone() {
    let host = Host::new(&IMAGES);
    let out = host.deploy(&["new"], &[("FAKE_UNHEALTHY", "print@new")]);
    assert!(!out.status.success(), "deploy succeeded:\n{}", text(&out));
    let steps = host.steps();
    let rollback = index(&steps, "up print@old");
    assert!(
        index(
            &steps,
            &format!(
                "up {}",
                tagged(
                    &["slicer", "order", "print", "shipping", "gridflock"],
                    "new"
                )
            )
        ) < rollback
    );
    assert!(
        !steps
            .iter()
            .any(|s| s.starts_with("up gateway") || s.starts_with("curl")),
        "{steps:#?}"
    );
    assert!(host.calls().contains(&"health print@old".to_owned()));
    assert_eq!(host.running("print"), "old");
    assert_eq!(host.running("order"), "new");
    assert_eq!(host.running("gateway"), "old");
    let recorded = host.recorded();
    assert!(
        recorded.lines().any(|l| l == "PRINT_IMAGE_TAG=old"),
        "{recorded}"
    );
    assert!(
        recorded.lines().any(|l| l == "ORDER_IMAGE_TAG=new"),
        "{recorded}"
    );

    // The next rollout starts from the recorded tags: print is still old.
    let out = host.deploy(&["newer", "docs"], &[]);
    assert!(
        out.status.success(),
        "second deploy failed:\n{}",
        text(&out)
    );
    assert_eq!(host.running("print"), "old");
    assert_eq!(host.running("docs"), "newer");
}

#[test]
fn a_service_that_never_becomes_healthy_is_rolled_back_within_the_timeout() {
    let host = Host::new(&IMAGES);
    let start = std::time::Instant::now();
    let out = host.deploy(
        &["new", "gateway"],
        &[("FAKE_STARTING", "gateway@new"), ("HEALTH_TIMEOUT", "1")],
    );
    assert!(!out.status.success(), "deploy succeeded:\n{}", text(&out));
    assert!(start.elapsed().as_secs() < 10, "the wait is bounded");
    assert!(
        text(&out).contains("not healthy after 1s"),
        "{}",
        text(&out)
    );
    let steps = host.steps();
    assert!(index(&steps, "up gateway@new") < index(&steps, "up gateway@old"));
    assert_eq!(host.running("gateway"), "old");
}

#[test]
fn a_failing_final_check_rolls_back_the_whole_rollout() {
    let host = Host::new(&IMAGES);
    let out = host.deploy(
        &["new", "order", "gateway"],
        &[("FAKE_GATEWAY_DOWN", "1"), ("HEALTH_TIMEOUT", "1")],
    );
    assert!(!out.status.success(), "deploy succeeded:\n{}", text(&out));
    let steps = host.steps();
    let last_curl = steps
        .iter()
        .rposition(|s| s.starts_with("curl "))
        .expect("final check ran");
    assert_eq!(
        steps[last_curl + 1..],
        ["up gateway@old", "up order@old"],
        "{steps:#?}"
    );
    assert_eq!(host.running("order"), "old");
    assert_eq!(host.running("gateway"), "old");
}

#[test]
fn failed_migrations_stop_before_anything_restarts() {
    let host = Host::new(&IMAGES);
    let out = host.deploy(&["new"], &[("FAKE_FAILING_MIGRATIONS", "shipping")]);
    assert!(!out.status.success(), "deploy succeeded:\n{}", text(&out));
    let steps = host.steps();
    assert_eq!(
        steps.last().map(String::as_str),
        Some("migrate shipping@new")
    );
    assert!(
        !steps
            .iter()
            .any(|s| s.contains("@new") && s.starts_with("up "))
    );
    for service in IMAGES {
        assert_eq!(host.running(service), "old", "{service}");
    }
}

#[test]
fn the_first_deploy_has_nothing_to_roll_back_to() {
    let host = Host::new(&[]);
    let out = host.deploy(&["v1", "slicer"], &[("FAKE_UNHEALTHY", "slicer@v1")]);
    assert!(!out.status.success(), "deploy succeeded:\n{}", text(&out));
    assert!(
        host.steps().contains(&"stop slicer".to_owned()),
        "{:#?}",
        host.steps()
    );
    assert!(
        text(&out).contains("nothing to roll back to"),
        "{}",
        text(&out)
    );
}

#[test]
fn bad_arguments_are_refused_before_any_docker_call() {
    let host = Host::new(&IMAGES);
    for args in [&[][..], &["new", "billing"][..], &["no/such:tag"][..]] {
        let out = host.deploy(args, &[]);
        assert!(!out.status.success(), "{args:?} accepted");
    }
    assert!(host.calls().is_empty(), "{:#?}", host.calls());
}
