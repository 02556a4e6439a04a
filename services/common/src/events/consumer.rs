//! Consuming events: one consumer group per service, at-least-once.

use super::{Envelope, dead_letter_key, stream_key};
use futures::StreamExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why a handler did not finish.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A transient failure (database, a dependency): the event is retried.
    #[error("{0}")]
    Retry(String),
    /// The event can never be handled (bad payload): it goes to the
    /// dead-letter stream at once.
    #[error("{0}")]
    Reject(String),
}

impl HandlerError {
    /// A transient failure from any error.
    pub fn retry(e: impl std::fmt::Display) -> Self {
        Self::Retry(e.to_string())
    }

    /// A permanent failure from any error.
    pub fn reject(e: impl std::fmt::Display) -> Self {
        Self::Reject(e.to_string())
    }
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        Self::Retry(format!("database: {e}"))
    }
}

type Handler = Arc<dyn Fn(Envelope) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;

/// How a consumer reads, retries and gives up.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Stream namespace (`EVENT_STREAM_PREFIX`).
    pub prefix: String,
    /// Consumer group: the consuming service.
    pub group: String,
    /// This instance; stable across restarts.
    pub consumer: String,
    /// Pending entries idle this long are claimed from dead consumers.
    pub claim_idle: Duration,
    /// After this many deliveries an entry goes to the dead-letter stream.
    pub max_deliveries: usize,
    /// Pauses between in-process attempts of one delivery.
    pub retry_delays: Vec<Duration>,
    /// Entries handled at the same time.
    pub concurrency: usize,
    /// How long one blocking read waits.
    pub block: Duration,
}

impl ConsumerSettings {
    /// Defaults for `group`/`consumer` under `prefix`.
    pub fn new(prefix: &str, group: &str, consumer: &str, claim_idle: Duration) -> Self {
        Self {
            prefix: prefix.to_owned(),
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            claim_idle,
            max_deliveries: 8,
            retry_delays: vec![Duration::from_millis(100), Duration::from_millis(500)],
            concurrency: 16,
            block: Duration::from_secs(2),
        }
    }
}

/// Routes event types to handlers and runs the read loop.
pub struct Consumer {
    settings: ConsumerSettings,
    handlers: BTreeMap<String, Handler>,
}

/// One entry read from a stream.
struct Delivery {
    stream: String,
    entry: StreamId,
}

impl Consumer {
    /// A consumer without handlers.
    pub fn new(settings: ConsumerSettings) -> Self {
        Self {
            settings,
            handlers: BTreeMap::new(),
        }
    }

