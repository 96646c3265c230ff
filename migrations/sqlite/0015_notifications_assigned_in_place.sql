-- A digest puts its lines in its mail by setting `notifications.outbox_id`; no statement looks a
-- line up by its mail (a case's record joins from the line to its mail, the rest go by the
-- unique key or the id). The index on `outbox_id` was only written: every line recorded added
-- an entry and every line mailed moved it, 274,000 of each on a first poll after 100,000 cases
-- escalate at once (docs/performance.md). The foreign key stays: SQLite checks it against the
-- outbox's primary key, a look-up a line.
DROP INDEX notifications_outbox;
