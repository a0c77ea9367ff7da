#!/usr/bin/env python3
"""Writes the labeled privacy corpus: positives.jsonl (one finding per sentence, with its type
and exact value) and negatives.jsonl (tricky text with nothing to find, with its kind).

Deterministic (fixed seed); run it again after changing it:  python3 generate.py
Values are made up: cards and IBANs get valid checksums, SSNs valid area/group/serial, phone
numbers use reserved ranges (555-01xx, 7946 0xxx, ...) where countries have them.
"""
import base64
import json
import random
import string
import uuid
from pathlib import Path

rng = random.Random(20261203)
HERE = Path(__file__).resolve().parent

FIRST = ["anna", "ben", "chloe", "david", "emma", "farid", "grace", "hiro", "ines", "jonas",
         "karin", "li", "maria", "noah", "olga", "pierre", "quinn", "rosa", "sven", "tomas"]
LAST = ["meyer", "smith", "dubois", "rossi", "tanaka", "novak", "garcia", "okafor", "berg",
        "kowalski", "nguyen", "schmidt", "silva", "olsen", "murphy"]
DOMAINS = ["example.com", "acme-corp.io", "mail.example.org", "bank.example.co.uk",
           "uni-hamburg.de", "contoso.net", "sub.example.travel", "startup.ai"]


def alnum(n, alphabet=string.ascii_letters + string.digits):
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


def email():
    f, l, d = rng.choice(FIRST), rng.choice(LAST), rng.choice(DOMAINS)
    forms = [f"{f}.{l}@{d}", f"{f[0]}{l}@{d}", f"{f}_{l}{rng.randint(1, 99)}@{d}",
             f"{f}+audit@{d}", f"{f.upper()}.{l.upper()}@{d.upper()}", f"{l}.{f}@{d}"]
    return rng.choice(forms)


def phone():
    n4 = lambda: f"{rng.randint(0, 9999):04d}"
    forms = [
        lambda: f"+1 415 555 01{rng.randint(0, 99):02d}",
        lambda: f"+1 (212) 555-01{rng.randint(0, 99):02d}",
        lambda: f"+1-646-555-01{rng.randint(0, 99):02d}",
        lambda: f"+44 20 7946 0{rng.randint(0, 999):03d}",
        lambda: f"+44 7700 900{rng.randint(0, 999):03d}",
        lambda: f"+49 30 {rng.randint(1000000, 99999999)}",
        lambda: f"+49 171 {rng.randint(1000000, 9999999)}",
        lambda: f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        lambda: f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        lambda: f"+81 3-{n4()}-{n4()}",
        lambda: f"+91 98765 {rng.randint(10000, 99999)}",
        lambda: f"+61 2 {n4()} {n4()}",
        lambda: f"(415) 555-01{rng.randint(0, 99):02d}",
        lambda: f"212-555-01{rng.randint(0, 99):02d}",
        lambda: f"312.555.01{rng.randint(0, 99):02d}",
        lambda: f"1-800-555-01{rng.randint(0, 99):02d}",
        lambda: f"020 7946 0{rng.randint(0, 999):03d}",
        lambda: f"07700 900{rng.randint(0, 999):03d}",
        lambda: f"01 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        lambda: f"06.{rng.randint(10, 99)}.{rng.randint(10, 99)}.{rng.randint(10, 99)}.{rng.randint(10, 99)}",
        lambda: f"030 {rng.randint(1000000, 99999999)}",
        lambda: f"089/{rng.randint(100000, 9999999)}",
        lambda: f"0171 {rng.randint(1000000, 9999999)}",
        lambda: f"0044 20 7946 0{rng.randint(0, 999):03d}",
    ]
    return rng.choice(forms)()


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randint(0, 9))
    for check in range(10):
        cand = digits + [check]
        total = 0
        for i, d in enumerate(reversed(cand)):
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return "".join(map(str, cand))


def card():
    kind = rng.choice(["visa", "visa", "mc", "mc2", "amex", "discover", "jcb"])
    if kind == "visa":
        number = luhn_complete("4" + str(rng.randint(10, 99)), 16)
    elif kind == "mc":
        number = luhn_complete(str(rng.randint(51, 55)), 16)
    elif kind == "mc2":
        number = luhn_complete(str(rng.randint(2221, 2720)), 16)
    elif kind == "amex":
        number = luhn_complete(rng.choice(["34", "37"]), 15)
    elif kind == "discover":
        number = luhn_complete("6011", 16)
    else:
        number = luhn_complete(str(rng.randint(3528, 3589)), 16)
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain":
        return number
    sep = " " if style == "space" else "-"
    if len(number) == 15:
        return sep.join([number[:4], number[4:10], number[10:]])
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


