//! The API host (`api.simplyprint.io` equivalent): account test, queue,
//! jobs and webhook management.

use super::access::admit;
use super::envelope::{http_error, ok, refuse};
use super::farm::Farm;
use super::model::JobStatus;
use super::server::Inner;
use crate::sync::lock;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// Every `/{company}/{path}` request of the API host.
pub(super) async fn handle(
    State(inner): State<Arc<Inner>>,
    Path((company, path)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(answer) = admit(&inner, &company, &path, &headers) {
        return answer;
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // An empty or non-JSON body reads as `{}`: several calls take only query parameters.
    let json: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({}));
    match path.trim_end_matches('/') {
        "account/Test" => {
            axum::Json(json!({ "status": true, "message": "Your API key is valid!" }))
                .into_response()
        }
        "files/Upload" => library_import(&inner, &json, param("folder")),
        "queue/AddItem" if method == Method::POST => add_item(&inner, &json),
        "queue/GetItems" => get_items(&inner, param("groups").as_deref() == Some("1")),
        "queue/GetItem" => get_item(&inner, param("id").or_else(|| number(&json, "id"))),
        "queue/DeleteItem" => delete_item(&inner, param("job").or_else(|| number(&json, "id"))),
        "jobs/GetPaginatedPrintJobs" => paginated_jobs(&inner, &json),
        "jobs/GetDetails" => job_details(&inner, param("id").or_else(|| number(&json, "id"))),
        "webhooks/Get" => {
            let list = lock(&inner.farm).webhooks.clone();
            ok(json!({ "data": list }))
        }
        "webhooks/Create" if method == Method::POST => {
            match lock(&inner.farm).save_webhook(&json) {
                Ok(webhook) => ok(json!({ "webhook": webhook })),
                Err(message) => refuse(message),
            }
        }
        "webhooks/Delete" if method == Method::POST => {
            match number(&json, "id")
                .or_else(|| param("id"))
                .and_then(|id| id.parse().ok())
            {
                Some(id) => match lock(&inner.farm).delete_webhook(id) {
                    Ok(()) => ok(json!({})),
                    Err(message) => refuse(message),
                },
                None => refuse("Missing webhook id"),
            }
        }
        "webhooks/SetEnabled" if method == Method::POST => set_enabled(&inner, &json),
        _ => http_error(404, "Not found"),
    }
}

/// A field that may come as a number or a string.
fn number(body: &Value, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn parse_id(raw: Option<String>) -> Option<i64> {
    raw?.trim().parse().ok()
}

/// `files/Upload` on the API host: API-key callers may only import a file
/// already on the files host into the library (`{fileId}` body).
fn library_import(inner: &Inner, body: &Value, _folder: Option<String>) -> Response {
    let Some(file_id) = body.get("fileId").and_then(Value::as_str) else {
        return refuse("Upload files through files.simplyprint.io when using an API key");
    };
    let farm = lock(&inner.farm);
    match farm.files.iter().find(|f| f.id == file_id) {
        Some(file) => ok(json!({ "id": &file.id[..32] })),
        None => refuse(format!("File not found: {file_id}")),
    }
}

fn add_item(inner: &Arc<Inner>, body: &Value) -> Response {
    let added = {
        let mut farm = lock(&inner.farm);
        farm.add_queue_item(body)
            .map(|item| (item.id, farm.queue_item_json(&item)))
    };
    match added {
        Ok((id, item)) => {
            inner.notify_in_background(
                "queue.add_item",
                json!({ "queue_item": item, "user": super::farm::operator() }),
            );
            ok(json!({ "created_id": id }))
        }
        Err(message) => refuse(message),
    }
}

fn get_items(inner: &Inner, with_done: bool) -> Response {
    let farm = lock(&inner.farm);
    let items: Vec<Value> = farm
        .queue
        .iter()
        .filter(|q| !q.deleted && q.left > 0)
        .map(|q| farm.queue_item_json(q))
        .collect();
    if !with_done {
        return ok(json!({ "queue": { "items": items } }));
    }
    let done: Vec<Value> = farm
        .queue
        .iter()
        .filter(|q| !q.deleted && q.left == 0)
        .map(|q| {
            let mut item = farm.queue_item_json(q);
            let jobs = farm.jobs.iter().filter(|j| j.queue_item_id == Some(q.id));
            let ongoing = jobs.clone().any(|j| j.status == JobStatus::Ongoing);
            let ended = jobs.filter_map(|j| j.ended).max();
            if let Some(map) = item.as_object_mut() {
                map.insert("ongoing".into(), json!(ongoing));
                map.insert("done".into(), json!(ended.map(super::farm::iso)));
                map.insert(
                    "expires".into(),
                    json!(ended.map(|e| super::farm::iso(e + 7 * 86_400))),
                );
            }
            item
        })
        .collect();
    ok(
        json!({ "queue": { "items": items, "done_items": done }, "groups": [{ "id": 0, "name": "Default" }] }),
    )
}

fn get_item(inner: &Inner, id: Option<String>) -> Response {
    let Some(id) = parse_id(id) else {
        return refuse("Missing queue item id");
    };
    let farm = lock(&inner.farm);
    match farm.queue_item(id) {
        // The docs show the item under `queue` while their table says `item`: send both.
        Some(item) => {
            let item = farm.queue_item_json(item);
            ok(json!({ "queue": item, "item": item }))
        }
        None => refuse(format!("Queue item {id} not found")),
    }
}

fn delete_item(inner: &Arc<Inner>, id: Option<String>) -> Response {
    let Some(id) = parse_id(id) else {
        return refuse("Missing queue item id");
    };
    let deleted = {
        let mut farm = lock(&inner.farm);
        farm.delete_queue_item(id)
            .map(|item| farm.queue_item_json(&item))
    };
    match deleted {
        Ok(item) => {
            inner.notify_in_background(
                "queue.delete_item",
                json!({ "queue_item": item, "user": super::farm::operator() }),
            );
            ok(json!({}))
        }
        Err(message) => refuse(message),
    }
}

fn strings(body: &Value, keys: &[&str]) -> Option<Vec<String>> {
    keys.iter()
        .find_map(|k| body.get(*k))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.as_i64().map(|n| n.to_string()))
                })
                .collect()
        })
}

