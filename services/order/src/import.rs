//! Applying a Shopify order (from a webhook or from reconciliation) to the
//! database, inside the caller's transaction.

use crate::shopify::order::ShopifyOrder;
use crate::status::{LineItemStatus, OrderStatus};
use service_common::contracts::{OrderCancelled, OrderCreated};
use service_common::events::{EventDraft, enqueue, names, seal};
use sqlx::PgConnection;
use uuid::Uuid;

/// The webhook topic, or reconciliation (which behaves like orders/updated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `orders/create`.
    Create,
    /// `orders/updated` (and reconciliation).
    Updated,
    /// `orders/cancelled`.
    Cancelled,
}

impl Topic {
    /// The `X-Shopify-Topic` value.
    pub fn header(self) -> &'static str {
        match self {
            Self::Create => "orders/create",
            Self::Updated => "orders/updated",
            Self::Cancelled => "orders/cancelled",
        }
    }
}

/// What applying the order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new order was stored (and announced unless it came cancelled).
    Created(Uuid),
    /// Known order, newer data stored.
    Updated(Uuid),
    /// Known order cancelled now.
    Cancelled(Uuid),
    /// Nothing to do: a create for a known order, or a payload older than
    /// what is stored.
    Unchanged(Uuid),
}

struct Existing {
    id: Uuid,
    status: String,
    shopify_updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Stores or updates `order` for `tenant_id`.
pub async fn apply(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    topic: Topic,
    order: &ShopifyOrder,
) -> Result<Outcome, sqlx::Error> {
    // New orders are the common case: try the insert first; a conflict
    // means the order is known (or another delivery is inserting it, and the
    // insert waited for that one to commit).
    if let Some(outcome) = insert(conn, tenant_id, topic, order).await? {
        return Ok(outcome);
    }
    let existing = lock_existing(conn, tenant_id, order.id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    if topic == Topic::Create {
        return Ok(Outcome::Unchanged(existing.id));
    }
    let is_newer = match (order.updated_at, existing.shopify_updated_at) {
        (Some(new), Some(old)) => new > old,
        _ => true,
    };
    let wants_cancel = topic == Topic::Cancelled || order.cancelled_at.is_some();
    let status = OrderStatus::parse(&existing.status).unwrap_or(OrderStatus::Pending);
    let cancels_now = wants_cancel && status != OrderStatus::Cancelled;
    if !is_newer && !cancels_now {
        return Ok(Outcome::Unchanged(existing.id));
    }
    if is_newer {
        sqlx::query(
            "UPDATE orders SET email = $2, financial_status = $3, shipping_address = $4, \
             shopify_updated_at = $5, total_price = $6, updated_at = now() WHERE id = $1",
        )
        .bind(existing.id)
        .bind(&order.email)
        .bind(&order.financial_status)
        .bind(&order.shipping_address)
        .bind(order.updated_at)
        .bind(&order.total_price)
        .execute(&mut *conn)
        .await?;
    }
    if wants_cancel && status != OrderStatus::Cancelled {
        if status.can_become(OrderStatus::Cancelled) {
            cancel(conn, tenant_id, existing.id, order).await?;
            return Ok(Outcome::Cancelled(existing.id));
        }
        tracing::warn!(
            order = order.id,
            status = status.as_str(),
            "cancellation arrived after the parcel was created; left as is"
        );
    }
    Ok(Outcome::Updated(existing.id))
}

async fn lock_existing(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    shopify_order_id: i64,
) -> Result<Option<Existing>, sqlx::Error> {
    let row: Option<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
        "SELECT id, status, shopify_updated_at FROM orders \
         WHERE tenant_id = $1 AND shopify_order_id = $2 FOR UPDATE",
    )
    .bind(tenant_id)
    .bind(shopify_order_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, status, shopify_updated_at)| Existing {
        id,
        status,
        shopify_updated_at,
    }))
}

/// An `orders/create` delivery, recorded with the order it creates.
pub struct Delivery<'a> {
    /// `event:<X-Shopify-Event-Id>` or `webhook:<X-Shopify-Webhook-Id>`.
    pub dedupe_key: &'a str,
    /// The shop's domain.
    pub shop: &'a str,
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: &'a str,
}

/// What an `orders/create` delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The delivery was seen before; nothing was written.
    Duplicate,
    /// The delivery was recorded, with this effect on the order.
    Applied(Outcome),
}

/// Applies an `orders/create` delivery in a single statement: the delivery
/// record, the order, its line items and its `order.created` event are
/// written together or not at all, with one round trip to the database
/// instead of a transaction's six. A create for a known order changes
/// nothing but the delivery record, so no second statement is ever needed.
pub async fn create(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    delivery: &Delivery<'_>,
    order: &ShopifyOrder,
) -> Result<Delivered, sqlx::Error> {
    let (fresh, created) =
        insert_new(conn, tenant_id, Topic::Create, order, Some(delivery)).await?;
    if !fresh {
        return Ok(Delivered::Duplicate);
    }
    if let Some(id) = created {
        return Ok(Delivered::Applied(Outcome::Created(id)));
    }
    // Known already: the statement waited for any delivery inserting it
    // to commit, so the row is there now.
    let id: Uuid =
        sqlx::query_scalar("SELECT id FROM orders WHERE tenant_id = $1 AND shopify_order_id = $2")
            .bind(tenant_id)
            .bind(order.id)
            .fetch_one(conn)
            .await?;
    Ok(Delivered::Applied(Outcome::Unchanged(id)))
}

