//! The files host (`files.simplyprint.io` equivalent): multipart
//! `files/Upload`, whole or in parts chained by `continueToken`.

use super::access::admit;
use super::envelope::{ok, refuse};
use super::farm::UploadStep;
use super::server::Inner;
use crate::sync::lock;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// `POST /{company}/files/Upload`.
pub(super) async fn handle(
    State(inner): State<Arc<Inner>>,
    Path(company): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if let Err(answer) = admit(&inner, &company, "files/Upload", &headers) {
        return answer;
    }
    let Ok(mut multipart) = multipart else {
        return refuse("Expected a multipart/form-data upload");
    };
    let mut file = None;
    let mut total_size = None;
    let mut continue_token = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return refuse(format!("Malformed upload: {error}")),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => return refuse(format!("Malformed upload: {error}")),
        };
        match name.as_str() {
            "file" => file = Some((file_name.unwrap_or_else(|| "upload".into()), bytes.to_vec())),
            "totalSize" => match String::from_utf8_lossy(&bytes).trim().parse::<u64>() {
                Ok(size) => total_size = Some(size),
                Err(_) => return refuse("totalSize must be a number of bytes"),
            },
            "continueToken" => {
                continue_token = Some(String::from_utf8_lossy(&bytes).trim().to_owned())
            }
            _ => {}
        }
    }
    let step = lock(&inner.farm).upload(file, total_size, continue_token);
    match step {
        Ok(UploadStep::Continue(token)) => ok(json!({ "continueToken": token })),
        Ok(UploadStep::Done(file)) => {
            ok(json!({ "file": { "id": file.id, "name": file.name, "size": file.size } }))
        }
        Err(message) => refuse(message),
    }
}
