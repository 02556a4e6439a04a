//! Shop domain → tenant id, cached for webhooks.
//!
//! Every webhook needs its tenant before anything else; the mapping almost
//! never changes, so a short-lived cache saves a query per delivery. Only
//! found tenants are cached: a shop onboarded a moment ago is seen at once.

use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a cached tenant is trusted.
const TTL: Duration = Duration::from_secs(60);

/// The cache.
#[derive(Default)]
pub struct TenantCache {
    entries: RwLock<HashMap<String, (Uuid, Instant)>>,
}

impl TenantCache {
    /// The tenant of `shop`, from the cache or the database.
    pub async fn lookup(&self, pool: &PgPool, shop: &str) -> Result<Option<Uuid>, sqlx::Error> {
        if let Ok(entries) = self.entries.read()
            && let Some((id, at)) = entries.get(shop)
            && at.elapsed() < TTL
        {
            return Ok(Some(*id));
        }
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM tenants WHERE shop_domain = $1")
                .bind(shop)
                .fetch_optional(pool)
                .await?;
        if let (Some(id), Ok(mut entries)) = (found, self.entries.write()) {
            entries.insert(shop.to_owned(), (id, Instant::now()));
        }
        Ok(found)
    }

    /// Forgets every entry (a tenant's shop domain changed).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}
