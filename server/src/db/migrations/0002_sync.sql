-- Sync (PROTOCOL.md "Push", "Pull", "History").

-- The one version counter of the whole database: every change of a row's stored state
-- takes the next version here. The pull cursor is this number, never a timestamp.
CREATE TABLE changelog (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    entity  TEXT NOT NULL,
    row_id  TEXT NOT NULL,
    at      INTEGER NOT NULL -- unix ms
) STRICT;

-- One line per row: its latest version and what decides who may see it.
CREATE TABLE rows (
    entity       TEXT NOT NULL,
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    scope_owner  TEXT,              -- contact: owner_id; task/activity: its record's owner; view: creator
    scope_shared INTEGER NOT NULL DEFAULT 0, -- view: shared with everyone
    record_id    TEXT,              -- task/activity: the contact it belongs to
    PRIMARY KEY (entity, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX rows_by_version ON rows (version);
CREATE INDEX rows_by_record ON rows (record_id) WHERE record_id IS NOT NULL;

-- Each field's current value (JSON text) and the HLC of the write that set it.
CREATE TABLE fields (
    entity TEXT NOT NULL,
    id     TEXT NOT NULL,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL,
    hlc    TEXT NOT NULL,
    PRIMARY KEY (entity, id, field)
) STRICT, WITHOUT ROWID;

-- Every accepted write, winners and losers, so a user can see and restore a lost value.
CREATE TABLE history (
    seq         INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    id          TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    won         INTEGER NOT NULL,
    received_at INTEGER NOT NULL -- unix ms
) STRICT;
CREATE INDEX history_by_row ON history (entity, id, hlc);

-- The highest seq acknowledged per user and device: a retried batch applies once.
CREATE TABLE clients (
    user_id      TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    acked_seq    INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT, WITHOUT ROWID;

-- Small server state: the server's HLC clock survives restarts.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A pull with a cursor below this version resends everything: the user's role (and with
-- it what they may see) changed at this version.
ALTER TABLE users ADD COLUMN scope_version INTEGER NOT NULL DEFAULT 0;
