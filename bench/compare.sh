#!/usr/bin/env bash
# Redemption throughput of refcodes (examples/bench_use.rs, which calls Service::use_code) against a baseline
# running the same minimal SQL transaction on the same database, in one run:
#   postgres: pgbench -n -c K -j K -T T -f bench/redeem.sql on a database it creates (refcodes_bench); with
#             --pgbench-script bench/redeem_one.sql the one-statement form refcodes runs (use with -M prepared)
#   sqlite:   the sqlite3 shell replaying transactions (BEGIN IMMEDIATE; UPDATE; INSERT; COMMIT) on a temp file
#             for the same T seconds (stopped by `timeout`; the usage rows it committed are counted); with
#             --sqlite-baseline prepared, one thread driving SQLite with prepared statements, 32 redemptions per
#             transaction (bench/redeem_sqlite.py)
# and prints ours/baseline per mode. See BENCHMARKS.md.
#
# usage: bench/compare.sh postgres|sqlite [--clients K] [--seconds T] [--modes "spread hot"] [--rounds R]
#                                         [--replay-tx N] [--pgbench-args "-M prepared"]
#                                         [--pgbench-script bench/redeem_one.sql] [--sqlite-baseline prepared]
# env:   PGBASE (default postgres://postgres@127.0.0.1:5432), BENCH_DB (default refcodes_bench),
#        CARGO_TARGET_DIR (where the example is built), BENCH_USE_BIN (a bench_use binary to run instead)
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-}
[[ $backend == postgres || $backend == sqlite ]] || {
    echo "usage: $0 postgres|sqlite [--clients K] [--seconds T] [--modes \"spread hot\"] [--rounds R]" >&2
    exit 2
}
shift
clients=8 seconds=10 modes="spread hot" rounds=1 replay_tx="" pgbench_args="" pgbench_script=bench/redeem.sql sqlite_baseline=replay
while (($#)); do
    case $1 in
        --clients) clients=$2 ;;
        --seconds) seconds=$2 ;;
        --modes) modes=$2 ;;
        --rounds) rounds=$2 ;;
        --replay-tx) replay_tx=$2 ;;
        --pgbench-args) pgbench_args=$2 ;;
        --pgbench-script) pgbench_script=$2 ;;
        --sqlite-baseline) sqlite_baseline=$2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
# Fresh users per pgbench client: enough for 4,000 transactions a second each.
stride=$((4000 * seconds))
# Transactions written to the sqlite3 replay file, more than it can run in T seconds.
replay_tx=${replay_tx:-$((20000 * seconds))}

# shellcheck source=bench/rounds.sh
. bench/rounds.sh

