#!/usr/bin/env bash
# With a device list, the central takes batches only from listed devices;
# the others are rejected with unknown_device and logged.
. "$(dirname "$0")/lib.sh"

keygen c
start_central c
start_daemon a c
start_daemon b c
dev_a=$(tly a status --json | jq -r .device)
dev_b=$(tly b status --json | jq -r .device)
stop c
printf '# polling area laptops\n\n%s\n' "$dev_a" >"$T/devices"
CENTRAL_EXTRA="devices $T/devices" start_central c "$(cat "$T/c/port")"

tly a record "$RECORDS/A01-na.json" >/dev/null
tly b record "$RECORDS/A02-na.json" >/dev/null
sync_until_done a
out=$(tly b sync --json) && fail "an unlisted device synced: $out"
st=$(tly b status --json)
expect_match "unlisted device's error" "$(jq -r '.batches[0].last_error' <<<"$st")" unknown_device
expect_eq "central holds only the listed device's batch" \
    "$(central_db c "select count(*) from batches")" 1
[ "$(central_db c "select count(*) from rejections where code = 'unknown_device'")" -ge 1 ] ||
    fail "no unknown_device rejection logged"

# A malformed list is a configuration error naming file:line.
stop c
printf '%s\nnot-a-key\n' "$dev_a" >"$T/devices"
set +e
"$BIN/tally-central" -n -c "$T/c/central.conf" 2>"$T/err"
rc=$?
set -e
expect_eq "bad device list exit status" "$rc" 2
expect_match "bad device list message" "$(cat "$T/err")" "devices:2"
echo "PASS"
