-- order-service: tenants, Shopify orders, product mappings, print-job
-- mirror and the operator notification feed.

CREATE TABLE tenants (
    id                       UUID PRIMARY KEY,
    shop_domain              TEXT NOT NULL UNIQUE,
    name                     TEXT NOT NULL,
    shopify_access_token     TEXT,
    notification_webhook_url TEXT,
    reconciled_until         TIMESTAMPTZ,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per accepted webhook event: a redelivery finds its row and is a no-op.
CREATE TABLE webhook_deliveries (
    dedupe_key  TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    shop_domain TEXT NOT NULL,
    webhook_id  TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id),
    shopify_order_id   BIGINT NOT NULL,
    name               TEXT NOT NULL,
    email              TEXT,
    currency           TEXT,
    total_price        TEXT,
    financial_status   TEXT,
    status             TEXT NOT NULL,
    shipping_address   JSONB,
    shopify_updated_at TIMESTAMPTZ,
    cancelled_at       TIMESTAMPTZ,
    cancel_reason      TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, shopify_order_id)
);
CREATE INDEX orders_tenant_status ON orders (tenant_id, status, created_at DESC);

CREATE TABLE line_items (
    id                   UUID PRIMARY KEY,
    order_id             UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shopify_line_item_id BIGINT NOT NULL,
    position             INT NOT NULL,
    sku                  TEXT,
    title                TEXT NOT NULL,
    quantity             INT NOT NULL,
    properties           JSONB NOT NULL DEFAULT '[]',
    status               TEXT NOT NULL,
    mapping_id           UUID,
    jobs_expected        INT NOT NULL DEFAULT 0,
    error                TEXT,
    failed_step          TEXT,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, shopify_line_item_id)
);

CREATE TABLE product_mappings (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id),
    sku                TEXT NOT NULL,
    product_name       TEXT NOT NULL,
    shopify_product_id BIGINT,
    active             BOOLEAN NOT NULL DEFAULT true,
    plan_hash          TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, sku)
);

CREATE TABLE assembly_parts (
    id                  UUID PRIMARY KEY,
    mapping_id          UUID NOT NULL REFERENCES product_mappings (id) ON DELETE CASCADE,
    position            INT NOT NULL,
    name                TEXT NOT NULL,
    simplyprint_file_id TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    quantity            INT NOT NULL,
    UNIQUE (mapping_id, position)
);

-- What print-service reported about the jobs of our line items.
CREATE TABLE order_print_jobs (
    print_job_id UUID PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_item_id UUID NOT NULL REFERENCES line_items (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_print_jobs_order ON order_print_jobs (order_id);

-- The operator feed; rows with a target URL are also POSTed there.
CREATE TABLE notifications (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants (id),
    kind             TEXT NOT NULL,
    message          TEXT NOT NULL,
    order_id         UUID,
    line_item_id     UUID,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    target_url       TEXT,
    delivered_at     TIMESTAMPTZ,
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT
);
CREATE INDEX notifications_tenant ON notifications (tenant_id, created_at DESC);
CREATE INDEX notifications_undelivered ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND target_url IS NOT NULL;
