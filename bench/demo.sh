#!/bin/sh
# demo of CODES sample codes into a new SQLite file (one transaction, the indexes that check nothing set aside)
# and into one that holds a code already (a transaction per 1,000 codes, indexes kept), alternating, twice.
# Usage: cargo build --release && bench/demo.sh CODES   (REFCODES: the binary; DB: the file, deleted first)
set -e
R=${REFCODES:-target/release/refcodes}
DB=${DB:-/tmp/refcodes_demo_bench.db}
for round in 1 2; do
  for kind in new held; do
    rm -f "$DB" "$DB-wal" "$DB-shm"
    "$R" --database-url "sqlite://$DB" init --owner me@example.com >/dev/null
    if [ "$kind" = held ]; then
      "$R" --database-url "sqlite://$DB" --as me@example.com codes create --code HELD --description held >/dev/null
    fi
    /usr/bin/time -f "round=$round $kind: %e s, peak RSS %M KB" \
      "$R" --database-url "sqlite://$DB" --as me@example.com demo --codes "$1" --yes --json >/dev/null
  done
done
