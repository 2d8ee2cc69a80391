#!/usr/bin/env bash
# `codes import` of N rows (default 100,000) against two baselines in the same script: `codes generate N`, which
# writes through the same bulk insert path in one transaction, and the database inserting the file's rows by itself
# (the sqlite3 shell or psql: one `INSERT ... SELECT` from the rows loaded into a table beforehand, untimed, into
# the same table with the same indexes and triggers, in one transaction). Each runs on a fresh database, `rounds`
# times; it prints the seconds of each and the ratios. SQLite always; PostgreSQL too with --postgres URL (the script
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

# The rows' insert as the database does it by itself: the file loaded into a table of text columns (untimed), then
# one timed transaction that inserts them into the codes, converted as refcodes stores them. Prints its seconds.
raw_insert() {
    local backend=$1 url=$2 t0
    local insert="INSERT INTO phoenix_kit_referral_codes (code, description, status, number_of_uses, max_uses,
        created_by, beneficiary, date_created, expiration_date)"
    if [[ $backend == sqlite ]]; then
        local file=${url#sqlite://}
        sqlite3 "$file" ".import --csv $dir/rows.csv rows_in"
        t0=$(now)
        sqlite3 "$file" "BEGIN; $insert
            SELECT CASE WHEN code = '' THEN 'RAW-' || hex(randomblob(5)) ELSE code END, description,
                status = 'active', 0, CAST(max_uses AS INTEGER),
                (SELECT id FROM phoenix_kit_users WHERE email = '$owner'),
                CASE WHEN beneficiary = '' THEN NULL ELSE (SELECT id FROM phoenix_kit_users WHERE email = beneficiary) END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+30 days')
            FROM rows_in; COMMIT;"
    else
        psql "$url" -qc "CREATE TABLE rows_in (code text, description text, max_uses text, expires text,
            beneficiary text, status text)" -c "\\copy rows_in FROM '$dir/rows.csv' CSV HEADER" >/dev/null
        t0=$(now)
        psql "$url" -qc "$insert
            SELECT CASE WHEN code IS NULL THEN 'RAW-' || substr(md5(random()::text), 1, 10) ELSE code END,
                description, status = 'active', 0, CAST(max_uses AS integer),
                (SELECT id FROM phoenix_kit_users WHERE email = '$owner'),
                (SELECT id FROM phoenix_kit_users u WHERE u.email = rows_in.beneficiary),
                now(), now() + interval '30 days'
            FROM rows_in" >/dev/null
    fi
    local took count
    took=$(seconds "$t0" "$(now)")
    if [[ $backend == sqlite ]]; then
        count=$(sqlite3 "$file" "SELECT count(*) FROM phoenix_kit_referral_codes")
    else
        count=$(psql "$url" -Atc "SELECT count(*) FROM phoenix_kit_referral_codes")
    fi
    [[ $count == "$rows" ]] || { echo "the raw insert made $count codes, not $rows" >&2; exit 1; }
    echo "$took"
}

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
        raw=$(raw_insert "$backend" "$(fresh "$backend")")
        echo "$backend round $r: rows=$rows generate=${base}s import=${ours}s ratio=$(ratio "$ours" "$base")" \
            "raw_insert=${raw}s speed_vs_raw=$(ratio "$raw" "$ours")x codes_after_import=$created"
    done
done
