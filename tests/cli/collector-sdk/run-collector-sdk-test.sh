#!/usr/bin/env bash
# The collector against real SDK clients (test.mjs): starts llmaudit-fakellm and `llmaudit
# serve` (its OpenAI upstream the fake), runs test.mjs, stops the server with SIGTERM and checks
# the store with `llmaudit export`: the GenAI span and both proxied calls are there, the API key
# is not.
#
#   run-collector-sdk-test.sh LLMAUDIT FAKELLM WORK_DIR
#
# Exit 77 (ctest: skipped) when node or npm is missing.
set -euo pipefail
llmaudit=$1
fakellm=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node and npm are needed for the collector SDK test: skipped"
    exit 77
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules" ] || ! cmp -s "$here/package-lock.json" "$work/package-lock.json"; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/test.mjs" "$work/"
cd "$work"
rm -f store.sqlite*

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_url() { # FILE -> the URL after "listening on "
    for _ in $(seq 200); do
        url=$(sed -n 's/^listening on //p' "$1" | head -1)
        [ -n "$url" ] && { echo "$url"; return 0; }
        sleep 0.1
    done
    return 1
}
"$fakellm" --port 0 >fakellm.out 2>&1 &
pids+=($!)
upstream=$(wait_url fakellm.out) || { echo "llmaudit-fakellm did not start:"; cat fakellm.out; exit 1; }
"$llmaudit" serve --store store.sqlite --listen 127.0.0.1:0 --openai-upstream "$upstream" \
    >serve.out 2>serve.err &
serve=$!
pids+=($serve)
collector=$(wait_url serve.out) || { echo "llmaudit serve did not start:"; cat serve.err; exit 1; }

sent=$(COLLECTOR="$collector" node test.mjs | tail -1)
span=$(node -e 'console.log(JSON.parse(process.argv[1]).span)' "$sent")

kill -TERM "$serve"
wait "$serve"
"$llmaudit" export --store store.sqlite --format jsonl -o export.jsonl

fail() { echo "FAIL: $*"; exit 1; }
grep -q "\"interaction_id\":\"$span\"" export.jsonl || fail "the span $span is not in the store"
grep -q '"content":"Blue."' export.jsonl || fail "the span's output message is not in the record"
[ "$(grep -c '"session_id":"sdk-proxy-session"' export.jsonl)" = 2 ] ||
    fail "the two proxied calls are not both recorded"
grep -q 'Echo: delta epsilon' export.jsonl || fail "the streamed answer is not recorded"
if grep -q 'sk-sdk-test-never-stored' export.jsonl store.sqlite*; then
    fail "the API key reached the store"
fi
echo "collector SDK test: span $span and 2 proxied calls recorded, no API key stored"
echo "1 passed, 0 failed"
