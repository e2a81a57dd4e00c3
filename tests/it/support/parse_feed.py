"""Parse an Atom feed with feedparser (an independent, widely used parser) and print JSON."""
import json
import sys

import feedparser

d = feedparser.parse(open(sys.argv[1], "rb").read())
print(json.dumps({
    "bozo": bool(d.bozo),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "title": d.feed.get("title"),
    "entries": [{"title": e.get("title"), "link": e.get("link"), "id": e.get("id"),
                 "updated": e.get("updated")} for e in d.entries],
}))
