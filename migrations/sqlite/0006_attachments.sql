-- Reports and calendar feeds (issue 8): files attached to an outbox message.
-- Stored with the message so that every resend carries the same attachment.

CREATE TABLE outbox_attachments (                     -- one attached file of one message
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- order within the message
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id), -- the message it belongs to
    filename      TEXT NOT NULL,                      -- the name the recipient sees, e.g. 2026-11月报.xlsx
    content_type  TEXT NOT NULL,                      -- MIME type, e.g. text/calendar; charset=utf-8
    content       BLOB NOT NULL                       -- the file's bytes
);
CREATE INDEX outbox_attachments_outbox ON outbox_attachments (outbox_id);
