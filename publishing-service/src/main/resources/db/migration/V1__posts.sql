-- Posts and their approval state. A post belongs to one tenant and one brand; its id is chosen by
-- the gateway (a UUID), unique within the tenant.
create table posts (
  tenant_id     text        not null,
  post_id       text        not null,
  brand_id      text        not null,
  author_id     text        not null,
  body          text        not null,
  media_urls    text[]      not null default '{}',
  platforms     text[]      not null,
  state         text        not null,
  reason        text,                   -- rejection reason while rejected
  reviewed_by   text,
  version       integer     not null,   -- events applied to the post so far
  created_at    timestamptz not null,
  updated_at    timestamptz not null,
  primary key (tenant_id, post_id)
);

-- Listing a brand's posts newest first, and by state, with keyset pagination on (updated_at, post_id).
create index posts_by_brand on posts (tenant_id, brand_id, updated_at desc, post_id desc);
create index posts_by_state on posts (tenant_id, state, updated_at desc, post_id desc);

-- Every command event the service consumed for a post, applied or refused: the post's history, and
-- how a redelivered event is recognised (its id is already here) and changes nothing.
create table post_events (
  event_id     text        primary key,
  tenant_id    text        not null,
  post_id      text        not null,
  type         text        not null,  -- PostCreated, ContentApproved, ...
  actor        text        not null,
  outcome      text        not null,  -- APPLIED or REFUSED
  from_state   text,
  to_state     text,
  detail       text,                  -- why a refused event was refused; a rejection's reason
  occurred_at  timestamptz not null,
  recorded_at  timestamptz not null default now()
);

create index post_events_by_post on post_events (tenant_id, post_id, recorded_at, event_id);
