#!/usr/bin/env bash
# A laptop restored from a backup of its key signs seq 1 again: a second
# history (B1, B2) beside the delivered one (seq 1..4).  The central
# freezes the device at seq 1 and applies none of its batches.  Keeping
# the old history's last batch keeps the whole chain through it (every
# ancestor by prev), so the freeze lifts and seq 1..4 apply again; the
# restored history is overruled and stays as evidence (PROTOCOL.md 12.3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

trust_init
certify "$T/adj.key" 1 adjudicator
CENTRAL_EXTRA=$CLOSED start_central c
url=$(central_url c)
start_daemon d c
dev=$(tly d status --json | jq -r .device)
certify "$(daemon_key d)" 2 clerk
post_cert c 2

for a in A01 A02 A03 A04; do
	tly d record "$RECORDS/$a-na.json" >/dev/null
done
sync_until_done d
st=$(tly d status --json)
b4=$(jq -r '.batches[] | select(.seq == 4) | .batch' <<<"$st")
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "applied before the restore" "$(jq .applied <<<"$head")" 4

# The restored laptop: seq 1 and 2 again, with other records.
x1=$(forge -k "$(daemon_key d)" -e "$ELECTION" -s 1 -M "$T/x1.msg" \
    "$RECORDS/A05-na.json")
forge -k "$(daemon_key d)" -e "$ELECTION" -s 2 -p "$x1" -M "$T/x2.msg" \
    "$RECORDS/A06-na.json" >/dev/null
make_bundle "$T/restored.bundle" "$T/x1.msg" "$T/x2.msg"
upload c "$T/restored.bundle" >/dev/null
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "frozen at seq 1" "$(jq .frozen <<<"$head")" 1
expect_eq "nothing applied while frozen at 1" "$(jq .applied <<<"$head")" 0

# The adjudicator keeps the old history's head: the chain through it
# stands.
out=$("$BIN/tally" decision unfreeze --key "$T/adj.key" --election "$ELECTION" \
    --device "$dev" --batch "$b4" --seq 4 --central "$url" \
    2>"$T/unfreeze.err") || fail "unfreeze: $(cat "$T/unfreeze.err")"
expect_match "the central stored the decision" "$out" "stored by the central"
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "not frozen after keeping the old head" "$(jq .frozen <<<"$head")" null
expect_eq "the old chain applies again" "$(jq .applied <<<"$head")" 4
ev=$(curl -sf "$url/v1/evidence")
expect_eq "the proofs stay, resolved" \
    "$(jq -c '[.evidence[].resolved] | unique' <<<"$ev")" '[true]'
expect_eq "keys of the old chain only" \
    "$(curl -sf "$url/v1/state-hash" | jq .keys)" 4
echo "PASS"
