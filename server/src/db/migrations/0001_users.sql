-- Accounts. E-mails are stored trimmed and lowercased (core::validate::normalize_email).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent', 'restricted')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL, -- unix ms
    updated_at    INTEGER NOT NULL  -- unix ms
) STRICT;

-- Bearer tokens: only the SHA-256 of the 256-bit random token is stored.
-- A token expires 30 days after it was last used.
CREATE TABLE tokens (
    token_hash   BLOB PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_by_user ON tokens (user_id);