def iban():
    country, bban = rng.choice([
        ("DE", lambda: "".join(rng.choice(string.digits) for _ in range(18))),
        ("GB", lambda: rng.choice(["NWBK", "BARC", "MIDL"]) + "".join(rng.choice(string.digits) for _ in range(14))),
        ("FR", lambda: "".join(rng.choice(string.digits) for _ in range(23))),
        ("NL", lambda: rng.choice(["ABNA", "INGB", "RABO"]) + "".join(rng.choice(string.digits) for _ in range(10))),
        ("ES", lambda: "".join(rng.choice(string.digits) for _ in range(20))),
        ("IT", lambda: "X" + "".join(rng.choice(string.digits) for _ in range(22))),
        ("CH", lambda: "".join(rng.choice(string.digits) for _ in range(17))),
        ("BE", lambda: "".join(rng.choice(string.digits) for _ in range(12))),
        ("AT", lambda: "".join(rng.choice(string.digits) for _ in range(16))),
    ])
    bban = bban()
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def ssn():
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ipv4():
    forms = [lambda: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
             lambda: f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
             lambda: f"203.0.113.{rng.randint(1, 254)}",
             lambda: f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"]
    return rng.choice(forms)()


def ipv6():
    h = lambda: f"{rng.randint(0, 0xffff):x}"
    forms = [lambda: ":".join(f"{rng.randint(0, 0xffff):04x}" for _ in range(8)),
             lambda: f"2001:db8::{h()}:{h()}",
             lambda: f"fe80::{h()}:{h()}:{h()}:{h()}",
             lambda: f"2a00:1450:4001:{h()}::{h()}",
             lambda: f"::ffff:192.0.2.{rng.randint(1, 254)}",
             lambda: f"2001:DB8:0:0:{h().upper()}:0:0:1"]
    return rng.choice(forms)()


def api_key():
    if rng.random() < 0.5:
        return "sk-" + alnum(48)
    return "sk-proj-" + alnum(rng.randint(60, 120), string.ascii_letters + string.digits + "_-")


def aws_key():
    return rng.choice(["AKIA", "ASIA"]) + alnum(16, string.ascii_uppercase + "234567")


def github_token():
    if rng.random() < 0.7:
        return rng.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + alnum(36)
    return "github_pat_" + alnum(22) + "_" + alnum(59)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    if rng.random() < 0.3:
        header["kid"] = alnum(8)
    payload = {"sub": f"user-{rng.randint(1, 99999)}", "iat": rng.randint(1600000000, 1800000000),
               "scope": rng.choice(["read", "read write", "admin"])}
    sig = b64url(bytes(rng.randint(0, 255) for _ in range(32)))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()), sig])


def private_key():
    kind = rng.choice(["RSA ", "", "EC ", "OPENSSH ", "ENCRYPTED "])
    body = base64.b64encode(bytes(rng.randint(0, 255) for _ in range(rng.randint(120, 400)))).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"


def aws_secret_sentence():
    secret = alnum(40, string.ascii_letters + string.digits + "/+")
    forms = [f"aws_secret_access_key = {secret}", f'"AWS_SECRET_ACCESS_KEY": "{secret}"',
             f"export AWS_SECRET_ACCESS_KEY={secret}", f"secret_access_key: {secret}"]
    return secret, rng.choice(forms)


TEMPLATES = {
    "EMAIL": ["Please send the contract to {v} by Friday.", "Contact: {v}",
              "My email is {v}, reply there.", "cc {v} on the ticket",
              "The user ({v}) asked to reset the password.", "From: Jane <{v}>",
              "Can you summarize the thread from {v}?", "write to {v}."],
    "PHONE": ["Call me at {v} after 5pm.", "Phone: {v}", "You can reach the clinic on {v}.",
              "Tel. {v} (office)", "mobile {v}", "Please ring {v} to confirm the appointment.",
              "The customer left {v} as a callback number.", "Hotline: {v}."],
    "CARD": ["My card number is {v}, expiry 09/27.", "Charge {v} for the order.",
             "card: {v}", "Please refund to the Visa ending... actually the full number is {v}.",
             "CC {v} CVV withheld", "Payment failed for card {v} yesterday."],
    "IBAN": ["Wire the money to {v} please.", "IBAN: {v}", "Our account is {v} (BIC on file).",
             "Refund to IBAN {v} by Monday.", "The supplier changed its IBAN to {v}."],
    "SSN": ["My SSN is {v}.", "SSN: {v}", "The applicant's social security number is {v}.",
            "Verify {v} against the payroll record.", "ssn {v} was flagged"],
    "IPV4": ["Login attempt from {v} was blocked.", "client_ip={v}", "The server at {v} is down.",
             "Whitelist {v} in the firewall.", "GET /api/v1/users from {v} returned 403"],
    "IPV6": ["Connection from {v} timed out.", "Add {v} to the allow list.", "src={v} dst=::1",
             "The host resolves to {v} over IPv6.", "Peer {v} sent a RST"],
    "API_KEY": ["Here is my OpenAI key {v} can you check why it fails?", "OPENAI_API_KEY={v}",
                "client = OpenAI(api_key=\"{v}\")", "Authorization: Bearer {v}"],
    "AWS_KEY": ["aws_access_key_id = {v}", "Access key {v} was rotated yesterday.",
                "export AWS_ACCESS_KEY_ID={v}", "The leaked key {v} belongs to the ci user."],
    "GITHUB_TOKEN": ["git clone https://{v}@github.com/acme/private.git",
                     "GITHUB_TOKEN={v}", "Use token {v} for the release workflow.",
                     "token: {v}"],
    "JWT": ["Authorization: Bearer {v}", "The session cookie is {v}; decode it for me.",
            "id_token={v}&state=xyz", "Why does {v} fail verification?"],
    "PRIVATE_KEY": ["Here is the key file:\n{v}\nWhy does ssh reject it?", "{v}",
                    "key: |\n{v}\n", "Please add this to the deploy config: {v} thanks"],
}

