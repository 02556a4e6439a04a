//! The event bus against the real PostgreSQL and Redis: outbox → relay →
//! consumer group, idempotent handlers, retries, dead letters, and the
//! take-over of entries a crashed consumer left pending.

use redis::aio::ConnectionManager;
use serde_json::json;
use service_common::db;
use service_common::events::{
    Consumer, ConsumerSettings, Envelope, EventDraft, HandlerError, dead_letter_key, enqueue,
    first_delivery, relay, stream_key,
};
use service_common::testing::{TestDatabase, eventually, redis, redis_url, stream_prefix};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
const TEST_EVENT: &str = "test.happened";

struct Bus {
    pool: PgPool,
    redis: ConnectionManager,
    prefix: String,
    _db: TestDatabase,
}

async fn bus() -> Bus {
    let db = TestDatabase::create().await;
    let pool = db::connect(&db.url, "bus_test").await.expect("connect");
    db::migrate(&pool, &NO_MIGRATIONS).await.expect("migrate");
    sqlx::query("CREATE TABLE effects (event_id UUID NOT NULL, n INT NOT NULL)")
        .execute(&pool)
        .await
        .expect("effects table");
    Bus {
        pool,
        redis: redis().await,
        prefix: stream_prefix(),
        _db: db,
    }
}

impl Bus {
    async fn publish(&self, n: i64) -> Envelope {
        let mut tx = self.pool.begin().await.expect("begin");
        let draft = EventDraft::new(TEST_EVENT, Uuid::nil(), &json!({ "n": n })).expect("draft");
        let envelope = enqueue(&mut tx, "bus-test", draft).await.expect("enqueue");
        tx.commit().await.expect("commit");
        envelope
    }

    fn settings(&self, consumer: &str) -> ConsumerSettings {
        let mut s = ConsumerSettings::new(
            &self.prefix,
            "bus-test",
            consumer,
            Duration::from_millis(300),
        );
        s.retry_delays = vec![Duration::from_millis(10)];
        s.max_deliveries = 3;
        s.block = Duration::from_millis(200);
        s
    }

    /// A consumer whose handler applies the event once, in one transaction
    /// with its processed-event row.
    fn applying_consumer(&self, consumer: &str, calls: Arc<AtomicUsize>) -> Consumer {
        let pool = self.pool.clone();
        Consumer::new(self.settings(consumer)).on(TEST_EVENT, move |e: Envelope| {
            let pool = pool.clone();
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let mut tx = pool.begin().await?;
                if first_delivery(&mut tx, "apply", e.event_id).await? {
                    let n = e.payload["n"]
                        .as_i64()
                        .ok_or(HandlerError::reject("no n"))?;
                    sqlx::query("INSERT INTO effects VALUES ($1, $2)")
                        .bind(e.event_id)
                        .bind(n as i32)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        })
    }

    async fn effects(&self) -> Vec<(Uuid, i32)> {
        sqlx::query_as("SELECT event_id, n FROM effects ORDER BY n")
            .fetch_all(&self.pool)
            .await
            .expect("effects")
    }

    async fn pending(&self) -> usize {
        let reply: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
            .arg(stream_key(&self.prefix, TEST_EVENT))
            .arg("bus-test")
            .query_async(&mut self.redis.clone())
            .await
            .expect("xpending");
        reply.count()
    }

    async fn cleanup(&self) {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut self.redis.clone())
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut self.redis.clone())
                .await;
        }
    }
}

#[tokio::test]
async fn committed_events_reach_the_consumer_once_and_rolled_back_ones_never() {
    let bus = bus().await;
    let shutdown = CancellationToken::new();
    tokio::spawn(relay::run(
        bus.pool.clone(),
        bus.redis.clone(),
        bus.prefix.clone(),
        "bus_test".into(),
        shutdown.clone(),
    ));
    let calls = Arc::new(AtomicUsize::new(0));
    let consumer = bus.applying_consumer("c1", calls.clone());
    tokio::spawn(consumer.run(redis_url(), shutdown.clone()));

    let first = bus.publish(1).await;
    let mut tx = bus.pool.begin().await.expect("begin");
    let draft = EventDraft::new(TEST_EVENT, Uuid::nil(), &json!({ "n": 99 })).expect("draft");
    enqueue(&mut tx, "bus-test", draft).await.expect("enqueue");
    tx.rollback().await.expect("rollback");
    let second = bus.publish(2).await;

    let effects = eventually(Duration::from_secs(10), "both events applied", || async {
        let e = bus.effects().await;
        (e.len() == 2).then_some(e)
    })
    .await;
    assert_eq!(effects, vec![(first.event_id, 1), (second.event_id, 2)]);
    eventually(Duration::from_secs(5), "acknowledged", || async {
        (bus.pending().await == 0).then_some(())
    })
    .await;
    let unpublished: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&bus.pool)
            .await
            .expect("count");
    assert_eq!(unpublished, 0);
    shutdown.cancel();
    bus.cleanup().await;
}

