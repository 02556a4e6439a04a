//! The route table: every path the gateway forwards, which service owns it,
//! who may call it and how it is described in the OpenAPI document.
//!
//! Adding a backend route means adding one row here; the router, the
//! OpenAPI document and the route-table tests all read this list.

use crate::auth::Role;

/// A service behind the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// order-service (`ORDER_SERVICE_URL`).
    Order,
    /// print-service (`PRINT_SERVICE_URL`).
    Print,
    /// shipping-service (`SHIPPING_SERVICE_URL`).
    Shipping,
    /// gridflock-service (`GRIDFLOCK_SERVICE_URL`).
    Gridflock,
}

impl Backend {
    /// Every backend, in the order `/health` lists them.
    pub const ALL: [Backend; 4] = [
        Backend::Order,
        Backend::Print,
        Backend::Shipping,
        Backend::Gridflock,
    ];

    /// The service's name in logs, problems and `/health`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Order => "order-service",
            Backend::Print => "print-service",
            Backend::Shipping => "shipping-service",
            Backend::Gridflock => "gridflock-service",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An authenticated operator with at least this role; the request is
    /// scoped to the operator's tenant and rate-limited per operator.
    Operator(Role),
    /// Anyone; rate-limited per client address.
    Public,
    /// A third party's webhook: passed through untouched, the owner checks
    /// the signature.
    Webhook,
}

/// How the gateway path becomes the backend's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// The same path.
    Same,
    /// print-service's internal print-job routes, which know no tenant: the
    /// gateway checks the `tenantId` of what comes back.
    TenantCheckedPrintJobs,
}

/// A query parameter, for the OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// What it does.
    pub description: &'static str,
}

const fn q(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        required: false,
        description,
    }
}

/// One forwarded operation.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template; `{name}` matches one segment.
    pub path: &'static str,
    /// The owner.
    pub backend: Backend,
    /// Who may call it.
    pub access: Access,
    /// Path rewriting.
    pub upstream: Upstream,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// Query parameters.
    pub query: &'static [Param],
    /// Request body schema (a name under `components/schemas`).
    pub request: Option<&'static str>,
    /// Success status and response schema.
    pub response: (u16, Option<&'static str>),
}

const READ: Access = Access::Operator(Role::Viewer);
const WRITE: Access = Access::Operator(Role::Operator);
const ADMIN: Access = Access::Operator(Role::Admin);

const fn route(
    method: &'static str,
    path: &'static str,
    backend: Backend,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        backend,
        access,
        upstream: Upstream::Same,
        tag,
        summary,
        query: &[],
        request: None,
        response: (200, None),
    }
}

