-- The send ledger (PostgreSQL). Idempotency lives here, in unique keys, not in memory:
-- one issue per (bulletin, date, kind); one delivery per (issue, address).
-- Times are Unix seconds as BIGINT, as in the SQLite schema, so both backends share one model.

CREATE TABLE issues (
    id            BIGSERIAL PRIMARY KEY,
    bulletin      TEXT   NOT NULL,
    issue_date    TEXT   NOT NULL,               -- YYYY-MM-DD, the organisation's local date
    kind          TEXT   NOT NULL DEFAULT 'issue', -- issue | proof | announce:<campaign>
    subject       TEXT   NOT NULL,
    rendered      TEXT   NOT NULL,               -- JSON: everything needed to rebuild each message byte for byte
    state         TEXT   NOT NULL DEFAULT 'sending', -- sending | paused | done
    paused_reason TEXT,
    created_at    BIGINT NOT NULL,               -- Unix seconds
    updated_at    BIGINT NOT NULL,
    UNIQUE (bulletin, issue_date, kind)
);

CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    issue_id        BIGINT NOT NULL REFERENCES issues (id),
    email           TEXT   NOT NULL,             -- as written in the list
    email_key       TEXT   NOT NULL,             -- lower-cased: the identity of a recipient
    name            TEXT,
    state           TEXT   NOT NULL,             -- pending | in_flight | sent | deferred | failed | expired | suppressed
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_reply      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    UNIQUE (issue_id, email_key)
);
CREATE INDEX deliveries_due ON deliveries (issue_id, state, next_attempt_at);
CREATE INDEX deliveries_sent_at ON deliveries (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX deliveries_leases ON deliveries (state, lease_until);

-- Who asked not to receive what. scope: '*' (everything), 'bulletin:<id>' or 'list:<id>'.
CREATE TABLE suppressions (
    email_key  TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    reason     TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (email_key, scope)
);

-- The audit trail: what happened to issues, deliveries and suppressions, and when.
CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    issue_id    BIGINT,
    delivery_id BIGINT,
    kind        TEXT   NOT NULL,
    detail      TEXT
);
CREATE INDEX events_issue ON events (issue_id, at);
