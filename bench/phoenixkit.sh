#!/usr/bin/env bash
# refcodes on an attached PhoenixKit database (today's PhoenixKit, UUID keys) at a million codes. See BENCHMARKS.md.
# A fresh database from tests/fixtures/phoenixkit/latest_uuid.sql is filled by bench/phoenixkit_seed.sql (users,
# codes in ten campaigns, about two usage records per code; --reuse keeps one made by an earlier run), then:
#   tui: examples/bench_tui.rs as the fixture's Owner (first frame, moves, filter), on the database as it is, then
#        again with the indexes `refcodes doctor --indexes` suggests, created with psql as its owner would;
#   use: with those indexes, examples/bench_use.rs (Service::use_code, K clients) against pgbench -M prepared
#        running PhoenixKit's own redemption transaction (bench/redeem_phoenixkit.sql), spread and hot, R rounds.
# The use part's codes, users and usage records, and its `bench` schema (numbered lists of codes and users for
# pgbench), are deleted at its end, and the suggested indexes dropped: the database is left as the seed made it.
#
# usage: bench/phoenixkit.sh [--codes N] [--users N] [--reuse] [--parts "tui use"] [--clients K] [--seconds T]
#                            [--rounds R]
# env:   PGBASE (default postgres://postgres@127.0.0.1:5432), BENCH_DB (default refcodes_bench_pk),
#        CARGO_TARGET_DIR (where the examples and the binary are built)
set -euo pipefail
cd "$(dirname "$0")/.."

codes=1000000 users=5000 reuse="" parts="tui use" clients=8 seconds=10 rounds=3
while (($#)); do
    case $1 in
        --codes) codes=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --reuse) reuse=1; shift ;;
        --parts) parts=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) echo "usage: $0 [--codes N] [--users N] [--reuse] [--parts \"tui use\"] [--clients K] [--seconds T] [--rounds R]" >&2; exit 2 ;;
    esac