fn paginated_jobs(inner: &Inner, body: &Value) -> Response {
    let int = |k: &str, default: i64| {
        body.get(k)
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(default)
    };
    let (page, page_size) = (int("page", 1), int("page_size", 10));
    if !(1..=100).contains(&page_size) {
        return refuse("page_size must be between 1 and 100");
    }
    if page < 1 {
        return refuse("page must be at least 1");
    }
    let statuses = strings(
        body,
        &["accepted_statuses", "accepted_statuses[]", "status"],
    )
    .map(|list| {
        list.into_iter()
            .map(|s| {
                if s == "finished" {
                    "done".to_owned()
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
    });
    let printers = strings(body, &["printer_ids", "printer_ids[]"]);
    let farm = lock(&inner.farm);
    let mut jobs: Vec<_> = farm
        .jobs
        .iter()
        .filter(|j| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == j.status.as_str()))
        })
        .filter(|j| {
            printers
                .as_ref()
                .is_none_or(|p| p.contains(&j.printer_id.to_string()))
        })
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
    let total = jobs.len() as i64;
    let page_amount = (total + page_size - 1) / page_size;
    let data: Vec<Value> = jobs
        .iter()
        .skip(((page - 1) * page_size) as usize)
        .take(page_size as usize)
        .map(|j| Farm::job_list_json(j))
        .collect();
    ok(json!({ "data": data, "page_amount": page_amount }))
}

fn job_details(inner: &Inner, uid: Option<String>) -> Response {
    let Some(uid) = uid.filter(|u| !u.is_empty()) else {
        return refuse("Missing job id");
    };
    let farm = lock(&inner.farm);
    match farm.job_by_uid(&uid) {
        Some(job) => {
            let mut details = Farm::job_list_json(job);
            if let (Some(map), Value::Object(extra)) =
                (details.as_object_mut(), Farm::job_webhook_json(job))
            {
                for (key, value) in extra {
                    map.entry(key).or_insert(value);
                }
            }
            // The response key is undocumented; the record goes under both names.
            ok(json!({ "data": details, "job": details }))
        }
        None => refuse(format!("Print job {uid} not found")),
    }
}

fn set_enabled(inner: &Inner, body: &Value) -> Response {
    let Some(id) = body.get("id").and_then(Value::as_i64) else {
        return refuse("Missing webhook id");
    };
    let enabled = body
        .get("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut farm = lock(&inner.farm);
    match farm.webhooks.iter_mut().find(|w| w.id == id) {
        Some(webhook) => {
            webhook.enabled = enabled;
            ok(json!({}))
        }
        None => refuse(format!("Webhook {id} not found")),
    }
}
