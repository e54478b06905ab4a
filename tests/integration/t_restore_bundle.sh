#!/usr/bin/env bash
# Restore without a link (PROTOCOL.md 9.5): an offline-only laptop whose
# key is restored onto an empty store learns its chain's head from a
# bundle of its own batches (tally import --head-from), records again at
# head + 1, and the central, given both bundles, applies the whole chain
# and freezes nothing.  A bundle without the key's batches, or with a
# fork in them, teaches nothing; a known head is not replaced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
url=$(central_url c)
import_central() {
	"$BIN/tally" import --central "$url" --central-key "$T/keys/c.pub" "$1"
}

note "an offline-only laptop records three areas and exports them"
start_daemon d
for a in A01 A02 A03; do
	tly d record "$RECORDS/$a-na.json" >/dev/null
done
tly d export --out "$T/d1.bundle" >/dev/null
import_central "$T/d1.bundle" >/dev/null
dev=$(tly d status --json | jq -r .device)
stop d

note "its key is restored onto an empty store, with no central"
mkdir -p "$T/r/data"
cp "$T/d/data/device.key" "$T/r/data/device.key"
start_daemon r
rc=0
out=$(tly r record "$RECORDS/A04-na.json" 2>&1) || rc=$?
expect_eq "nothing signed before the head is known: exit" "$rc" 1
expect_match "says how without a link" "$out" "tally import --head-from FILE"

note "a bundle of another laptop teaches nothing"
start_daemon o
tly o record "$RECORDS/A05-na.json" >/dev/null
tly o export --out "$T/o.bundle" >/dev/null
rc=0
out=$(tly r import --head-from "$T/o.bundle" 2>&1) || rc=$?
expect_eq "no own batches: exit" "$rc" 1
expect_match "no own batches: says so" "$out" "no_own_batches: .*no valid batch of this device's key"

note "a bundle whose own batches fork teaches nothing"
for i in 0 1 2; do bundle_entry "$T/d1.bundle" "$i" >"$T/m$i.msg"; done
forge -k "$T/r/data/device.key" -e "$ELECTION" -s 3 -P "$T/m1.msg" \
    -M "$T/fork.msg" "$RECORDS/A06-na.json" >/dev/null
make_bundle "$T/fork.bundle" "$T/m0.msg" "$T/m1.msg" "$T/m2.msg" "$T/fork.msg"
rc=0
out=$(tly r import --head-from "$T/fork.bundle" 2>&1) || rc=$?
expect_eq "fork: exit" "$rc" 1
expect_match "fork: says so" "$out" "equivocation: .*two different batches of this key for seq 3"
make_bundle "$T/gap.bundle" "$T/m0.msg" "$T/m2.msg" "$T/fork.msg"
rc=0
out=$(tly r import --head-from "$T/gap.bundle" 2>&1) || rc=$?
expect_eq "two seq 3 with a gap: exit" "$rc" 1
rc=0
out=$(tly r record "$RECORDS/A04-na.json" 2>&1) || rc=$?
expect_eq "still nothing signed" "$rc" 1

note "its own bundle: head 3, and the chain goes on at 4"
out=$(tly r import --head-from "$T/d1.bundle")
expect_match "learned" "$out" "head: seq 3 .* learned from 3 of this laptop's batches .* the next batch is seq 4"
rc=0
out=$(tly r import --head-from "$T/d1.bundle" 2>&1) || rc=$?
expect_eq "a known head is kept: exit" "$rc" 1
expect_match "a known head is kept: code" "$out" "head_known"
out=$(tly r record "$RECORDS/A04-na.json")
expect_match "continues at seq 4" "$out" "batch 4 "
tly r export --out "$T/r.bundle" >/dev/null
expect_eq "the export holds only what was signed here" "$(bundle_count "$T/r.bundle")" 1

note "at the central: the whole chain, no fork"
import_central "$T/r.bundle" >/dev/null
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "not frozen" "$(jq .frozen <<<"$head")" null
expect_eq "applied through the restore" "$(jq .applied <<<"$head")" 4
expect_eq "no evidence" "$(curl -sf "$url/v1/evidence" | jq '.evidence | length')" 0
echo "PASS"
