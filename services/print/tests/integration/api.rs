//! The internal API's guards: the internal key, and input checks that name
//! the field and the allowed range.

use crate::harness::{Harness, request};
use serde_json::{Value, json};
use uuid::Uuid;

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.expect("problem")
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn internal_routes_need_the_api_key() {
    let h = Harness::start().await;
    let file = h.file("plate.gcode");
    let body = request(&[&file], 1);
    let id = Uuid::now_v7();
    let calls = [
        (reqwest::Method::POST, "/internal/print-jobs".to_owned()),
        (
            reqwest::Method::GET,
            format!("/internal/print-jobs?orderId={id}"),
        ),
        (reqwest::Method::GET, format!("/internal/print-jobs/{id}")),
        (
            reqwest::Method::POST,
            format!("/internal/print-jobs/{id}/force-status"),
        ),
        (reqwest::Method::POST, "/internal/files".to_owned()),
    ];
    for (method, path) in calls {
        for key in [None, Some("wrong-key-wrong-key-wrong")] {
            let mut req = h.http.request(method.clone(), h.url(&path)).json(&body);
            if let Some(k) = key {
                req = req.header("X-Internal-Api-Key", k);
            }
            let response = req.send().await.expect("request");
            let p = problem(response, 401).await;
            assert_eq!(p["type"], "/problems/unauthorized", "{method} {path}");
        }
    }
    let pool = h.sql().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM print_jobs")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    // Health needs no key.
    let health = h.http.get(h.url("/health")).send().await.expect("health");
    assert_eq!(health.status(), 200);
    let ready = h
        .http
        .get(h.url("/health/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn bad_input_is_a_422_naming_the_field() {
    let h = Harness::start().await;
    let file = h.file("plate.gcode");
    let valid = serde_json::to_value(request(&[&file], 1)).expect("json");

    let mut cases: Vec<(Value, Vec<&str>)> = Vec::new();
    let mut empty = valid.clone();
    empty["jobs"] = json!([]);
    cases.push((empty, vec!["jobs"]));
    let mut many = valid.clone();
    let job = valid["jobs"][0].clone();
    many["jobs"] = Value::Array(
        (0..1001)
            .map(|i| {
                let mut j = job.clone();
                j["copyIndex"] = json!(i);
                j
            })
            .collect(),
    );
    cases.push((many, vec!["jobs"]));
    let mut copy = valid.clone();
    copy["jobs"][0]["copyIndex"] = json!(10_000);
    cases.push((copy, vec!["jobs[0].copyIndex"]));
    let mut file_id = valid.clone();
    file_id["jobs"][0]["simplyprintFileId"] = json!("");
    cases.push((file_id, vec!["jobs[0].simplyprintFileId"]));
    let mut negative = valid.clone();
    negative["jobs"][0]["copyIndex"] = json!(-1);
    cases.push((negative, vec!["jobs[0].copyIndex"]));
    let mut missing = valid.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("lineItemId");
    cases.push((missing, vec!["lineItemId"]));

    for (body, expected) in cases {
        let response = h
            .internal(reqwest::Method::POST, "/internal/print-jobs")
            .json(&body)
            .send()
            .await
            .expect("create");
        let p = problem(response, 422).await;
        let got = fields(&p);
        for field in &expected {
            assert!(got.iter().any(|g| g == field), "expected {field} in {p}");
        }
    }
    // The range is spelled out.
    let mut copy = valid.clone();
    copy["jobs"][0]["copyIndex"] = json!(10_000);
    let p = problem(
        h.internal(reqwest::Method::POST, "/internal/print-jobs")
            .json(&copy)
            .send()
            .await
            .expect("create"),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["message"], "is 10000; 0..=9999 expected");

    let p = problem(
        h.internal(reqwest::Method::GET, "/internal/print-jobs")
            .send()
            .await
            .expect("list"),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["orderId"]);
    let p = problem(
        h.internal(reqwest::Method::GET, "/internal/print-jobs/not-a-uuid")
            .send()
            .await
            .expect("get"),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["id"]);
    let id = Uuid::now_v7();
    let p = problem(
        h.internal(
            reqwest::Method::POST,
            &format!("/internal/print-jobs/{id}/force-status"),
        )
        .json(&json!({ "status": "DONE", "reason": "x" }))
        .send()
        .await
        .expect("force"),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["status"]);
    let p = problem(
        h.internal(
            reqwest::Method::POST,
            &format!("/internal/print-jobs/{id}/force-status"),
        )
        .json(&json!({ "status": "FAILED", "reason": "  " }))
        .send()
        .await
        .expect("force"),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);

    let pool = h.sql().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM print_jobs")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    let unknown = h
        .internal(reqwest::Method::GET, &format!("/internal/print-jobs/{id}"))
        .send()
        .await
        .expect("get");
    problem(unknown, 404).await;
}
