//! Applying a Shopify order (from a webhook or from reconciliation) to the
//! database, inside the caller's transaction.

use crate::shopify::order::ShopifyOrder;
use crate::status::{LineItemStatus, OrderStatus};
use service_common::contracts::{OrderCancelled, OrderCreated};
use service_common::events::{EventDraft, enqueue, names};
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

async fn insert(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    topic: Topic,
    order: &ShopifyOrder,
) -> Result<Option<Outcome>, sqlx::Error> {
    let cancelled = topic == Topic::Cancelled || order.cancelled_at.is_some();
    let status = if cancelled {
        OrderStatus::Cancelled
    } else {
        OrderStatus::Pending
    };
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO orders (id, tenant_id, shopify_order_id, name, email, currency, total_price, \
         financial_status, status, shipping_address, shopify_updated_at, cancelled_at, cancel_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (tenant_id, shopify_order_id) DO NOTHING",
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
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    let line_status = if cancelled {
        LineItemStatus::Cancelled
    } else {
        LineItemStatus::Pending
    };
    // One statement for all line items: a round trip per item would
    // dominate the webhook's time for large orders.
    let items = &order.line_items;
    sqlx::query(
        "INSERT INTO line_items (id, order_id, shopify_line_item_id, position, sku, title, \
         quantity, properties, status) \
         SELECT u.id, $2, u.shopify_id, u.position, u.sku, u.title, u.quantity, u.properties, $3 \
         FROM UNNEST($1::uuid[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::int[], $9::jsonb[]) \
           AS u(id, shopify_id, position, sku, title, quantity, properties) \
         ON CONFLICT (order_id, shopify_line_item_id) DO NOTHING",
    )
    .bind(items.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind(id)
    .bind(line_status.as_str())
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
    .execute(&mut *conn)
    .await?;
    if cancelled {
        return Ok(Some(Outcome::Created(id)));
    }
    let payload = OrderCreated {
        order_id: id,
        shopify_order_id: order.id,
        line_item_count: order.line_items.len() as u32,
    };
    let draft = EventDraft::new(names::ORDER_CREATED, tenant_id, &payload)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    enqueue(conn, crate::SERVICE, draft).await?;
    Ok(Some(Outcome::Created(id)))
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
