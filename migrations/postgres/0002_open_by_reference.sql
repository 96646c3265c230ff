-- `status` and every poll read the open cases in reference order, in batches (keyset on
-- reference): this index makes each batch a range scan over open cases only.
CREATE INDEX cases_open_reference ON cases (reference) WHERE replied_on IS NULL AND closed_on IS NULL;
