#!/usr/bin/env bash
# `codes import` of N rows (default 100,000) against its baseline in the same script: `codes generate N`, which
# writes through the same bulk insert path in one transaction. Each side runs on a fresh database, `rounds` times;
# it prints the seconds of each and their ratio. SQLite always; PostgreSQL too with --postgres URL (the script
# creates and drops its own databases there).
#
#   cargo build --release && bench/import.sh [--rows 100000] [--rounds 3] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
set -euo pipefail

rows=100000 rounds=3 pg=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --rows) rows=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --postgres) pg=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
bin=${REFCODES_BIN:-target/release/refcodes}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HOME=$dir/home XDG_DATA_HOME=$dir/home/share XDG_STATE_HOME=$dir/home/state XDG_CONFIG_HOME=$dir/home/config
owner=bench@example.com

# A file an import of a partner programme could be: every column, a beneficiary on every tenth row, a random code
# on every fifth, quoted descriptions with commas.
awk -v n="$rows" 'BEGIN {
    print "code,description,max_uses,expires,beneficiary,status"
    for (i = 0; i < n; i++) {
        code = (i % 5 == 4) ? "" : sprintf("PARTNER-%07d", i)
        who = (i % 10 == 0) ? "ada@example.com" : ""
        printf "%s,\"Partner programme, batch %d\",%d,30d,%s,%s\n", code, i % 100, 1 + i % 50, who, (i % 7 == 0) ? "inactive" : "active"
    }
}' >"$dir/rows.csv"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# fresh URL: a new empty database with its Owner and ada; prints its URL.
fresh() {
    local url
    if [[ $1 == sqlite ]]; then
        url="sqlite://$dir/bench-$RANDOM$RANDOM.db"
    else
        local name="refcodes_import_bench_$RANDOM$RANDOM"
        psql "$pg" -qc "CREATE DATABASE $name" >/dev/null
        url="${pg%/*}/$name"
        echo "$name" >>"$dir/pg-databases"
    fi
    "$bin" --database-url "$url" init --owner "$owner" >/dev/null
    "$bin" --database-url "$url" --as "$owner" users add ada@example.com >/dev/null
    # The setting's default (100) is below the file's max_uses of up to 50: fine; the codes per user limit is not
    # the Owner's.
    echo "$url"
}

cleanup_pg() {
    [[ -f $dir/pg-databases ]] || return 0
    while read -r name; do psql "$pg" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null; done <"$dir/pg-databases"
}
trap 'cleanup_pg; rm -rf "$dir"' EXIT

backends=(sqlite)
[[ -n $pg ]] && backends+=(postgres)
for backend in "${backends[@]}"; do
    for ((r = 1; r <= rounds; r++)); do
        url=$(fresh "$backend")
        t0=$(now)
        "$bin" --database-url "$url" --as "$owner" codes generate "$rows" --description "Baseline" >/dev/null 2>&1
        base=$(seconds "$t0" "$(now)")
        url=$(fresh "$backend")
        t0=$(now)
        "$bin" --database-url "$url" --as "$owner" --json codes import "$dir/rows.csv" >"$dir/report.json"
        ours=$(seconds "$t0" "$(now)")
        grep -q '"applied": true' "$dir/report.json" || { echo "the import failed: $(head -c 500 "$dir/report.json")" >&2; exit 1; }
        created=$("$bin" --database-url "$url" --as "$owner" --json stats | awk -F': ' '/"total_codes"/ { gsub(",", "", $2); print $2 }')
        echo "$backend round $r: rows=$rows generate=${base}s import=${ours}s ratio=$(ratio "$ours" "$base") codes_after_import=$created"
    done
done
