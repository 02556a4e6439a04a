//! The six services and the environment each one starts with.
//!
//! The variable names are the ones `deployment/staging/docker-compose.yml`
//! sets; only the values differ (loopback URLs instead of container names,
//! local secrets). A test keeps the two lists in step.

use std::path::PathBuf;

/// A service of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// gateway (3000): the only public service.
    Gateway,
    /// order-service (3001).
    Order,
    /// print-service (3002).
    Print,
    /// shipping-service (3003).
    Shipping,
    /// gridflock-service (3004).
    Gridflock,
    /// slicer-service (3010).
    Slicer,
}

impl Service {
    /// Every service, backends first: the order they start in (the gateway
    /// last, as the deploy script does).
    pub const START_ORDER: [Service; 6] = [
        Service::Slicer,
        Service::Print,
        Service::Order,
        Service::Gridflock,
        Service::Shipping,
        Service::Gateway,
    ];

    /// Its name: the compose service and container name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Gateway => "gateway",
            Service::Order => "order-service",
            Service::Print => "print-service",
            Service::Shipping => "shipping-service",
            Service::Gridflock => "gridflock-service",
            Service::Slicer => "slicer-service",
        }
    }

    /// Its executable.
    pub fn binary(self) -> &'static str {
        match self {
            Service::Gateway => "svc-gateway",
            Service::Order => "svc-order",
            Service::Print => "svc-print",
            Service::Shipping => "svc-shipping",
            Service::Gridflock => "svc-gridflock",
            Service::Slicer => "svc-slicer",
        }
    }

    /// The port it has in compose (and in `cargo xtask stack`).
    pub fn standard_port(self) -> u16 {
        match self {
            Service::Gateway => 3000,
            Service::Order => 3001,
            Service::Print => 3002,
            Service::Shipping => 3003,
            Service::Gridflock => 3004,
            Service::Slicer => 3010,
        }
    }

    /// Whether it uses PostgreSQL and Redis (the slicer is stateless).
    pub fn has_database(self) -> bool {
        self != Service::Slicer
    }
}

/// Secrets of a local stack. They protect nothing; the demo and the tests
/// sign with them.
pub mod secrets {
    /// `INTERNAL_API_KEY` shared by the services.
    pub const INTERNAL_API_KEY: &str = "local-stack-internal-key-0123456789";
    /// `SHOPIFY_WEBHOOK_SECRET`: the app secret Shopify signs webhooks with.
    pub const SHOPIFY_WEBHOOK_SECRET: &str = "shpss_local_stack_secret";
    /// `SIMPLYPRINT_API_KEY`.
    pub const SIMPLYPRINT_API_KEY: &str = "local-stack-simplyprint-key";
    /// `SIMPLYPRINT_WEBHOOK_SECRET` (the `X-SP-Secret` header).
    pub const SIMPLYPRINT_WEBHOOK_SECRET: &str = "local-stack-simplyprint-webhook";
    /// `SIMPLYPRINT_COMPANY_ID`.
    pub const SIMPLYPRINT_COMPANY_ID: u64 = 4242;
    /// `SENDCLOUD_PUBLIC_KEY`.
    pub const SENDCLOUD_PUBLIC_KEY: &str = "local-stack-sendcloud-public";
    /// `SENDCLOUD_SECRET_KEY`.
    pub const SENDCLOUD_SECRET_KEY: &str = "local-stack-sendcloud-secret";
    /// `SENDCLOUD_WEBHOOK_SECRET` (HMAC key of `Sendcloud-Signature`).
    pub const SENDCLOUD_WEBHOOK_SECRET: &str = "local-stack-sendcloud-webhook";
}

/// Everything the environments are made from.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// `DATABASE_URL` without options.
    pub database_url: String,
    /// `REDIS_URL`.
    pub redis_url: String,
    /// `EVENT_STREAM_PREFIX`.
    pub stream_prefix: String,
    /// Port of each service.
    pub ports: Vec<(Service, u16)>,
    /// The Shopify fake's Admin URL template.
    pub shopify_admin_url_template: String,
    /// The SimplyPrint fake's API host.
    pub simplyprint_api_url: String,
    /// The SimplyPrint fake's files host.
    pub simplyprint_files_url: String,
    /// The Sendcloud fake's API base.
    pub sendcloud_api_url: String,
    /// `GRIDFLOCK_DATA_DIR`.
    pub gridflock_data_dir: PathBuf,
    /// `SLICER_WORK_DIR`.
    pub slicer_work_dir: PathBuf,
    /// `RUST_LOG`.
    pub log_level: String,
}

