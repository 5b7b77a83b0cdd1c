-- A brand's account on a social platform. Tokens are AES-GCM ciphertexts under the key named by
-- key_id (so keys can rotate); the plaintext never reaches the database, logs, events or the API.
create table platform_connections (
  tenant_id        text        not null,
  connection_id    text        not null,
  brand_id         text        not null,
  platform         text        not null,   -- X, LINKEDIN, FACEBOOK
  account_id       text        not null,   -- the platform's id of the account (user, member, page)
  account_name     text,
  status           text        not null,   -- connected, expired, revoked
  key_id           text        not null,
  access_token     bytea       not null,
  refresh_token    bytea,
  expires_at       timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, connection_id)
);

-- One job per post and connection. The runner claims due jobs in batches (FOR UPDATE SKIP LOCKED)
-- under a lease; a job whose lease expired (its instance died mid-attempt) is claimed again.
create table publishing_jobs (
  job_id            text        primary key,
  tenant_id         text        not null,
  post_id           text        not null,
  brand_id          text        not null,
  connection_id     text        not null,
  platform          text        not null,
  state             text        not null,   -- scheduled, pending, running, retrying, published, failed, cancelled
  due_at            timestamptz not null,
  attempt           integer     not null default 0,
  max_attempts      integer     not null,
  lease_owner       text,
  lease_until       timestamptz,
  platform_post_id  text,
  url               text,
  error_code        text,
  error             text,
  requested_by      text        not null,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);

create index publishing_jobs_due on publishing_jobs (due_at) where state in ('scheduled', 'pending', 'retrying');
create index publishing_jobs_leased on publishing_jobs (lease_until) where state = 'running';
create index publishing_jobs_by_post on publishing_jobs (tenant_id, post_id);
create index publishing_jobs_by_brand on publishing_jobs (tenant_id, brand_id, created_at desc, job_id desc);

-- The audit trail: every attempt of every job, with what was asked, what the platform answered
-- and how long it took.
create table publishing_attempts (
  job_id        text        not null,
  attempt       integer     not null,
  tenant_id     text        not null,
  post_id       text        not null,
  brand_id      text        not null,
  platform      text        not null,
  actor         text        not null,
  request       text        not null,   -- summary: endpoint and sizes, never tokens
  status_code   integer,                -- the platform's HTTP status; null when it was not reached
  outcome       text        not null,   -- published, retrying, failed
  error_code    text,
  error         text,
  started_at    timestamptz not null,
  duration_ms   integer     not null,
  primary key (job_id, attempt)
);

create index publishing_attempts_by_brand on publishing_attempts (tenant_id, brand_id, started_at desc, job_id, attempt);
create index publishing_attempts_by_post on publishing_attempts (tenant_id, post_id, started_at desc);

-- Results waiting to be published on publishing.results.v1: written in the transaction that
-- records the attempt, sent and deleted by the relay (at least once; event ids are deterministic).
create table publishing_outbox (
  id          bigserial   primary key,
  topic       text        not null,
  record_key  text        not null,
  event_type  text        not null,
  payload     bytea       not null,     -- Avro binary of event_type, without registry framing
  created_at  timestamptz not null default now()
);
