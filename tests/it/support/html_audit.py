"""Parse HTML with Python's html.parser (an independent parser) and print, as JSON, what a
browser would build from it: every element name, every event-handler attribute, every link."""
import json
import sys
from html.parser import HTMLParser


class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.hrefs, self.srcs, self.text = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k.lower().startswith("on"):
                self.handlers.append(f"{tag}[{k}]")
            if k.lower() == "href":
                self.hrefs.append(v)
            if k.lower() == "src":
                self.srcs.append(v)

    def handle_data(self, data):
        self.text.append(data)


a = Audit()
a.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"tags": sorted(set(a.tags)), "handlers": a.handlers, "hrefs": a.hrefs,
                  "srcs": a.srcs, "text": "".join(a.text)}))
