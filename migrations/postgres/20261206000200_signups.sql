-- Sign-ups from the public form, and the consent each confirmed one records. A row is the
-- evidence about a person (who asked, when, to what wording, from where), never list
-- membership: an accepted sign-up becomes a row of the list's members CSV, the one truth.
CREATE TABLE signups (
    id             BIGSERIAL PRIMARY KEY,
    email_key      TEXT NOT NULL,         -- the address as compared (lower case)
    email          TEXT NOT NULL,         -- as typed
    name           TEXT NOT NULL,
    agency         TEXT,                  -- agency and role, as the CSV's agency column holds them
    bulletin       TEXT NOT NULL,
    list_id        TEXT NOT NULL,
    state          TEXT NOT NULL,         -- unconfirmed | pending | accepted | declined
    nonce          TEXT NOT NULL UNIQUE,  -- the confirmation link's; a link confirms once
    source         TEXT NOT NULL,         -- form | admin | import
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,           -- the confirmation link's end
    confirmed_at   BIGINT,                    -- consent: when
    notice_version TEXT,                  -- consent: the privacy notice they agreed to
    decided_at     BIGINT                     -- review: when an admin accepted or declined
);
CREATE INDEX signups_email ON signups (email_key);

-- At most one confirmation mail per address per local day, whichever instance answers the
-- form: the primary key decides, not any process's memory. The address is kept as a keyed
-- hash only.
CREATE TABLE signup_mails (
    email_hash TEXT NOT NULL,
    day        TEXT NOT NULL,             -- YYYY-MM-DD in the organisation's time zone
    PRIMARY KEY (email_hash, day)
);
