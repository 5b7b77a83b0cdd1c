-- Which provider accepted a delivery, on which attempt, and which record (topic-partition@offset)
-- recorded it: a batch reprocessed after its Kafka transaction was lost announces again what it
-- sent, while a true duplicate record is dropped silently.
ALTER TABLE delivery_ledger
    ADD COLUMN provider    TEXT,
    ADD COLUMN attempt     INT,
    ADD COLUMN recorded_by TEXT;

CREATE INDEX delivery_ledger_sent_at ON delivery_ledger (sent_at);
