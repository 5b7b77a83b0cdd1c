-- Quiet hours: a window of local time (in the subscriber's time zone) in which non-critical
-- e-mail, WhatsApp and push deliveries are held until the window ends. One row per user who chose
-- a window, and the tenant's default under user_id '*'. A window whose end is before its start
-- runs over midnight (22:00-07:00); start = end is no window.
CREATE TABLE quiet_hours (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    start_time TIME NOT NULL,
    end_time   TIME NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
