-- Aggregate link counts (`[reach] count_clicks`): one counter per (issue, link), nothing else.
-- No address, token, time or client of a click is stored: only how many there were. The
-- link's URL and the item it sits in are kept with the issue's rendering (issues.rendered).
CREATE TABLE link_clicks (
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    link     BIGINT NOT NULL,              -- the link's number in the issue, from 1
    clicks   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (issue_id, link)
);
