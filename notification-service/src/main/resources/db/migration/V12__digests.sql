-- Digests: the e-mail (and, if chosen, push) deliveries of a category a user gets hourly, daily or
-- weekly are collected and sent as one message at the user's local time. In-app items are never
-- collected: they land in the inbox at once.

-- How often a category is delivered: IMMEDIATE, HOURLY, DAILY or WEEKLY, per user and category,
-- with the tenant's default under user_id '*'. No row is IMMEDIATE.
CREATE TABLE digest_frequencies (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    category  TEXT NOT NULL,
    frequency TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, category)
);

-- When a user's digests go out (local time of the subscriber's zone; WEEKLY on weekday, 1 =
-- Monday) and which channels are collected; the tenant's default under user_id '*'. Without a
-- row: 09:00, Monday, EMAIL.
CREATE TABLE digest_settings (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    send_time TIME     NOT NULL,
    weekday   SMALLINT NOT NULL,
    channels  TEXT[]   NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

-- Notifications waiting for a user's next digest, one row per notification (its channels merged).
CREATE TABLE digest_items (
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    frequency       TEXT        NOT NULL,
    notification_id TEXT        NOT NULL,
    category        TEXT        NOT NULL,
    channels        TEXT[]      NOT NULL,
    title           TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    link            TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, frequency, notification_id)
);

-- The next digest of each user and frequency that has items waiting: due_at is when it goes out.
-- The runners take due rows in order, a batch at a time (FOR UPDATE SKIP LOCKED), so instances
-- share the work and never send the same digest at once.
CREATE TABLE digest_schedule (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    frequency TEXT        NOT NULL,
    due_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, frequency)
);
CREATE INDEX digest_schedule_due ON digest_schedule (due_at);

-- Every digest sent: one per user, frequency and period (the local date for DAILY, the ISO week
-- for WEEKLY, the hour for HOURLY), which the primary key holds to, with the notifications it
-- carried: a request's activity follows each collected delivery into its digest through them.
CREATE TABLE digests (
    tenant_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    frequency        TEXT        NOT NULL,
    period           TEXT        NOT NULL,
    digest_id        UUID        NOT NULL,
    items            INT         NOT NULL,
    notification_ids TEXT[]      NOT NULL,
    due_at     TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, frequency, period)
);
CREATE INDEX digests_latest ON digests (tenant_id, user_id, frequency, sent_at DESC);
