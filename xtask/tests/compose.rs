//! `deployment/staging/docker-compose.yml`: accepted by docker-compose and by
//! the Compose JSON schema, and true to the deployment invariants of
//! DESIGN.md §5 (health checks, routed services, connection limits, service
//! URLs only in the environment, image tag variables).

mod deployment_tools;

use deployment_tools::{IMAGES, Scratch, check_jsonschema, docker_compose, root, run, text};
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

fn staging() -> PathBuf {
    root().join("deployment").join("staging")
}

fn compose_file() -> PathBuf {
    staging().join("docker-compose.yml")
}

/// The compose file as written, with YAML merge keys applied and the `x-`
/// extension blocks (which only feed merges) removed.
fn compose() -> Mapping {
    let source = std::fs::read_to_string(compose_file()).expect("read docker-compose.yml");
    let mut value: Value = serde_yaml::from_str(&source).expect("docker-compose.yml is YAML");
    value.apply_merge().expect("merge keys resolve");
    let Value::Mapping(mut top) = value else {
        panic!("docker-compose.yml is not a mapping")
    };
    let extensions: Vec<Value> = top
        .keys()
        .filter(|k| k.as_str().is_some_and(|k| k.starts_with("x-")))
        .cloned()
        .collect();
    for key in extensions {
        top.remove(&key);
    }
    top
}

fn services() -> BTreeMap<String, Mapping> {
    let top = compose();
    let services = top
        .get("services")
        .and_then(Value::as_mapping)
        .expect("services mapping");
    services
        .iter()
        .map(|(name, body)| {
            (
                name.as_str().expect("service name").to_owned(),
                body.as_mapping().expect("service body").clone(),
            )
        })
        .collect()
}

