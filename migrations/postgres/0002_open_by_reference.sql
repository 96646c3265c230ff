-- `status` and every poll read the open cases in reference order, in batches (keyset on
-- reference). This partial index holds only open cases and every column those reads need, so a
-- batch is one index-only range scan that never touches the pages of finished cases.
CREATE INDEX cases_open_reference
    ON cases (reference)
    INCLUDE (id, subject, channel, received_on, forwarded_on, section, replied_on, closed_on,
             close_reason)
    WHERE replied_on IS NULL AND closed_on IS NULL;
