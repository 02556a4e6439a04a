//! The fake Admin API over real HTTP: access tokens, orders with cursor
//! pagination and filters, fulfillment orders, GraphQL fulfillmentCreate.

mod common;

use serde_json::{Value, json};
use svc_fakes::shopify::{INVALID_TOKEN_BODY, ShopifyFake};

const SHOP: &str = "gridflock-test.myshopify.com";
const TOKEN: &str = "shpat_test";

fn order(id: u64, created_at: &str, quantities: &[u64]) -> Value {
    let line_items: Vec<Value> = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({
                "id": id * 10 + i as u64,
                "sku": format!("GF-{i}"),
                "name": format!("Plate {i}"),
                "quantity": q,
                "fulfillable_quantity": q,
            })
        })
        .collect();
    json!({
        "id": id,
        "name": format!("#{id}"),
        "created_at": created_at,
        "updated_at": created_at,
        "cancelled_at": null,
        "closed_at": null,
        "line_items": line_items,
    })
}

async fn fake_with_token() -> ShopifyFake {
    let fake = ShopifyFake::start().await;
    fake.set_access_token(SHOP, TOKEN);
    fake
}

fn api(fake: &ShopifyFake, path: &str) -> String {
    format!("{}/admin/api/2026-04/{path}", fake.admin_url(SHOP))
}

async fn get(url: &str) -> reqwest::Response {
    common::client()
        .get(url)
        .header("X-Shopify-Access-Token", TOKEN)
        .send()
        .await
        .expect("answered")
}

async fn graphql(fake: &ShopifyFake, query: &str, variables: Value) -> Value {
    let response = common::client()
        .post(api(fake, "graphql.json"))
        .header("X-Shopify-Access-Token", TOKEN)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

const FO_QUERY: &str = "query FulfillmentOrders($id: ID!) { order(id: $id) { fulfillmentOrders(first: 10) { nodes { id status lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } } } } } }";
const CREATE: &str = "mutation Fulfil($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status } userErrors { field message } } }";

#[test]
fn the_template_names_the_shop() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(ShopifyFake::start());
    assert!(fake.admin_url_template().ends_with("/shops/{shop}"));
    assert!(fake.admin_url_template().starts_with(&fake.url()));
}

#[tokio::test]
async fn wrong_or_missing_tokens_get_shopifys_401() {
    let fake = fake_with_token().await;
    for token in [None, Some("wrong")] {
        let mut request = common::client().get(api(&fake, "orders.json"));
        if let Some(token) = token {
            request = request.header("X-Shopify-Access-Token", token);
        }
        let response = request.send().await.expect("answered");
        assert_eq!(response.status(), 401);
        assert_eq!(response.text().await.expect("body"), INVALID_TOKEN_BODY);
    }
    let response = get(&api(&fake, "orders.json")).await;
    assert_eq!(response.status(), 200);
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[2].header("x-shopify-access-token"), Some(TOKEN));
}

