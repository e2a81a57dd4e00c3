"""Parse a message with Python's standard email package (an independent MIME parser) and print
what a mail client would see as JSON: headers, the parts, and their decoded text."""
import json
import sys
from email import policy
from email.parser import BytesParser

raw = open(sys.argv[1], "rb").read()
msg = BytesParser(policy=policy.default).parsebytes(raw)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "cte": part.get("Content-Transfer-Encoding"),
        "text": part.get_content(),
    })
def addresses(v):
    """The (display name, address) pairs of an address header, as headerregistry reads them."""
    return [[a.display_name, a.addr_spec] for a in getattr(v, "addresses", ())]


print(json.dumps({
    "headers": [[k, str(v)] for k, v in msg.items()],
    "addresses": {k: addresses(v) for k, v in msg.items() if hasattr(v, "addresses")},
    "header_defects": {k: [repr(d) for d in v.defects] for k, v in msg.items() if v.defects},
    "content_type": msg.get_content_type(),
    "defects": [repr(d) for d in msg.defects],
    "parts": parts,
}))
