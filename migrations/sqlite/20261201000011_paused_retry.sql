-- A paused issue (the relay could not be used) is retried by the daemon with backoff that
-- survives restarts: how many times in a row it was paused, and when it is next tried.
ALTER TABLE issues ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN retry_at INTEGER;              -- Unix seconds; set while paused
