-- The operator's view: how each suppression came about, and issues taken off the web archive.
-- how: link | one_click | admin | bounce (rows from before this column count as admin).
ALTER TABLE suppressions ADD COLUMN how TEXT;
-- Unix seconds when `bulletin withdraw` took the issue off the archive and feed; NULL: shown.
ALTER TABLE issues ADD COLUMN withdrawn_at BIGINT;
