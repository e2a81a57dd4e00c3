-- The bounce breaker: when too many of an issue's recipients bounced hard too fast to be
-- believed, the ledger stopped suppressing for it (Unix seconds; NULL: never tripped).
-- bounces.kind gains policy | notice, which are recorded and never suppress.
ALTER TABLE issues ADD COLUMN breaker_at INTEGER;
