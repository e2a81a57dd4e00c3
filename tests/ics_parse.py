#!/usr/bin/env python3
"""Parse an iCalendar file with Python's `icalendar` package (an independent, widely used
parser) and print what it understood as one JSON document, for tests/it/calendar_ics.rs to check.

Usage: python3 tests/ics_parse.py FILE.ics

Exit 3 if `icalendar` is missing (the Rust test turns that into "pip install icalendar").
Dates are printed as ISO strings; date-times with their TZID (as written), their offset from
UTC, and the instant in UTC. Each VTIMEZONE is also turned into a time zone *from its own
definition* (not the system's zone database) and asked for its UTC offset at probe times, so
the test checks the VTIMEZONE we wrote, not Python's copy of the tz database.
"""

import datetime
import json
import sys

try:
    import icalendar
except ImportError:
    print("the Python package `icalendar` is missing: run `pip install icalendar`", file=sys.stderr)
    sys.exit(3)

# Local times (naive) to probe each VTIMEZONE at: winter, summer, and either side of the
# changes in 2026 (29 March, 25 October) and 2027 (28 March, 31 October).
PROBES = [
    "2026-01-15T12:00:00",
    "2026-07-15T12:00:00",
    "2026-03-29T00:30:00",
    "2026-03-29T03:00:00",
    "2026-10-25T00:30:00",
    "2026-10-25T03:00:00",
    "2027-03-28T00:30:00",
    "2027-03-28T03:00:00",
    "2027-10-31T00:30:00",
    "2027-10-31T03:00:00",
    "2030-06-01T12:00:00",
    "2030-12-01T12:00:00",
]


def when(prop):
    """A DTSTART/DTEND property as facts."""
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        return {
            "datetime": value.replace(tzinfo=None).isoformat(),
            "tzid": prop.params.get("TZID"),
            "utc_offset_seconds": None if offset is None else int(offset.total_seconds()),
            "utc": None if offset is None else value.astimezone(datetime.timezone.utc).replace(tzinfo=None).isoformat(),
        }
    return {"date": value.isoformat()}


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    cal = icalendar.Calendar.from_ical(data)
    facts = {
        "version": text(cal, "VERSION"),
        "prodid": text(cal, "PRODID"),
        "calscale": text(cal, "CALSCALE"),
        "calname": text(cal, "X-WR-CALNAME"),
        "timezones": [],
        "events": [],
    }
    for tz in cal.walk("VTIMEZONE"):
        zone = tz.to_tz(lookup_tzid=False)
        offsets = {}
        for probe in PROBES:
            local = datetime.datetime.fromisoformat(probe).replace(tzinfo=zone)
            offsets[probe] = int(local.utcoffset().total_seconds())
        facts["timezones"].append({"tzid": text(tz, "TZID"), "offsets": offsets})
    for ev in cal.walk("VEVENT"):
        categories = []
        cats = ev.get("CATEGORIES")
        for c in cats if isinstance(cats, list) else [cats] if cats is not None else []:
            categories.extend(str(x) for x in c.cats)
        facts["events"].append(
            {
                "uid": text(ev, "UID"),
                "summary": text(ev, "SUMMARY"),
                "description": text(ev, "DESCRIPTION"),
                "url": text(ev, "URL"),
                "categories": categories,
                "dtstart": when(ev.get("DTSTART")),
                "dtend": when(ev.get("DTEND")),
                "duration_seconds": int(ev.decoded("DURATION").total_seconds()) if "DURATION" in ev else None,
                "dtstamp": when(ev.get("DTSTAMP")),
                "transp": text(ev, "TRANSP"),
            }
        )
    # Errors the parser noticed but tolerated (icalendar keeps them on each component).
    facts["errors"] = [
        [c.name, str(e)] for c in cal.walk() for e in getattr(c, "errors", [])
    ]
    json.dump(facts, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
