-- Row bounds (core::schema::MAX_FIELDS_PER_ROW, MAX_ROW_BYTES): each row's stored size,
-- kept in step with every stored field; pull pages are cut by these bytes too.
ALTER TABLE rows ADD COLUMN field_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rows ADD COLUMN field_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE rows SET
    field_count = (SELECT count(*) FROM fields f WHERE f.entity = rows.entity AND f.id = rows.id),
    field_bytes = (SELECT coalesce(sum(length(CAST(f.field AS BLOB)) + length(CAST(f.value AS BLOB))), 0)
                     FROM fields f WHERE f.entity = rows.entity AND f.id = rows.id);

-- Who could see a row, from the version at which that changed (rows whose visibility
-- depends on the row: contact, task, activity, view). A pull tells a device that a row
-- left its user's scope (`visible: false`) only if the row was in that scope as of the
-- device's cursor, so ids of rows a user never could see are never sent.
CREATE TABLE scopes (
    entity       TEXT NOT NULL,
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    scope_owner  TEXT,
    scope_shared INTEGER NOT NULL DEFAULT 0,
    purged       INTEGER NOT NULL DEFAULT 0,
    -- 0: a row stored before this table existed; its earlier scopes are unknown, so a
    -- device past version 0 may have it.
    known        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (entity, id, version)
) STRICT, WITHOUT ROWID;
INSERT INTO scopes (entity, id, version, known)
    SELECT entity, id, 0, 0 FROM rows WHERE entity IN ('contact', 'task', 'activity', 'view');

-- Each change of a user's role, with the role it replaced: what a device pulled before
-- `version` it pulled under `previous_role` (a restricted user sees fewer records).
CREATE TABLE role_changes (
    user_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    previous_role TEXT NOT NULL,
    PRIMARY KEY (user_id, version)
) STRICT, WITHOUT ROWID;
