-- Bounces and complaints that came back for a delivery, one row per (delivery, kind): a DSN
-- seen twice (a retried pipe, a message left in the IMAP folder) changes nothing.
-- kind: hard | soft | complaint. suppressed: 1 when this bounce is what suppressed the address.
CREATE TABLE bounces (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL,
    email_key   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    status      TEXT,                          -- the enhanced status code, e.g. 5.1.1
    detail      TEXT,                          -- the remote server's diagnostic, shortened
    received_at INTEGER NOT NULL,              -- Unix seconds
    suppressed  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (delivery_id, kind)
);
CREATE INDEX bounces_email ON bounces (email_key, kind, received_at);
