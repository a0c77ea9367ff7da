#!/usr/bin/python3
"""Reads a report back for the report tests, with Python's own parsers (not the project's code).

  report_check.py html FILE   prints JSON: the active content found (script/iframe/object/embed
                              elements, event-handler attributes, src/href/action values that
                              are not data: or #fragment) and the page's text
  report_check.py csv FILE    prints the rows as a JSON list of lists (csv module, RFC 4180)
"""
import csv
import json
import sys
from html.parser import HTMLParser

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base",
               "link", "form", "svg", "math", "meta-refresh"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.active = []
        self.external = []
        self.events = []
        self.text = []
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ACTIVE_TAGS:
            self.active.append(tag)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.events.append(name)
            if name in ("src", "href", "action", "formaction", "srcset", "poster", "background"):
                if not (value.startswith("data:image/png;base64,") or value.startswith("#")):
                    self.external.append(value)
            if tag == "meta" and name == "http-equiv" and value.lower() == "refresh":
                self.active.append("meta-refresh")

    def handle_data(self, data):
        self.text.append(data)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "html":
        checker = Checker()
        with open(path, encoding="utf-8") as f:
            checker.feed(f.read())
        checker.close()
        print(json.dumps({"active": checker.active, "external": checker.external,
                          "events": checker.events, "tags": checker.tags,
                          "text": "".join(checker.text)}))
    elif kind == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            print(json.dumps(list(csv.reader(f, strict=True))))
    else:
        sys.exit("unknown check " + kind)


if __name__ == "__main__":
    main()
