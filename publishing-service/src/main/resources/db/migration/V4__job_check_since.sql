-- Set while an earlier attempt of the job may have posted without Herald learning of it (its
-- instance died mid-call, or the call timed out): before it posts again, the job looks on the
-- account for a post made since then. Cleared by the first attempt with a definite answer.
alter table publishing_jobs add column check_since timestamptz;
