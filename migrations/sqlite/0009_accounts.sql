-- Accounts (issue 16): who may use the console and the API, and who made each change to a case.
-- Times of the new tables are INTEGER unix seconds (UTC), the same on both backends. Passwords
-- are kept as argon2id PHC strings, cookies and API tokens as their SHA-256 only: no table holds
-- a secret that works as given.

-- Who made a history line's change: a console user's name, or `cli:<login name>` for the
-- command line; NULL for lines written before this migration.
ALTER TABLE history ADD COLUMN actor TEXT;

CREATE TABLE users (                                  -- an account of the console and the API
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- the account's number
    name          TEXT NOT NULL UNIQUE,               -- the login name (domain::account::UserName)
    role          TEXT NOT NULL,                      -- admin | office | leadership | section:CODE
    password_hash TEXT,                               -- argon2id PHC string; NULL: no password
    disabled      INTEGER NOT NULL DEFAULT 0,         -- 1: may not log in, sessions and tokens dead
    created_at    INTEGER NOT NULL,                   -- made at, unix seconds (UTC)
    updated_at    INTEGER NOT NULL                    -- last changed at, unix seconds (UTC)
);

CREATE TABLE sessions (                               -- a console login, until logout or expiry
    id_hash      BLOB PRIMARY KEY,                    -- SHA-256 of the cookie's value (32 bytes)
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- whose session
    csrf         TEXT NOT NULL,                       -- the session's CSRF token, sent in forms
    created_at   INTEGER NOT NULL,                    -- logged in at, unix seconds (UTC)
    last_seen_at INTEGER NOT NULL                     -- last request at, unix seconds (UTC)
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (                             -- a bearer token of the API, for one user
    id           INTEGER PRIMARY KEY AUTOINCREMENT,   -- the token's number (`token revoke ID`)
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- acts as this user
    label        TEXT,                                -- what it is for, as its maker wrote
    token_hash   BLOB NOT NULL UNIQUE,                -- SHA-256 of the token (32 bytes)
    created_at   INTEGER NOT NULL,                    -- made at, unix seconds (UTC)
    last_used_at INTEGER,                             -- last accepted at, unix seconds; NULL: never
    revoked_at   INTEGER                              -- revoked at, unix seconds; NULL: works
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (                         -- a refused login, kept a day (throttling)
    id       INTEGER PRIMARY KEY AUTOINCREMENT,       -- order of failures
    at       INTEGER NOT NULL,                        -- when, unix seconds (UTC)
    username TEXT NOT NULL,                           -- the name given, as given
    address  TEXT NOT NULL                            -- the client's address
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
