#!/usr/bin/python3
"""Independent oracle for the filter tests: evaluates hand-written Python predicates over the
JSON documents of log files, following the semantics docs/filter-language.md describes, and
prints which interaction ids each predicate selects. It shares no code with the compiler.

usage: filter_oracle.py CASES.json NOW_MS FILE.jsonl...
CASES.json: {"case name": "python expression over d", ...}
output: {"ids": {"case name": [interaction_id, ...]}, "records": {interaction_id: {column: value}}}
"""

import datetime
import json
import re
import sys
import unicodedata

SENSITIVITY = ["public", "internal", "confidential", "restricted"]
FTS_COLUMNS = ["prompt", "system_prompt", "context", "response"]
MISSING = object()


def ms(text):
    """RFC 3339 text to milliseconds since the epoch."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000


def vs(d, path):
    """The values at a path: '[]' walks the items of a list; a list at the end gives its items,
    an object at the end gives nothing (only presence applies to it)."""
    current = [d]
    for key in path.split("."):
        items = key.endswith("[]")
        key = key[:-2] if items else key
        nxt = []
        for value in current:
            if isinstance(value, dict) and key in value:
                child = value[key]
                if items:
                    nxt.extend(x for x in child if isinstance(x, dict)) if isinstance(child, list) else None
                else:
                    nxt.append(child)
        current = nxt
    out = []
    for value in current:
        if isinstance(value, list):
            out.extend(x for x in value if not isinstance(x, (list, dict)) and x is not None)
        elif not isinstance(value, dict) and value is not None:
            out.append(value)
    return out


def present(d, path):
    current = [d]
    for key in path.split("."):
        items = key.endswith("[]")
        key = key[:-2] if items else key
        nxt = []
        for value in current:
            if isinstance(value, dict) and key in value and value[key] is not None:
                child = value[key]
                if items:
                    if isinstance(child, list):
                        nxt.extend(x for x in child if isinstance(x, dict))
                else:
                    nxt.append(child)
        current = nxt
    return bool(current)


def v(d, path):
    values = vs(d, path)
    return values[0] if values else None


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same_kind(a, b):
    if a is None:
        return False
    if isinstance(b, bool):
        return isinstance(a, bool)
    if is_number(b):
        return is_number(a)
    return isinstance(a, str) and isinstance(b, str)


def eq(a, b):
    return same_kind(a, b) and a == b


def ne(a, b):
    return same_kind(a, b) and a != b


def lt(a, b):
    return same_kind(a, b) and a < b


def le(a, b):
    return same_kind(a, b) and a <= b


def gt(a, b):
    return same_kind(a, b) and a > b


def ge(a, b):
    return same_kind(a, b) and a >= b


def between(a, low, high):
    return ge(a, low) and le(a, high)


def icontains(haystack, needle):
    return isinstance(haystack, str) and needle.lower() in haystack.lower()


def rx(pattern, text):
    """A `matches` pattern: case-insensitive unless it says (?-i)."""
    if not isinstance(text, str):
        return False
    flags = re.UNICODE
    if pattern.startswith("(?-i)"):
        pattern = pattern[5:]
    else:
        flags |= re.IGNORECASE
    return re.search(pattern, text, flags) is not None


def nonempty_text(value):
    return value if isinstance(value, str) and value != "" else None


def col(d, name):
    """An extracted column, as the store keeps it (empty text is absent)."""
    metrics = d.get("metrics") or {}
    response = d.get("response") or {}
    request = d.get("request") or {}
    if name == "ts":
        return ms(d["timestamp"])
    if name in ("interaction_id", "user_id", "session_id"):
        return d[name]
    if name == "model":
        model = nonempty_text(response.get("model"))
        if model is None:
            model = nonempty_text((request.get("parameters") or {}).get("model"))
        return model
    if name in ("prompt_tokens", "total_tokens", "latency_ms"):
        value = metrics.get(name)
        return int(value) if is_number(value) else None
    if name == "completion_tokens":
        value = response.get(name)
        return int(value) if is_number(value) else None
    if name == "finish_reason":
        return nonempty_text(response.get("finish_reason"))
    if name == "flagged":
        flagged = (d.get("evaluation") or {}).get("flagged")
        return flagged is True
    if name == "sensitivity":
        level = (d.get("security") or {}).get("sensitivity_level")
        return SENSITIVITY.index(level) if level in SENSITIVITY else None
    if name == "replay_of":
        return nonempty_text(d.get("replay_of"))
    raise KeyError(name)


def fts_text(d, column):
    request = d.get("request") or {}
    if column == "prompt":
        return request.get("prompt") or ""
    if column == "system_prompt":
        return request.get("system_prompt") or ""
    if column == "context":
        parts = [c.get("content") for c in request.get("context") or []
                 if isinstance(c, dict) and isinstance(c.get("content"), str) and c.get("content")]
        return "\n".join(parts)
    if column == "response":
        return (d.get("response") or {}).get("content") or ""
    raise KeyError(column)


def tokens(text):
    """Words as FTS5's unicode61 tokenizer (remove_diacritics 2) sees them."""
    out, word = [], []
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] in "LN" or category == "Co" or category == "Mn":
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    folded = []
    for w in out:
        w = unicodedata.normalize("NFD", w.lower())
        w = "".join(c for c in w if unicodedata.category(c) != "Mn")
        if w:
            folded.append(w)
    return folded


def fts(d, columns, phrase):
    wanted = tokens(phrase)
    for column in columns:
        have = tokens(fts_text(d, column))
        for i in range(len(have) - len(wanted) + 1):
            if have[i:i + len(wanted)] == wanted:
                return True
    return False


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    now = int(sys.argv[2])
    documents = []
    for path in sys.argv[3:]:
        with open(path, encoding="utf-8") as f:
            documents.extend(json.loads(line) for line in f if line.strip())
    names = {"d": None, "NOW": now, "ALL": FTS_COLUMNS}
    names.update({k: val for k, val in globals().items() if callable(val)})
    ids = {}
    for name, predicate in cases.items():
        code = compile(predicate, name, "eval")
        selected = []
        for d in documents:
            names["d"] = d
            if eval(code, names):
                selected.append(d["interaction_id"])
        ids[name] = sorted(selected)
    columns = ["ts", "interaction_id", "user_id", "session_id", "model", "prompt_tokens",
               "completion_tokens", "total_tokens", "latency_ms", "finish_reason", "flagged",
               "sensitivity", "replay_of"]
    records = {d["interaction_id"]: {c: col(d, c) for c in columns} for d in documents}
    json.dump({"ids": ids, "records": records}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
