-- The spool's identity in its checkpoint row.
--
-- A checkpoint (segment, offset) is a position inside one spool directory's segment files and means
-- nothing for another. Each spool directory holds a random id in its file `spool-id`, created with the
-- spool; the loader records it here and, whenever it reads the checkpoint, checks that the row names the
-- spool it is loading. A wiped spool (created again empty, so a new id) or a second directory started
-- with the same node id is refused, with a message, instead of skipping or deleting segments by a position
-- that belongs to another spool.
--
-- Rows written before this migration have no id: the first loader to read one claims it, unless its spool
-- was created empty and the row's position is not the start of a spool (that spool was wiped).
-- `sluice spool reset-checkpoint --node-id ID --confirm-spool-gone` deletes a row whose spool is gone for
-- good, so that the node starts over with its new spool.
ALTER TABLE sluice.spool_checkpoints
    ADD COLUMN spool_id text CHECK (spool_id IS NULL OR (spool_id <> '' AND length(spool_id) <= 100));

COMMENT ON COLUMN sluice.spool_checkpoints.spool_id IS
    'The identity of the spool directory the position belongs to (its spool-id file); NULL until claimed.';
