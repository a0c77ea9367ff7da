#!/usr/bin/env bash
# Import benchmark: `llmaudit import` against the sqlite3 shell doing the same job by hand.
#
# usage: tests/bench/import_bench.sh [--peer-only] BUILD_DIR [COUNT=200000]
#
# 1. generates COUNT interactions as JSON Lines with BUILD_DIR/tests/tools/llmaudit-loggen
#    --seed 1 (kept in $LLMAUDIT_BENCH_DIR, default /tmp/llmaudit-bench, and reused while the
#    generator and the size are unchanged);
# 2. imports them with `BUILD_DIR/app/llmaudit import --store NEW.sqlite --json FILE`;
# 3. has the sqlite3 shell build the same store from scratch: the whole lines loaded with
#    .import, the same extracted columns with json_extract, the raw document, a unique index on
#    interaction_id, indexes on timestamp, user, session and model, and an FTS5 index over the
#    prompt, system prompt, context texts and response;
# 4. prints wall time, peak RSS and store size of both, and checks both stores hold COUNT
#    interactions.
# Both runs are timed with /usr/bin/time; the stores are deleted afterwards unless
# KEEP_STORES=1. --peer-only skips step 2 (for when llmaudit is not built).

set -euo pipefail

usage() {
    echo "usage: $0 [--peer-only] BUILD_DIR [COUNT=200000]" >&2
    exit 2
}

peer_only=0
if [[ ${1:-} == --peer-only ]]; then
    peer_only=1
    shift
fi
[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$(cd -- "$1" && pwd) || usage
count=${2:-200000}
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "COUNT must be a positive number" >&2; exit 2; }

loggen="$build_dir/tests/tools/llmaudit-loggen"
llmaudit="$build_dir/app/llmaudit"
bench_dir=${LLMAUDIT_BENCH_DIR:-/tmp/llmaudit-bench}
python=/usr/bin/python3 # Debian's, for reading JSON

for tool in "$loggen" /usr/bin/time; do
    [[ -x $tool ]] || { echo "missing $tool" >&2; exit 1; }
done
if ((!peer_only)) && [[ ! -x $llmaudit ]]; then
    echo "missing $llmaudit (build it, or pass --peer-only)" >&2
    exit 1
fi
command -v sqlite3 >/dev/null || { echo "missing the sqlite3 shell" >&2; exit 1; }

mkdir -p -- "$bench_dir"
run_dir=$(mktemp -d -- "$bench_dir/run.XXXXXX")
cleanup() {
    if [[ ${KEEP_STORES:-0} == 1 ]]; then
        echo "stores kept in $run_dir" >&2
    else
        rm -rf -- "$run_dir"
    fi
}
trap cleanup EXIT

# ---- 1. the input ---------------------------------------------------------------------------

input="$bench_dir/interactions-seed1-$count.jsonl"
stamp="$input.stamp" # the generator's checksum and the bytes it reported
loggen_sum=$(sha256sum -- "$loggen" | cut -d' ' -f1)
if [[ -f $input && -f $stamp ]] &&
    [[ $(cat -- "$stamp") == "$loggen_sum $(stat -c %s -- "$input")" ]]; then
    echo "reusing $input" >&2
else
    echo "generating $count interactions into $input" >&2
    rm -f -- "$input" "$stamp"
    "$loggen" --count "$count" --seed 1 --format jsonl -o "$input.part" 2>"$run_dir/loggen.log"
    cat -- "$run_dir/loggen.log" >&2
    mv -- "$input.part" "$input"
    echo "$loggen_sum $(stat -c %s -- "$input")" >"$stamp"
fi
input_bytes=$(stat -c %s -- "$input")

free_kb=$(df -Pk -- "$bench_dir" | awk 'NR == 2 { print $4 }')
if ((free_kb < input_bytes * 4 / 1024)); then
    echo "warning: $((free_kb / 1024)) MB free in $bench_dir; the stores need about 4x the input" >&2
fi

