-- Every request the fan-out took, with who sent it: the sender and the tenant's admins follow it
-- by the id the gateway's 202 returned.
CREATE TABLE notification_requests (
    tenant_id    TEXT        NOT NULL,
    request_id   TEXT        NOT NULL,
    requested_by TEXT        NOT NULL,
    category     TEXT        NOT NULL,
    channels     TEXT[]      NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX notification_requests_by_sender
    ON notification_requests (tenant_id, requested_by, requested_at DESC, request_id DESC);

-- What happened to each delivery (one recipient, one channel; one device for push), one row per
-- event: REQUESTED (handed to the channel's worker), SKIPPED (with the reason), FAILED (an attempt
-- failed and is retried; at fan-out a render failure, final), SENT (the provider took it, with its
-- message id), DELIVERED, READ, DEAD_LETTERED (failed for good). An in-app delivery is DELIVERED
-- when its inbox item is stored; its READ comes from the item. The event id is that of the event
-- the row records, so a redelivered event adds nothing.
CREATE TABLE delivery_activity (
    seq                 BIGINT      GENERATED ALWAYS AS IDENTITY,
    event_id            TEXT        PRIMARY KEY,
    tenant_id           TEXT        NOT NULL,
    notification_id     TEXT        NOT NULL,
    user_id             TEXT        COLLATE "C" NOT NULL,
    channel             TEXT        NOT NULL,
    delivery_id         TEXT        NOT NULL,
    status              TEXT        NOT NULL,
    final               BOOLEAN     NOT NULL DEFAULT false,
    reason              TEXT,
    provider            TEXT,
    provider_message_id TEXT,
    attempt             INT,
    occurred_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX delivery_activity_by_request
    ON delivery_activity (tenant_id, notification_id, user_id);
CREATE INDEX delivery_activity_by_user ON delivery_activity (tenant_id, user_id, seq DESC);

INSERT INTO delivery_activity (event_id, tenant_id, notification_id, user_id, channel, delivery_id,
                               status, final, reason, occurred_at)
SELECT 'fan-out:' || delivery_id, tenant_id, notification_id, user_id, channel, delivery_id::text,
       outcome, true, reason, created_at
  FROM delivery_outcomes;
DROP TABLE delivery_outcomes;
