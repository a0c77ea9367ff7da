#!/usr/bin/python3
"""Reads a report back for the report tests, with Python's own parsers (not the project's code).

  report_check.py html FILE   prints JSON: the active content found (script/iframe/object/embed
                              elements, event-handler attributes, src/href/action values that
                              are not data: or #fragment) and the page's text
  report_check.py csv FILE    prints the rows as a JSON list of lists (csv module, RFC 4180)
  report_check.py diff FILE   prints JSON: the page's style sheet and its replay diffs, each a
                              list of [kind, text] segments, kind "del" or "ins" by the class of
                              the <span> around the text, "" for text in neither
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


class DiffReader(HTMLParser):
    """The cell after each "Response diff" heading, as segments of deleted, inserted and
    unchanged text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.style = []
        self.diffs = []
        self.in_style = False
        self.heading_seen = False
        self.in_diff = False
        self.spans = []  # the classes of the open <span>s inside the diff

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "style":
            self.in_style = True
        elif tag == "td" and "text" in classes and self.heading_seen:
            self.heading_seen = False
            self.in_diff = True
            self.spans = []
            self.diffs.append([])
        elif tag == "span" and self.in_diff:
            self.spans.append(next((c for c in classes if c in ("del", "ins")), ""))

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        elif tag == "span" and self.in_diff and self.spans:
            self.spans.pop()
        elif tag == "td" and self.in_diff:
            self.in_diff = False

    def handle_data(self, data):
        if self.in_style:
            self.style.append(data)
        elif self.in_diff:
            kind = next((c for c in reversed(self.spans) if c), "")
            segments = self.diffs[-1]
            if segments and segments[-1][0] == kind:
                segments[-1][1] += data
            else:
                segments.append([kind, data])
        elif data.strip() == "Response diff":
            self.heading_seen = True


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
    elif kind == "diff":
        reader = DiffReader()
        with open(path, encoding="utf-8") as f:
            reader.feed(f.read())
        reader.close()
        print(json.dumps({"style": "".join(reader.style), "diffs": reader.diffs}))
    elif kind == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            print(json.dumps(list(csv.reader(f, strict=True))))
    else:
        sys.exit("unknown check " + kind)


if __name__ == "__main__":
    main()
