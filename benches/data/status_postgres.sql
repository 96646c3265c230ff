-- Benchmark data for `duewatch status` (benches/status.rs), PostgreSQL flavour: the same rows
-- as status_sqlite.sql. Run on a migrated, empty database.
INSERT INTO cases (id, reference, subject, channel, received_on, forwarded_on, section, replied_on)
SELECT i,
       'B' || lpad(i::text, 7, '0'),
       'benchmark case',
       'online',
       DATE '2026-11-22' - (i % 40),
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0 THEN DATE '2026-11-22' - (i % 40) + 1 END,
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0
            THEN CASE (i / 10) % 2 WHEN 0 THEN 'ss' ELSE 'zc' END END,
       CASE WHEN i % 10 <> 0 THEN DATE '2026-11-22' - (i % 40) + 5 END
FROM generate_series(1, 1000000) AS i;
SELECT setval(pg_get_serial_sequence('cases', 'id'), 1000000);

INSERT INTO extensions (case_id, position, days, approved_on, approved_by)
SELECT id, 0, 5, forwarded_on + 2, '局长'
FROM cases WHERE forwarded_on IS NOT NULL AND id % 10 = 0;

INSERT INTO suspensions (case_id, position, from_on, until_on, reason)
SELECT id, 0, forwarded_on + 1, forwarded_on + 4, 'third_party'
FROM cases WHERE forwarded_on IS NOT NULL AND id % 50 = 0;

ANALYZE;