const fn with(
    mut r: Route,
    query: &'static [Param],
    request: Option<&'static str>,
    response: (u16, Option<&'static str>),
) -> Route {
    r.query = query;
    r.request = request;
    r.response = response;
    r
}

const fn print_jobs(mut r: Route) -> Route {
    r.upstream = Upstream::TenantCheckedPrintJobs;
    r
}

use Backend::{Gridflock, Order, Print, Shipping};

/// Every forwarded operation.
pub static ROUTES: &[Route] = &[
    with(
        route(
            "GET",
            "/api/v1/orders",
            Order,
            READ,
            "orders",
            "List the tenant's orders, newest first",
        ),
        &[
            q("status", "only orders in this status"),
            q("limit", "page size (default 50)"),
            q("before", "cursor: orders created before this one"),
        ],
        None,
        (200, Some("OrderList")),
    ),
    with(
        route(
            "GET",
            "/api/v1/orders/{id}",
            Order,
            READ,
            "orders",
            "One order with its line items and print jobs",
        ),
        &[],
        None,
        (200, Some("Order")),
    ),
    with(
        route(
            "GET",
            "/api/v1/mappings",
            Order,
            READ,
            "mappings",
            "List product mappings",
        ),
        &[],
        None,
        (200, Some("MappingList")),
    ),
    with(
        route(
            "POST",
            "/api/v1/mappings",
            Order,
            WRITE,
            "mappings",
            "Create a product mapping (409 for a duplicate SKU)",
        ),
        &[],
        Some("MappingInput"),
        (201, Some("Mapping")),
    ),
    with(
        route(
            "GET",
            "/api/v1/mappings/{id}",
            Order,
            READ,
            "mappings",
            "One product mapping",
        ),
        &[],
        None,
        (200, Some("Mapping")),
    ),
    with(
        route(
            "PUT",
            "/api/v1/mappings/{id}",
            Order,
            WRITE,
            "mappings",
            "Replace a product mapping",
        ),
        &[],
        Some("MappingInput"),
        (200, Some("Mapping")),
    ),
    with(
        route(
            "DELETE",
            "/api/v1/mappings/{id}",
            Order,
            WRITE,
            "mappings",
            "Delete a product mapping",
        ),
        &[],
        None,
        (204, None),
    ),
    with(
        route(
            "GET",
            "/api/v1/notifications",
            Order,
            READ,
            "notifications",
            "The operator notification feed",
        ),
        &[],
        None,
        (200, Some("NotificationList")),
    ),
    with(
        route(
            "GET",
            "/api/v1/settings/print",
            Order,
            READ,
            "settings",
            "The tenant's print settings",
        ),
        &[],
        None,
        (200, Some("PrintSettings")),
    ),
    with(
        route(
            "PUT",
            "/api/v1/settings/print",
            Order,
            ADMIN,
            "settings",
            "Replace the tenant's print settings (admin)",
        ),
        &[],
        Some("PrintSettings"),
        (200, Some("PrintSettings")),
    ),
    print_jobs(with(
        route(
            "GET",
            "/api/v1/print-jobs",
            Print,
            READ,
            "print-jobs",
            "The print jobs of one order",
        ),
        &[Param {
            name: "orderId",
            required: true,
            description: "the order whose jobs are listed",
        }],
        None,
        (200, Some("PrintJobList")),
    )),
    print_jobs(with(
        route(
            "GET",
            "/api/v1/print-jobs/{id}",
            Print,
            READ,
            "print-jobs",
            "One print job",
        ),
        &[],
        None,
        (200, Some("PrintJob")),
    )),
    with(
        route(
            "GET",
            "/api/v1/shipments",
            Shipping,
            READ,
            "shipments",
            "List the tenant's shipments",
        ),
        &[q("orderId", "only this order's shipments")],
        None,
        (200, Some("ShipmentList")),
    ),
    with(
        route(
            "GET",
            "/api/v1/shipments/{id}",
            Shipping,
            READ,
            "shipments",
            "One shipment",
        ),
        &[],
        None,
        (200, Some("Shipment")),
    ),
    with(
        route(
            "POST",
            "/api/v1/gridflock/preview",
            Gridflock,
            Access::Public,
            "gridflock",
            "Plan and preview a GridFlock baseplate set (public, rate-limited per address)",
        ),
        &[],
        Some("PreviewRequest"),
        (200, Some("Preview")),
    ),
    with(
        route(
            "GET",
            "/api/v1/gridflock/plan",
            Gridflock,
            Access::Public,
            "gridflock",
            "Plate plan summary for a size (public, rate-limited per address)",
        ),
        &[
            q("widthMm", "drawer width in millimetres (42..=2000)"),
            q("heightMm", "drawer depth in millimetres (42..=2000)"),
            q("connectorType", "connector between plates"),
            q("magnets", "true or false"),
            q("printerProfile", "printer whose bed bounds the plates"),
        ],
        None,
        (200, Some("PlanSummary")),
    ),
    with(
        route(
            "POST",
            "/webhooks/shopify/{topic}",
            Order,
            Access::Webhook,
            "webhooks",
            "Shopify order webhooks (orders-create, orders-updated, orders-cancelled); signed with X-Shopify-Hmac-Sha256",
        ),
        &[],
        Some("ShopifyOrder"),
        (200, None),
    ),
    with(
        route(
            "POST",
            "/webhooks/simplyprint",
            Print,
            Access::Webhook,
            "webhooks",
            "SimplyPrint job events; authenticated with X-SP-Secret",
        ),
        &[],
        Some("WebhookPayload"),
        (200, None),
    ),
    with(
        route(
            "POST",
            "/webhooks/sendcloud",
            Shipping,
            Access::Webhook,
            "webhooks",
            "Sendcloud parcel status events; signed with Sendcloud-Signature",
        ),
        &[],
        Some("WebhookPayload"),
        (200, None),
    ),
];

impl Route {
    /// The backend path for `path` (the request's path, which matched this route).
    pub fn upstream_path(&self, path: &str) -> String {
        match self.upstream {
            Upstream::Same => path.to_owned(),
            Upstream::TenantCheckedPrintJobs => path.replacen("/api/v1/", "/internal/", 1),
        }
    }

    /// Path parameter names, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_jobs_go_to_the_internal_routes() {
        let list = ROUTES
            .iter()
            .find(|r| r.path == "/api/v1/print-jobs")
            .expect("listed");
        assert_eq!(
            list.upstream_path("/api/v1/print-jobs"),
            "/internal/print-jobs"
        );
        let one = ROUTES
            .iter()
            .find(|r| r.path == "/api/v1/print-jobs/{id}")
            .expect("listed");
        assert_eq!(
            one.upstream_path("/api/v1/print-jobs/7"),
            "/internal/print-jobs/7"
        );
        let orders = ROUTES
            .iter()
            .find(|r| r.path == "/api/v1/orders")
            .expect("listed");
        assert_eq!(orders.upstream_path("/api/v1/orders"), "/api/v1/orders");
    }

    #[test]
    fn operations_are_unique_and_under_known_prefixes() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
            assert!(r.path.starts_with("/api/v1/") || r.path.starts_with("/webhooks/"));
            assert_eq!(
                r.access == Access::Webhook,
                r.path.starts_with("/webhooks/")
            );
        }
    }

    #[test]
    fn path_params_are_named() {
        let r = ROUTES
            .iter()
            .find(|r| r.path == "/api/v1/orders/{id}")
            .expect("listed");
        assert_eq!(r.path_params().collect::<Vec<_>>(), ["id"]);
    }
}
