#!/usr/bin/env bash
# The collector's throughput and latency with wrk, on loopback, in bounded runs:
#   single-record POSTs, NDJSON batches of 1000, and the recording proxy's overhead over a
#   direct call to the fake LLM server.
#
#   tests/bench/collector_bench.sh [BUILD_DIR] [SECONDS]
#
# Prints wrk's figures and the records the store holds afterwards (each run's ids are unique,
# so stored = sent). Needs wrk (Debian package).
set -euo pipefail
BUILD=${1:-build}
SECONDS_PER_RUN=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
LLMAUDIT=$BUILD/app/llmaudit
FAKELLM=$BUILD/tests/fixtures/fakellm/llmaudit-fakellm
TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

# Starts a server whose first stdout line is "listening on URL"; sets URL.
start() {
    local out=$TMP/$1.out
    shift
    : >"$out"
    "$@" >"$out" 2>"$out.err" &
    PIDS+=($!)
    for _ in $(seq 100); do
        URL=$(sed -n 's/^listening on //p' "$out" | head -1)
        [ -n "$URL" ] && return 0
        sleep 0.1
    done
    echo "server did not start: $*" >&2
    cat "$out.err" >&2
    exit 1
}

start fakellm "$FAKELLM" --port 0
UPSTREAM=$URL
start collector "$LLMAUDIT" serve --store "$TMP/store.sqlite" --listen 127.0.0.1:0 \
    --openai-upstream "$UPSTREAM"
COLLECTOR=$URL
echo "collector $COLLECTOR, fake LLM $UPSTREAM, ${SECONDS_PER_RUN}s per run, $(nproc) cores"

echo
echo "== single-record POSTs (2 threads, 16 connections)"
BATCH=1 wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$HERE/collector_post.lua" "$COLLECTOR"
echo
echo "== NDJSON batches of 1000 records (2 threads, 4 connections)"
BATCH=1000 wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" --timeout 30s --latency -s "$HERE/collector_post.lua" "$COLLECTOR"
echo
echo "== the same NDJSON batch of 1000 again and again: all duplicates, no inserts (HTTP, parsing, validation)"
REPEAT=1 BATCH=1000 wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" --timeout 30s --latency -s "$HERE/collector_post.lua" "$COLLECTOR"
echo
echo "== stored: $("$LLMAUDIT" stats --store "$TMP/store.sqlite" --json | tr -d '\n' | sed 's/.*"interactions": *\([0-9]*\).*/\1/') interactions"

echo
echo "== direct chat completion to the fake LLM server (1 connection)"
PROXY_PREFIX="" wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -s "$HERE/proxy_chat.lua" "$UPSTREAM"
echo
echo "== the same through the recording proxy (1 connection)"
PROXY_PREFIX="/proxy/openai" wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -s "$HERE/proxy_chat.lua" "$COLLECTOR"
