-- Every change of a user's inbox (an item created, read, unread, seen, archived, unarchived) takes
-- the next number of that user's sequence, in the transaction that makes the change. The sequence
-- row is locked until that transaction ends, so a user's changes become visible in the order of
-- their numbers: a client that resumes its live stream after number N finds every later change,
-- none missing and none twice. Numbers are not contiguous (a change that turns out to change
-- nothing still takes one).
CREATE TABLE inbox_sequences (
    tenant_id  TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    last_seq   BIGINT NOT NULL,
    -- Changes up to this number were forgotten (older than the retention): a stream that resumes
    -- from before it reloads instead.
    forgotten_up_to BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, user_id)
);

-- A created item's number is on the item.
ALTER TABLE inbox_items ADD COLUMN seq BIGINT;
CREATE INDEX inbox_items_by_seq ON inbox_items (tenant_id, user_id, seq) WHERE seq IS NOT NULL;

-- The other changes, for resuming streams (kept a week).
CREATE TABLE inbox_changes (
    tenant_id   TEXT        NOT NULL,
    user_id     TEXT        NOT NULL,
    seq         BIGINT      NOT NULL,
    kind        TEXT        NOT NULL,   -- read, unread, seen, archived, unarchived
    item_ids    UUID[]      NOT NULL,
    seen_up_to  TIMESTAMPTZ,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, seq)
);
CREATE INDEX inbox_changes_by_age ON inbox_changes (at);