GENERATORS = {"EMAIL": email, "PHONE": phone, "CARD": card, "IBAN": iban, "SSN": ssn,
              "IPV4": ipv4, "IPV6": ipv6, "API_KEY": api_key, "AWS_KEY": aws_key,
              "GITHUB_TOKEN": github_token, "JWT": jwt, "PRIVATE_KEY": private_key}

COUNTS = {"EMAIL": 60, "PHONE": 96, "CARD": 50, "IBAN": 45, "SSN": 40, "IPV4": 40, "IPV6": 40,
          "API_KEY": 30, "AWS_KEY": 25, "GITHUB_TOKEN": 25, "JWT": 25, "PRIVATE_KEY": 15}

positives = []
for kind, count in COUNTS.items():
    for i in range(count):
        value = GENERATORS[kind]()
        template = TEMPLATES[kind][i % len(TEMPLATES[kind])]
        positives.append({"type": kind, "text": template.format(v=value), "value": value})
for i in range(20):
    secret, sentence = aws_secret_sentence()
    positives.append({"type": "AWS_SECRET", "text": sentence, "value": secret})


def hexs(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


NEGATIVES = {
    "version": ["Upgrade to version 1.2.3.4 before Friday.", "We are running v2.14.0.1 in production.",
                "Windows build 10.0.19045.3693 crashed.", "pip install requests==2.31.0.1",
                "Release 4.2.1 is out.", "firmware 3.10.2.7 fixes the bug", "SDK version: 34.0.0",
                "Bumped to 1.0.0.12 after review.", "npm i lodash@4.17.21", "Version 10.2.0.1 of the driver",
                "ver. 6.1.7601.24545", "Chrome 120.0.6099.109 on Linux", "kernel 6.1.0-13-amd64",
                "python 3.11.4 and Qt 6.4.2", "upgraded to 5.4.3.2 last night"],
    "uuid": [], "timestamp": [], "order_id": [], "hash": [], "amount": [], "date": [], "zip": [],
    "isbn": [], "other": [],
}
for _ in range(30):
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    NEGATIVES["uuid"].append(rng.choice([f"request id {u}", f"interaction_id: {u}", f"trace {u.replace('-', '')}",
                                         f"session {u.upper()} expired"]))
for _ in range(30):
    y, mo, d, h, mi, s = rng.randint(2019, 2027), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    NEGATIVES["timestamp"].append(rng.choice([
        f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z", f"at {y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{rng.randint(0, 999):03d}+02:00",
        f"logged {h:02d}:{mi:02d}:{s:02d}", f"ts={rng.randint(1500000000, 1800000000)}",
        f"epoch ms {rng.randint(1500000000000, 1800000000000)}", f"{y}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}",
        f"Mon, {d:02d} Mar {y} {h:02d}:{mi:02d}:{s:02d} GMT", f"took {h:02d}:{mi:02d}:{s:02d}.{rng.randint(0, 999999):06d}"]))
for _ in range(30):
    NEGATIVES["order_id"].append(rng.choice([
        f"Order ORD-{rng.randint(2019, 2027)}-{rng.randint(100000, 999999)} shipped.",
        f"order #{rng.randint(100000000, 999999999)}", f"PO-{rng.randint(0, 99999999):08d} approved",
        f"invoice INV/{rng.randint(2019, 2027)}/{rng.randint(1, 99999):05d}", f"ticket JIRA-{rng.randint(1, 9999)}",
        f"Order {rng.randint(1000000000, 9999999999)} was refunded.", f"tracking 1Z{alnum(6, string.ascii_uppercase + string.digits)}{rng.randint(10**9, 10**10 - 1)}",
        f"SKU {rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}", f"case {rng.randint(10000, 99999)}-{rng.randint(10, 99)}"]))
for _ in range(30):
    NEGATIVES["hash"].append(rng.choice([f"sha256 {hexs(64)}", f"commit {hexs(40)}", f"fixed in {hexs(7)}",
                                         f"md5: {hexs(32)}", f"etag \"{hexs(16)}\"", f"content_hash={hexs(64).upper()}"]))
for _ in range(30):
    NEGATIVES["amount"].append(rng.choice([
        f"${rng.randint(1, 999)},{rng.randint(100, 999)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"€ {rng.randint(1, 99)}.{rng.randint(100, 999)},{rng.randint(10, 99)}", f"{rng.randint(1, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)} EUR",
        f"total {rng.randint(1000, 99999)}.{rng.randint(10, 99)}", f"USD {rng.randint(1, 9)},{rng.randint(100, 999)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"processed {rng.randint(1000000, 99999999)} rows", f"cost 0.000{rng.randint(100, 999)} per token",
        f"{rng.randint(1, 99)}.{rng.randint(0, 9)}% of {rng.randint(10000, 999999)} requests"]))
for _ in range(30):
    y, mo, d = rng.randint(1950, 2030), rng.randint(1, 12), rng.randint(1, 28)
    NEGATIVES["date"].append(rng.choice([f"born {d:02d}/{mo:02d}/{y}", f"due {mo:02d}-{d:02d}-{y}", f"am {d:02d}.{mo:02d}.{y}",
                                         f"{y}/{mo:02d}/{d:02d}", f"March {d}, {y}", f"between {y}-{mo:02d}-{d:02d} and {y}-{mo:02d}-{d + 1:02d}"]))
for _ in range(25):
    NEGATIVES["zip"].append(rng.choice([f"ZIP {rng.randint(10000, 99999)}", f"Beverly Hills, CA {rng.randint(90001, 96162)}-{rng.randint(1000, 9999)}",
                                        "London SW1A 1AA", f"{rng.randint(75001, 75020)} Paris", f"{rng.randint(10115, 14199)} Berlin",
                                        f"postal code {rng.randint(100, 999)} {rng.randint(10, 99)}"]))
for isbn in ["978-3-16-148410-0", "0-306-40615-2", "9780306406157", "978-0-596-52068-7", "0-19-852663-6",
             "978 1 4028 9462 6", "ISBN-10 0131103628", "1-4028-9462-7"]:
    NEGATIVES["isbn"].append(f"ISBN {isbn}")
NEGATIVES["other"] = [
    "std::vector<int> and std::map::find", "MAC 00:1A:2B:3C:4D:5E", "meeting at 10:30:00 sharp",
    "localhost:8080/api", "coordinates 48.8566, 2.3522", "OID 1.3.6.1.4.1.311.21.8", "icon@2x.png and logo@3x.webp",
    "we use sk-learn and scikit", "prefix ghp_ marks GitHub tokens", "AKIA is the AWS prefix",
    "card 4111 1111 1111 1112 (fails Luhn)", "IBAN DE00 3704 0044 0532 0130 00 (bad checksum)",
    "SSN 000-12-3456 is never issued", "SSN 666-12-3456 is invalid", "SSN 900-12-3456 is an ITIN range",
    "room 1204, floor 12", "flight LH 4521 at gate B22", "The call lasted 1820 seconds.",
    "a ratio of 16:9", "score 0.91 at step 12000", "port range 49152-65535", "ticket #4111-1111",
    "serial number SN-8842-1190-33", "hex 0xDEADBEEF", "base64 aGVsbG8gd29ybGQ=",
    "eyJhbGciOi is where a JWT header starts", "-----BEGIN CERTIFICATE----- is public",
    "phone model 15 Pro", "channels 1.2.3 through 1.2.4", "see RFC 5737 section 3",
    "temperature 0.7, top_p 0.95, max_tokens 4096", "matrix 3x3x3", "lat/long 40.7128,-74.0060",
    "1,000,000 tokens", "sk-this-is-not-a-key", "@channel please review", "dimensions 1920x1080",
]

negatives = [{"kind": kind, "text": text} for kind, texts in NEGATIVES.items() for text in texts]

with open(HERE / "positives.jsonl", "w") as f:
    for p in positives:
        assert p["value"] in p["text"]
        f.write(json.dumps(p) + "\n")
with open(HERE / "negatives.jsonl", "w") as f:
    for n in negatives:
        f.write(json.dumps(n) + "\n")
print(f"{len(positives)} positives, {len(negatives)} negatives")
