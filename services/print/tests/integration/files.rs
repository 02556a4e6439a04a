//! `POST /internal/files`: print files uploaded to SimplyPrint's files host,
//! in parts when they are larger than the part size.

use crate::harness::Harness;
use reqwest::multipart::{Form, Part};
use service_common::contracts::UploadedFile;
use service_common::testing::TEST_INTERNAL_KEY;
use sha2::{Digest, Sha256};

fn form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

async fn upload(h: &Harness, form: Form) -> reqwest::Response {
    h.http
        .post(h.url("/internal/files"))
        .header("X-Internal-Api-Key", TEST_INTERNAL_KEY)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn a_large_file_is_uploaded_in_parts() {
    let h = Harness::start_with(&[("SIMPLYPRINT_UPLOAD_PART_BYTES", "1000")]).await;
    h.fake.set_max_part_size(1000);
    let bytes: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let response = upload(&h, form("GF-450x320-plate-1.gcode", bytes.clone())).await;
    assert_eq!(response.status(), 200);
    let uploaded: UploadedFile = response.json().await.expect("UploadedFile");
    assert_eq!(uploaded.size, 2500);
    assert_eq!(uploaded.name, "GF-450x320-plate-1.gcode");

    let files = h.fake.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].id, uploaded.file_id);
    assert_eq!(files[0].sha256, hex::encode(Sha256::digest(&bytes)));
    let parts: Vec<_> = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/files/Upload"))
        .collect();
    assert_eq!(parts.len(), 3, "2500 bytes in parts of 1000");
    assert!(
        parts
            .iter()
            .all(|r| r.header("x-api-key") == Some(crate::harness::SP_API_KEY))
    );

    // The uploaded id is usable for print jobs.
    let file = files[0].clone();
    let req = crate::harness::request(&[&file], 1);
    h.create_ok(&req).await;
    h.wait_jobs(req.order_id, "QUEUED", |j| {
        j.status == service_common::contracts::PrintJobStatus::Queued
    })
    .await;
}

#[tokio::test]
async fn a_small_file_goes_in_one_request() {
    let h = Harness::start().await;
    let response = upload(&h, form("plate.3mf", b"PK\x03\x04 tiny".to_vec())).await;
    assert_eq!(response.status(), 200);
    let uploaded: UploadedFile = response.json().await.expect("UploadedFile");
    assert_eq!(uploaded.size, 9);
    assert_eq!(uploaded.file_id.len(), 64);
}

#[tokio::test]
async fn bad_uploads_are_refused_naming_the_field() {
    let h = Harness::start().await;
    for (form, expected) in [
        (form("model.stl", b"solid x".to_vec()), "unsupported type"),
        (form("plate.gcode", Vec::new()), "is empty"),
        (Form::new().text("other", "x"), "is missing"),
    ] {
        let response = upload(&h, form).await;
        assert_eq!(response.status(), 422);
        let problem: serde_json::Value = response.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(expected)),
            "{problem}"
        );
    }
    assert!(h.fake.files().is_empty());

    // SimplyPrint's refusal becomes a 502 problem with its message.
    h.fake.fail_next(
        "files/Upload",
        svc_fakes::simplyprint::Failure::StatusFalse("Storage quota exceeded".into()),
    );
    let response = upload(&h, form("plate.gcode", b"G28".to_vec())).await;
    assert_eq!(response.status(), 502);
    let problem: serde_json::Value = response.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Storage quota exceeded"))
    );
}
