-- Which persons an event mark concerns: the earliest received_at of the rows the marking transaction loaded.
--
-- A sessions step derives visits again around the hours its marks name. Before this column it took every
-- person with an event in those hours, so a single late event re-derived all of the hour's visitors (about
-- 1,500 persons an hour at 10 million events over 60 days), and while the loader marked the same hours again
-- every few seconds, the job re-derived the same visits over and over. With it, a step takes only the
-- persons with an event of those hours received at or after the bound: every row the loader just committed
-- qualifies (the bound is the least received_at among them), and so may a few older ones, which costs a
-- little work and changes nothing. A person's visits depend on that person's events only, so the visits of
-- everyone else stay as they are, untouched.
--
-- NULL means that any row of the hour may have changed other than by a load (the partitions job moved rows
-- out of the default partition, an archived day was restored, a mark written by hand): every person of the
-- hour is derived again, as before. Adding a nullable column without a default rewrites nothing.

ALTER TABLE sluice.event_marks ADD COLUMN received_from timestamptz;

COMMENT ON COLUMN sluice.event_marks.received_from IS
    'Least received_at of the rows the marking load committed; the sessions job re-derives only the persons '
    'with an event of the hour received since. NULL: every person of the hour.';
