-- The desk's sign-in. Links emailed to sign in: each issued link (its random id, whose address,
-- until when), and the ids used, each once (the primary key makes a replay fail in the schema).
CREATE TABLE desk_links (
    link_id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE desk_links_used (
    link_id TEXT PRIMARY KEY,
    used_at BIGINT NOT NULL
);
-- Requests for a link, for the rate limits: the address hashed (an address typed in is kept
-- only as a hash) and the client's IP address.
CREATE TABLE desk_link_requests (
    at BIGINT NOT NULL,
    email_hash TEXT NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX desk_link_requests_at ON desk_link_requests (at);
-- Signed-in sessions: the SHA-256 of the cookie's secret (never the secret), who, as what,
-- the session's CSRF token, and when it began and was last used.
CREATE TABLE desk_sessions (
    id_hash TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX desk_sessions_email ON desk_sessions (email_key);
