-- A report over a period reads only the cases that can count in it (issue 19): the open ones
-- (index cases_open) and those answered or closed since a date (these two). Finished cases are
-- most of a store that has run for years; without them a monthly report read every case.
CREATE INDEX cases_replied_on ON cases (replied_on) WHERE replied_on IS NOT NULL;
CREATE INDEX cases_closed_on ON cases (closed_on) WHERE closed_on IS NOT NULL;
