-- Reports (GET /api/reports/changes): the contacts' history writes of a period are read by
-- HLC range; an HLC starts with its 13-digit wall time, so this index serves the scan.
CREATE INDEX history_by_time ON history (entity, hlc);
