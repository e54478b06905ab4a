#!/usr/bin/env bash
# Restore without forking (PROTOCOL.md 9.5): the device key restored
# from a backup onto an empty store learns its head from the central and
# continues at head + 1, so the central applies every area and freezes
# nothing.  Without a central to ask, tally record is refused and says
# why and what to do; nothing is signed.
. "$(dirname "$0")/lib.sh"

start_central c
url=$(central_url c)
start_daemon d c
dev=$(tly d status --json | jq -r .device)
for a in A01 A02 A03; do
	tly d record "$RECORDS/$a-na.json" >/dev/null
done
sync_until_done d
stop d

# The laptop is reinstalled: its key from the backup, an empty store, and
# first no way to the central.
mkdir -p "$T/r/data"
cp "$T/d/data/device.key" "$T/r/data/device.key"
start_daemon r - "central http://127.0.0.1:1" "central-key $T/keys/c.pub" \
    "connect-timeout 2"
set +e
out=$(tly r record "$RECORDS/A04-na.json" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a restored key signed without knowing its head"
expect_match "says why" "$out" "device key existed before"
expect_match "says what to do" "$out" "tally sync"
expect_eq "nothing signed" "$(tly r status --json | jq '.batches | length')" 0
stop r

# With the central reachable it learns head 3 and goes on at 4.
sed -i -e "s#^central .*#central $url#" -e '/^connect-timeout/d' "$T/r/tallyd.conf"
rm -f "$T/r/ready"; mkfifo "$T/r/ready"
"$BIN/tallyd" -c "$T/r/tallyd.conf" -R 3 3>"$T/r/ready" 2>>"$T/r/tallyd.log" &
echo $! >"$T/r/pid"; PIDS+=("$(cat "$T/r/pid")")
wait_ready "$T/r/ready" >/dev/null || fail "r did not restart"
out=$(tly r record "$RECORDS/A04-na.json")
expect_match "continues at seq 4" "$out" "batch 4 "
tly r record "$RECORDS/A05-na.json" >/dev/null
sync_until_done r
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "not frozen" "$(jq .frozen <<<"$head")" null
expect_eq "applied through the restore" "$(jq .applied <<<"$head")" 5
expect_eq "every area counts" "$(curl -sf "$url/v1/state-hash" | jq .keys)" 5
expect_eq "no evidence" "$(curl -sf "$url/v1/evidence" | jq '.evidence | length')" 0
# Applied through seq 5 with no evidence: seq 4's prev is the old seq 3.
expect_eq "own batches here" \
    "$(tly r status --json | jq -r '[.batches[].seq] | join(",")')" "4,5"
echo "PASS"
