-- Delivery activity and the requests it belongs to are kept for herald.activity.retention (30 days)
-- and then forgotten, oldest first. Both tables grow in time order, so a BRIN index finds the old
-- rows at almost no cost to the fan-out's inserts.
CREATE INDEX delivery_activity_by_time ON delivery_activity USING brin (occurred_at);
CREATE INDEX notification_requests_by_time ON notification_requests USING brin (requested_at);
