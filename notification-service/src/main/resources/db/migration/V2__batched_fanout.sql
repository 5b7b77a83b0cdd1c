-- User ids compare byte-wise: audiences are cut into pages by user id ranges, and the order must
-- be the same in every query and on every server whatever its locale.
ALTER TABLE subscribers ALTER COLUMN user_id TYPE TEXT COLLATE "C";

-- Devices and browsers a user receives push messages on: FCM registration tokens, or Web Push
-- subscriptions (the endpoint as token, with the keys to encrypt for it).
CREATE TABLE push_contacts (
    tenant_id   TEXT        NOT NULL,
    user_id     TEXT        COLLATE "C" NOT NULL,
    platform    TEXT        NOT NULL CHECK (platform IN ('FCM', 'WEB_PUSH')),
    token       TEXT        NOT NULL,
    p256dh      TEXT,
    auth        TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, token),
    FOREIGN KEY (tenant_id, user_id) REFERENCES subscribers (tenant_id, user_id) ON DELETE CASCADE,
    CHECK (platform = 'FCM' OR (p256dh IS NOT NULL AND auth IS NOT NULL))
);

-- created_by names the consumed record (topic/partition@offset) that stored the item: when that
-- record is processed again, its earlier attempt stored the item but did not commit the events,
-- which are then published. action_url is where the item leads.
ALTER TABLE inbox_items ADD COLUMN created_by TEXT, ADD COLUMN action_url TEXT;

-- The fan-out no longer needs a ledger of handed-over deliveries: they are committed together
-- with the consumed offsets in one Kafka transaction. What is recorded is what was not sent.
DROP TABLE deliveries;
CREATE TABLE delivery_outcomes (
    delivery_id     UUID        PRIMARY KEY,
    tenant_id       TEXT        NOT NULL,
    notification_id TEXT        NOT NULL,
    user_id         TEXT        NOT NULL,
    channel         TEXT        NOT NULL,
    outcome         TEXT        NOT NULL,
    reason          TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX delivery_outcomes_by_notification ON delivery_outcomes (tenant_id, notification_id);
