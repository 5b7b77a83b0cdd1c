-- Notifications held for later (NotificationRequested.sendAt). The request is kept as it was read
-- from notification.requests.v1, in the registry's wire format (magic byte, content id, Avro), so it
-- is written back to the topic unchanged when it is due, whatever version of the contract it has.
-- status: SCHEDULED until it is due, then SENT (written back to the topic) or CANCELLED (a
-- NotificationCancelRequested came first); done_at is when that happened. A request for a time of
-- day in each recipient's zone (localTime) is held in parts, one per instant and slice of its
-- audience ('' for a request held whole).
CREATE TABLE scheduled_notifications (
    tenant_id    TEXT        NOT NULL,
    request_id   TEXT        NOT NULL,
    part         TEXT        NOT NULL DEFAULT '',
    requested_by TEXT        NOT NULL,
    send_at      TIMESTAMPTZ NOT NULL,
    status       TEXT        NOT NULL DEFAULT 'SCHEDULED',
    request      BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at      TIMESTAMPTZ,
    cancelled_by TEXT,
    PRIMARY KEY (tenant_id, request_id, part)
);

-- What is due next, in order: only rows still waiting are indexed.
CREATE INDEX scheduled_notifications_due
    ON scheduled_notifications (send_at) WHERE status = 'SCHEDULED';
-- Finished rows are forgotten with the rest of the activity, oldest first.
CREATE INDEX scheduled_notifications_done
    ON scheduled_notifications (done_at) WHERE status <> 'SCHEDULED';
