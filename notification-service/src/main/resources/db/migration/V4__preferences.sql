-- A tenant's notification categories; a critical one (security, billing) cannot be turned off.
CREATE TABLE notification_categories (
    tenant_id TEXT    NOT NULL,
    category  TEXT    NOT NULL,
    critical  BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, category)
);

-- Tenant defaults per category and channel (the least specific level).
CREATE TABLE tenant_preferences (
    tenant_id TEXT    NOT NULL,
    category  TEXT    NOT NULL,
    channel   TEXT    NOT NULL,
    enabled   BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, category, channel),
    FOREIGN KEY (tenant_id, category) REFERENCES notification_categories ON DELETE CASCADE
);

-- A user's choices: per channel for every category (category '*'), or per category and channel
-- (the most specific level).
CREATE TABLE user_preferences (
    tenant_id TEXT    NOT NULL,
    user_id   TEXT    COLLATE "C" NOT NULL,
    category  TEXT    NOT NULL,
    channel   TEXT    NOT NULL,
    enabled   BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, user_id, category, channel)
);
