-- Chat channels (issue 17): a digest posted to a DingTalk or WeCom robot or a webhook is an
-- outbox row like a mail, with the same guarantee (leases, fencing, retries, dead letters).
-- Its lines are recorded in `notifications` under the recipient `channel:NAME/PARTY`.

ALTER TABLE outbox ADD COLUMN channel TEXT;           -- the channel's name ([channels.NAME]); NULL: an e-mail
ALTER TABLE outbox ADD COLUMN payload TEXT;           -- the JSON body posted, rendered once when the row is made (unsigned: the signature is made at each attempt)
ALTER TABLE outbox ADD COLUMN attempted_at TEXT;      -- when the last attempt was claimed (database clock): the per-minute limit counts these
CREATE INDEX outbox_channel_attempted ON outbox (channel, attempted_at) WHERE channel IS NOT NULL;
