#!/usr/bin/env bash
# A store locked from outside (a backup, an operator's sqlite3 holding
# the write lock) answers uploads 503 busy with Retry-After once the
# store's busy timeout (5 s, PROTOCOL.md 8.5) is over, not 500, and
# changes nothing; reads still answer (WAL mode).  Once the lock is
# released, the same upload is stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
url=$(central_url c)
keygen f
keygen g
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -t 1700000001 \
    -o "$T/one.bundle" "$RECORDS/A01-na.json" >/dev/null
forge -k "$T/keys/g.key" -e "$ELECTION" -s 1 -t 1700000002 \
    -o "$T/two.bundle" "$RECORDS/A03-na.json" >/dev/null
upload c "$T/one.bundle" >/dev/null
expect_eq "first upload" "$(cat "$T/last_status")" 200

note "the store's write lock, held from outside"
lock_store c

# The lock is released only after this answer: an answer at all, within
# the bound of --max-time, is one given while the lock was held.
code=$(curl -s --max-time 8 -o "$T/busy.ans" -D "$T/busy.hdr" \
    -w '%{http_code}' -H 'Content-Type: application/vnd.tally.bundle' \
    --data-binary @"$T/two.bundle" "$url/v1/batches") ||
    fail "no answer while the store is locked (curl exit $?)"
expect_eq "upload under the lock: status" "$code" 503
expect_eq "upload under the lock: code" \
    "$(jq -r .error.code "$T/busy.ans")" busy
grep -qi '^Retry-After: [1-9]' "$T/busy.hdr" ||
    fail "503 without Retry-After: $(cat "$T/busy.hdr")"
expect_eq "nothing stored under the lock" \
    "$(central_db c "select count(*) from batches")" 1

note "reads answer under the lock"
for p in /v1/results /v1/feed /v1/status; do
	code=$(curl -s --max-time 8 -o /dev/null -w '%{http_code}' "$url$p") ||
	    fail "GET $p: no answer under the lock"
	expect_eq "GET $p under the lock" "$code" 200
done

note "lock released: the same upload is stored"
unlock_store
upload c "$T/two.bundle" >/dev/null
expect_eq "upload after the lock" "$(cat "$T/last_status")" 200
expect_eq "batches stored" \
    "$(central_db c "select count(*) from batches")" 2
echo "PASS"
