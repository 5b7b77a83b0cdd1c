-- An OAuth authorization under way: the state the platform hands back to the callback, and the
-- PKCE verifier (sealed like the tokens) that proves the callback's code was asked for here.
create table oauth_states (
  state          text        primary key,
  tenant_id      text        not null,
  brand_id       text        not null,
  platform       text        not null,
  key_id         text        not null,
  code_verifier  bytea       not null,
  redirect_uri   text        not null,
  created_by     text        not null,
  expires_at     timestamptz not null
);
