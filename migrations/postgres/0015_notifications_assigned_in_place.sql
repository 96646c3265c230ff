-- A digest puts its lines in its mail by setting `notifications.outbox_id`; no statement looks a
-- line up by its mail (a case's record joins from the line to its mail, the rest go by the
-- unique key or the id). What that update cost on a first poll after 100,000 cases escalate at
-- once (274,000 lines; docs/performance.md), and what is done about it:
--
-- * The index on `outbox_id` was only written, never read: dropped. With no index on the
--   column, the update is a heap-only tuple (HOT) update, which adds nothing to the table's
--   other indexes, when the row's page has room for its new version.
-- * So pages are filled to half as lines are recorded (fillfactor 50), leaving that room; the
--   old versions are pruned from the page later. The table stays smaller than with full pages
--   and non-HOT updates, whose new index entries bloated both unique indexes.
-- * The foreign key to `outbox` is checked by a trigger row by row on every update: 1.7 s of
--   the 274,000. It is dropped. What it guarded is kept by how the column is written: only
--   `Store::mail_lines` and its siblings set it, in the transaction that inserts the mail, with
--   the id that insert returned or, for a digest, the id taken for its mail from the outbox's
--   sequence just before (the lines are put in the mail as they are claimed, the mail inserted
--   with that id after); and no outbox row is ever deleted.
DROP INDEX notifications_outbox;
ALTER TABLE notifications SET (fillfactor = 50);
ALTER TABLE notifications DROP CONSTRAINT notifications_outbox_id_fkey;