async fn insert(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    topic: Topic,
    order: &ShopifyOrder,
) -> Result<Option<Outcome>, sqlx::Error> {
    let (_, created) = insert_new(conn, tenant_id, topic, order, None).await?;
    Ok(created.map(Outcome::Created))
}

/// Inserts `order` with its line items and, unless it arrives cancelled, its
/// `order.created` event, all in one statement; with a `delivery`, only if
/// that delivery is new. Returns whether the delivery was new (always with
/// none) and the id of the order if this statement created it.
async fn insert_new(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    topic: Topic,
    order: &ShopifyOrder,
    delivery: Option<&Delivery<'_>>,
) -> Result<(bool, Option<Uuid>), sqlx::Error> {
    let cancelled = topic == Topic::Cancelled || order.cancelled_at.is_some();
    let (status, line_status) = if cancelled {
        (OrderStatus::Cancelled, LineItemStatus::Cancelled)
    } else {
        (OrderStatus::Pending, LineItemStatus::Pending)
    };
    let id = Uuid::now_v7();
    let event = if cancelled {
        None
    } else {
        let payload = OrderCreated {
            order_id: id,
            shopify_order_id: order.id,
            line_item_count: order.line_items.len() as u32,
        };
        let draft = EventDraft::new(names::ORDER_CREATED, tenant_id, &payload)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        Some(seal(crate::SERVICE, draft).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
    };
    let items = &order.line_items;
    let row: (bool, Option<Uuid>) = sqlx::query_as(
        "WITH delivery AS ( \
           INSERT INTO webhook_deliveries (dedupe_key, topic, shop_domain, webhook_id) \
           SELECT $23, $24, $25, $26 WHERE $23::text IS NOT NULL \
           ON CONFLICT DO NOTHING RETURNING 1 \
         ), new_order AS ( \
           INSERT INTO orders (id, tenant_id, shopify_order_id, name, email, currency, total_price, \
             financial_status, status, shipping_address, shopify_updated_at, cancelled_at, cancel_reason) \
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
           WHERE $23::text IS NULL OR EXISTS (SELECT 1 FROM delivery) \
           ON CONFLICT (tenant_id, shopify_order_id) DO NOTHING RETURNING id \
         ), items AS ( \
           INSERT INTO line_items (id, order_id, shopify_line_item_id, position, sku, title, \
             quantity, properties, status) \
           SELECT u.id, o.id, u.shopify_id, u.position, u.sku, u.title, u.quantity, u.properties, $14 \
           FROM new_order o, \
             UNNEST($15::uuid[], $16::bigint[], $17::int[], $18::text[], $19::text[], $20::int[], $21::jsonb[]) \
             AS u(id, shopify_id, position, sku, title, quantity, properties) \
           ON CONFLICT (order_id, shopify_line_item_id) DO NOTHING \
         ), event AS ( \
           INSERT INTO outbox (event_id, event_type, envelope) \
           SELECT $22::uuid, $27, $28 FROM new_order WHERE $22::uuid IS NOT NULL \
         ) \
         SELECT ($23::text IS NULL OR EXISTS (SELECT 1 FROM delivery)), (SELECT id FROM new_order)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(order.id)
    .bind(order.name.clone().unwrap_or_else(|| format!("#{}", order.id)))
    .bind(&order.email)
    .bind(&order.currency)
    .bind(&order.total_price)
    .bind(&order.financial_status)
    .bind(status.as_str())
    .bind(&order.shipping_address)
    .bind(order.updated_at)
    .bind(order.cancelled_at)
    .bind(&order.cancel_reason)
    .bind(line_status.as_str())
    .bind(items.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.id).collect::<Vec<_>>())
    .bind((0..items.len() as i32).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.sku().map(str::to_owned)).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.title.clone().unwrap_or_default()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.quantity as i32).collect::<Vec<_>>())
    .bind(
        items
            .iter()
            .map(|i| serde_json::to_value(&i.properties).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .bind(event.as_ref().map(|(envelope, _)| envelope.event_id))
    .bind(delivery.map(|d| d.dedupe_key))
    .bind(topic.header())
    .bind(delivery.map(|d| d.shop))
    .bind(delivery.map(|d| d.webhook_id))
    .bind(event.as_ref().map(|(envelope, _)| envelope.event_type.clone()))
    .bind(event.map(|(_, json)| json))
    .fetch_one(conn)
    .await?;
    Ok(row)
}

async fn cancel(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    order_id: Uuid,
    order: &ShopifyOrder,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET status = 'CANCELLED', cancelled_at = coalesce($2, now()), \
         cancel_reason = $3, updated_at = now() WHERE id = $1",
    )
    .bind(order_id)
    .bind(order.cancelled_at)
    .bind(&order.cancel_reason)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE line_items SET status = 'CANCELLED', updated_at = now() WHERE order_id = $1",
    )
    .bind(order_id)
    .execute(&mut *conn)
    .await?;
    let payload = OrderCancelled {
        order_id,
        shopify_order_id: order.id,
        reason: order.cancel_reason.clone(),
    };
    let draft = EventDraft::new(names::ORDER_CANCELLED, tenant_id, &payload)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    enqueue(conn, crate::SERVICE, draft).await?;
    Ok(())
}
