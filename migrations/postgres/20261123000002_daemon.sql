-- The daemon's memory: what it has done with each scheduled fire, approvals, and small state.

-- One row per job fire the daemon has handled: done (its issue/proof/announcement exists),
-- skipped (missed while down, outside the catch-up window) or held (waiting for approval).
CREATE TABLE fires (
    job        TEXT   NOT NULL,                 -- bulletin:<id> | proof:<id> | announce:<campaign>
    due_at     BIGINT NOT NULL,                 -- Unix seconds of the scheduled fire
    for_date   TEXT   NOT NULL,                 -- the issue date or occurrence start it is for
    state      TEXT   NOT NULL,                 -- done | skipped | held
    detail     TEXT,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (job, due_at)
);

-- An editor's approval of an issue (bulletins with require_approval = true).
CREATE TABLE approvals (
    bulletin    TEXT   NOT NULL,
    issue_date  TEXT   NOT NULL,
    approved_by TEXT   NOT NULL,
    approved_at BIGINT NOT NULL,
    PRIMARY KEY (bulletin, issue_date)
);

CREATE TABLE daemon_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