#[tokio::test]
async fn orders_page_by_cursor_in_id_order() {
    let fake = fake_with_token().await;
    // Added out of order: the answer is sorted by id.
    for id in [5, 3, 1, 4, 2] {
        fake.add_order(SHOP, order(id, "2026-03-02T10:30:00+01:00", &[1]));
    }
    let mut url = format!("{}?status=any&limit=2", api(&fake, "orders.json"));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = get(&url).await;
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body: Value = response.json().await.expect("JSON");
        let orders = body["orders"].as_array().expect("orders");
        assert!(orders.len() <= 2);
        seen.extend(orders.iter().map(|o| o["id"].as_u64().expect("id")));
        pages += 1;
        let next = link.as_deref().and_then(|l| {
            l.split(", ")
                .find(|part| part.ends_with("rel=\"next\""))
                .map(|part| part[1..part.find('>').expect("closing >")].to_owned())
        });
        match next {
            Some(next) => {
                assert!(next.contains("page_info="), "{next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn page_info_refuses_extra_filters_and_second_pages_link_back() {
    let fake = fake_with_token().await;
    for id in 1..=3 {
        fake.add_order(SHOP, order(id, "2026-03-02T10:30:00Z", &[1]));
    }
    let first = get(&format!("{}?limit=1", api(&fake, "orders.json"))).await;
    let link = first.headers()["link"].to_str().expect("ascii").to_owned();
    let next = &link[1..link.find('>').expect(">")];
    let bad = get(&format!("{next}&status=any")).await;
    assert_eq!(bad.status(), 400);
    let second = get(next).await;
    let link = second.headers()["link"].to_str().expect("ascii").to_owned();
    assert!(
        link.contains("rel=\"previous\"") && link.contains("rel=\"next\""),
        "{link}"
    );
}

#[tokio::test]
async fn orders_filter_by_status_and_dates() {
    let fake = fake_with_token().await;
    fake.add_order(SHOP, order(1, "2026-01-01T00:00:00Z", &[1]));
    fake.add_order(SHOP, order(2, "2026-02-01T00:00:00Z", &[1]));
    let mut cancelled = order(3, "2026-03-01T00:00:00Z", &[1]);
    cancelled["cancelled_at"] = json!("2026-03-02T00:00:00Z");
    fake.add_order(SHOP, cancelled);

    let ids = |body: Value| -> Vec<u64> {
        body["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .map(|o| o["id"].as_u64().expect("id"))
            .collect()
    };
    let list = |query: &str| {
        let url = format!("{}?{query}", api(&fake, "orders.json"));
        async move { get(&url).await.json::<Value>().await.expect("JSON") }
    };
    assert_eq!(ids(list("status=any").await), [1, 2, 3]);
    assert_eq!(ids(list("").await), [1, 2], "default status is open");
    assert_eq!(ids(list("status=cancelled").await), [3]);
    assert_eq!(
        ids(list("status=any&created_at_min=2026-01-15T00:00:00Z").await),
        [2, 3]
    );
    assert_eq!(
        ids(list("status=any&updated_at_min=2026-01-15T00:00:00%2B01:00&updated_at_max=2026-02-15T00:00:00Z").await),
        [2]
    );
    assert_eq!(
        get(&format!(
            "{}?created_at_min=yesterday",
            api(&fake, "orders.json")
        ))
        .await
        .status(),
        400
    );
}

#[tokio::test]
async fn single_order_and_fulfillment_orders_from_a_vendor_fixture() {
    let fake = fake_with_token().await;
    fake.add_order(
        SHOP,
        common::fixture("shopify_order__shopify-api-ruby__order.json"),
    );
    let response = get(&api(&fake, "orders/450789469.json")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["order"]["name"], "#1001");
    assert_eq!(get(&api(&fake, "orders/1.json")).await.status(), 404);

    let body: Value = get(&api(&fake, "orders/450789469/fulfillment_orders.json"))
        .await
        .json()
        .await
        .expect("JSON");
    let fos = body["fulfillment_orders"].as_array().expect("list");
    assert_eq!(fos.len(), 1);
    assert_eq!(fos[0]["status"], "open");
    assert_eq!(fos[0]["order_id"], 450_789_469);
    let line_items = fos[0]["line_items"].as_array().expect("line items");
    let order_lines = body_lines(&fake);
    assert_eq!(line_items.len(), order_lines.len());
    for (fo_line, order_line) in line_items.iter().zip(&order_lines) {
        assert_eq!(fo_line["line_item_id"], order_line["id"]);
        assert_eq!(fo_line["quantity"], order_line["quantity"]);
    }
}

fn body_lines(fake: &ShopifyFake) -> Vec<Value> {
    fake.order(SHOP, 450_789_469).expect("stored")["line_items"]
        .as_array()
        .expect("line items")
        .clone()
}

#[tokio::test]
async fn graphql_lists_fulfillment_orders_and_fulfils_them_once() {
    let fake = fake_with_token().await;
    let order_id = 820_982_911_946_154_508u64;
    fake.add_order(SHOP, order(order_id, "2026-03-02T10:30:00Z", &[2, 1]));

    let answer = graphql(
        &fake,
        FO_QUERY,
        json!({ "id": format!("gid://shopify/Order/{order_id}") }),
    )
    .await;
    let fos = answer["data"]["order"]["fulfillmentOrders"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(fos.len(), 1);
    let fo = &fos[0];
    assert_eq!(fo["status"], "OPEN");
    assert!(
        fo["id"]
            .as_str()
            .expect("id")
            .starts_with("gid://shopify/FulfillmentOrder/")
    );
    let lines = fo["lineItems"]["nodes"].as_array().expect("lines");
    assert_eq!(lines[0]["remainingQuantity"], 2);
    assert_eq!(lines[0]["lineItem"]["sku"], "GF-0");
    assert_eq!(
        lines[0]["lineItem"]["id"],
        format!("gid://shopify/LineItem/{}", order_id * 10)
    );
    assert!(
        lines[0]["id"]
            .as_str()
            .expect("id")
            .starts_with("gid://shopify/FulfillmentOrderLineItem/")
    );

    let input = json!({ "fulfillment": {
        "lineItemsByFulfillmentOrder": [{ "fulfillmentOrderId": fo["id"] }],
        "notifyCustomer": true,
        "trackingInfo": { "number": "3SABCD0123456789", "url": "https://tracking.example/3SABCD", "company": "PostNL" },
    }});
    let created = graphql(&fake, CREATE, input.clone()).await;
    let payload = &created["data"]["fulfillmentCreate"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["fulfillment"]["status"], "SUCCESS");
    assert!(
        payload["fulfillment"]["id"]
            .as_str()
            .expect("id")
            .starts_with("gid://shopify/Fulfillment/")
    );

    let recorded = fake.fulfillments(SHOP);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["order_id"], order_id);
    assert_eq!(recorded[0]["tracking_number"], "3SABCD0123456789");
    assert_eq!(recorded[0]["tracking_info"]["company"], "PostNL");
    assert_eq!(recorded[0]["notify_customer"], true);
    assert_eq!(
        fake.order(SHOP, order_id).expect("order")["fulfillment_status"],
        "fulfilled"
    );

    let after = graphql(
        &fake,
        FO_QUERY,
        json!({ "id": format!("gid://shopify/Order/{order_id}") }),
    )
    .await;
    let fo_after = &after["data"]["order"]["fulfillmentOrders"]["nodes"][0];
    assert_eq!(fo_after["status"], "CLOSED");
    assert_eq!(fo_after["lineItems"]["nodes"][0]["remainingQuantity"], 0);

    let again = graphql(&fake, CREATE, input).await;
    let payload = &again["data"]["fulfillmentCreate"];
    assert_eq!(payload["fulfillment"], Value::Null);
    assert_eq!(
        payload["userErrors"][0]["message"],
        "Invalid fulfillment order line item quantity requested."
    );
    assert_eq!(fake.fulfillments(SHOP).len(), 1);
}

#[tokio::test]
async fn partial_fulfilment_by_line_item_leaves_the_rest_open() {
    let fake = fake_with_token().await;
    fake.add_order(SHOP, order(7, "2026-03-02T10:30:00Z", &[3]));
    let answer = graphql(&fake, FO_QUERY, json!({ "id": "gid://shopify/Order/7" })).await;
    let fo = answer["data"]["order"]["fulfillmentOrders"]["nodes"][0].clone();
    let line = fo["lineItems"]["nodes"][0]["id"].clone();
    let part = |quantity: u64| {
        json!({ "fulfillment": { "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": fo["id"],
            "fulfillmentOrderLineItems": [{ "id": line, "quantity": quantity }],
        }]}})
    };
    let first = graphql(&fake, CREATE, part(2)).await;
    assert_eq!(first["data"]["fulfillmentCreate"]["userErrors"], json!([]));
    let too_many = graphql(&fake, CREATE, part(2)).await;
    assert_eq!(
        too_many["data"]["fulfillmentCreate"]["userErrors"][0]["message"],
        "Invalid fulfillment order line item quantity requested."
    );
    let answer = graphql(&fake, FO_QUERY, json!({ "id": "gid://shopify/Order/7" })).await;
    let fo = &answer["data"]["order"]["fulfillmentOrders"]["nodes"][0];
    assert_eq!(fo["status"], "IN_PROGRESS");
    assert_eq!(fo["lineItems"]["nodes"][0]["remainingQuantity"], 1);
    assert_eq!(
        fake.order(SHOP, 7).expect("order")["fulfillment_status"],
        "partial"
    );
}

#[tokio::test]
async fn unknown_orders_and_queries_answer_like_graphql() {
    let fake = fake_with_token().await;
    let missing = graphql(&fake, FO_QUERY, json!({ "id": "gid://shopify/Order/999" })).await;
    assert_eq!(missing["data"]["order"], Value::Null);
    let unsupported = graphql(&fake, "{ shop { name } }", json!({})).await;
    assert!(unsupported["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn legacy_rest_fulfillment_closes_the_fulfillment_order() {
    let fake = fake_with_token().await;
    fake.add_order(SHOP, order(11, "2026-03-02T10:30:00Z", &[1]));
    let body: Value = get(&api(&fake, "orders/11/fulfillment_orders.json"))
        .await
        .json()
        .await
        .expect("JSON");
    let fo_id = body["fulfillment_orders"][0]["id"].as_u64().expect("id");
    let request = json!({ "fulfillment": {
        "notify_customer": false,
        "tracking_info": { "number": "T1", "url": "https://t.example/T1", "company": "DHL" },
        "line_items_by_fulfillment_order": [{ "fulfillment_order_id": fo_id }],
    }});
    let post = || {
        common::client()
            .post(api(&fake, "fulfillments.json"))
            .header("X-Shopify-Access-Token", TOKEN)
            .json(&request)
            .send()
    };
    let created = post().await.expect("answered");
    assert_eq!(created.status(), 201);
    let again = post().await.expect("answered");
    assert_eq!(again.status(), 422);
    let fulfillments = fake.fulfillments(SHOP);
    assert_eq!(fulfillments.len(), 1);
    assert_eq!(fulfillments[0]["api"], "rest");
}

#[tokio::test]
async fn without_a_configured_token_any_token_is_accepted() {
    let fake = ShopifyFake::start().await;
    let ok = common::client()
        .get(api(&fake, "orders.json"))
        .header("X-Shopify-Access-Token", "anything")
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
    let missing = common::client()
        .get(api(&fake, "orders.json"))
        .send()
        .await
        .expect("answered");
    assert_eq!(missing.status(), 401);
}
