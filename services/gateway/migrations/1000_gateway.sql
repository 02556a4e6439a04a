-- gateway: operators (people and machines acting for one tenant) and their
-- API tokens. Only a SHA-256 of each token is kept: a leaked table does not
-- leak credentials.

CREATE TABLE operators (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at TIMESTAMPTZ
);

CREATE UNIQUE INDEX operators_tenant_email ON operators (tenant_id, lower(email));

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    operator_id  UUID NOT NULL REFERENCES operators (id),
    token_hash   BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    name         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE INDEX api_tokens_operator ON api_tokens (operator_id);
