-- Who can be notified, per tenant. Contact points are optional per channel.
CREATE TABLE subscribers (
    tenant_id   TEXT        NOT NULL,
    user_id     TEXT        NOT NULL,
    email       TEXT,
    phone       TEXT,
    locale      TEXT        NOT NULL DEFAULT 'en',
    time_zone   TEXT        NOT NULL DEFAULT 'UTC',
    roles       TEXT[]      NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX subscribers_roles_idx ON subscribers USING GIN (roles);

-- The in-app inbox. One item per notification and user: a redelivered request inserts nothing.
CREATE TABLE inbox_items (
    id              UUID        PRIMARY KEY,
    tenant_id       TEXT        NOT NULL,
    user_id         TEXT        NOT NULL,
    notification_id TEXT        NOT NULL,
    category        TEXT        NOT NULL,
    title           TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    data            JSONB       NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL,
    read_at         TIMESTAMPTZ,
    archived_at     TIMESTAMPTZ,
    CONSTRAINT inbox_items_once UNIQUE (tenant_id, user_id, notification_id)
);
CREATE INDEX inbox_items_by_user ON inbox_items (tenant_id, user_id, created_at DESC, id DESC);

-- Channel deliveries already handed to a worker topic, so that a redelivered request does not
-- fan out again.
CREATE TABLE deliveries (
    delivery_id     UUID        PRIMARY KEY,
    tenant_id       TEXT        NOT NULL,
    notification_id TEXT        NOT NULL,
    user_id         TEXT        NOT NULL,
    channel         TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
