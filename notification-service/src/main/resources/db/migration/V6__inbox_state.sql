-- Read, seen and archived state of inbox items. One index serves the inbox's default list, its
-- unread, read and seen filters and its counts, all from the index alone (the state columns are
-- included), and it replaces the index by user; the archive has its own small one. Few indexes:
-- each is written on every item the fan-out stores.
ALTER TABLE inbox_items ADD COLUMN seen_at TIMESTAMPTZ;

CREATE INDEX inbox_items_active ON inbox_items (tenant_id, user_id, created_at DESC, id DESC)
    INCLUDE (read_at, seen_at) WHERE archived_at IS NULL;
CREATE INDEX inbox_items_archived ON inbox_items (tenant_id, user_id, created_at DESC, id DESC)
    WHERE archived_at IS NOT NULL;
DROP INDEX inbox_items_by_user;
