-- Benchmark data for `duewatch status` (benches/status.rs), SQLite flavour: 1,000,000 cases,
-- 100,000 of them open (every tenth), as of 2026-11-27. Of the open ones two in three are
-- forwarded to a section; every tenth forwarded case has an extension, every fiftieth a
-- suspension. Run on a migrated, empty database.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO cases (id, reference, subject, channel, received_on, forwarded_on, section, replied_on)
SELECT i,
       printf('B%07d', i),
       'benchmark case',
       'online',
       date('2026-11-22', printf('%+d days', -(i % 40))),
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0
            THEN date('2026-11-22', printf('%+d days', 1 - i % 40)) END,
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0
            THEN CASE (i / 10) % 2 WHEN 0 THEN 'ss' ELSE 'zc' END END,
       CASE WHEN i % 10 <> 0 THEN date('2026-11-22', printf('%+d days', 5 - i % 40)) END
FROM n;

INSERT INTO extensions (case_id, position, days, approved_on, approved_by)
SELECT id, 0, 5, date(forwarded_on, '+2 days'), '局长'
FROM cases WHERE forwarded_on IS NOT NULL AND id % 10 = 0;

INSERT INTO suspensions (case_id, position, from_on, until_on, reason)
SELECT id, 0, date(forwarded_on, '+1 days'), date(forwarded_on, '+4 days'), 'third_party'
FROM cases WHERE forwarded_on IS NOT NULL AND id % 50 = 0;

ANALYZE;
