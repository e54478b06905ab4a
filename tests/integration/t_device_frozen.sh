#!/usr/bin/env bash
# The laptop whose key the central froze says so (PROTOCOL.md 9.4): a
# copy of its key on an empty store signs seq 1 again, the central
# freezes the device, and the original laptop, whose batches were all
# acknowledged, must not say "everything is acknowledged": tally sync
# exits 1 with the freeze in words, tally status shows FROZEN.  A laptop
# that itself gets `equivocation` back learns it from that answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
url=$(central_url c)
start_daemon d c
dev=$(tly d status --json | jq -r .device)
for a in A01 A02 A03; do
	tly d record "$RECORDS/$a-na.json" >/dev/null
done
sync_until_done d
out=$(tly d status)
expect_match "before: all acknowledged" "$out" "everything is acknowledged"
expect_eq "before: not frozen" "$(tly d status --json | jq .frozen)" null

# The restored copy signs seq 1 again with other records.
forge -k "$(daemon_key d)" -e "$ELECTION" -s 1 -M "$T/x1.msg" \
    "$RECORDS/A05-na.json" >/dev/null
make_bundle "$T/restored.bundle" "$T/x1.msg"
upload c "$T/restored.bundle" >/dev/null
expect_eq "the central froze the device" \
    "$(curl -sf "$url/v1/devices/$dev/head" | jq .frozen)" 1

set +e
out=$(tly d sync 2>&1)
rc=$?
set -e
expect_eq "tally sync exits 1 when frozen" "$rc" 1
expect_match "sync says frozen in words" "$out" "frozen this device's key at seq 1"
[[ $out != *"everything is acknowledged"* ]] || fail "sync: $out"
expect_eq "sync outcome" "$(tly d sync --json | jq -r .outcome)" frozen
out=$(tly d status)
expect_match "status says FROZEN" "$out" "FROZEN: .* at seq 1"
[[ $out != *"everything is acknowledged"* ]] || fail "status: $out"
expect_eq "status JSON" "$(tly d status --json | jq .frozen)" 1

# The freeze is kept across a restart.
stop d
rm -f "$T/d/ready"; mkfifo "$T/d/ready"
"$BIN/tallyd" -c "$T/d/tallyd.conf" -R 3 3>"$T/d/ready" 2>>"$T/d/tallyd.log" &
echo $! >"$T/d/pid"; PIDS+=("$(cat "$T/d/pid")")
wait_ready "$T/d/ready" >/dev/null || fail "d did not restart"
expect_eq "still frozen after a restart" "$(tly d status --json | jq .frozen)" 1

# A second laptop with its own key that is answered `equivocation`.
start_daemon e c
tly e record "$RECORDS/A06-na.json" >/dev/null
forge -k "$(daemon_key e)" -e "$ELECTION" -s 1 -M "$T/y1.msg" \
    "$RECORDS/A07-na.json" >/dev/null
make_bundle "$T/y.bundle" "$T/y1.msg"
upload c "$T/y.bundle" >/dev/null
set +e
out=$(tly e sync 2>&1)
rc=$?
set -e
expect_eq "equivocation: sync exits 1" "$rc" 1
expect_eq "equivocation: frozen at 1" "$(tly e status --json | jq .frozen)" 1
echo "PASS"
