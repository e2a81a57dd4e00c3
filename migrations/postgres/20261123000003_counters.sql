-- Shared counters for the relay's limits, so they hold for every sender of the database:
-- 'day:<YYYY-MM-DD>' counts attempts reserved that day (max_per_day); 'pace' holds the next
-- free send slot in milliseconds (max_per_minute).
CREATE TABLE counters (
    key   TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
