-- `status` and every poll read the open cases through the covering index of 0002, one range
-- scan that never touches the table. 0013 added two columns those reads return (`outcome`,
-- `applicant`: a category may be recorded when the request arrives), so the index is made again
-- with them; without them each open case would be looked up in the table on every poll.
DROP INDEX cases_open_reference;
CREATE INDEX cases_open_reference
    ON cases (reference, id, subject, channel, received_on, forwarded_on, section, replied_on,
              closed_on, close_reason, outcome, applicant)
    WHERE replied_on IS NULL AND closed_on IS NULL;
