-- The case store: disclosure requests and what happened to them (domain.md, "The two stages").

CREATE TABLE cases (
    id            BIGSERIAL PRIMARY KEY,              -- internal key; never shown to people
    reference     TEXT NOT NULL UNIQUE,               -- the bureau's reference, e.g. 2026-0042
    subject       TEXT,                               -- what is asked; never the applicant's personal data
    channel       TEXT,                               -- how it arrived: in_person | mail | online | fax
    received_on   DATE NOT NULL,                      -- receipt by the office (after a correction, 补正: the completed request)
    forwarded_on  DATE,                               -- forwarded to the section (art. 19: within 5 working days)
    section       TEXT,                               -- code of the section it was forwarded to (config [[sections]])
    replied_on    DATE,                               -- the section's answer (art. 19: within 10 working days + extensions)
    closed_on     DATE,                               -- closed by other means
    close_reason  TEXT,                               -- withdrawn | merged | answered_on_spot
    is_sample     BOOLEAN NOT NULL DEFAULT FALSE,     -- made by `duewatch demo`, not a real request
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(), -- when the row was made
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()  -- when it last changed
);

-- Open cases are what every poll reads.
CREATE INDEX cases_open ON cases (id) WHERE replied_on IS NULL AND closed_on IS NULL;

CREATE TABLE extensions (                             -- art. 20: extensions of the reply period
    id           BIGSERIAL PRIMARY KEY,               -- internal key
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    position     INTEGER NOT NULL,                    -- order within the case, from 0
    days         INTEGER NOT NULL CHECK (days >= 1),  -- working days granted
    approved_on  DATE NOT NULL,                       -- the leadership's approval
    approved_by  TEXT NOT NULL,                       -- who approved
    reason       TEXT,                                -- why
    notice_on    DATE,                                -- written notice to the applicant (art. 20)
    UNIQUE (case_id, position)
);

CREATE TABLE suspensions (                            -- art. 21: the clock stands still in [from_on, until_on)
    id                   BIGSERIAL PRIMARY KEY,       -- internal key
    case_id              BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    position             INTEGER NOT NULL,            -- order within the case, from 0
    from_on              DATE NOT NULL,               -- first day the clock stands still
    until_on             DATE,                        -- day the clock runs again (counts); NULL while suspended
    reason               TEXT NOT NULL,               -- force_majeure | third_party | correction | other
    note                 TEXT,                        -- free text
    notice_on            DATE,                        -- written notice of the suspension (art. 21)
    resumption_notice_on DATE,                        -- written notice of the resumption (art. 21)
    UNIQUE (case_id, position)
);

CREATE TABLE history (                                -- every change to a case, never updated
    id       BIGSERIAL PRIMARY KEY,                   -- order of changes
    case_id  BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),      -- when
    command  TEXT NOT NULL,                           -- which command, e.g. "case forward"
    change   TEXT NOT NULL                            -- what changed, in words (old values kept)
);
CREATE INDEX history_case ON history (case_id, id);
