-- Read, seen and archived state of inbox items, and the indexes that keep the inbox's lists and
-- counts to one user's rows: the default list (not archived), the unread list and count, the
-- unseen count (badge), the archive.
ALTER TABLE inbox_items ADD COLUMN seen_at TIMESTAMPTZ;

CREATE INDEX inbox_items_active ON inbox_items (tenant_id, user_id, created_at DESC, id DESC)
    WHERE archived_at IS NULL;
CREATE INDEX inbox_items_unread ON inbox_items (tenant_id, user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL AND archived_at IS NULL;
CREATE INDEX inbox_items_unseen ON inbox_items (tenant_id, user_id)
    WHERE seen_at IS NULL AND archived_at IS NULL;
CREATE INDEX inbox_items_archived ON inbox_items (tenant_id, user_id, created_at DESC, id DESC)
    WHERE archived_at IS NOT NULL;
