#!/usr/bin/python3
"""An independent JSON Schema oracle for the log format's validation corpus.

Validates each case of a corpus with Debian's python3-jsonschema (Draft 7, format checking on)
so that the project's own validator (C++, valijson) can be compared with an implementation that
shares no code with it.

    /usr/bin/python3 tests/storage/jsonschema_oracle.py SCHEMA CASES.jsonl [--check]

CASES.jsonl holds one JSON object a line: {"name": ..., "valid": bool, "record": ...}; blank
lines are skipped. For every case one JSON line is printed to stdout, in the corpus's order:

    {"name": "...", "valid": false, "errors": [{"pointer": "/metrics/latency_ms", "message": "..."}]}

With --check the script also compares its verdict with the case's "valid" and, when the case has
one, its "pointers" (the sorted, de-duplicated list of error pointers), reports every mismatch on
stderr and ends with a line "N passed, N failed"; the exit status is 1 when any case failed.
Without --check the exit status is 0 unless the schema or the corpus cannot be read (2).

Run it with /usr/bin/python3: the `python3` on PATH may be an interpreter without Debian's
modules. It needs the Debian packages python3-jsonschema and python3-ciso8601.

Choices that the C++ side must match
------------------------------------
Pointers. Each error's "pointer" is the RFC 6901 JSON Pointer of the instance that failed
(jsonschema's `absolute_path`), "" for the record itself. For a "required" error that is the
pointer of the object that lacks the property, not of the missing property: a record without
user_id gives "", a message without role gives "/request/messages/0". Errors are sorted by
pointer, then message.

date-time. python3-jsonschema 4.10 (Debian 12) checks "format": "date-time" only when the
module rfc3339_validator can be imported, and Debian 12 packages neither rfc3339-validator nor
strict-rfc3339: installed from Debian alone it accepts any string as a date-time, silently. So
this script registers its own "date-time" check, always (it replaces jsonschema's own one where
that exists, so every machine gives the same answers): ciso8601.parse_rfc3339 from Debian's
python3-ciso8601, a strict RFC 3339 parser (ranges of month, day of month with leap years, hour,
minute, second and offset are checked; 't' and 'z' may be lower case, as RFC 3339's ABNF
allows). One correction on top of it: ciso8601 accepts a space between date and time (RFC 3339
section 5.6's NOTE); JSON Schema's date-time is the section 5.6 ABNF `date-time`, which
requires "T" (or "t"), so a space is refused here.

Known limits of this oracle, kept out of the corpus (the spec and Python disagree there):
  * leap seconds: "1998-12-31T23:59:60Z" is a valid RFC 3339 date-time, but ciso8601 (like every
    Python date library, through datetime) refuses any second 60;
  * year 0000 is valid by RFC 3339's ABNF; Python's datetime starts at year 1;
  * "pattern" uses Python's re.search, whose "$" also matches before a final newline, so
    schema_version "1\\n" passes here although ECMA-262 (JSON Schema's regex dialect) fails it.
"""

import json
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover - environment problem
    sys.exit("jsonschema_oracle: python3-jsonschema is missing (apt-get install python3-jsonschema); "
             "run this script with /usr/bin/python3")
try:
    import ciso8601
except ImportError:  # pragma: no cover - environment problem
    sys.exit("jsonschema_oracle: python3-ciso8601 is missing (apt-get install python3-ciso8601); "
             "without it 'date-time' would not be checked at all")


def is_date_time(instance):
    """RFC 3339 section 5.6 date-time (see the module's comment)."""
    if not isinstance(instance, str):
        return True  # a format only constrains strings; "type" reports the rest
    if len(instance) > 10 and instance[10] == " ":
        return False
    try:
        ciso8601.parse_rfc3339(instance)
    except ValueError:
        return False
    return True


def make_format_checker():
    base = getattr(jsonschema.Draft7Validator, "FORMAT_CHECKER", None)
    if base is None:  # jsonschema < 4.5
        base = jsonschema.draft7_format_checker
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(base.checkers)
    checker.checks("date-time")(is_date_time)
    return checker


def pointer(path):
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in path)


def validate(validator, record):
    errors = [{"pointer": pointer(error.absolute_path), "message": error.message}
              for error in validator.iter_errors(record)]
    errors.sort(key=lambda e: (e["pointer"], e["message"]))
    return errors


def read_cases(path):
    cases = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except ValueError as error:
                raise SystemExit(f"jsonschema_oracle: {path}:{number}: not JSON: {error}")
            if not isinstance(case, dict) or "name" not in case or "record" not in case:
                raise SystemExit(f"jsonschema_oracle: {path}:{number}: expected an object with "
                                 "\"name\" and \"record\"")
            cases.append((number, case))
    return cases


def main(argv):
    args = [a for a in argv[1:] if a != "--check"]
    check = len(args) != len(argv) - 1
    if len(args) != 2:
        print("usage: /usr/bin/python3 jsonschema_oracle.py SCHEMA CASES.jsonl [--check]",
              file=sys.stderr)
        return 2
    schema_path, cases_path = args
    try:
        with open(schema_path, encoding="utf-8") as file:
            schema = json.load(file)
        jsonschema.Draft7Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as error:
        print(f"jsonschema_oracle: {schema_path}: {error}", file=sys.stderr)
        return 2
    try:
        cases = read_cases(cases_path)
    except OSError as error:
        print(f"jsonschema_oracle: {cases_path}: {error}", file=sys.stderr)
        return 2

    validator = jsonschema.Draft7Validator(schema, format_checker=make_format_checker())
    passed = failed = 0
    names = set()
    for number, case in cases:
        errors = validate(validator, case["record"])
        valid = not errors
        print(json.dumps({"name": case["name"], "valid": valid, "errors": errors},
                         ensure_ascii=False))
        if not check:
            continue
        problems = []
        if case["name"] in names:
            problems.append("the name is used twice")
        names.add(case["name"])
        if case.get("valid") is not valid:
            problems.append(f"the corpus says valid={json.dumps(case.get('valid'))}, "
                            f"the oracle says {json.dumps(valid)}")
        if "pointers" in case:
            found = sorted({e["pointer"] for e in errors})
            if case["pointers"] != found:
                problems.append(f"the corpus lists pointers {json.dumps(case['pointers'])}, "
                                f"the oracle found {json.dumps(found)}")
        if problems:
            failed += 1
            for problem in problems:
                print(f"{cases_path}:{number}: {case['name']}: {problem}", file=sys.stderr)
        else:
            passed += 1
    if check:
        print(f"{passed} passed, {failed} failed", file=sys.stderr)
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
        sys.exit(1)
