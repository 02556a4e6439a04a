//! The gateway against real services: authentication on every route,
//! tenant isolation, roles, limits, webhooks, health, events, sessions and
//! the OpenAPI document.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use service_common::testing::{TEST_INTERNAL_KEY, eventually};
use std::time::{Duration, Instant};
use support::{EventReader, Options, SHOP_A, SHOP_B, Stack};
use svc_gateway::routes::{Access, ROUTES};

fn concrete(path: &str) -> String {
    path.replace("{id}", &uuid::Uuid::new_v4().to_string())
        .replace("{topic}", "orders-create")
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("method")
}

#[tokio::test]
async fn every_operator_route_needs_credentials() {
    let stack = Stack::start(Options::default()).await;
    let operator_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| matches!(r.access, Access::Operator(_)))
        .collect();
    assert!(operator_routes.len() >= 14);
    let extra = [("GET", "/api/v1/events"), ("GET", "/api/v1/auth/me")];
    let all = operator_routes
        .iter()
        .map(|r| (r.method, r.path))
        .chain(extra);
    for (m, path) in all {
        let url = format!("{}{}", stack.url, concrete(path));
        for credentials in [None, Some("Bearer gfc_0000"), Some("Basic dXNlcjpwdw==")] {
            let mut req = stack.http.request(method(m), &url).json(&json!({}));
            if let Some(c) = credentials {
                req = req.header("authorization", c);
            }
            let r = req.send().await.expect("request");
            assert_eq!(r.status(), 401, "{m} {path} with {credentials:?}");
            assert_eq!(
                r.headers()["content-type"],
                "application/problem+json",
                "{m} {path}"
            );
        }
        // A session cookie that was never issued is no credential either.
        let r = stack
            .http
            .request(method(m), &url)
            .header("cookie", "gfc_session=deadbeef")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 401, "{m} {path} with a made-up session");
    }
    // Public routes are not behind operator auth.
    for r in ROUTES.iter().filter(|r| r.access == Access::Public) {
        let resp = stack
            .http
            .request(method(r.method), format!("{}{}", stack.url, r.path))
            .json(&json!({}))
            .send()
            .await
            .expect("public");
        assert_ne!(resp.status(), 401, "{} {}", r.method, r.path);
    }
    // The internal provisioning endpoints need the internal key.
    let r = stack
        .http
        .post(format!("{}/internal/operators", stack.url))
        .json(&json!({ "tenantId": stack.tenant_a, "email": "x@y.z", "role": "admin" }))
        .send()
        .await
        .expect("internal");
    assert_eq!(r.status(), 401);
    // An unknown API path is a 404 problem, not a pass-through.
    let token = stack.operator(&stack.tenant_a, "admin").await;
    let r = stack
        .call(&token, Method::GET, "/api/v1/secrets", None)
        .await;
    assert_eq!(r.status(), 404);
    stack.stop().await;
}

#[tokio::test]
async fn one_tenant_never_sees_anothers_resources() {
    let stack = Stack::start(Options::default()).await;
    let a = stack.operator(&stack.tenant_a, "admin").await;
    let b = stack.operator(&stack.tenant_b, "admin").await;
    let mapping_b = stack.create_mapping(&b).await;
    let mapping_b = mapping_b["id"].as_str().expect("mapping id").to_owned();
    let sent = stack.send_order(SHOP_B, 9001).await;
    assert_eq!(sent.status, 200, "{}", sent.body);

    let (status, orders) = stack.get_json(&b, "/api/v1/orders").await;
    assert_eq!(status, 200);
    let order_b = orders[0]["id"].as_str().expect("B's order").to_owned();
    assert_eq!(orders[0]["tenantId"], stack.tenant_b.as_str());
    let jobs: Value = eventually(Duration::from_secs(20), "B's print jobs", || async {
        let (status, list) = stack
            .get_json(&b, &format!("/api/v1/print-jobs?orderId={order_b}"))
            .await;
        (status == 200 && list["jobs"].as_array().is_some_and(|j| !j.is_empty())).then_some(list)
    })
    .await;
    let job_b = jobs["jobs"][0]["id"].as_str().expect("job id").to_owned();
    for path in [
        format!("/api/v1/orders/{order_b}"),
        format!("/api/v1/mappings/{mapping_b}"),
        format!("/api/v1/print-jobs/{job_b}"),
        format!("/api/v1/print-jobs?orderId={order_b}"),
    ] {
        let (status, _) = stack.get_json(&b, &path).await;
        assert_eq!(status, 200, "B reads its own {path}");
        let (status, body) = stack.get_json(&a, &path).await;
        assert_eq!(status, 404, "A reads B's {path}: {body}");
        // A tenant header from the client changes nothing.
        let r = stack
            .http
            .get(format!("{}{path}", stack.url))
            .bearer_auth(&a)
            .header("x-tenant-id", &stack.tenant_b)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 404, "A with B's X-Tenant-Id reads {path}");
    }
    let change = json!({ "sku": "CABLE-ORG", "productName": "Taken", "parts": [] });
    let r = stack
        .call(
            &a,
            Method::PUT,
            &format!("/api/v1/mappings/{mapping_b}"),
            Some(&change),
        )
        .await;
    assert!(
        matches!(r.status().as_u16(), 404 | 422),
        "PUT {}",
        r.status()
    );
    let r = stack
        .call(
            &a,
            Method::DELETE,
            &format!("/api/v1/mappings/{mapping_b}"),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
    let (_, still) = stack
        .get_json(&b, &format!("/api/v1/mappings/{mapping_b}"))
        .await;
    assert_eq!(still["productName"], "Cable organiser");
    let (status, orders_a) = stack.get_json(&a, "/api/v1/orders").await;
    assert_eq!(status, 200);
    assert_eq!(orders_a, json!([]));
    stack.stop().await;
}

