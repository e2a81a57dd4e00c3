-- The strategy's themes an issue carries (comma-separated tags such as `neglect,adolescents`),
-- so the public archive can be filtered by theme (`/archive/?theme=neglect`) without reading
-- every stored rendering. Issues stored before this have none.
ALTER TABLE issues ADD COLUMN themes TEXT NOT NULL DEFAULT '';
