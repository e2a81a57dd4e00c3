"""Verify a message's DKIM signature with dkimpy, an independent implementation.

Usage: dkim_verify.py MESSAGE.eml SELECTOR DOMAIN DNS_TXT
The DNS lookup of SELECTOR._domainkey.DOMAIN answers DNS_TXT (no network). Prints one JSON
object: {"ok": bool, "h": [signed header names], "a": algorithm, "error": str or null}.
"""
import json
import re
import sys

import dkim


def main():
    path, selector, domain, txt = sys.argv[1:5]
    msg = open(path, "rb").read()
    name = f"{selector}._domainkey.{domain}."

    def dnsfunc(q, timeout=5):
        q = q.decode() if isinstance(q, bytes) else q
        return txt.encode() if q.rstrip(".") + "." == name else b""

    error = None
    try:
        ok = dkim.verify(msg, dnsfunc=dnsfunc)
    except Exception as e:  # report, do not crash
        ok, error = False, str(e)
    m = re.search(rb"DKIM-Signature:(.*?)\r\n(?![ \t])", msg, re.S | re.I)
    sig = re.sub(rb"\s+", b"", m.group(1)).decode() if m else ""
    tags = dict(t.split("=", 1) for t in sig.split(";") if "=" in t)
    print(json.dumps({
        "ok": bool(ok),
        "h": tags.get("h", "").split(":") if tags.get("h") else [],
        "a": tags.get("a"),
        "error": error,
    }))


main()
