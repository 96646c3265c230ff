-- Escalation mail (issue 4): what has been notified, and the mail waiting to go out.
-- SQLite flavour: timestamps are TEXT in UTC (YYYY-MM-DDTHH:MM:SS.sssZ), from the database's clock.

CREATE TABLE outbox (                                 -- one e-mail to one recipient
    id                 INTEGER PRIMARY KEY AUTOINCREMENT, -- order of making; `outbox retry ID`
    kind               TEXT NOT NULL,                 -- digest (to a section/office/leadership) | admin | test
    recipient          TEXT NOT NULL,                 -- the one address it goes to
    subject            TEXT NOT NULL,                 -- rendered once, when the row is made
    body_text          TEXT NOT NULL,                 -- the text part
    body_html          TEXT,                          -- the HTML part, if any
    message_id         TEXT NOT NULL UNIQUE,          -- fixed here, so every resend carries the same one
    state              TEXT NOT NULL DEFAULT 'pending', -- pending | sent | dead (refused for good)
    attempts           INTEGER NOT NULL DEFAULT 0,    -- delivery attempts started
    next_attempt_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), -- not before (backoff)
    claimed_by         TEXT,                          -- the worker holding it (host:pid:random), while it sends
    claim_token        INTEGER NOT NULL DEFAULT 0,    -- bumped by every claim: a stale worker's write matches no row
    claim_until        TEXT,                          -- the claim's lease; after it, another worker may take the row
    last_error         TEXT,                          -- why the last attempt failed
    possible_duplicate INTEGER NOT NULL DEFAULT 0,    -- an attempt ended without an answer: the relay may have it
    reported           TEXT,                          -- told to mail.admins as: stuck | dead
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), -- when made
    sent_at            TEXT                           -- when the relay took it (250)
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE state = 'pending';

CREATE TABLE notifications (                          -- each line of each digest, recorded once
    id              INTEGER PRIMARY KEY AUTOINCREMENT,    -- internal key
    case_reference  TEXT NOT NULL,                    -- the case (by reference: the case may live in another system)
    stage           TEXT NOT NULL,                    -- forward | reply | notice:KIND:EVENT-DATE
    level           TEXT NOT NULL,                    -- reminder | due_today | overdue | notice_missing
    deadline        TEXT NOT NULL,                    -- the deadline notified; a new deadline is a new key
    recipient       TEXT NOT NULL,                    -- the address told
    occurrence      TEXT NOT NULL,                    -- once | the working day of a repeated overdue
    outbox_id       INTEGER REFERENCES outbox (id),   -- the mail it went out in
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), -- when recorded
    UNIQUE (case_reference, stage, level, deadline, recipient, occurrence)
);
CREATE INDEX notifications_outbox ON notifications (outbox_id);
