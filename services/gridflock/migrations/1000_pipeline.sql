-- gridflock-service: tenant feature flags and the persisted plate pipeline.

-- Whether a tenant may have plates generated; tenants without a row get
-- GRIDFLOCK_ENABLED_BY_DEFAULT.
CREATE TABLE tenant_features (
    tenant_id         UUID PRIMARY KEY,
    gridflock_enabled BOOLEAN NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One pipeline per tenant, SKU and plan hash, however many line items wait on it.
-- `step` is the step in progress (plan, plates, mapping, done); the plates'
-- own rows say how far each plate got.
CREATE TABLE pipeline_jobs (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    sku             TEXT NOT NULL,
    plan_hash       TEXT NOT NULL,
    params          JSONB NOT NULL,
    print_settings  JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'FAILED')),
    step            TEXT NOT NULL DEFAULT 'plan',
    plate_count     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    error           TEXT,
    failed_step     TEXT,
    mapping_id      UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    UNIQUE (tenant_id, sku, plan_hash)
);
CREATE INDEX pipeline_jobs_runnable ON pipeline_jobs (next_attempt_at)
    WHERE status IN ('PENDING', 'RUNNING');

-- Per-plate progress: GENERATED (STL stored), SLICED (gcode stored),
-- UPLOADED (SimplyPrint file id known). Hashes name the artefacts on disk.
CREATE TABLE pipeline_plates (
    job_id              UUID NOT NULL REFERENCES pipeline_jobs (id) ON DELETE CASCADE,
    plate_index         INTEGER NOT NULL,
    status              TEXT NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'GENERATED', 'SLICED', 'UPLOADED')),
    stl_hash            TEXT,
    gcode_hash          TEXT,
    simplyprint_file_id TEXT,
    file_name           TEXT,
    -- How long each step took (the last time it ran), for operators.
    generate_ms         INTEGER,
    slice_ms            INTEGER,
    upload_ms           INTEGER,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, plate_index)
);

-- Line items waiting on a job; `notified` once their mapping-ready or
-- pipeline-failed event is in the outbox.
CREATE TABLE pipeline_waiters (
    job_id       UUID NOT NULL REFERENCES pipeline_jobs (id) ON DELETE CASCADE,
    line_item_id UUID NOT NULL,
    order_id     UUID NOT NULL,
    notified     BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    notified_at  TIMESTAMPTZ,
    PRIMARY KEY (job_id, line_item_id)
);
