-- Suppressions recorded since a time: looked for before each batch of a send.
CREATE INDEX suppressions_created_at ON suppressions (created_at);
