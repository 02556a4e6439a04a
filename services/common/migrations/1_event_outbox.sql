-- Shared by every service, created in the service's own schema.

-- Events written in the same transaction as the state change they announce;
-- the relay publishes them to Redis and stamps published_at.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    envelope     JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Events a handler has applied; the row is written in the handler's own
-- transaction, so a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
    handler      TEXT NOT NULL,
    event_id     UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, event_id)
);
