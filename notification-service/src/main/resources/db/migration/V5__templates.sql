-- Message templates per tenant, key, channel and locale. Every save is a new version; the
-- highest version is the one in use. parts holds the channel's Mustache sources (e.g. subject,
-- text, html for EMAIL), sample the data it was checked against.
CREATE TABLE templates (
    tenant_id    TEXT        NOT NULL,
    template_key TEXT        NOT NULL,
    channel      TEXT        NOT NULL,
    locale       TEXT        NOT NULL,
    version      INT         NOT NULL,
    parts        JSONB       NOT NULL,
    sample       JSONB       NOT NULL DEFAULT '{}',
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, template_key, channel, locale, version)
);

-- The locale a template falls back to when neither the recipient's nor its language exists.
CREATE TABLE template_settings (
    tenant_id      TEXT PRIMARY KEY,
    default_locale TEXT NOT NULL
);
