-- Daily overdue repeats (issue 5): one row per recipient and day instead of one per line and day.
-- A line's first overdue notice stays a line key in `notifications` (occurrence 'once'); the
-- daily repeat of every still-overdue line is one digest per recipient and working day, recorded
-- here in the same transaction as its outbox row, so it is made once however many passes or
-- instances run. A day's first poll then writes a row per recipient, not 200,000.

CREATE TABLE repeats (                                -- a recipient's daily overdue repeat, once a day
    recipient  TEXT NOT NULL,                         -- the address told
    day        DATE NOT NULL,                         -- the working day (local time)
    outbox_id  BIGINT NOT NULL REFERENCES outbox (id), -- the digest it went out in
    lines      INTEGER NOT NULL,                      -- how many overdue lines it repeated
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(), -- when recorded
    PRIMARY KEY (recipient, day)
);

-- Carry over what the per-line keys of earlier versions recorded, so that nothing is mailed twice
-- on the day of the upgrade: each repeated line's first notice counts as given, and each day that
-- had a repeat mailed counts as repeated.
INSERT INTO notifications (case_reference, stage, level, deadline, recipient, occurrence, outbox_id)
SELECT case_reference, stage, level, deadline, recipient, 'once', MAX(outbox_id)
FROM notifications
WHERE level = 'overdue' AND occurrence <> 'once' AND outbox_id IS NOT NULL
GROUP BY case_reference, stage, level, deadline, recipient
ON CONFLICT DO NOTHING;

INSERT INTO repeats (recipient, day, outbox_id, lines)
SELECT recipient, CAST(occurrence AS DATE), MAX(outbox_id), COUNT(*)
FROM notifications
WHERE level = 'overdue' AND occurrence <> 'once' AND outbox_id IS NOT NULL
GROUP BY recipient, occurrence
ON CONFLICT DO NOTHING;
