-- The audit log of dead-letter replays: who replayed what, when, and how many records.
CREATE TABLE dead_letter_replays (
    replay_id     uuid        PRIMARY KEY,
    tenant_id     text        NOT NULL,
    operator_id   text        NOT NULL,
    dlt_topic     text        NOT NULL,
    criteria      text        NOT NULL,
    replayed      integer     NOT NULL,
    skipped       integer     NOT NULL,
    replayed_at   timestamptz NOT NULL
);

CREATE INDEX dead_letter_replays_tenant ON dead_letter_replays (tenant_id, replayed_at DESC);

-- Each dead letter is replayed at most once: a second replay of it is skipped.
CREATE TABLE dead_letter_replayed_records (
    dlt_topic  text    NOT NULL,
    partition  integer NOT NULL,
    "offset"   bigint  NOT NULL,
    replay_id  uuid    NOT NULL,
    PRIMARY KEY (dlt_topic, partition, "offset")
);
