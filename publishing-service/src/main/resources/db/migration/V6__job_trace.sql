-- The W3C trace context of the command that created the job, so that its attempts, however much
-- later they run, belong to the trace of the request that asked for them.
alter table publishing_jobs add column trace_parent text;