dir=$(mktemp -d /tmp/refcodes-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

if [[ -n ${BENCH_USE_BIN:-} ]]; then
    bin=$BENCH_USE_BIN # another build of bench_use, to compare builds
else
    cargo build --release --quiet --example bench_use
    bin=${CARGO_TARGET_DIR:-target}/release/examples/bench_use
fi

echo "machine: nproc=$(nproc) mem=$(free -g | awk '/^Mem:/ { print $2 " GiB" }') load=$(cut -d' ' -f1-3 /proc/loadavg)"

use_bin() { "$bin" --database-url "$url" "$@"; }

summary=()
if [[ $backend == postgres ]]; then
    pgbase=${PGBASE:-postgres://postgres@127.0.0.1:5432}
    db=${BENCH_DB:-refcodes_bench}
    url="$pgbase/$db"
    q() { psql "$url" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
    echo "postgres: $(psql "$pgbase/postgres" -AtX -c 'SHOW server_version') pgbench: $(pgbench --version)"
    log "fresh database $db"
    psql "$pgbase/postgres" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    log "prepare (migrations, settings, codes)"
    "$bin" --database-url "$url" --prepare-only
    IFS='|' read -r cmin cmax ccount <<<"$(q "SELECT min(id), max(id), count(*) FROM phoenix_kit_referral_codes WHERE description = 'bench spread'")"
    ((cmax - cmin + 1 == ccount)) || { echo "spread code ids are not contiguous" >&2; exit 1; }
    hot=$(q "SELECT id FROM phoenix_kit_referral_codes WHERE code = 'BENCH-HOT'")
    q "VACUUM ANALYZE"

    # baseline MODE: fresh users, pgbench, a check of what it wrote; prints its tps.
    baseline() {
        local lo=$cmin hi=$cmax n=$((clients * stride)) first last out tps done rows
        [[ $1 == hot ]] && lo=$hot hi=$hot
        IFS='|' read -r first last <<<"$(q "WITH u AS (INSERT INTO phoenix_kit_users (email, inserted_at)
            SELECT 'pgbench-' || g || '-' || clock_timestamp() || '@bench.invalid', now()
            FROM generate_series(1, $n) g ORDER BY g RETURNING id) SELECT min(id), max(id) FROM u")"
        ((last - first + 1 == n)) || { echo "pgbench user ids are not contiguous" >&2; exit 1; }
        # shellcheck disable=SC2086
        pgbench -n -c "$clients" -j "$clients" -T "$seconds" $pgbench_args -f "$pgbench_script" \
            -D cmin="$lo" -D cmax="$hi" -D ubase=$((first - 1)) -D stride="$stride" -D n=0 "$url" >"$dir/pgbench.out" 2>&1 || true
        cat "$dir/pgbench.out" >&2
        out=$(<"$dir/pgbench.out")
        tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
        done=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
        rows=$(q "SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE used_by BETWEEN $first AND $last")
        [[ -n $tps && $rows == "$done" ]] || {
            echo "pgbench run not usable: tps=$tps transactions=$done usage rows=$rows" >&2
            exit 1
        }
        echo "$tps"
    }
else
    file=$dir/bench.db
    url="sqlite://$file"
    pragmas="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;"
    q() { sqlite3 -bail -batch -noheader -list -cmd ".timeout 5000" "$file" "$1"; }
    echo "sqlite3 shell: $(sqlite3 --version | cut -d' ' -f1-2)"
    log "prepare (migrations, settings, codes) in $file"
    "$bin" --database-url "$url" --prepare-only
    hot=$(q "SELECT id FROM phoenix_kit_referral_codes WHERE code = 'BENCH-HOT'")
    q "SELECT id, code FROM phoenix_kit_referral_codes WHERE description = 'bench spread' ORDER BY id" >"$dir/codes"

    # baseline MODE: fresh users, a replay file run for T seconds; prints its transactions per second.
    baseline() {
        local n=$replay_tx first last now start end rows status
        IFS='|' read -r first last <<<"$(q "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $n)
            INSERT INTO phoenix_kit_users (email, inserted_at)
            SELECT 'replay-' || i || '-' || strftime('%s', 'now') || '-' || abs(random()) || '@bench.invalid',
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM g ORDER BY i;
            SELECT max(id) - $n + 1, max(id) FROM phoenix_kit_users")"
        now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
        if [[ $sqlite_baseline == prepared ]]; then
            local done secs cpu
            read -r done secs cpu < <(python3 bench/redeem_sqlite.py "$file" "$seconds" "$first" "$last" "$dir/codes" "$now" "$1")
            rows=$(q "SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE used_by BETWEEN $first AND $last")
            [[ $rows == "$done" ]] || { echo "prepared baseline: $done redemptions but $rows usage rows" >&2; exit 1; }
            echo "prepared baseline: $rows redemptions in $secs s, cpu_us_per_redemption=$(awk -v c="$cpu" -v r="$rows" 'BEGIN { printf "%.0f", c * 1e6 / r }')" >&2
            awk -v n="$rows" -v d="$secs" 'BEGIN { printf "%.1f", n / d }'
            return
        fi
        {
            echo "$pragmas"
            awk -v n="$n" -v first="$first" -v now="$now" -v hot="$1" -v hotid="$hot" -F'|' '
                { id[NR] = $1; code[NR] = $2 }
                END {
                    srand(42)
                    for (i = 0; i < n; i++) {
                        if (hot == "hot") { c = "BENCH-HOT"; cid = hotid } else { k = int(rand() * NR) + 1; c = code[k]; cid = id[k] }
                        printf "BEGIN IMMEDIATE;\n"
                        printf "UPDATE phoenix_kit_referral_codes SET number_of_uses = number_of_uses + 1 WHERE upper(code) = '\''%s'\'' AND status AND number_of_uses < max_uses AND (expiration_date IS NULL OR expiration_date > '\''%s'\'') AND EXISTS (SELECT 1 FROM phoenix_kit_settings WHERE key = '\''referral_codes_enabled'\'' AND value = '\''true'\'') RETURNING id;\n", c, now
                        printf "INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT %d, u.id, '\''%s'\'' FROM phoenix_kit_users u WHERE u.id = %d ON CONFLICT (code_id, used_by) DO NOTHING RETURNING id;\n", cid, now, first + i
                        printf "COMMIT;\n"
                    }
                }' "$dir/codes"
        } >"$dir/replay.sql"
        # Stopped after T seconds like pgbench -T; a transaction cut off by the stop rolls back and isn't counted.
        start=$(date +%s%N)
        status=0
        /usr/bin/time -f "%U %S" -o "$dir/cpu" timeout -s TERM "$seconds" sqlite3 -bail -batch "$file" \
            <"$dir/replay.sql" >/dev/null || status=$?
        end=$(date +%s%N)
        ((status == 0 || status == 124)) || { echo "sqlite3 replay failed (status $status)" >&2; exit 1; }
        ((status == 124)) || echo "warning: the replay ran out of transactions before ${seconds}s; raise --replay-tx" >&2
        rows=$(q "SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE used_by BETWEEN $first AND $last")
        echo "sqlite3 replay: $rows transactions committed in $(awk -v d=$((end - start)) 'BEGIN { printf "%.2f", d / 1e9 }') s," \
            "cpu_us_per_transaction=$(awk -v r="$rows" 'END { printf "%.0f", ($1 + $2) * 1e6 / r }' "$dir/cpu")" >&2
        awk -v n="$rows" -v d=$((end - start)) 'BEGIN { printf "%.1f", n / (d / 1e9) }'
    }
fi

# shellcheck disable=SC2086 # the modes are words
run_rounds "$backend" $modes
echo
printf '%s\n' "${summary[@]}"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
