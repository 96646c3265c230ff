-- Issue 18: a case a section gave back as not its own (退回). The office forwards it again (改派);
-- the reply stage then starts afresh at the new section. Each row is one forwarding undone, so
-- the case's history of sections (and each section's time holding it, in the reports) survives.
CREATE TABLE returns (                                 -- forwardings undone by a return (退回)
    id           BIGSERIAL PRIMARY KEY,                -- internal key
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE, -- the case
    position     INTEGER NOT NULL,                     -- order within the case, from 0
    returned_on  DATE NOT NULL,                        -- the day the section gave it back
    section      TEXT NOT NULL,                        -- the section that held it and gave it back
    forwarded_on DATE NOT NULL,                        -- the forwarding it undid (that section's receipt)
    reason       TEXT NOT NULL,                        -- why it is not that section's
    UNIQUE (case_id, position)
);
