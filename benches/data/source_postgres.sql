-- Benchmark data for `cases.source = "sql"` (benches/source.rs): a made-up case system in
-- PostgreSQL, tables in pinyin and one column in Chinese, holding the same 1,000,000 requests
-- as status_postgres.sql (every tenth open: 100,000; two in three of those forwarded;
-- extensions and suspensions on some), and the administrator's three views. The case system's
-- own indexes only: its primary keys, the unique request number, the children by request.
CREATE TABLE shenqing (                      -- 申请: the requests
    id             INTEGER PRIMARY KEY,
    bianhao        VARCHAR(32) NOT NULL UNIQUE,   -- 编号
    shixiang       VARCHAR(200),                  -- 事项
    shoudao_riqi   DATE NOT NULL,                 -- 收到日期
    zhuanban_riqi  DATE,                          -- 转办日期
    "承办科室"      VARCHAR(50),                   -- the section's name
    dafu_riqi      DATE,                          -- 答复日期
    zhongjie_riqi  DATE                           -- 终结日期
);
INSERT INTO shenqing
SELECT i,
       'B' || lpad(i::text, 7, '0'),
       'benchmark case',
       DATE '2026-11-22' - (i % 40),
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0 THEN DATE '2026-11-22' - (i % 40) + 1 END,
       CASE WHEN i % 10 <> 0 OR (i / 10) % 3 <> 0
            THEN CASE (i / 10) % 2 WHEN 0 THEN '社会保险股' ELSE '政策法规股' END END,
       CASE WHEN i % 10 <> 0 THEN DATE '2026-11-22' - (i % 40) + 5 END,
       NULL
FROM generate_series(1, 1000000) AS i;

CREATE TABLE yanqi (                         -- 延期: extensions
    id            SERIAL PRIMARY KEY,
    shenqing_id   INTEGER NOT NULL REFERENCES shenqing (id),
    tianshu       INTEGER NOT NULL,               -- 天数
    pizhun_riqi   DATE NOT NULL,                  -- 批准日期
    pizhunren     VARCHAR(50) NOT NULL,           -- 批准人
    gaozhi_riqi   DATE                            -- 告知日期
);
INSERT INTO yanqi (shenqing_id, tianshu, pizhun_riqi, pizhunren)
SELECT id, 5, zhuanban_riqi + 2, '局长' FROM shenqing
WHERE zhuanban_riqi IS NOT NULL AND id % 10 = 0;
CREATE INDEX yanqi_shenqing ON yanqi (shenqing_id);

CREATE TABLE zhongzhi (                      -- 中止: suspensions
    id            SERIAL PRIMARY KEY,
    shenqing_id   INTEGER NOT NULL REFERENCES shenqing (id),
    kaishi        DATE NOT NULL,                  -- 开始
    huifu         DATE,                           -- 恢复
    yuanyin       VARCHAR(20) NOT NULL            -- 原因
);
INSERT INTO zhongzhi (shenqing_id, kaishi, huifu, yuanyin)
SELECT id, zhuanban_riqi + 1, zhuanban_riqi + 4, '第三方' FROM shenqing
WHERE zhuanban_riqi IS NOT NULL AND id % 50 = 0;
CREATE INDEX zhongzhi_shenqing ON zhongzhi (shenqing_id);

CREATE VIEW v_cases AS
SELECT s.bianhao AS reference, s.shixiang AS subject, s.shoudao_riqi AS received_on,
       s.zhuanban_riqi AS forwarded_on, s."承办科室" AS section, s.dafu_riqi AS replied_on,
       s.zhongjie_riqi AS closed_on
FROM shenqing s;
CREATE VIEW v_extensions AS
SELECT s.bianhao AS reference, y.tianshu AS days, y.pizhun_riqi AS approved_on,
       y.pizhunren AS approved_by, y.gaozhi_riqi AS notice_on
FROM yanqi y JOIN shenqing s ON s.id = y.shenqing_id;
CREATE VIEW v_suspensions AS
SELECT s.bianhao AS reference, z.kaishi AS from_on, z.huifu AS until_on, z.yuanyin AS reason
FROM zhongzhi z JOIN shenqing s ON s.id = z.shenqing_id;

ANALYZE;