# Bytes of a SQLite store, with its -wal and -shm files if the tool left them.
store_bytes() {
    local total=0 f
    for f in "$1" "$1-wal" "$1-shm"; do
        [[ -f $f ]] && total=$((total + $(stat -c %s -- "$f")))
    done
    echo "$total"
}

# Runs a command under /usr/bin/time; sets $wall (s) and $rss (KB). The previous run's dirty
# pages are written out first, so that one run does not pay for the other's writeback.
timed() {
    local log="$1"
    shift
    sync
    /usr/bin/time -f '%e %M' -o "$run_dir/time" -- "$@" >"$log.out" 2>"$log.err" || {
        echo "failed: $*" >&2
        cat -- "$log.err" >&2
        exit 1
    }
    read -r wall rss <"$run_dir/time"
}

# ---- 2. llmaudit ----------------------------------------------------------------------------

results=()
if ((!peer_only)); then
    store="$run_dir/llmaudit.sqlite"
    echo "llmaudit import ..." >&2
    timed "$run_dir/llmaudit" "$llmaudit" import --store "$store" --json "$input"
    stored=$("$python" -c '
import json, sys
summary = json.load(open(sys.argv[1]))
print(summary["stored"], summary["read"], summary["duplicates"], summary["conflicts"],
      summary["rejected"])' "$run_dir/llmaudit.out") || {
        echo "llmaudit printed no JSON summary:" >&2
        cat -- "$run_dir/llmaudit.out" >&2
        exit 1
    }
    read -r n_stored n_read n_dup n_conf n_rej <<<"$stored"
    if ((n_stored != count || n_read != count || n_rej != 0)); then
        echo "llmaudit: read $n_read, stored $n_stored, rejected $n_rej of $count" >&2
        exit 1
    fi
    if n_rows=$(sqlite3 -readonly "$store" 'SELECT count(*) FROM interactions' 2>/dev/null) &&
        ((n_rows != count)); then
        echo "llmaudit: the store holds $n_rows interactions, not $count" >&2
        exit 1
    fi
    results+=("llmaudit $wall $rss $(store_bytes "$store")")
    llmaudit_wall=$wall
fi

# ---- 3. the sqlite3 shell -------------------------------------------------------------------

peer="$run_dir/sqlite3.sqlite"
ln -s -- "$input" "$run_dir/input.jsonl" # .import gets a plain relative name
cat >"$run_dir/peer.sql" <<'SQL'
.bail on
-- The store's settings as llmaudit's (8 KiB pages, WAL, 32 MiB cache), except that the bulk load
-- runs with a rollback journal: in WAL mode every page would be written twice (log, then
-- checkpoint), which is what anyone loading a database from scratch avoids.
PRAGMA page_size = 8192;
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -32768;

CREATE TABLE interactions (
    id INTEGER PRIMARY KEY,
    interaction_id TEXT NOT NULL,
    timestamp TEXT,
    user_id TEXT,
    session_id TEXT,
    model TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    latency_ms INTEGER,
    finish_reason TEXT,
    flagged INTEGER,
    sensitivity_level TEXT,
    document TEXT NOT NULL);

-- The full-text index keeps no copy of the text; it reads it back from the documents through
-- this view when it needs it (snippets, rebuilds), as llmaudit's store does.
CREATE VIEW interactions_text AS SELECT id,
    document ->> '$.request.prompt' AS prompt,
    document ->> '$.request.system_prompt' AS system_prompt,
    (WITH RECURSIVE item(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM item
             WHERE n + 1 < json_array_length(document, '$.request.context'))
     SELECT group_concat(json_extract(document, '$.request.context[' || n || '].content'), char(10))
       FROM item) AS context,
    document ->> '$.response.content' AS response
  FROM interactions;
CREATE VIRTUAL TABLE interactions_fts USING fts5(prompt, system_prompt, context, response,
    content='interactions_text', content_rowid='id', tokenize='unicode61 remove_diacritics 2');