done
pgbase=${PGBASE:-postgres://postgres@127.0.0.1:5432}
db=${BENCH_DB:-refcodes_bench_pk}
url="$pgbase/$db"
operator=owner@example.com
target=${CARGO_TARGET_DIR:-target}
# shellcheck source=bench/rounds.sh
. bench/rounds.sh
q() { psql "$url" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
dir=$(mktemp -d /tmp/refcodes-bench-pk.XXXXXX)
trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --example bench_tui --example bench_use --bin refcodes
echo "machine: nproc=$(nproc) mem=$(free -g | awk '/^Mem:/ { print $2 " GiB" }') load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "postgres: $(psql "$pgbase/postgres" -AtX -c 'SHOW server_version')"

exists=$(psql "$pgbase/postgres" -AtX -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")
if [[ -z $reuse || $exists == 0 ]]; then
    log "fresh database $db: PhoenixKit fixture, then $codes codes and $users users (a few minutes)"
    psql "$pgbase/postgres" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    psql "$url" -qX -v ON_ERROR_STOP=1 -f tests/fixtures/phoenixkit/latest_uuid.sql >/dev/null
    psql "$url" -qX -v ON_ERROR_STOP=1 -v users="$users" -v codes="$codes" -f bench/phoenixkit_seed.sql
    psql "$url" -qX -c "VACUUM ANALYZE"
fi
echo "database: $(psql "$url" -AtX -c "SELECT count(*) || ' codes, ' || (SELECT count(*) FROM phoenix_kit_referral_code_usage) || ' usage records, PhoenixKit V' || obj_description('phoenix_kit'::regclass) FROM phoenix_kit_referral_codes")"

refcodes() { "$target/release/refcodes" --database-url "$url" --as "$operator" "$@"; }
index_names() { refcodes doctor --indexes --json | grep -o '"name": *"[a-z_]*"' | cut -d'"' -f4; }
drop_indexes() { for name in $(index_names); do psql "$url" -qX -c "DROP INDEX IF EXISTS $name"; done; }
drop_indexes # a run stopped half-way may have left them

create_indexes() { refcodes doctor --indexes | psql "$url" -qX -v ON_ERROR_STOP=1; psql "$url" -qX -c "ANALYZE"; }

if [[ " $parts " == *" tui "* ]]; then
    tui() {
        "$target/release/examples/bench_tui" --database-url "$url" --operator "$operator" >"$dir/$1"
        cat "$dir/$1"
    }
    log "bench_tui without indexes (PhoenixKit as it is)"
    tui without
    log "the indexes doctor suggests"
    create_indexes
    log "bench_tui with them"
    tui with
    drop_indexes
    echo
    echo "figure without_indexes with_indexes without/with"
    join <(sed 's/=/ /' "$dir/without" | sort) <(sed 's/=/ /' "$dir/with" | sort) |
        while read -r name a b; do echo "$name $a $b $(ratio "$a" "$b")"; done
fi

if [[ " $parts " == *" use "* ]]; then
    log "use: the indexes doctor suggests (the lookup without case needs one on both sides)"
    create_indexes
    use_bin() { "$target/release/examples/bench_use" --database-url "$url" --operator "$operator" "$@"; }
    log "use: prepare (settings, 100,000 spread codes, the hot code)"
    use_bin --prepare-only
    q "CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.codes, bench.users;
       CREATE TABLE bench.codes (n int PRIMARY KEY, code text NOT NULL);
       INSERT INTO bench.codes SELECT 0, 'BENCH-HOT';
       INSERT INTO bench.codes SELECT row_number() OVER (ORDER BY code), code
           FROM phoenix_kit_referral_codes WHERE description = 'bench spread';
       CREATE TABLE bench.users (n bigint PRIMARY KEY, uuid uuid NOT NULL)"
    ncodes=$(q "SELECT max(n) FROM bench.codes")
    q "VACUUM ANALYZE"
    stride=$((2000 * seconds)) # fresh users per pgbench client: 2,000 transactions a second each, at most

    # baseline MODE: fresh users, pgbench, a check of what it wrote; prints its tps.
    baseline() {
        local kmin=1 kmax=$ncodes n=$((clients * stride)) run out tps done rows
        [[ $1 == hot ]] && kmin=0 kmax=0
        run=$(date +%s%N)
        q "TRUNCATE bench.users;
           WITH u AS (INSERT INTO phoenix_kit_users (uuid, email, hashed_password, inserted_at, updated_at)
               SELECT uuid_generate_v7(), 'pgbench-$run-' || g || '@bench.invalid', 'x', now(), now()
               FROM generate_series(0, $n - 1) g RETURNING uuid, email)
           INSERT INTO bench.users SELECT split_part(split_part(email, '@', 1), '-', 3)::bigint + 1, uuid FROM u;
           ANALYZE bench.users"
        pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" -f bench/redeem_phoenixkit.sql \
            -D kmin="$kmin" -D kmax="$kmax" -D stride="$stride" -D n=0 "$url" >"$dir/pgbench.out" 2>&1 || true
        cat "$dir/pgbench.out" >&2
        out=$(<"$dir/pgbench.out")
        tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
        done=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
        rows=$(q "SELECT count(*) FROM phoenix_kit_referral_code_usage x JOIN bench.users b ON b.uuid = x.used_by_uuid")
        [[ -n $tps && $rows == "$done" ]] || {
            echo "pgbench run not usable: tps=$tps transactions=$done usage rows=$rows" >&2
            exit 1
        }
        echo "$tps"
    }
    summary=()
    run_rounds phoenixkit spread hot
    log "use: removing the bench's codes, users, their usage records and the bench schema"
    q "DELETE FROM phoenix_kit_referral_code_usage x USING phoenix_kit_users u
           WHERE u.uuid = x.used_by_uuid AND u.email LIKE '%@bench.invalid';
       DELETE FROM phoenix_kit_users WHERE email LIKE '%@bench.invalid';
       DELETE FROM phoenix_kit_referral_codes WHERE description IN ('bench spread', 'bench hot');
       DROP SCHEMA bench CASCADE"
    q "VACUUM ANALYZE"
    drop_indexes
    echo
    printf '%s\n' "${summary[@]}"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
