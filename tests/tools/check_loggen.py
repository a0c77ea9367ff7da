#!/usr/bin/python3
"""Checks llmaudit-loggen against independent readers.

Usage: /usr/bin/python3 check_loggen.py PATH/TO/llmaudit-loggen [--schema FILE] [--sample FILE]

- every format is deterministic (same arguments, same bytes);
- JSON Lines records are valid against the standard log format schema and are exactly what
  Python's json.dumps writes for them;
- the JSON array, mongoexport Extended JSON (relaxed, canonical, --jsonArray) and mongodump BSON
  outputs hold the same records as the JSON Lines output for the same seed, read with pymongo's
  bson package; canonical Extended JSON and BSON agree byte for byte on every value's type;
- with --malformed-rate, exactly the reported number of records is invalid, blank lines are as
  reported, and the valid records are the same as without faults;
- the bundled sample is valid and is what the generator makes for its arguments.

Needs Debian's python3-jsonschema and python3-bson (run with /usr/bin/python3, not a pyenv build).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import types

import jsonschema

import bson
from bson.codec_options import CodecOptions

try:
    from bson import json_util
except ImportError:
    # Debian's python3-bson ships json_util, but json_util imports one exception class from
    # pymongo, which is a separate package (python3-pymongo). Provide just that class.
    pymongo = types.ModuleType("pymongo")
    errors = types.ModuleType("pymongo.errors")

    class ConfigurationError(Exception):
        pass

    errors.ConfigurationError = ConfigurationError
    pymongo.errors = errors
    sys.modules.setdefault("pymongo", pymongo)
    sys.modules.setdefault("pymongo.errors", errors)
    from bson import json_util

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FORMATS = ["jsonl", "json", "mongo-relaxed", "mongo-canonical", "mongo-array", "bson"]
SAMPLE_ARGS = ["--count", "400", "--seed", "7", "--hostile"]

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


# ---- strict reading ---------------------------------------------------------------------------

def reject_constant(name):
    raise ValueError("not JSON: " + name)


def strict_json(text):
    """json.loads without Python's extensions (NaN, Infinity) and without raw control chars."""
    return json.loads(text, parse_constant=reject_constant)


def strict_extjson(text):
    return json_util.loads(text, parse_constant=reject_constant)


RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$")


def is_rfc3339(text):
    if not isinstance(text, str):
        return True  # the "type" keyword reports non-strings
    m = RFC3339.match(text)
    if not m:
        return False
    try:
        datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                          min(int(m[6]), 59))
    except ValueError:
        return False
    return m[9] is None or (int(m[10]) < 24 and int(m[11]) < 60)


def make_validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    checker = jsonschema.FormatChecker()
    # Debian's jsonschema checks "date-time" only when rfc3339-validator is installed, which it
    # is not by default: without this, "yesterday" passes as a date-time.
    checker.checks("date-time")(is_rfc3339)
    return jsonschema.Draft7Validator(schema, format_checker=checker)


def to_plain(value, top=True):
    """A document read by pymongo's bson, as the JSON Lines output holds it."""
    if isinstance(value, dict):
        return {k: to_plain(v, False) for k, v in value.items() if not (top and k == "_id")}
    if isinstance(value, list):
        return [to_plain(v, False) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)
    if isinstance(value, bson.decimal128.Decimal128):
        return float(str(value.to_decimal()))
    if isinstance(value, bson.int64.Int64):
        return int(value)
    if isinstance(value, bson.objectid.ObjectId):
        return str(value)
    return value


