-- Escalation mail (issue 4): what has been notified, and the mail waiting to go out.
-- Timestamps come from the database's clock (now()), so instances' clocks do not matter.

CREATE TABLE outbox (                                 -- one e-mail to one recipient
    id                 BIGSERIAL PRIMARY KEY,         -- order of making; `outbox retry ID`
    kind               TEXT NOT NULL,                 -- digest (to a section/office/leadership) | admin | test
    recipient          TEXT NOT NULL,                 -- the one address it goes to
    subject            TEXT NOT NULL,                 -- rendered once, when the row is made
    body_text          TEXT NOT NULL,                 -- the text part
    body_html          TEXT,                          -- the HTML part, if any
    message_id         TEXT NOT NULL UNIQUE,          -- fixed here, so every resend carries the same one
    state              TEXT NOT NULL DEFAULT 'pending', -- pending | sent | dead (refused for good)
    attempts           INTEGER NOT NULL DEFAULT 0,    -- delivery attempts started
    next_attempt_at    TIMESTAMPTZ NOT NULL DEFAULT now(), -- not before (backoff)
    claimed_by         TEXT,                          -- the worker holding it (host:pid:random), while it sends
    claim_token        BIGINT NOT NULL DEFAULT 0,     -- bumped by every claim: a stale worker's write matches no row
    claim_until        TIMESTAMPTZ,                   -- the claim's lease; after it, another worker may take the row
    last_error         TEXT,                          -- why the last attempt failed
    possible_duplicate BOOLEAN NOT NULL DEFAULT FALSE, -- an attempt ended without an answer: the relay may have it
    reported           TEXT,                          -- told to mail.admins as: stuck | dead
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(), -- when made
    sent_at            TIMESTAMPTZ                    -- when the relay took it (250)
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE state = 'pending';

CREATE TABLE notifications (                          -- each line of each digest, recorded once
    id              BIGSERIAL PRIMARY KEY,            -- internal key
    case_reference  TEXT NOT NULL,                    -- the case (by reference: the case may live in another system)
    stage           TEXT NOT NULL,                    -- forward | reply | notice:KIND:EVENT-DATE
    level           TEXT NOT NULL,                    -- reminder | due_today | overdue | notice_missing
    deadline        DATE NOT NULL,                    -- the deadline notified; a new deadline is a new key
    recipient       TEXT NOT NULL,                    -- the address told
    occurrence      TEXT NOT NULL,                    -- once | the working day of a repeated overdue
    outbox_id       BIGINT REFERENCES outbox (id),    -- the mail it went out in
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(), -- when recorded
    UNIQUE (case_reference, stage, level, deadline, recipient, occurrence)
);
CREATE INDEX notifications_outbox ON notifications (outbox_id);
