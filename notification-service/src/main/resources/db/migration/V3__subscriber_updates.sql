-- Subscribers come from notification.subscribers.v1 (identity teams and the subscriber API).
ALTER TABLE subscribers ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