-- .import writes each line into this view; the trigger parses it once (json_extract caches the
-- parse for the row) and fills the table and the full-text index. No staging copy of the input.
CREATE VIEW incoming(line) AS SELECT document FROM interactions WHERE 0;
CREATE TRIGGER incoming_insert INSTEAD OF INSERT ON incoming BEGIN
    INSERT INTO interactions (interaction_id, timestamp, user_id, session_id, model,
        prompt_tokens, completion_tokens, total_tokens, latency_ms, finish_reason, flagged,
        sensitivity_level, document)
    VALUES (NEW.line ->> '$.interaction_id', NEW.line ->> '$.timestamp',
        NEW.line ->> '$.user_id', NEW.line ->> '$.session_id',
        coalesce(NEW.line ->> '$.response.model', NEW.line ->> '$.request.parameters.model'),
        NEW.line ->> '$.metrics.prompt_tokens', NEW.line ->> '$.response.completion_tokens',
        NEW.line ->> '$.metrics.total_tokens', NEW.line ->> '$.metrics.latency_ms',
        NEW.line ->> '$.response.finish_reason', NEW.line ->> '$.evaluation.flagged',
        NEW.line ->> '$.security.sensitivity_level', NEW.line);
    INSERT INTO interactions_fts (rowid, prompt, system_prompt, context, response)
    VALUES (last_insert_rowid(), NEW.line ->> '$.request.prompt',
        NEW.line ->> '$.request.system_prompt',
        (SELECT group_concat(value ->> '$.content', char(10))
           FROM json_each(NEW.line, '$.request.context')),
        NEW.line ->> '$.response.content');
END;

-- ASCII mode reads fields without any quoting rules; with the unit separator (never raw in
-- JSON) between fields and newline between records, each line arrives whole.
BEGIN;
.mode ascii
.separator "\037" "\n"
.import input.jsonl incoming
COMMIT;

CREATE UNIQUE INDEX interactions_id ON interactions(interaction_id);
CREATE INDEX interactions_ts ON interactions(timestamp);
CREATE INDEX interactions_user ON interactions(user_id);
CREATE INDEX interactions_session ON interactions(session_id);
CREATE INDEX interactions_model ON interactions(model);
PRAGMA journal_mode = WAL;
SQL

echo "sqlite3 shell ..." >&2
(cd -- "$run_dir" && timed "$run_dir/sqlite3" sqlite3 -batch "$peer" <"$run_dir/peer.sql")
# timed ran in a subshell: read its figures again.
read -r wall rss <"$run_dir/time"
n_rows=$(sqlite3 -readonly "$peer" 'SELECT count(*) FROM interactions')
n_fts=$(sqlite3 -readonly "$peer" \
    "SELECT count(*) FROM interactions_fts WHERE interactions_fts MATCH 'agreement'")
if ((n_rows != count)); then
    echo "sqlite3: the store holds $n_rows interactions, not $count" >&2
    exit 1
fi
((n_fts > 0)) || { echo "sqlite3: the full-text index finds nothing" >&2; exit 1; }
results+=("sqlite3 $wall $rss $(store_bytes "$peer")")
peer_wall=$wall

# ---- 4. the table ---------------------------------------------------------------------------

printf '\n%s interactions, %.1f MB of JSON Lines (%s), %s cores\n' "$count" \
    "$(bc -l <<<"$input_bytes / 1048576")" "$input" "$(nproc)"
printf '%-10s %8s %12s %10s %12s\n' tool "wall s" "peak RSS MB" "store MB" "store/input"
for row in "${results[@]}"; do
    read -r tool w r s <<<"$row"
    printf '%-10s %8.1f %12.0f %10.0f %12.2f\n' "$tool" "$w" "$(bc -l <<<"$r / 1024")" \
        "$(bc -l <<<"$s / 1048576")" "$(bc -l <<<"$s / $input_bytes")"
done
if ((!peer_only)); then
    printf 'sqlite3 / llmaudit wall time: %.2f\n' "$(bc -l <<<"$peer_wall / $llmaudit_wall")"
    printf 'llmaudit: read %s, stored %s, duplicates %s, conflicts %s, rejected %s\n' \
        "$n_read" "$n_stored" "$n_dup" "$n_conf" "$n_rej"
fi