#[tokio::test]
async fn roles_and_body_limits_are_enforced() {
    let stack = Stack::start(Options::default()).await;
    let viewer = stack.operator(&stack.tenant_a, "viewer").await;
    let operator = stack.operator(&stack.tenant_a, "operator").await;
    let mapping = json!({ "sku": "X-1", "productName": "X", "parts": [] });
    let r = stack
        .call(&viewer, Method::POST, "/api/v1/mappings", Some(&mapping))
        .await;
    assert_eq!(r.status(), 403);
    let (status, _) = stack.get_json(&viewer, "/api/v1/mappings").await;
    assert_eq!(status, 200);
    let (status, list) = stack.get_json(&operator, "/api/v1/mappings").await;
    assert_eq!(
        (status, list),
        (200, json!([])),
        "the viewer's POST reached nobody"
    );
    // Settings are the admin's.
    let r = stack
        .call(
            &operator,
            Method::PUT,
            "/api/v1/settings/print",
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status(), 403);

    // 1 MiB by default for the API …
    let big = vec![b' '; 1024 * 1024 + 1];
    let r = stack
        .http
        .post(format!("{}/api/v1/mappings", stack.url))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // … also when the size is not announced up front.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 64 * 1024])).collect();
    let r = stack
        .http
        .post(format!("{}/api/v1/mappings", stack.url))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 413);
    // Webhooks may be larger (5 MiB) but not unbounded.
    let r = stack
        .http
        .post(format!("{}/webhooks/shopify/orders-create", stack.url))
        .header("content-type", "application/json")
        .body(vec![b' '; 5 * 1024 * 1024 + 1])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 413);
    stack.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let stack = Stack::start(Options {
        rate_limit_per_minute: 3,
        ..Options::default()
    })
    .await;
    let a = stack.operator(&stack.tenant_a, "viewer").await;
    let other = stack.operator(&stack.tenant_a, "viewer").await;
    for i in 0..3 {
        let (status, _) = stack.get_json(&a, "/api/v1/orders").await;
        assert_eq!(status, 200, "request {i}");
    }
    let r = stack.call(&a, Method::GET, "/api/v1/orders", None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(problem["type"], "/problems/rate-limited");
    // The bucket is the operator's own.
    let (status, _) = stack.get_json(&other, "/api/v1/orders").await;
    assert_eq!(status, 200);
    // Public routes are limited per address.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = stack
            .http
            .get(format!(
                "{}/api/v1/gridflock/plan?widthMm=300&heightMm=200",
                stack.url
            ))
            .send()
            .await
            .expect("plan");
        statuses.push(r.status().as_u16());
    }
    assert_ne!(statuses[0], 429);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    stack.stop().await;
}

