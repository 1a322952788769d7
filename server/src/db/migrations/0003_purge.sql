-- Purging the trash (admin): a purged row keeps only its line here, so devices learn of
-- it (`visible: false` in pulls) and a late write to it cannot bring it back.
ALTER TABLE rows ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
