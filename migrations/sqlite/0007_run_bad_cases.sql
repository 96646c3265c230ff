-- Cases a poll could not read or evaluate (issue 13), so that `duewatch health` and `/metrics`
-- can say so. NULL: the run did not read the cases (the sending window was closed, the poll
-- failed, another job); health and /metrics read the latest poll that counted them.

ALTER TABLE runs ADD COLUMN bad_cases INTEGER; -- open cases not watched: unreadable rows, dates that cannot be counted
ALTER TABLE runs ADD COLUMN uncountable_cases INTEGER; -- of those, the cases whose dates cannot be counted
