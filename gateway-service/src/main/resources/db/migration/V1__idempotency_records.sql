-- The first answer to each Idempotency-Key, per tenant and user, kept for the retention period.
-- A row without a status is a command still in flight: its claim is held by one gateway until
-- locked_until, after which a retry of the same request may take it over.
CREATE TABLE idempotency_records (
    tenant_id       text        NOT NULL,
    user_id         text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     bytea       NOT NULL,
    claim_id        uuid,
    locked_until    timestamptz,
    status          smallint,
    content_type    text,
    location        text,
    body            bytea,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id, idempotency_key)
);

-- Rows are written in time order, so a BRIN index finds the expired ones cheaply.
CREATE INDEX idempotency_records_expiry ON idempotency_records USING brin (expires_at);