impl Wiring {
    /// The port of `service`.
    pub fn port(&self, service: Service) -> u16 {
        self.ports
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| service.standard_port())
    }

    /// `http://127.0.0.1:<port>` of `service`.
    pub fn url(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.port(service))
    }

    /// The environment of `service`, as compose gives it.
    pub fn environment(&self, service: Service) -> Vec<(String, String)> {
        use secrets::*;
        let mut env: Vec<(&str, String)> = vec![
            ("PORT", self.port(service).to_string()),
            ("INTERNAL_API_KEY", INTERNAL_API_KEY.to_owned()),
            ("RUST_LOG", self.log_level.clone()),
            ("HOSTNAME", service.name().to_owned()),
        ];
        if service.has_database() {
            env.extend([
                (
                    "DATABASE_URL",
                    format!("{}?connection_limit=3", self.database_url),
                ),
                ("REDIS_URL", self.redis_url.clone()),
                ("EVENT_STREAM_PREFIX", self.stream_prefix.clone()),
                ("SHUTDOWN_GRACE_SECONDS", "10".to_owned()),
            ]);
        }
        match service {
            Service::Gateway => env.extend([
                ("ORDER_SERVICE_URL", self.url(Service::Order)),
                ("PRINT_SERVICE_URL", self.url(Service::Print)),
                ("SHIPPING_SERVICE_URL", self.url(Service::Shipping)),
                ("GRIDFLOCK_SERVICE_URL", self.url(Service::Gridflock)),
                ("GATEWAY_CORS_ORIGIN", "http://localhost:8080".to_owned()),
            ]),
            Service::Order => env.extend([
                ("PRINT_SERVICE_URL", self.url(Service::Print)),
                ("GRIDFLOCK_SERVICE_URL", self.url(Service::Gridflock)),
                ("SHOPIFY_WEBHOOK_SECRET", SHOPIFY_WEBHOOK_SECRET.to_owned()),
                (
                    "SHOPIFY_ADMIN_URL_TEMPLATE",
                    self.shopify_admin_url_template.clone(),
                ),
                // The stack's orders all arrive by webhook; reconciliation
                // against the fake would only repeat them.
                ("RECONCILE_INTERVAL_SECONDS", "0".to_owned()),
            ]),
            Service::Print => env.extend([
                ("SIMPLYPRINT_API_URL", self.simplyprint_api_url.clone()),
                ("SIMPLYPRINT_FILES_URL", self.simplyprint_files_url.clone()),
                ("SIMPLYPRINT_COMPANY_ID", SIMPLYPRINT_COMPANY_ID.to_string()),
                ("SIMPLYPRINT_API_KEY", SIMPLYPRINT_API_KEY.to_owned()),
                (
                    "SIMPLYPRINT_WEBHOOK_SECRET",
                    SIMPLYPRINT_WEBHOOK_SECRET.to_owned(),
                ),
            ]),
            Service::Shipping => env.extend([
                ("ORDER_SERVICE_URL", self.url(Service::Order)),
                ("SENDCLOUD_API_URL", self.sendcloud_api_url.clone()),
                ("SENDCLOUD_PUBLIC_KEY", SENDCLOUD_PUBLIC_KEY.to_owned()),
                ("SENDCLOUD_SECRET_KEY", SENDCLOUD_SECRET_KEY.to_owned()),
                (
                    "SENDCLOUD_WEBHOOK_SECRET",
                    SENDCLOUD_WEBHOOK_SECRET.to_owned(),
                ),
                ("SHIP_FROM_NAME", "GridFlock Workshop".to_owned()),
                ("SHIP_FROM_ADDRESS1", "Fabriekstraat 1".to_owned()),
                ("SHIP_FROM_CITY", "Eindhoven".to_owned()),
                ("SHIP_FROM_POSTAL_CODE", "5611 AA".to_owned()),
                ("SHIP_FROM_COUNTRY", "NL".to_owned()),
                ("SHIPPING_METHOD", "postnl:standard".to_owned()),
            ]),
            Service::Gridflock => env.extend([
                ("ORDER_SERVICE_URL", self.url(Service::Order)),
                ("PRINT_SERVICE_URL", self.url(Service::Print)),
                ("SLICER_SERVICE_URL", self.url(Service::Slicer)),
                (
                    "GRIDFLOCK_DATA_DIR",
                    self.gridflock_data_dir.display().to_string(),
                ),
            ]),
            Service::Slicer => env.push((
                "SLICER_WORK_DIR",
                self.slicer_work_dir.display().to_string(),
            )),
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}