/// A service's `environment`, which the file writes as a mapping.
fn environment(service: &Mapping) -> BTreeMap<String, String> {
    service
        .get("environment")
        .and_then(Value::as_mapping)
        .map(|env| {
            env.iter()
                .map(|(k, v)| {
                    let value = match v {
                        Value::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .expect("scalar")
                            .trim()
                            .to_owned(),
                    };
                    (k.as_str().expect("variable name").to_owned(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Labels as `key=value` strings (the file writes them as a list).
fn labels(service: &Mapping) -> Vec<String> {
    service
        .get("labels")
        .and_then(Value::as_sequence)
        .map(|l| {
            l.iter()
                .map(|v| v.as_str().expect("label is a string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every `${NAME...}` in `text`.
fn variables(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

/// Keys of `KEY=value` lines in `.env.example`.
fn env_example_keys() -> BTreeSet<String> {
    let text = std::fs::read_to_string(staging().join(".env.example")).expect("read .env.example");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_owned())
        .collect()
}

fn compose_config(file: &std::path::Path) -> std::process::Output {
    run(Command::new(docker_compose())
        .arg("--env-file")
        .arg(staging().join(".env.example"))
        .arg("-f")
        .arg(file)
        .args(["config", "--quiet"])
        // docker-compose 1.29 would otherwise look for an engine's
        // settings; `config` itself needs none.
        .env_remove("DOCKER_HOST"))
}

#[test]
fn docker_compose_config_accepts_the_file_with_the_example_environment() {
    let out = compose_config(&compose_file());
    assert!(
        out.status.success(),
        "docker-compose config failed:\n{}",
        text(&out)
    );
}

#[test]
fn compose_file_matches_the_compose_spec_schema() {
    let out = run(Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.compose-spec"])
        .arg(compose_file()));
    assert!(out.status.success(), "schema check failed:\n{}", text(&out));
}

#[test]
fn both_validators_reject_an_unknown_key() {
    // Guards the two tests above against validators that accept anything.
    let scratch = Scratch::new("compose-broken");
    let source = std::fs::read_to_string(compose_file()).expect("read docker-compose.yml");
    let broken = source.replacen("    ports:\n", "    portz:\n", 1);
    assert_ne!(broken, source, "the file has a ports: entry to break");
    let file = scratch.0.join("docker-compose.yml");
    std::fs::write(&file, broken).expect("write broken copy");
    let out = compose_config(&file);
    assert!(!out.status.success(), "docker-compose accepted `portz`");
    assert!(text(&out).contains("portz"), "{}", text(&out));
    let out = run(Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.compose-spec"])
        .arg(&file));
    assert!(!out.status.success(), "check-jsonschema accepted `portz`");
}

#[test]
fn runs_the_services_of_design_section_5_under_their_container_names() {
    let expected: BTreeMap<&str, (&str, Option<&str>)> = [
        ("traefik", ("traefik", None)),
        ("redis", ("redis", None)),
        ("gateway", ("gateway", Some("3000"))),
        ("order", ("order-service", Some("3001"))),
        ("print", ("print-service", Some("3002"))),
        ("shipping", ("shipping-service", Some("3003"))),
        ("gridflock", ("gridflock-service", Some("3004"))),
        ("slicer", ("slicer", Some("3010"))),
        ("web", ("web", None)),
        ("docs", ("docs", None)),
        ("uptime-kuma", ("uptime-kuma", None)),
        ("dozzle", ("dozzle", None)),
    ]
    .into_iter()
    .collect();
    let services = services();
    assert_eq!(
        services.keys().map(String::as_str).collect::<Vec<_>>(),
        expected.keys().copied().collect::<Vec<_>>()
    );
    for (name, (container, port)) in expected {
        let service = &services[name];
        assert_eq!(
            service.get("container_name").and_then(Value::as_str),
            Some(container),
            "{name}"
        );
        assert_eq!(
            environment(service).get("PORT").map(String::as_str),
            port,
            "{name}"
        );
    }
    let networks: BTreeSet<String> = services
        .values()
        .flat_map(|s| s.get("networks").and_then(Value::as_sequence).cloned())
        .flatten()
        .map(|n| n.as_str().expect("network name").to_owned())
        .collect();
    assert_eq!(networks, BTreeSet::from(["gridflock".to_owned()]));
}

#[test]
fn every_service_has_a_health_check() {
    for (name, service) in services() {
        let check = service
            .get("healthcheck")
            .and_then(Value::as_mapping)
            .unwrap_or_else(|| panic!("{name} has no healthcheck"));
        assert_ne!(check.get("disable"), Some(&Value::Bool(true)), "{name}");
        let test = check
            .get("test")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("{name}: healthcheck.test is not a list"));
        assert!(
            matches!(
                test.first().and_then(Value::as_str),
                Some("CMD" | "CMD-SHELL")
            ),
            "{name}: {test:?}"
        );
    }
}

#[test]
fn the_rust_services_check_health_with_their_healthcheck_subcommand() {
    // The first six images are the service binaries; web and docs serve files.
    for name in &IMAGES[..6] {
        let test: Vec<String> = services()[*name]["healthcheck"]["test"]
            .as_sequence()
            .expect("test list")
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect();
        assert_eq!(
            test,
            ["CMD", &format!("/usr/local/bin/svc-{name}"), "healthcheck"],
            "{name}"
        );
    }
}

#[test]
fn dependencies_wait_for_health() {
    let services = services();
    for (name, service) in &services {
        let Some(deps) = service.get("depends_on") else {
            continue;
        };
        let deps = deps
            .as_mapping()
            .unwrap_or_else(|| panic!("{name}: depends_on must be a mapping with conditions"));
        for (dep, spec) in deps {
            let dep = dep.as_str().expect("dependency name");
            assert!(
                services.contains_key(dep),
                "{name} depends on unknown {dep}"
            );
            assert_eq!(
                spec.get("condition").and_then(Value::as_str),
                Some("service_healthy"),
                "{name} -> {dep}"
            );
        }
    }
    let deps = |name: &str| -> BTreeSet<String> {
        services[name]
            .get("depends_on")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.keys()
                    .map(|k| k.as_str().expect("name").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    for backend in ["order", "print", "shipping", "gridflock"] {
        assert!(deps(backend).contains("redis"), "{backend} waits for Redis");
        assert!(
            deps("gateway").contains(backend),
            "gateway waits for {backend}"
        );
    }
    assert!(
        deps("gridflock").contains("slicer"),
        "slicer starts before gridflock"
    );
}

#[test]
fn only_the_five_public_routers_exist() {
    let mut routers = BTreeSet::new();
    let mut enabled = BTreeSet::new();
    for (name, service) in services() {
        for label in labels(&service) {
            if label == "traefik.enable=true" {
                enabled.insert(name.clone());
            }
            if let Some(rest) = label.strip_prefix("traefik.http.routers.") {
                let router = rest.split('.').next().expect("router name");
                routers.insert(router.to_owned());
                if rest.starts_with(&format!("{router}.tls.certresolver=")) {
                    assert!(rest.ends_with("=letsencrypt"), "{name}: {label}");
                }
                if rest.starts_with(&format!("{router}.entrypoints=")) {
                    assert!(rest.ends_with("=websecure"), "{name}: {label}");
                }
            }
        }
    }
    assert_eq!(
        routers,
        ["docs", "gateway", "logs", "status", "web"]
            .map(str::to_owned)
            .into()
    );
    assert_eq!(
        enabled,
        ["docs", "dozzle", "gateway", "uptime-kuma", "web"]
            .map(str::to_owned)
            .into()
    );
}

#[test]
fn only_traefik_publishes_ports() {
    for (name, service) in services() {
        if name != "traefik" {
            assert!(service.get("ports").is_none(), "{name} publishes ports");
        }
    }
}

#[test]
fn traefik_routes_only_labelled_containers_and_uses_lets_encrypt() {
    let text = std::fs::read_to_string(staging().join("traefik.yml")).expect("read traefik.yml");
    let config: Value = serde_yaml::from_str(&text).expect("traefik.yml is YAML");
    assert_eq!(
        config["providers"]["docker"]["exposedByDefault"],
        Value::Bool(false)
    );
    assert_eq!(
        config["providers"]["docker"]["network"].as_str(),
        Some("gridflock")
    );
    let acme = &config["certificatesResolvers"]["letsencrypt"]["acme"];
    assert!(
        acme["storage"]
            .as_str()
            .is_some_and(|s| s.starts_with("/letsencrypt/"))
    );
    assert_eq!(acme["httpChallenge"]["entryPoint"].as_str(), Some("web"));
    assert!(config.get("ping").is_some(), "the health check uses ping");
}

#[test]
fn every_database_url_has_connection_limit_3() {
    let mut with_database = BTreeSet::new();
    for (name, service) in services() {
        if let Some(url) = environment(&service).get("DATABASE_URL") {
            with_database.insert(name.clone());
            let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
            assert!(
                query.split('&').any(|p| p == "connection_limit=3"),
                "{name}: {url}"
            );
        }
    }
    assert_eq!(
        with_database,
        ["gateway", "gridflock", "order", "print", "shipping"]
            .map(str::to_owned)
            .into()
    );
}

/// Walks every string in `value`, with its path of keys.
fn strings<'a>(value: &'a Value, path: &mut Vec<String>, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path.join("."), s)),
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                strings(item, path, out);
                path.pop();
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map {
                path.push(k.as_str().unwrap_or("?").to_owned());
                strings(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn service_urls_appear_only_in_environments() {
    let services = services();
    let mut hosts: BTreeSet<String> = services.keys().cloned().collect();
    hosts.extend(
        services
            .values()
            .filter_map(|s| s.get("container_name").and_then(Value::as_str))
            .map(str::to_owned),
    );
    let top = Value::Mapping(compose());
    let mut found = Vec::new();
    strings(&top, &mut Vec::new(), &mut found);
    let mut seen_in_env = 0;
    for (path, s) in found {
        let points_at_service = s.split("://").skip(1).any(|after| {
            let host: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            hosts.contains(&host)
        });
        if !points_at_service {
            continue;
        }
        let parts: Vec<&str> = path.split('.').collect();
        assert!(
            parts.len() == 4 && parts[0] == "services" && parts[2] == "environment",
            "service URL outside an environment: {path} = {s}"
        );
        seen_in_env += 1;
    }
    assert!(
        seen_in_env >= 10,
        "the internal URLs are set in the environments"
    );
}

#[test]
fn internal_urls_name_a_service_and_its_port() {
    let services = services();
    let port_of = |name: &str| environment(&services[name]).get("PORT").cloned();
    for (name, service) in &services {
        for (key, value) in environment(service) {
            if !key.ends_with("_SERVICE_URL") {
                continue;
            }
            let target = value
                .strip_prefix("http://")
                .and_then(|rest| rest.split_once(':'))
                .unwrap_or_else(|| panic!("{name}: {key}={value}"));
            assert!(services.contains_key(target.0), "{name}: {key}={value}");
            assert_eq!(
                Some(target.1.to_owned()),
                port_of(target.0),
                "{name}: {key}"
            );
        }
    }
}

#[test]
fn every_image_has_a_tag_variable() {
    for (name, service) in services() {
        let image = service
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{name} has no image"));
        assert!(service.get("build").is_none(), "{name} builds on the host");
        let var = format!("{}_IMAGE_TAG", name.to_uppercase().replace('-', "_"));
        // The tag is the last `${...}` and nothing follows it.
        let tag = &image[image
            .rfind(":${")
            .unwrap_or_else(|| panic!("{name}: {image}"))
            + 1..];
        assert!(
            tag.ends_with('}')
                && (tag.starts_with(&format!("${{{var}}}"))
                    || tag.starts_with(&format!("${{{var}:"))),
            "{name}: {image} does not take its tag from {var}"
        );
        if IMAGES.contains(&name.as_str()) {
            assert!(
                image.starts_with("${DOCKER_REGISTRY")
                    && image.contains(&format!("/gridflock-{name}:")),
                "{name}: {image}"
            );
        }
    }
}

#[test]
fn logs_are_json_files_and_gridflock_keeps_its_data_volume() {
    let services = services();
    for (name, service) in &services {
        assert_eq!(
            service["logging"]["driver"].as_str(),
            Some("json-file"),
            "{name}"
        );
    }
    let volumes: Vec<&str> = services["gridflock"]["volumes"]
        .as_sequence()
        .expect("gridflock volumes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(volumes, ["gridflock-data:/data/gridflock"]);
    assert_eq!(
        environment(&services["gridflock"])
            .get("GRIDFLOCK_DATA_DIR")
            .map(String::as_str),
        Some("/data/gridflock")
    );
    assert!(compose()["volumes"].get("gridflock-data").is_some());
}

#[test]
fn env_example_lists_every_variable_the_stack_reads() {
    let keys = env_example_keys();
    let mut used = variables(&std::fs::read_to_string(compose_file()).expect("read compose"));
    // deploy.sh reads these from .env as well.
    used.extend(["HEALTH_TIMEOUT", "HEALTH_INTERVAL", "GATEWAY_HEALTH_URL"].map(str::to_owned));
    let missing: Vec<&String> = used.difference(&keys).collect();
    assert!(missing.is_empty(), ".env.example lacks {missing:?}");
    let unused: Vec<&String> = keys.difference(&used).collect();
    assert!(unused.is_empty(), ".env.example lists unused {unused:?}");
}

#[test]
fn env_example_marks_the_secrets() {
    let text = std::fs::read_to_string(staging().join(".env.example")).expect("read .env.example");
    let lines: Vec<&str> = text.lines().collect();
    for secret in [
        "POSTGRES_PASSWORD",
        "INTERNAL_API_KEY",
        "SHOPIFY_WEBHOOK_SECRET",
        "SIMPLYPRINT_API_KEY",
        "SIMPLYPRINT_WEBHOOK_SECRET",
        "SENDCLOUD_SECRET_KEY",
        "SENDCLOUD_WEBHOOK_SECRET",
    ] {
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("{secret}=")))
            .unwrap_or_else(|| panic!("{secret} missing"));
        assert!(
            at > 0 && lines[at - 1].starts_with("# [secret]"),
            "{secret} is not marked [secret]"
        );
    }
}
