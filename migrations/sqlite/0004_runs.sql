-- Every run of a scheduled job, for `duewatch health` and /metrics (issue 5).

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,                       -- order of starting
    job          TEXT NOT NULL,             -- poll | calendar_check | ...
    worker       TEXT NOT NULL,             -- the instance (host:pid:random)
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), -- database time
    finished_at  TEXT,                       -- NULL while running, or if the instance died
    ok           INTEGER,                     -- whether it finished without error
    cases        INTEGER NOT NULL DEFAULT 0, -- open cases evaluated
    notified     INTEGER NOT NULL DEFAULT 0, -- digests queued
    sent         INTEGER NOT NULL DEFAULT 0, -- messages delivered
    failed       INTEGER NOT NULL DEFAULT 0, -- deliveries that failed (retried or dead)
    error        TEXT                       -- what went wrong
);
CREATE INDEX runs_job ON runs (job, id);
