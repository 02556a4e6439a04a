//! Shared helpers of the fakes' integration tests: fixture loading and a
//! small HTTP receiver that records what it is sent.

#![allow(dead_code, unreachable_pub)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A shared vendor fixture (see `service_common::testing::fixtures_dir`).
pub fn fixture_path(name: &str) -> PathBuf {
    service_common::testing::fixtures_dir().join(name)
}

pub fn fixture(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header").to_owned())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer with, in order; 200 once exhausted.
    script: Mutex<VecDeque<u16>>,
    delay: Mutex<Duration>,
}

/// An HTTP endpoint at `{url}/hook` that records requests and answers a
/// scripted sequence of statuses.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver runs") });
        Self {
            url: format!("http://{addr}/hook"),
            state,
        }
    }

    /// Answer these statuses to the next requests.
    pub fn script(&self, statuses: &[u16]) {
        self.state.script.lock().expect("script").extend(statuses);
    }

    /// Wait this long before answering.
    pub fn delay(&self, delay: Duration) {
        *self.state.delay.lock().expect("delay") = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("received").clone()
    }

    /// Waits until at least `n` requests arrived (deliveries may run in the background).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} requests, got {}", self.received().len());
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    state.received.lock().expect("received").push(Received {
        headers,
        body: body.to_vec(),
    });
    let delay = *state.delay.lock().expect("delay");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = state
        .script
        .lock()
        .expect("script")
        .pop_front()
        .unwrap_or(200);
    StatusCode::from_u16(status).expect("valid status")
}

/// A plain HTTP client for talking to the fakes.
pub fn client() -> reqwest::Client {
    service_common::client::http_client(Duration::from_secs(10))
}