def same(a, b, path="$"):
    """Equal values of equal JSON types, objects with keys in the same order."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, dict):
        if list(a) != list(b):
            return "%s: keys %s vs %s" % (path, list(a), list(b))
        for k in a:
            d = same(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d items" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r vs %r" % (path, a, b)


# ---- running the generator --------------------------------------------------------------------

SUMMARY = re.compile(r"(\d+) records \((\d+) malformed, (\d+) blank lines\), (\d+) bytes")


def run(loggen, out, *args):
    proc = subprocess.run([loggen, *args, "-o", out], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("llmaudit-loggen %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                                 proc.stderr))
    m = SUMMARY.search(proc.stderr)
    if not m or proc.stdout:
        raise SystemExit("unexpected output from llmaudit-loggen: %r %r" % (proc.stdout,
                                                                            proc.stderr))
    records, malformed, blanks, size = map(int, m.groups())
    check(size == os.path.getsize(out), "%s: summary says %d bytes, file has %d"
          % (out, size, os.path.getsize(out)))
    with open(out, "rb") as f:
        return f.read(), records, malformed, blanks


def read_bson_stream(data):
    """(raw documents, number of documents that could not be cut out at the end)."""
    docs, pos, cut = [], 0, 0
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "little", signed=True)
        if len(data) - pos < 5 or size < 5 or pos + size > len(data):
            cut += 1
            break
        docs.append(data[pos:pos + size])
        pos += size
    return docs, cut


def decode_records(fmt, data):
    """Each record of an output as (parsed document or None, raw text or bytes)."""
    if fmt == "bson":
        raws, cut = read_bson_stream(data)
        out = []
        options = CodecOptions(tz_aware=True)
        for raw in raws:
            try:
                out.append((bson.decode(raw, codec_options=options), raw))
            except Exception:  # InvalidBSON and friends
                out.append((None, raw))
        out.extend([(None, b"")] * cut)
        return out, 0
    text = data.decode("utf-8")
    if fmt in ("json", "mongo-array"):
        check(text.startswith("[\n") and text.endswith("\n]\n"), fmt + ": not one element a line")
        loads = strict_json if fmt == "json" else strict_extjson
        items = loads(text)
        lines = text[2:-3].split(",\n") if items else []
        check(len(lines) == len(items), fmt + ": elements are not one a line")
        return list(zip(items, lines)), 0
    loads = strict_json if fmt == "jsonl" else strict_extjson
    check(text.endswith("\n") or not text, fmt + ": no final newline")
    out, blanks = [], 0
    for line in text.split("\n")[:-1]:
        if not line.strip():
            blanks += 1
            continue
        try:
            out.append((loads(line), line))
        except ValueError:
            out.append((None, line))
    return out, blanks


def plain(fmt, document):
    return document if fmt in ("jsonl", "json") else to_plain(document)


# ---- the checks -------------------------------------------------------------------------------

def check_generator_semantics(records):
    """Properties of realistic traffic the tests downstream rely on."""
    ids = set()
    session_users = {}
    previous = ""
    for i, r in enumerate(records):
        where = "jsonl record %d" % (i + 1)
        check(r["interaction_id"] not in ids, where + ": duplicate interaction_id")
        ids.add(r["interaction_id"])
        check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                           r["interaction_id"]), where + ": interaction_id is not a UUID v4")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["timestamp"]),
              where + ": timestamp is not ISO 8601 UTC with milliseconds")
        check(r["timestamp"] >= previous, where + ": timestamps go backwards")
        previous = r["timestamp"]
        check(session_users.setdefault(r["session_id"], r["user_id"]) == r["user_id"],
              where + ": a session changed user")
        m, resp, req = r["metrics"], r["response"], r["request"]
        check(m["total_tokens"] == m["prompt_tokens"] + resp["completion_tokens"],
              where + ": total_tokens != prompt_tokens + completion_tokens")
        check(m["embedding_time_ms"] + m["retrieval_time_ms"] + m["llm_time_ms"] < m["latency_ms"],
              where + ": stage timings exceed the latency")
        if "messages" in req:
            msgs = req["messages"]
            check(msgs[0] == {"role": "system", "content": req["system_prompt"]},
                  where + ": messages[0] is not the system prompt")
            last = msgs[-1]["content"]
            if isinstance(last, list):
                last = last[0]["text"]
            check(msgs[-1]["role"] == "user" and last == req["prompt"],
                  where + ": the last message is not the prompt")
        ev = r.get("evaluation")
        if ev:
            check(("flag_reason" in ev) == ev["flagged"], where + ": flag_reason without flag")


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text):
    s = text.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def check_content(records, hostile):
    texts = []
    for r in records:
        texts.append(r["request"].get("prompt", ""))
        texts.append(r["response"].get("content", ""))
        texts.extend(c["content"] for c in r["request"].get("context", []))
    blob = "\n".join(texts)
    cards = re.findall(r"card (?:number )?(?:used was )?((?:\d[ -]?){14,18}\d)", blob)
    check(cards and all(luhn_ok(re.sub(r"\D", "", c)) for c in cards),
          "card numbers missing or not Luhn-valid")
    ibans = re.findall(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,6}(?: ?[A-Z0-9]{1,4})?)\b", blob)
    ibans = [i for i in ibans if i[:2] in ("DE", "GB", "FR", "NL", "CH", "ES")]
    check(ibans and all(iban_ok(i) for i in ibans), "IBANs missing or with a bad checksum")
    for needle in ("@example.", "sk-", "+1 415-555-"):
        check(needle in blob, "no %r in the generated text" % needle)
    if hostile:
        for needle in ("<script>", "\u202e", "\x1b[", "javascript:", "onerror="):
            check(needle in blob, "hostile run without %r" % needle)


def check_formats(loggen, tmp, validator):
    args = ["--count", "300", "--seed", "11", "--hostile"]
    outputs = {}
    for fmt in FORMATS:
        a = run(loggen, os.path.join(tmp, "a." + fmt), *args, "--format", fmt)
        b = run(loggen, os.path.join(tmp, "b." + fmt), *args, "--format", fmt)
        check(a[0] == b[0], fmt + ": two runs with the same arguments differ")
        check(a[1:] == (300, 0, 0), fmt + ": summary %r" % (a[1:],))
        outputs[fmt] = a[0]

    reference, blanks = decode_records("jsonl", outputs["jsonl"])
    check(blanks == 0 and len(reference) == 300, "jsonl: wrong number of lines")
    docs = []
    for i, (doc, line) in enumerate(reference):
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        check(not errors, "jsonl record %d invalid: %s" % (i + 1, errors[0].message if errors
                                                          else ""))
        check(json.dumps(doc) == line, "jsonl record %d is not what json.dumps writes" % (i + 1))
        docs.append(doc)
    check_generator_semantics(docs)

    # Enough records to see every kind of personal data and hostile payload.
    data, _, _, _ = run(loggen, os.path.join(tmp, "many.jsonl"), "--count", "3000", "--seed",
                        "13", "--hostile")
    many = [doc for doc, _ in decode_records("jsonl", data)[0]]
    check_generator_semantics(many)
    check_content(many, hostile=True)

    object_ids = None
    for fmt in FORMATS[1:]:
        records, _ = decode_records(fmt, outputs[fmt])
        check(len(records) == 300, "%s: %d records" % (fmt, len(records)))
        ids = []
        for i, ((doc, _), expected) in enumerate(zip(records, docs)):
            if not check(doc is not None, "%s record %d does not parse" % (fmt, i + 1)):
                continue
            diff = same(plain(fmt, doc), expected)
            check(diff is None, "%s record %d differs from jsonl: %s" % (fmt, i + 1, diff))
            if fmt != "json":
                check(list(doc)[0] == "_id" and isinstance(doc["_id"], bson.objectid.ObjectId),
                      "%s record %d: _id is not a leading ObjectId" % (fmt, i + 1))
                ids.append(doc["_id"])
        if fmt != "json":
            if object_ids is None:
                object_ids = ids
            check(ids == object_ids, fmt + ": _id values differ from the other mongo formats")

    # Canonical Extended JSON keeps every BSON type: re-encoding it gives the .bson bytes.
    canonical, _ = decode_records("mongo-canonical", outputs["mongo-canonical"])
    raw_bson, _ = decode_records("bson", outputs["bson"])
    for i, ((doc, _), (_, raw)) in enumerate(zip(canonical, raw_bson)):
        check(bson.encode(doc) == raw, "record %d: canonical Extended JSON and BSON types differ"
              % (i + 1))
    text = outputs["mongo-relaxed"].decode("utf-8")
    check(re.search(r'"timestamp":\{"\$date":"2026-\d\d-\d\dT[\d:.]+Z"\}', text),
          "mongo-relaxed: no $date string")
    check('"$numberDecimal":"' in text, "mongo-relaxed: no $numberDecimal")
    text = outputs["mongo-canonical"].decode("utf-8")
    for wrapper in ('{"$date":{"$numberLong":"', '{"$numberInt":"', '{"$numberDouble":"',
                    '{"$numberDecimal":"'):
        check(wrapper in text, "mongo-canonical: no " + wrapper)


def check_faults(loggen, tmp, validator):
    count = 600
    for fmt in FORMATS:
        clean_data, _, _, _ = run(loggen, os.path.join(tmp, "clean." + fmt), "--count", str(count),
                                  "--seed", "5", "--format", fmt)
        data, records, malformed, blanks = run(loggen, os.path.join(tmp, "bad." + fmt), "--count",
                                               str(count), "--seed", "5", "--format", fmt,
                                               "--malformed-rate", "0.25")
        check(records == count and 0.15 * count < malformed < 0.35 * count,
              "%s: %d of %d records malformed at rate 0.25" % (fmt, malformed, count))
        clean, _ = decode_records(fmt, clean_data)
        bad, seen_blanks = decode_records(fmt, data)
        check(seen_blanks == blanks, "%s: %d blank lines, summary says %d"
              % (fmt, seen_blanks, blanks))
        check(len(bad) == count, "%s: %d records read, %d written" % (fmt, len(bad), count))
        invalid = 0
        for i, ((doc, raw), (clean_doc, clean_raw)) in enumerate(zip(bad, clean)):
            ok = doc is not None and isinstance(doc, dict)
            if ok:
                plain_doc = plain(fmt, doc)
                ok = validator.is_valid(plain_doc)
                if ok and fmt != "jsonl" and fmt != "json":
                    ts = doc.get("timestamp")
                    ok = isinstance(ts, datetime.datetime)  # a date, not a string
            if not ok:
                invalid += 1
            elif raw != clean_raw:
                fail("%s record %d: valid but not the record the clean run made" % (fmt, i + 1))
        check(invalid == malformed, "%s: %d invalid records, summary says %d malformed"
              % (fmt, invalid, malformed))


def check_cli(loggen, tmp):
    empty = os.path.join(tmp, "empty.json")
    data, records, _, _ = run(loggen, empty, "--count", "0", "--format", "json")
    check(data == b"[]\n" and records == 0, "--count 0 --format json is not an empty array")
    for bad in (["--format", "xml"], ["--malformed-rate", "2"], ["--count", "-1"], []):
        proc = subprocess.run([loggen, *bad] + (["-o", os.path.join(tmp, "x")] if bad else []),
                              capture_output=True)
        check(proc.returncode == 2, "%r: exit code %d, expected 2" % (bad, proc.returncode))


def check_sample(loggen, tmp, validator, sample):
    with open(sample, "rb") as f:
        data = f.read()
    regenerated, _, _, _ = run(loggen, os.path.join(tmp, "sample.jsonl"), *SAMPLE_ARGS)
    check(data == regenerated, "%s is not what `llmaudit-loggen %s` writes; regenerate it"
          % (sample, " ".join(SAMPLE_ARGS)))
    records, blanks = decode_records("jsonl", data)
    check(blanks == 0, "sample: blank lines")
    for i, (doc, _) in enumerate(records):
        if not check(doc is not None, "sample line %d does not parse" % (i + 1)):
            continue
        errors = list(validator.iter_errors(doc))
        check(not errors, "sample line %d invalid: %s" % (i + 1, errors[0].message if errors
                                                          else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("loggen")
    parser.add_argument("--schema", default=os.path.join(
        ROOT, "resources", "schema", "llm-interaction.v1.schema.json"))
    parser.add_argument("--sample", default=os.path.join(
        ROOT, "resources", "samples", "sample-interactions.jsonl"))
    args = parser.parse_args()

    validator = make_validator(args.schema)
    check(not validator.is_valid({"interaction_id": "x", "timestamp": "yesterday",
                                  "user_id": "u", "session_id": "s", "request": {},
                                  "response": {}}), "the date-time format is not checked")
    with tempfile.TemporaryDirectory(prefix="check-loggen-") as tmp:
        check_cli(args.loggen, tmp)
        check_formats(args.loggen, tmp, validator)
        check_faults(args.loggen, tmp, validator)
        if os.path.exists(args.sample):
            check_sample(args.loggen, tmp, validator, args.sample)
        else:
            fail("no sample at " + args.sample)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("llmaudit-loggen: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
