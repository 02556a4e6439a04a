-- shipping-service: shipments, their labels and status history, and the
-- Sendcloud webhook inbox. Lives in the "shipping" schema.

CREATE TABLE shipments (
    id                       UUID PRIMARY KEY,
    tenant_id                UUID NOT NULL,
    -- One shipment per order: a repeated order.ready-for-fulfillment meets here.
    order_id                 UUID NOT NULL UNIQUE,
    shopify_order_id         BIGINT NOT NULL,
    shop_domain              TEXT NOT NULL,
    status                   TEXT NOT NULL CHECK (status IN
        ('PENDING', 'LABEL_CREATED', 'IN_TRANSIT', 'DELIVERED', 'FAILED', 'CANCELLED')),
    -- The next piece of work: announce at Sendcloud, fetch the label, create
    -- the Shopify fulfilment; DONE and FAILED need nothing more.
    stage                    TEXT NOT NULL CHECK (stage IN
        ('ANNOUNCE', 'LABEL', 'FULFIL', 'DONE', 'FAILED')),
    -- Sent to Sendcloud as external_reference_id: a repeated announce (after
    -- a crash or a lost answer) gets 409 with the existing shipment instead
    -- of a second label.
    external_reference       TEXT NOT NULL UNIQUE,
    attempts                 INTEGER NOT NULL DEFAULT 0,
    next_attempt_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error               TEXT,
    error                    TEXT,
    sendcloud_shipment_id    TEXT,
    parcel_id                BIGINT UNIQUE,
    tracking_number          TEXT,
    tracking_url             TEXT,
    carrier                  TEXT,
    label_url                TEXT,
    sendcloud_status_id      BIGINT,
    sendcloud_status_message TEXT,
    fulfillment_status       TEXT NOT NULL DEFAULT 'PENDING' CHECK (fulfillment_status IN
        ('PENDING', 'CREATED', 'ALREADY_FULFILLED', 'FAILED')),
    shopify_fulfillment_id   TEXT,
    fulfillment_error        TEXT,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shipments_due ON shipments (next_attempt_at) WHERE stage IN ('ANNOUNCE', 'LABEL', 'FULFIL');
CREATE INDEX shipments_tenant ON shipments (tenant_id, created_at DESC);

CREATE TABLE shipment_labels (
    shipment_id  UUID PRIMARY KEY REFERENCES shipments (id),
    content_type TEXT NOT NULL,
    document     BYTEA NOT NULL,
    stored_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE shipment_transitions (
    id          BIGSERIAL PRIMARY KEY,
    shipment_id UUID NOT NULL REFERENCES shipments (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    cause       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shipment_transitions_shipment ON shipment_transitions (shipment_id, id);

-- Sendcloud webhook deliveries, stored before they are applied; the same
-- body delivered again is recognised by its hash.
CREATE TABLE sendcloud_webhooks (
    id           BIGSERIAL PRIMARY KEY,
    dedupe_key   TEXT NOT NULL UNIQUE,
    action       TEXT,
    parcel_id    BIGINT,
    payload      JSONB NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at TIMESTAMPTZ,
    outcome      TEXT
);
