//! The local stack starts each service with the variables the staging
//! compose file gives it, so a variable added to one and forgotten in the
//! other fails here rather than at the first deploy.

use gridflock_stack::Service;
use gridflock_stack::services::Wiring;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Set only locally: the fakes' endpoints replace the real platforms
/// (compose relies on the services' production defaults), Docker sets
/// HOSTNAME to the container name, the stack turns Shopify reconciliation
/// off and keeps the slicer's scratch files in its run directory.
const LOCAL_ONLY: [&str; 7] = [
    "SHOPIFY_ADMIN_URL_TEMPLATE",
    "SIMPLYPRINT_API_URL",
    "SIMPLYPRINT_FILES_URL",
    "SENDCLOUD_API_URL",
    "HOSTNAME",
    "RECONCILE_INTERVAL_SECONDS",
    "SLICER_WORK_DIR",
];

/// Set only in compose: production tuning and optional settings whose
/// defaults the local stack keeps, and the proxy header Traefik adds.
const COMPOSE_ONLY: [&str; 14] = [
    "GATEWAY_TRUST_FORWARDED_FOR",
    "SHOPIFY_WEBHOOK_SECRET_PREVIOUS",
    "SHOPIFY_API_VERSION",
    "NOTIFICATION_WEBHOOK_URL",
    "SHIP_FROM_COMPANY",
    "SHIP_FROM_ADDRESS2",
    "SHIP_FROM_HOUSE_NUMBER",
    "SHIP_FROM_EMAIL",
    "SHIP_FROM_PHONE",
    "PARCEL_WEIGHT_KG",
    "GRIDFLOCK_ENABLED_BY_DEFAULT",
    "GRIDFLOCK_WORKER_CONCURRENCY",
    "SLICER_CONCURRENCY",
    "SLICER_TIMEOUT_SECONDS",
];

fn compose() -> Value {
    let path = gridflock_stack::binaries::workspace_root()
        .join("deployment")
        .join("staging")
        .join("docker-compose.yml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut value: Value = serde_yaml::from_str(&text).expect("compose is YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn compose_key(service: Service) -> &'static str {
    match service {
        Service::Gateway => "gateway",
        Service::Order => "order",
        Service::Print => "print",
        Service::Shipping => "shipping",
        Service::Gridflock => "gridflock",
        Service::Slicer => "slicer",
    }
}

fn wiring() -> Wiring {
    Wiring {
        database_url: "postgres://postgres@127.0.0.1:5432/db".to_owned(),
        redis_url: "redis://127.0.0.1:6379/".to_owned(),
        stream_prefix: "stack".to_owned(),
        ports: Vec::new(),
        shopify_admin_url_template: "http://127.0.0.1:1/shops/{shop}".to_owned(),
        simplyprint_api_url: "http://127.0.0.1:2".to_owned(),
        simplyprint_files_url: "http://127.0.0.1:3".to_owned(),
        sendcloud_api_url: "http://127.0.0.1:4/api/v3".to_owned(),
        gridflock_data_dir: PathBuf::from("/tmp/data"),
        slicer_work_dir: PathBuf::from("/tmp/work"),
        log_level: "info".to_owned(),
    }
}

#[test]
fn every_service_gets_the_variables_compose_gives_it() {
    let compose = compose();
    let wiring = wiring();
    let mut problems = Vec::new();
    for service in Service::START_ORDER {
        let key = compose_key(service);
        let environment = compose["services"][key]["environment"]
            .as_mapping()
            .unwrap_or_else(|| panic!("compose service {key} has no environment mapping"));
        let in_compose: BTreeSet<String> = environment
            .keys()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        let in_stack: BTreeSet<String> = wiring
            .environment(service)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for name in in_stack.difference(&in_compose) {
            if !LOCAL_ONLY.contains(&name.as_str()) {
                problems.push(format!("{key}: the stack sets {name}, compose does not"));
            }
        }
        for name in in_compose.difference(&in_stack) {
            if !COMPOSE_ONLY.contains(&name.as_str()) {
                problems.push(format!("{key}: compose sets {name}, the stack does not"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_stack_uses_the_compose_ports() {
    let compose = compose();
    let wiring = wiring();
    for service in Service::START_ORDER {
        let key = compose_key(service);
        let port = &compose["services"][key]["environment"]["PORT"];
        assert_eq!(
            port.as_str().map(str::to_owned),
            Some(service.standard_port().to_string()),
            "{key}"
        );
        assert_eq!(wiring.port(service), service.standard_port());
    }
}

#[test]
fn every_database_url_of_the_stack_limits_its_pool_as_compose_does() {
    let wiring = wiring();
    for service in Service::START_ORDER
        .into_iter()
        .filter(|s| s.has_database())
    {
        let env = wiring.environment(service);
        let url = env
            .iter()
            .find(|(k, _)| k == "DATABASE_URL")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        assert!(
            url.contains("connection_limit=3"),
            "{}: {url}",
            service.name()
        );
    }
}
