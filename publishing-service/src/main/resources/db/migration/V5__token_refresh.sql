-- Tokens are refreshed ahead of expires_at by whichever instance claims the connection first
-- (refresh_lease_until, FOR UPDATE SKIP LOCKED); a refresh that failed transiently is tried again
-- from refresh_after. status_reason says why a connection is expired or revoked.
alter table platform_connections
  add column refresh_after       timestamptz,
  add column refresh_lease_until timestamptz,
  add column refresh_failures    integer not null default 0,
  add column status_reason       text;

create index platform_connections_refresh on platform_connections (expires_at)
  where status = 'connected' and refresh_token is not null;

-- The account an authorization is for, where the platform grants several (a Facebook page id).
alter table oauth_states add column account_hint text;
