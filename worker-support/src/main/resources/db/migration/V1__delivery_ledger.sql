-- Deliveries a provider accepted, so that a redelivered record is not sent again.
CREATE TABLE delivery_ledger (
    delivery_id  TEXT        PRIMARY KEY,
    tenant_id    TEXT        NOT NULL,
    message_id   TEXT,
    sent_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
