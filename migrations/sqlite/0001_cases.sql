-- The case store: disclosure requests and what happened to them (domain.md, "The two stages").
-- SQLite flavour: dates are TEXT YYYY-MM-DD, timestamps TEXT in UTC, booleans 0/1.

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,              -- internal key; never shown to people
    reference     TEXT NOT NULL UNIQUE,               -- the bureau's reference, e.g. 2026-0042
    subject       TEXT,                               -- what is asked; never the applicant's personal data
    channel       TEXT,                               -- how it arrived: in_person | mail | online | fax
    received_on   TEXT NOT NULL,                      -- receipt by the office (after a correction, 补正: the completed request)
    forwarded_on  TEXT,                               -- forwarded to the section (art. 19: within 5 working days)
    section       TEXT,                               -- code of the section it was forwarded to (config [[sections]])
    replied_on    TEXT,                               -- the section's answer (art. 19: within 10 working days + extensions)
    closed_on     TEXT,                               -- closed by other means
    close_reason  TEXT,                               -- withdrawn | merged | answered_on_spot
    is_sample     INTEGER NOT NULL DEFAULT 0,     -- made by `duewatch demo`, not a real request
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), -- when the row was made
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))  -- when it last changed
);

-- Open cases are what every poll reads.
CREATE INDEX cases_open ON cases (id) WHERE replied_on IS NULL AND closed_on IS NULL;

CREATE TABLE extensions (                             -- art. 20: extensions of the reply period
    id           INTEGER PRIMARY KEY AUTOINCREMENT,               -- internal key
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    position     INTEGER NOT NULL,                    -- order within the case, from 0
    days         INTEGER NOT NULL CHECK (days >= 1),  -- working days granted
    approved_on  TEXT NOT NULL,                       -- the leadership's approval
    approved_by  TEXT NOT NULL,                       -- who approved
    reason       TEXT,                                -- why
    notice_on    TEXT,                                -- written notice to the applicant (art. 20)
    UNIQUE (case_id, position)
);

CREATE TABLE suspensions (                            -- art. 21: the clock stands still in [from_on, until_on)
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,       -- internal key
    case_id              INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    position             INTEGER NOT NULL,            -- order within the case, from 0
    from_on              TEXT NOT NULL,               -- first day the clock stands still
    until_on             TEXT,                        -- day the clock runs again (counts); NULL while suspended
    reason               TEXT NOT NULL,               -- force_majeure | third_party | correction | other
    note                 TEXT,                        -- free text
    notice_on            TEXT,                        -- written notice of the suspension (art. 21)
    resumption_notice_on TEXT,                        -- written notice of the resumption (art. 21)
    UNIQUE (case_id, position)
);

CREATE TABLE history (                                -- every change to a case, never updated
    id       INTEGER PRIMARY KEY AUTOINCREMENT,                   -- order of changes
    case_id  INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),      -- when
    command  TEXT NOT NULL,                           -- which command, e.g. "case forward"
    change   TEXT NOT NULL                            -- what changed, in words (old values kept)
);
CREATE INDEX history_case ON history (case_id, id);