#[tokio::test]
async fn shopify_webhooks_pass_through_untouched() {
    let stack = Stack::start(Options::default()).await;
    let a = stack.operator(&stack.tenant_a, "viewer").await;
    let body = json!({
        "id": 4242, "name": "#4242", "email": "jan@example.nl",
        "updated_at": "2026-11-27T10:00:00Z",
        "line_items": [{ "id": 42420, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": 1 }],
    });
    let sender = svc_fakes::shopify::WebhookSender::new(support::SHOPIFY_SECRET, SHOP_A);
    let url = format!("{}/webhooks/shopify/orders-create", stack.url);
    // Signed over other bytes: refused by order-service.
    let delivery = svc_fakes::shopify::Delivery::json("orders/create", &body);
    let wrong = sender.signature(b"{\"id\":4242}");
    let refused = sender
        .send_with_signature(&url, &delivery, &wrong)
        .await
        .expect("sent");
    assert_eq!(refused.status, 401, "{}", refused.body);
    let (_, orders) = stack.get_json(&a, "/api/v1/orders").await;
    assert_eq!(orders, json!([]));
    // The real signature over the raw bytes (formatting included) is accepted.
    let pretty = serde_json::to_vec_pretty(&body).expect("json");
    let delivery = svc_fakes::shopify::Delivery::new("orders/create", pretty);
    let accepted = sender.send(&url, &delivery).await.expect("sent");
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let (_, orders) = stack.get_json(&a, "/api/v1/orders").await;
    assert_eq!(orders[0]["shopifyOrderId"], 4242);
    stack.stop().await;
}

#[tokio::test]
async fn health_aggregates_the_backends_and_sees_one_stop() {
    let mut stack = Stack::start(Options::default()).await;
    let r = stack
        .http
        .get(format!("{}/health", stack.url))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    let services = body["services"].as_array().expect("services");
    assert_eq!(services.len(), 4);
    assert!(services.iter().all(|s| s["status"] == "up"), "{body}");
    let r = stack
        .http
        .get(format!("{}/health/ready", stack.url))
        .send()
        .await
        .expect("ready");
    assert_eq!(r.status(), 200);

    stack.print.take().expect("print").stop().await;
    let stopped = Instant::now();
    let body: Value = eventually(
        Duration::from_secs(5),
        "print-service reported down",
        || async {
            let r = stack
                .http
                .get(format!("{}/health", stack.url))
                .send()
                .await
                .ok()?;
            if r.status() != 503 {
                return None;
            }
            let body: Value = r.json().await.ok()?;
            let print = body["services"]
                .as_array()?
                .iter()
                .find(|s| s["name"] == "print-service")?
                .clone();
            (print["status"] == "down").then_some(body)
        },
    )
    .await;
    assert!(stopped.elapsed() < Duration::from_secs(5));
    assert_eq!(body["status"], "degraded");
    let shipping = body["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == "shipping-service")
        .expect("shipping listed")
        .clone();
    assert_eq!(shipping["status"], "up");
    stack.stop().await;
}

#[tokio::test]
async fn events_reach_only_the_operators_tenant() {
    let stack = Stack::start(Options::default()).await;
    let a = stack.operator(&stack.tenant_a, "viewer").await;
    let b = stack.operator(&stack.tenant_b, "viewer").await;
    let events_a = EventReader::open(&stack.url, &a).await;
    let events_b = EventReader::open(&stack.url, &b).await;

    let sent = stack.send_order(SHOP_A, 7001).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let created = eventually(Duration::from_secs(15), "order.created for A", || async {
        events_a
            .snapshot()
            .into_iter()
            .find(|(name, _)| name == "order.created")
    })
    .await;
    assert_eq!(created.1["tenantId"], stack.tenant_a.as_str());
    assert_eq!(created.1["eventType"], "order.created");

    // B's stream works (it sees B's own order) and never saw A's.
    let sent = stack.send_order(SHOP_B, 7002).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    eventually(Duration::from_secs(15), "order.created for B", || async {
        events_b
            .snapshot()
            .into_iter()
            .find(|(name, _)| name == "order.created")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (name, data) in events_b.snapshot() {
        assert_eq!(
            data["tenantId"],
            stack.tenant_b.as_str(),
            "B got {name}: {data}"
        );
    }
    for (name, data) in events_a.snapshot() {
        assert_eq!(
            data["tenantId"],
            stack.tenant_a.as_str(),
            "A got {name}: {data}"
        );
    }
    drop(events_a);
    drop(events_b);
    stack.stop().await;
}

fn cookie_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .expect("set-cookie")
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn login_opens_a_cookie_session_and_logout_ends_it() {
    let stack = Stack::start(Options::default()).await;
    let token = stack.operator(&stack.tenant_a, "operator").await;
    let login = format!("{}/api/v1/auth/login", stack.url);
    let r = stack
        .http
        .post(&login)
        .json(&json!({ "token": "gfc_not-a-token" }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());

    let r = stack
        .http
        .post(&login)
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let set = cookie_of(&r);
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    assert!(
        !set.contains(&token),
        "the cookie must not carry the API token"
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["operator"]["tenantId"], stack.tenant_a.as_str());
    let cookie = set.split(';').next().expect("pair").to_owned();

    let with_cookie = |path: &str| {
        stack
            .http
            .get(format!("{}{path}", stack.url))
            .header("cookie", &cookie)
    };
    let r = with_cookie("/api/v1/auth/me").send().await.expect("me");
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.expect("json");
    assert_eq!(me["role"], "operator");
    let r = with_cookie("/api/v1/orders").send().await.expect("orders");
    assert_eq!(r.status(), 200);

    let r = stack
        .http
        .post(format!("{}/api/v1/auth/logout", stack.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    assert!(cookie_of(&r).contains("Max-Age=0"));
    let r = with_cookie("/api/v1/orders").send().await.expect("orders");
    assert_eq!(r.status(), 401);
    let r = with_cookie("/api/v1/auth/me").send().await.expect("me");
    assert_eq!(r.status(), 401);
    stack.stop().await;
}

#[tokio::test]
async fn revoking_a_token_ends_its_sessions() {
    let stack = Stack::start(Options::default()).await;
    let r = stack
        .http
        .post(format!("{}/internal/operators", stack.url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .json(&json!({ "tenantId": stack.tenant_a, "email": "ops@example.test", "role": "admin" }))
        .send()
        .await
        .expect("operator");
    let op: Value = r.json().await.expect("json");
    let dup = stack
        .http
        .post(format!("{}/internal/operators", stack.url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .json(&json!({ "tenantId": stack.tenant_a, "email": "OPS@example.test", "role": "viewer" }))
        .send()
        .await
        .expect("operator");
    assert_eq!(dup.status(), 409);
    let issued: Value = stack
        .http
        .post(format!(
            "{}/internal/operators/{}/tokens",
            stack.url,
            op["id"].as_str().expect("id")
        ))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = issued["token"].as_str().expect("token");
    let r = stack
        .http
        .post(format!("{}/api/v1/auth/login", stack.url))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("login");
    let cookie = cookie_of(&r).split(';').next().expect("pair").to_owned();
    let r = stack
        .http
        .post(format!(
            "{}/internal/tokens/{}/revoke",
            stack.url,
            issued["id"].as_str().expect("id")
        ))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 204);
    let (status, _) = stack.get_json(token, "/api/v1/orders").await;
    assert_eq!(status, 401);
    let r = stack
        .http
        .get(format!("{}/api/v1/orders", stack.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("orders");
    assert_eq!(r.status(), 401);
    stack.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let stack = Stack::start(Options::default()).await;
    let doc: Value = stack
        .http
        .get(format!("{}/api/docs/openapi.json", stack.url))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for r in ROUTES {
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        assert!(op.is_object(), "{} {} is not documented", r.method, r.path);
        assert!(op["responses"].is_object(), "{} {}", r.method, r.path);
        if matches!(r.access, Access::Operator(_)) {
            assert_eq!(op["security"][0], json!({ "bearerAuth": [] }), "{}", r.path);
        }
    }
    for own in svc_gateway::openapi::OWN {
        assert!(doc["paths"][own.path][own.method.to_ascii_lowercase()].is_object());
    }
    for scheme in ["bearerAuth", "sessionCookie", "internalApiKey"] {
        assert!(doc["components"]["securitySchemes"][scheme].is_object());
    }
    let r = stack
        .http
        .get(format!("{}/api/docs", stack.url))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    let page = r.text().await.expect("html");
    for route in ROUTES {
        assert!(
            page.contains(route.path),
            "{} missing from the page",
            route.path
        );
    }
    assert!(!page.contains("<script"), "the page loads nothing");

    // CORS for the web origin only.
    let r = stack
        .http
        .request(Method::OPTIONS, format!("{}/api/v1/orders", stack.url))
        .header("origin", "https://app.gridflock.test")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("preflight");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.gridflock.test"
    );
    let r = stack
        .http
        .request(Method::OPTIONS, format!("{}/api/v1/orders", stack.url))
        .header("origin", "https://evil.test")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    stack.stop().await;
}
