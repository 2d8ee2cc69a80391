"""SQLite redemption baseline: one thread driving SQLite directly with prepared statements (Python's sqlite3
module caches them), 32 redemptions per transaction, for T seconds: the conditional UPDATE that takes a use and
the usage INSERT for an existing user, as the sqlite3 replay of bench/compare.sh sends them. Prints
`<redemptions committed> <seconds> <cpu seconds>` on one line. It stops early when the users FIRST_USER to
LAST_USER are used up (the seconds are then those it ran), so a fast run is not cut short by a count of users.

usage: python3 bench/redeem_sqlite.py FILE SECONDS FIRST_USER LAST_USER CODES_FILE NOW [hot HOT_ID]
CODES_FILE holds `id|code` lines (the spread codes); NOW is the redemption time as SQLite text."""

import random
import sqlite3
import sys
import time

PER_TRANSACTION = 32
UPDATE = (
    "UPDATE phoenix_kit_referral_codes SET number_of_uses = number_of_uses + 1 WHERE upper(code) = ? AND status "
    "AND number_of_uses < max_uses AND (expiration_date IS NULL OR expiration_date > ?) AND EXISTS (SELECT 1 FROM "
    "phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND value = 'true') RETURNING id"
)
INSERT = (
    "INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT ?, u.id, ? FROM "
    "phoenix_kit_users u WHERE u.id = ? ON CONFLICT (code_id, used_by) DO NOTHING RETURNING id"
)


def main():
    path, seconds, user, last = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    codes_file, now = sys.argv[5], sys.argv[6]
    if len(sys.argv) > 7 and sys.argv[7] == "hot":
        codes = ["BENCH-HOT"]
    else:
        with open(codes_file) as f:
            codes = [line.rstrip("\n").split("|", 1)[1] for line in f if line.strip()]
    db = sqlite3.connect(path, isolation_level=None, cached_statements=16)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON"):
        db.execute("PRAGMA " + pragma)
    rng = random.Random(42)
    done = 0
    cpu0, start = time.process_time(), time.monotonic()
    end = start + seconds
    while time.monotonic() < end and user + PER_TRANSACTION - 1 <= last:
        db.execute("BEGIN IMMEDIATE")
        for _ in range(PER_TRANSACTION):
            code = codes[rng.randrange(len(codes))]
            row = db.execute(UPDATE, (code, now)).fetchone()
            if row is not None and db.execute(INSERT, (row[0], now, user)).fetchone() is not None:
                done += 1
            user += 1
        db.execute("COMMIT")
    print(done, round(time.monotonic() - start, 3), round(time.process_time() - cpu0, 3))


main()
