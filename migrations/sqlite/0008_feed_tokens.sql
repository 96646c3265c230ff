-- The tokens of the sections' calendar feeds (issue 15): `GET /feeds/{section}.ics?token=…`
-- answers only with the section's current token. `duewatch feed token SECTION` makes one and
-- replaces the previous one; only its SHA-256 is kept, so the table does not hold the token.

CREATE TABLE feed_tokens (                            -- a section's feed token, one at a time
    section    TEXT PRIMARY KEY,                      -- the section's code ([[sections]] code)
    token_hash BLOB NOT NULL,                         -- SHA-256 of the token as given (32 bytes)
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) -- when it was made
);
