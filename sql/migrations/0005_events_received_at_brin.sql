-- A BRIN index on analytics.events.received_at, for the dedupe window's rebuild at start-up.
--
-- The rebuild reads the (project_id, message_id) of the rows received within the dedupe window
-- (default 24 h), in every partition of the partition window, so that an event backfilled into an old day
-- and sent again after a restart is still recognised. Rows arrive in received_at order, so each partition's
-- block ranges are narrow in received_at and the scan skips every block received before the window: the
-- read costs about one day of rows, not ninety. Measured with `sluice bench copy --indexes`, the index
-- costs a COPY nothing measurable (docs/architecture.md, "Index choice").
--
-- Building it reads the events table once; COPYs wait for that (a partitioned table's index cannot be
-- built CONCURRENTLY). On a large table, run `sluice migrate` in a quiet hour.
--
-- Citus: a plain index, created on every shard.

CREATE INDEX events_received_at_brin ON analytics.events USING brin (received_at)
    WITH (pages_per_range = 32);