    /// Handles `event_type` with `handler`.
    pub fn on<F, Fut>(mut self, event_type: &str, handler: F) -> Self
    where
        F: Fn(Envelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            stream_key(&self.settings.prefix, event_type),
            Arc::new(move |e| Box::pin(handler(e))),
        );
        self
    }

    /// Creates the groups (from the start of each stream, so events published
    /// before the first start are not missed).
    pub async fn ensure_groups(&self, redis: &mut ConnectionManager) -> redis::RedisResult<()> {
        for key in self.handlers.keys() {
            let created: redis::RedisResult<()> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(key)
                .arg(&self.settings.group)
                .arg("0")
                .arg("MKSTREAM")
                .query_async(redis)
                .await;
            match created {
                Ok(()) => {}
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads and handles events until `shutdown`; in-flight handlers finish
    /// before it returns. Connection losses are retried forever.
    pub async fn run(self, redis_url: String, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match this.clone().session(&redis_url, &shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "event consumer lost Redis");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn session(
        self: Arc<Self>,
        redis_url: &str,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        // Blocking reads hold their connection: this loop gets its own,
        // with a response timeout above the block time.
        let client = redis::Client::open(redis_url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.settings.block + Duration::from_secs(10)))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        let mut reader = client.get_connection_manager_with_config(config).await?;
        let acker = client.get_connection_manager().await?;
        self.ensure_groups(&mut reader).await?;

        // Whatever this consumer had read but not acknowledged before a restart.
        let own_pending = self.read(&mut reader, "0", None).await?;
        self.handle_all(own_pending, &acker, shutdown).await;

        let mut last_claim = Instant::now();
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            if last_claim.elapsed() >= self.settings.claim_idle / 2 {
                let claimed = self.claim(&mut reader).await?;
                self.handle_all(claimed, &acker, shutdown).await;
                last_claim = Instant::now();
            }
            let block = self.settings.block.min(self.settings.claim_idle / 2);
            let batch = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                batch = self.read(&mut reader, ">", Some(block)) => batch?,
            };
            self.handle_all(batch, &acker, shutdown).await;
        }
    }

    async fn read(
        &self,
        redis: &mut ConnectionManager,
        from: &str,
        block: Option<Duration>,
    ) -> redis::RedisResult<Vec<Delivery>> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(&self.settings.group)
            .arg(&self.settings.consumer)
            .arg("COUNT")
            .arg(self.settings.concurrency * 4);
        if let Some(block) = block {
            cmd.arg("BLOCK").arg(block.as_millis().max(1) as u64);
        }
        cmd.arg("STREAMS");
        for key in self.handlers.keys() {
            cmd.arg(key);
        }
        for _ in self.handlers.keys() {
            cmd.arg(from);
        }
        let reply: Option<StreamReadReply> = cmd.query_async(redis).await?;
        Ok(reply
            .map(|r| {
                r.keys
                    .into_iter()
                    .flat_map(|k| {
                        let stream = k.key;
                        k.ids.into_iter().map(move |entry| Delivery {
                            stream: stream.clone(),
                            entry,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Takes over entries other (crashed) consumers left pending too long.
    async fn claim(&self, redis: &mut ConnectionManager) -> redis::RedisResult<Vec<Delivery>> {
        let mut out = Vec::new();
        for key in self.handlers.keys() {
            let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(key)
                .arg(&self.settings.group)
                .arg(&self.settings.consumer)
                .arg(self.settings.claim_idle.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(self.settings.concurrency * 4)
                .query_async(redis)
                .await?;
            for entry in reply.claimed {
                out.push(Delivery {
                    stream: key.clone(),
                    entry,
                });
            }
        }
        Ok(out)
    }

    async fn handle_all(
        &self,
        deliveries: Vec<Delivery>,
        acker: &ConnectionManager,
        shutdown: &CancellationToken,
    ) {
        futures::stream::iter(deliveries)
            .for_each_concurrent(self.settings.concurrency, |d| {
                let mut redis = acker.clone();
                async move {
                    if let Err(e) = self.handle_one(d, &mut redis, shutdown).await {
                        tracing::warn!(error = %e, "event bookkeeping failed; the entry stays pending");
                    }
                }
            })
            .await;
    }

    async fn handle_one(
        &self,
        d: Delivery,
        redis: &mut ConnectionManager,
        shutdown: &CancellationToken,
    ) -> redis::RedisResult<()> {
        let raw: Option<String> = d
            .entry
            .map
            .get("envelope")
            .and_then(|v| redis::from_redis_value_ref(v).ok());
        let Some(raw) = raw else {
            return self
                .dead_letter(redis, &d, "", "entry has no envelope field")
                .await;
        };
        let envelope: Envelope = match serde_json::from_str(&raw) {
            Ok(e) => e,
            Err(e) => {
                return self
                    .dead_letter(redis, &d, &raw, &format!("envelope is not valid: {e}"))
                    .await;
            }
        };
        let deliveries = self.delivery_count(redis, &d).await?;
        if deliveries > self.settings.max_deliveries {
            return self
                .dead_letter(
                    redis,
                    &d,
                    &raw,
                    &format!("gave up after {} deliveries", deliveries - 1),
                )
                .await;
        }
        let Some(handler) = self.handlers.get(&d.stream) else {
            return Ok(());
        };
        let correlation = envelope
            .correlation_id
            .clone()
            .unwrap_or_else(crate::telemetry::new_correlation_id);
        let event_type = envelope.event_type.clone();
        let event_id = envelope.event_id;
        let mut attempt = 0;
        loop {
            let result =
                crate::telemetry::with_correlation(correlation.clone(), handler(envelope.clone()))
                    .await;
            match result {
                Ok(()) => {
                    tracing::debug!(%event_type, %event_id, "event handled");
                    return self.ack(redis, &d).await;
                }
                Err(HandlerError::Reject(reason)) => {
                    tracing::warn!(%event_type, %event_id, %reason, "event rejected");
                    return self.dead_letter(redis, &d, &raw, &reason).await;
                }
                Err(HandlerError::Retry(reason)) => {
                    let Some(delay) = self.settings.retry_delays.get(attempt) else {
                        tracing::warn!(%event_type, %event_id, %reason, deliveries, "event handler failed; left pending for a later delivery");
                        return Ok(());
                    };
                    tracing::info!(%event_type, %event_id, %reason, attempt, "event handler failed; retrying");
                    attempt += 1;
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(*delay) => {}
                    }
                }
            }
        }
    }

    async fn delivery_count(
        &self,
        redis: &mut ConnectionManager,
        d: &Delivery,
    ) -> redis::RedisResult<usize> {
        let reply: StreamPendingCountReply = redis::cmd("XPENDING")
            .arg(&d.stream)
            .arg(&self.settings.group)
            .arg(&d.entry.id)
            .arg(&d.entry.id)
            .arg(1)
            .query_async(redis)
            .await?;
        Ok(reply.ids.first().map_or(1, |p| p.times_delivered))
    }

    async fn ack(&self, redis: &mut ConnectionManager, d: &Delivery) -> redis::RedisResult<()> {
        redis::cmd("XACK")
            .arg(&d.stream)
            .arg(&self.settings.group)
            .arg(&d.entry.id)
            .query_async(redis)
            .await
    }

    async fn dead_letter(
        &self,
        redis: &mut ConnectionManager,
        d: &Delivery,
        raw: &str,
        reason: &str,
    ) -> redis::RedisResult<()> {
        tracing::error!(stream = %d.stream, id = %d.entry.id, %reason, "event moved to the dead-letter stream");
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XADD")
            .arg(dead_letter_key(&self.settings.prefix))
            .arg("*")
            .arg("stream")
            .arg(&d.stream)
            .arg("id")
            .arg(&d.entry.id)
            .arg("group")
            .arg(&self.settings.group)
            .arg("reason")
            .arg(reason)
            .arg("envelope")
            .arg(raw)
            .ignore()
            .cmd("XACK")
            .arg(&d.stream)
            .arg(&self.settings.group)
            .arg(&d.entry.id)
            .ignore();
        pipe.query_async(redis).await
    }
}
