-- Bucket4j's token buckets, one per tenant and endpoint class, shared by every gateway instance.
-- expires_at (epoch milliseconds) is when an idle bucket would be full again; it may go then.
CREATE TABLE rate_limit_buckets (
    id         text   PRIMARY KEY,
    state      bytea,
    expires_at bigint
);

CREATE INDEX rate_limit_buckets_expiry ON rate_limit_buckets (expires_at);