#[tokio::test]
async fn an_entry_a_crashed_consumer_left_pending_is_taken_over_and_applied_once() {
    let bus = bus().await;
    let event = bus.publish(7).await;
    relay::publish_batch(&bus.pool, &mut bus.redis.clone(), &bus.prefix)
        .await
        .expect("relay");

    // A consumer that applied the event but died before XACK: its effect
    // is committed and the entry is pending under its name.
    let probe = bus.applying_consumer("crashed", Arc::new(AtomicUsize::new(0)));
    let mut conn = bus.redis.clone();
    probe.ensure_groups(&mut conn).await.expect("groups");
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("bus-test")
        .arg("crashed")
        .arg("COUNT")
        .arg(10)
        .arg("STREAMS")
        .arg(stream_key(&bus.prefix, TEST_EVENT))
        .arg(">")
        .query_async(&mut conn)
        .await
        .expect("read as the crashed consumer");
    let mut tx = bus.pool.begin().await.expect("begin");
    assert!(
        first_delivery(&mut tx, "apply", event.event_id)
            .await
            .expect("mark")
    );
    sqlx::query("INSERT INTO effects VALUES ($1, 7)")
        .bind(event.event_id)
        .execute(&mut *tx)
        .await
        .expect("effect");
    tx.commit().await.expect("commit");
    assert_eq!(bus.pending().await, 1);

    let shutdown = CancellationToken::new();
    let calls = Arc::new(AtomicUsize::new(0));
    tokio::spawn(
        bus.applying_consumer("survivor", calls.clone())
            .run(redis_url(), shutdown.clone()),
    );
    eventually(
        Duration::from_secs(10),
        "the survivor claims and acks",
        || async { (bus.pending().await == 0).then_some(()) },
    )
    .await;
    assert!(
        calls.load(Ordering::SeqCst) >= 1,
        "the handler saw the redelivery"
    );
    assert_eq!(
        bus.effects().await,
        vec![(event.event_id, 7)],
        "applied exactly once"
    );
    shutdown.cancel();
    bus.cleanup().await;
}

#[tokio::test]
async fn a_restarted_consumer_rereads_its_own_unacknowledged_entries() {
    let bus = bus().await;
    let event = bus.publish(3).await;
    relay::publish_batch(&bus.pool, &mut bus.redis.clone(), &bus.prefix)
        .await
        .expect("relay");
    let probe = bus.applying_consumer("same-name", Arc::new(AtomicUsize::new(0)));
    let mut conn = bus.redis.clone();
    probe.ensure_groups(&mut conn).await.expect("groups");
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("bus-test")
        .arg("same-name")
        .arg("STREAMS")
        .arg(stream_key(&bus.prefix, TEST_EVENT))
        .arg(">")
        .query_async(&mut conn)
        .await
        .expect("read before the crash");

    let mut settings = bus.settings("same-name");
    // Far longer than the test: only the restart re-read can deliver it.
    settings.claim_idle = Duration::from_secs(3600);
    let pool = bus.pool.clone();
    let consumer = Consumer::new(settings).on(TEST_EVENT, move |e: Envelope| {
        let pool = pool.clone();
        async move {
            sqlx::query("INSERT INTO effects VALUES ($1, 3)")
                .bind(e.event_id)
                .execute(&pool)
                .await?;
            Ok(())
        }
    });
    let shutdown = CancellationToken::new();
    tokio::spawn(consumer.run(redis_url(), shutdown.clone()));
    eventually(
        Duration::from_secs(10),
        "the restarted consumer handles it",
        || async { (bus.effects().await == vec![(event.event_id, 3)]).then_some(()) },
    )
    .await;
    shutdown.cancel();
    bus.cleanup().await;
}

#[tokio::test]
async fn failing_and_rejected_events_end_in_the_dead_letter_stream() {
    let bus = bus().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = attempts.clone();
    let consumer = Consumer::new(bus.settings("c1")).on(TEST_EVENT, move |e: Envelope| {
        let seen = seen.clone();
        async move {
            if e.payload["n"] == 1 {
                seen.fetch_add(1, Ordering::SeqCst);
                Err(HandlerError::retry("dependency down"))
            } else {
                Err(HandlerError::reject("payload can never be handled"))
            }
        }
    });
    bus.publish(1).await;
    bus.publish(2).await;
    relay::publish_batch(&bus.pool, &mut bus.redis.clone(), &bus.prefix)
        .await
        .expect("relay");
    let shutdown = CancellationToken::new();
    tokio::spawn(consumer.run(redis_url(), shutdown.clone()));

    let dead = eventually(Duration::from_secs(15), "two dead letters", || async {
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(dead_letter_key(&bus.prefix))
            .arg("-")
            .arg("+")
            .query_async(&mut bus.redis.clone())
            .await
            .expect("xrange");
        (entries.ids.len() == 2).then_some(entries)
    })
    .await;
    let reasons: Vec<String> = dead
        .ids
        .iter()
        .map(|e| e.get::<String>("reason").expect("reason"))
        .collect();
    assert!(reasons.contains(&"payload can never be handled".to_owned()));
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("gave up after 3 deliveries"))
    );
    // 3 deliveries × (1 try + 1 retry) before giving up.
    assert_eq!(attempts.load(Ordering::SeqCst), 6);
    eventually(Duration::from_secs(5), "nothing pending", || async {
        (bus.pending().await == 0).then_some(())
    })
    .await;
    shutdown.cancel();
    bus.cleanup().await;
}
