-- print-service: print jobs, their history, SimplyPrint queue removals and
-- the SimplyPrint webhook inbox. Lives in the "print" schema.

CREATE TABLE print_jobs (
    id                        UUID PRIMARY KEY,
    tenant_id                 UUID NOT NULL,
    order_id                  UUID NOT NULL,
    line_item_id              UUID NOT NULL,
    part_id                   UUID NOT NULL,
    copy_index                INTEGER NOT NULL CHECK (copy_index >= 0),
    status                    TEXT NOT NULL CHECK (status IN
        ('PENDING', 'QUEUED', 'PRINTING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    simplyprint_file_id       TEXT NOT NULL,
    file_name                 TEXT NOT NULL,
    simplyprint_queue_item_id BIGINT,
    simplyprint_job_id        BIGINT,
    error                     TEXT,
    -- Queueing into SimplyPrint, retried with back-off; a restart resumes
    -- from these columns.
    queue_attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error                TEXT,
    -- Set while an AddItem call may have reached SimplyPrint without its
    -- answer being recorded (a crash, a timeout): the next attempt first looks
    -- for that queue item instead of adding a second one.
    queue_started_at          TIMESTAMPTZ,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Creation is idempotent on this key; concurrent repeats meet here.
    CONSTRAINT print_jobs_copy_key UNIQUE (line_item_id, part_id, copy_index)
);

CREATE INDEX print_jobs_order ON print_jobs (order_id);
CREATE INDEX print_jobs_due ON print_jobs (next_attempt_at) WHERE status = 'PENDING';
-- One queue item belongs to at most one job (reconciliation after a crash relies on it).
CREATE UNIQUE INDEX print_jobs_queue_item ON print_jobs (simplyprint_queue_item_id)
    WHERE simplyprint_queue_item_id IS NOT NULL;
CREATE INDEX print_jobs_simplyprint_job ON print_jobs (simplyprint_job_id)
    WHERE simplyprint_job_id IS NOT NULL;

-- Every state change, with who caused it and why (operators read this for stuck jobs).
CREATE TABLE print_job_transitions (
    id            BIGSERIAL PRIMARY KEY,
    print_job_id  UUID NOT NULL REFERENCES print_jobs (id),
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    cause         TEXT NOT NULL,
    reason        TEXT,
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX print_job_transitions_job ON print_job_transitions (print_job_id, id);

-- Queue items to take out of the SimplyPrint queue (a cancelled or failed
-- job's), written in the transaction that made them unwanted and removed by
-- the queue worker with retries.
CREATE TABLE queue_deletions (
    queue_item_id   BIGINT PRIMARY KEY,
    print_job_id    UUID REFERENCES print_jobs (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at         TIMESTAMPTZ
);
CREATE INDEX queue_deletions_due ON queue_deletions (next_attempt_at) WHERE done_at IS NULL;

-- SimplyPrint webhook deliveries, stored before they are acknowledged and
-- applied afterwards; one that cannot be mapped to a job yet waits here.
CREATE TABLE webhook_inbox (
    id                 BIGSERIAL PRIMARY KEY,
    dedupe_key         TEXT NOT NULL UNIQUE,
    event              TEXT NOT NULL,
    simplyprint_job_id BIGINT,
    payload            JSONB NOT NULL,
    received_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error         TEXT,
    processed_at       TIMESTAMPTZ,
    outcome            TEXT
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (next_attempt_at, id) WHERE processed_at IS NULL;
