#!/usr/bin/env bash
# An upload that waits for the store must not hold up other requests.
# The store's write lock is held from outside (sqlite3, BEGIN IMMEDIATE),
# so an upload waits in its handler for the lock (seconds) and then
# fails.  All that time, on a central with `threads 1`, GET /v1/key on
# other connections must be answered at once (each within 3 seconds,
# well under the wait): with a pool of polling threads, the blocked
# handler would hold up every connection of its thread.  Then the lock
# is released and uploads are stored.
. "$(dirname "$0")/lib.sh"
loadgen_province
CENTRAL_EXTRA="threads 1" start_central c
url=$(central_url c)
curl -sf "$url/v1/key" >/dev/null || fail "GET /v1/key"

note "the store's write lock, held from outside"
lock_store c

note "one upload waits for the lock; GET /v1/key meanwhile"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 1 -r 4 -c 1 \
    >"$T/blocked.out" 2>&1 &
lgpid=$!
n=0
while kill -0 "$lgpid" 2>/dev/null; do
	curl -sf --max-time 3 "$url/v1/key" >/dev/null ||
	    fail "GET /v1/key not answered within 3 s while an upload waits"
	n=$((n + 1))
done
wait "$lgpid" || true
cat "$T/blocked.out"
# It fails when the lock does not come (the store gives up after its
# busy timeout); what matters here is that it waited in its handler.
expect_match "the upload waited, in vain" "$(cat "$T/blocked.out")" \
    'entries stored 0, .* failures 1: '
[ "$n" -ge 2 ] || fail "only $n GET while the upload waited"
note "$n GET /v1/key answered while the upload waited"

note "lock released: uploads are stored"
unlock_store
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 20 -r 4 -c 8 \
    >"$T/after.out" 2>&1 || { cat "$T/after.out"; fail "loadgen after"; }
expect_match "stored" "$(grep '^RESULT ' "$T/after.out")" \
    ' batches=20 ok=20 fails=0 '
echo "PASS"
