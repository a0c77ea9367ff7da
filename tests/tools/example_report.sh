#!/usr/bin/env bash
# Makes the example report of the docs from the bundled sample logs, with the real executables:
#   tests/tools/example_report.sh [BUILD_DIR]
# writes docs/example-report.pdf and docs/screenshots/report-*.png. A few flagged interactions
# are replayed first against the local fake LLM server (llmaudit-fakellm, on 127.0.0.1) so that
# the report has replay comparisons, and a few are reviewed with `llmaudit review` (statuses, a
# reviewer's flag, notes) so that it has reviews; the report verifies the integrity chains.
# Needs pdftoppm (poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
LLMAUDIT=$BUILD/app/llmaudit
FAKELLM=$BUILD/tests/fixtures/fakellm/llmaudit-fakellm

work=$(mktemp -d)
fake=
cleanup() {
    [ -n "$fake" ] && kill "$fake" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

store=$work/sample.sqlite
"$LLMAUDIT" import --store "$store" resources/samples/sample-interactions.jsonl >/dev/null

"$FAKELLM" --port 0 >"$work/fakellm.out" &
fake=$!
for _ in $(seq 50); do
    grep -q "listening on" "$work/fakellm.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/fakellm.out" | head -1)
cat >"$work/providers.json" <<JSON
{"providers": [{"name": "fake", "kind": "openai", "base_url": "${url%/}/v1",
                "model": "fake-gpt", "api_key_env": "FAKE_KEY"}]}
JSON
# The first COUNT interaction_ids of a report's CSV (a field may hold line breaks: read as CSV).
first_ids() {
    /usr/bin/python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:1 + int(sys.argv[2])]
print("\n".join(r[0] for r in rows))' "$1" "$2"
}
# The three oldest flagged interactions, replayed.
"$LLMAUDIT" report --store "$store" --filter flagged --format csv -o "$work/flagged.csv" 2>/dev/null
first_ids "$work/flagged.csv" 3 >"$work/ids.txt"
FAKE_KEY=sk-local "$LLMAUDIT" replay --store "$store" --providers "$work/providers.json" \
    --provider fake --ids-from "$work/ids.txt" --json >/dev/null || true

# Reviews: the replayed ones and two that the log did not flag.
"$LLMAUDIT" report --store "$store" --filter 'not flagged' --format csv -o "$work/plain.csv" 2>/dev/null
mapfile -t flagged <"$work/ids.txt"
mapfile -t plain < <(first_ids "$work/plain.csv" 2)
review() { "$LLMAUDIT" review --store "$store" --reviewer "Rita Reviewer" "$@" >/dev/null; }
review --status escalated --note "Prompt injection that reached the tool call; escalated to the security team (SEC-118)." "${flagged[0]}"
review --status issue --flag "leaks a customer's e-mail address" \
    --note "The response repeats the address from the context document. Asked the owner to redact it." "${flagged[1]}"
review --status approved --note "False positive: the number is a public support line." "${flagged[2]}"
review --status approved "${plain[0]}"
review --flag "tone: dismissive of the customer" --note "Not a policy breach; worth a prompt change." "${plain[1]}"

LLMAUDIT_USER="Example Auditor"
USER="$LLMAUDIT_USER" "$LLMAUDIT" report --store "$store" \
    --title "Sample logs: audit report" -o docs/example-report.pdf
rm -f "$work"/page-*.png
pdftoppm -png -r 80 -f 2 -l 3 docs/example-report.pdf "$work/page"
cp "$work"/page-*2.png docs/screenshots/report-summary.png
cp "$work"/page-*3.png docs/screenshots/report-charts.png
echo "docs/example-report.pdf, docs/screenshots/report-summary.png and report-charts.png written"
