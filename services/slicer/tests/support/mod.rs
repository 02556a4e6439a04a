//! Shared helpers of the slicer-service tests: a service on port 0 with its
//! own scratch directory, real plate STLs from gridflock-core, hand-made
//! meshes and multipart requests.

#![allow(dead_code, unreachable_pub)]

use gridflock_core::{Params, build, export, plan};
use service_common::config::Vars;
use service_common::testing::{RunningService, TEST_INTERNAL_KEY, spawn};
use std::path::Path;
use std::time::Duration;

/// A running slicer-service and the scratch directory it slices in.
pub struct Slicer {
    pub service: RunningService,
    pub work: tempfile::TempDir,
    pub http: reqwest::Client,
}

/// Starts the service with the test key, a private `SLICER_WORK_DIR` and `extra`.
pub async fn start(extra: &[(&str, &str)]) -> Slicer {
    let work = tempfile::tempdir().expect("scratch dir");
    let mut vars = Vars::from_pairs([
        ("INTERNAL_API_KEY", TEST_INTERNAL_KEY),
        ("SHUTDOWN_GRACE_SECONDS", "5"),
    ]);
    vars.set("SLICER_WORK_DIR", work.path().display().to_string());
    for (k, v) in extra {
        vars.set(k, *v);
    }
    let config = svc_slicer::Config::from_vars(&vars).expect("valid config");
    let service =
        spawn(move |listener, shutdown| svc_slicer::run(config, listener, shutdown)).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    Slicer {
        service,
        work,
        http,
    }
}

impl Slicer {
    /// `POST /slice` with the key and `fields` (name, value) besides the file.
    pub async fn slice(&self, stl: Option<Vec<u8>>, fields: &[(&str, &str)]) -> reqwest::Response {
        self.slice_with_key(Some(TEST_INTERNAL_KEY), stl, fields)
            .await
    }

    pub async fn slice_with_key(
        &self,
        key: Option<&str>,
        stl: Option<Vec<u8>>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        if let Some(stl) = stl {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(stl)
                    .file_name("model.stl")
                    .mime_str("model/stl")
                    .expect("mime"),
            );
        }
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let mut request = self
            .http
            .post(format!("{}/slice", self.service.url))
            .multipart(form);
        if let Some(key) = key {
            request = request.header("X-Internal-Api-Key", key);
        }
        request.send().await.expect("POST /slice")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.service.url))
            .header("X-Internal-Api-Key", TEST_INTERNAL_KEY)
            .send()
            .await
            .expect("GET")
    }

    /// Entries left in the scratch directory.
    pub fn leftovers(&self) -> Vec<String> {
        leftovers(self.work.path())
    }
}

pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read scratch dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Binary STL of the first plate of a `width` × `depth` mm GridFlock baseplate.
pub fn plate_stl(width: f64, depth: f64) -> Vec<u8> {
    let plan = plan(&Params::new(width, depth)).expect("valid plate");
    let meshes = build(&plan);
    export::stl::binary(&meshes[0])
}

/// Triangles of a closed box `x` × `y` × `z` mm, outward-facing; the last
/// `missing` triangles are left out (an open box).
pub fn box_triangles(x: f32, y: f32, z: f32, missing: usize) -> Vec<[[f32; 3]; 3]> {
    let corner = |i: usize| -> [f32; 3] {
        [
            if i & 1 == 1 { x } else { 0.0 },
            if i & 2 == 2 { y } else { 0.0 },
            if i & 4 == 4 { z } else { 0.0 },
        ]
    };
    let quads = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let mut tris = Vec::new();
    for q in quads {
        tris.push([corner(q[0]), corner(q[1]), corner(q[2])]);
        tris.push([corner(q[0]), corner(q[2]), corner(q[3])]);
    }
    tris.truncate(tris.len() - missing);
    tris
}

/// Binary STL of `triangles`, written by hand (normals left zero).
pub fn binary_stl(triangles: &[[[f32; 3]; 3]]) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for t in triangles {
        out.extend_from_slice(&[0u8; 12]);
        for p in t {
            for c in p {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// The problem body of a response, asserting its status.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "unexpected status; body: {}",
        response.text().await.unwrap_or_default()
    );
    response.json().await.expect("problem JSON")
}

/// The field names of a 422 problem.
pub fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// Process ids whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}
