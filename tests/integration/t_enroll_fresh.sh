#!/usr/bin/env bash
# A key made by 'tally enroll request' has never signed (PROTOCOL.md
# 9.5): tallyd's first start on it, with no central reachable, records
# at seq 1 and removes the key's ".fresh" stamp.  The same key copied
# without its stamp into an empty data directory stays head_unknown.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/f/data" "$T/r/data"
"$BIN/tally" keygen -o "$T/c" >/dev/null
offline=("central http://127.0.0.1:1" "central-key $T/c.pub" "connect-timeout 2")
"$BIN/tally" enroll request --key "$T/f/data/device.key" --name f \
    --no-qr >/dev/null
[ -f "$T/f/data/device.fresh" ] || fail "enroll request wrote no stamp"
expect_eq "stamp mode" "$(stat -c %a "$T/f/data/device.fresh")" 600
cp "$T/f/data/device.key" "$T/r/data/device.key"

start_daemon f - "${offline[@]}"
out=$(tly f record "$RECORDS/A01-na.json") ||
    fail "a fresh key could not record offline"
expect_match "seq 1" "$out" "batch 1 "
[ ! -e "$T/f/data/device.fresh" ] || fail "the stamp outlived the first start"
stop f

# A second request on the existing key writes no stamp.
"$BIN/tally" enroll request --key "$T/f/data/device.key" --name f \
    --no-qr >/dev/null
[ ! -e "$T/f/data/device.fresh" ] || fail "a stamp for a key that signed"

start_daemon r - "${offline[@]}"
set +e
out=$(tly r record "$RECORDS/A02-na.json" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a key copied without its stamp signed"
expect_match "says why" "$out" "device key existed before"
expect_eq "nothing signed" "$(tly r status --json | jq '.batches | length')" 0
stop r
echo "PASS"
