-- Cases a poll could not read or evaluate (issue 13), so that `duewatch health` can say so.

ALTER TABLE runs ADD COLUMN bad_cases INTEGER NOT NULL DEFAULT 0; -- open cases not watched: unreadable rows, dates that cannot be counted
