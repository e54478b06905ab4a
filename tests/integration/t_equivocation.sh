#!/usr/bin/env bash
# Equivocation: a device's key signs two different batches with the same
# seq.  The central keeps both as evidence (GET /v1/evidence), freezes the
# device (its later batches are stored and receipted but not applied),
# and only an adjudicator's signed decision (tally decision unfreeze,
# POST /v1/decisions) lifts the freeze.
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

tly d record "$RECORDS/A01-na.json" >/dev/null
tly d record "$RECORDS/A02-na.json" >/dev/null
sync_until_done d
st=$(tly d status --json)
b1=$(jq -r '.batches[] | select(.seq == 1) | .batch' <<<"$st")
b2=$(jq -r '.batches[] | select(.seq == 2) | .batch' <<<"$st")
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "applied before" "$(jq .applied <<<"$head")" 2
expect_eq "not frozen before" "$(jq .frozen <<<"$head")" null
expect_eq "keys before" "$(curl -sf "$url/v1/state-hash" | jq .keys)" 2

# The same key signs another seq 2 (A03 instead of A02), chained on seq 1.
forged=$(forge -k "$(daemon_key d)" -e "$ELECTION" -s 2 -p "$b1" \
    -M "$T/forged.msg" -o "$T/forged.bundle" "$RECORDS/A03-na.json")
[ "$forged" != "$b2" ] || fail "the forged batch equals the real one"
body=$(upload c "$T/forged.bundle")
expect_eq "upload status" "$(cat "$T/last_status")" 422
expect_eq "entry status" "$(jq -r '.results[0].status' <<<"$body")" equivocation
expect_eq "entry code" "$(jq -r '.results[0].error.code' <<<"$body")" equivocation
expect_match "the message names the other batch" \
    "$(jq -r '.results[0].error.message' <<<"$body")" "$b2"
[ "$(jq -r '.results[0].receipt' <<<"$body")" != null ] ||
    fail "an equivocation is stored, so it has a receipt"
note "forged seq 2 ${forged:0:16} kept as evidence against ${b2:0:16}"

# Both are evidence, byte for byte; the device is frozen at 2.
ev=$(curl -sf "$url/v1/evidence")
expect_eq "frozen devices" "$(jq -c '.frozen' <<<"$ev")" "[{\"device\":\"$dev\",\"seq\":2}]"
expect_eq "proofs" "$(jq '.evidence | length' <<<"$ev")" 1
expect_eq "proof kind" "$(jq -r '.evidence[0].kind' <<<"$ev")" same_seq
expect_eq "proof device" "$(jq -r '.evidence[0].device' <<<"$ev")" "$dev"
expect_eq "proof seq" "$(jq -r '.evidence[0].seq' <<<"$ev")" 2
expect_eq "proof not resolved" "$(jq -r '.evidence[0].resolved' <<<"$ev")" false
# An operator sees it in plain words.
st=$("$BIN/tally" status --central "$url")
expect_match "central status names the frozen device" "$st" "FROZEN +device ${dev:0:16} from seq 2"
expect_match "central status lists the proof" "$st" "proof +device ${dev:0:16} seq 2 \(same_seq\)"
expect_eq "central status JSON" "$("$BIN/tally" status --central "$url" --json | jq .status.frozen)" 1
want=$(printf '%s\n%s\n' "$b2" "$forged" | LC_ALL=C sort | jq -R . | jq -sc .)
expect_eq "proof batches, smaller id first" "$(jq -c '.evidence[0].batches' <<<"$ev")" "$want"
for i in 0 1; do
	jq -r ".evidence[0].bytes[$i]" <<<"$ev" | base64 -d >"$T/proof$i"
	expect_eq "proof bytes $i hash to the batch id" \
	    "$(b2sum -l 256 "$T/proof$i" | cut -d' ' -f1)" \
	    "$(jq -r ".evidence[0].batches[$i]" <<<"$ev")"
done
cmp -s "$T/forged.msg" "$T/proof0" || cmp -s "$T/forged.msg" "$T/proof1" ||
    fail "the forged batch's bytes are not in the proof"
# Anyone can check the proof offline: both verify, and conflict.
make_bundle "$T/proof.bundle" "$T/proof0" "$T/proof1"
out=$("$BIN/tally" verify --json "$T/proof.bundle" 2>/dev/null) || true
expect_eq "proof batches are both signed by the device" \
    "$(jq -r '[.entries[].device] | unique | join(",")' <<<"$out")" "$dev"

head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "frozen at" "$(jq .frozen <<<"$head")" 2
expect_eq "applied while frozen" "$(jq .applied <<<"$head")" 1
expect_eq "keys while frozen (seq 2 is not applied)" \
    "$(curl -sf "$url/v1/state-hash" | jq .keys)" 1

# Later batches of the frozen device are stored and receipted, not applied.
tly d record "$RECORDS/A04-na.json" >/dev/null
tly d record "$RECORDS/A05-na.json" >/dev/null
SYNC_OUTCOME=frozen sync_until_done d
b3=$(tly d status --json | jq -r '.batches[] | select(.seq == 3) | .batch')
expect_eq "held batches of the device" \
    "$(central_db c "select count(*) from batches where lower(hex(device)) = '$dev'")" 5
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "head counts held seqs" "$(jq .head <<<"$head")" 4
expect_eq "still applied" "$(jq .applied <<<"$head")" 1
expect_eq "still frozen" "$(jq .frozen <<<"$head")" 2
expect_eq "keys with later batches held" "$(curl -sf "$url/v1/state-hash" | jq .keys)" 1
# Seq 3 names the real seq 2 as prev: against the forged seq 2 that is a
# second proof (prev_mismatch: seq 2's forgery, then seq 3).  Proofs are
# sorted by device, seq, first id, second id.
ev=$(curl -sf "$url/v1/evidence")
lo=$(printf '%s\n%s\n' "$b2" "$forged" | LC_ALL=C sort | head -n 1)
hi=$(printf '%s\n%s\n' "$b2" "$forged" | LC_ALL=C sort | tail -n 1)
want=$(printf '2 same_seq %s %s\n2 prev_mismatch %s %s\n' "$lo" "$hi" "$forged" "$b3" |
    LC_ALL=C sort -k3,3 -k4,4)
expect_eq "proofs with seq 3 held" \
    "$(jq -r '.evidence[] | "\(.seq) \(.kind) \(.batches[0]) \(.batches[1])"' <<<"$ev")" "$want"

# A replay of the forged batch is a duplicate with its first receipt.
body2=$(upload c "$T/forged.bundle")
expect_eq "replayed forgery" "$(jq -r '.results[0].status' <<<"$body2")" duplicate
expect_eq "replayed forgery's receipt" "$(jq -r '.results[0].receipt' <<<"$body2")" \
    "$(jq -r '.results[0].receipt' <<<"$body")"
hash_frozen=$(curl -sf "$url/v1/state-hash" | jq -r .state_hash)

# The operator's command is gone: it points at the signed decision.
set +e
"$BIN/tally-central" -c "$T/c/central.conf" unfreeze "$dev" --keep "$b2" \
    >/dev/null 2>"$T/unfreeze.err"
rc_op=$?
# decide BATCH: the adjudicator keeps BATCH at seq 2, posted to the central.
decide() {
	"$BIN/tally" decision unfreeze --key "$T/adj.key" --election "$ELECTION" \
	    --device "$dev" --batch "$1" --seq 2 --central "$url" \
	    --note "the real seq 2" 2>"$T/decide.err"
}
decide "$b3$b3" >/dev/null
rc_bad=$?
decide "$(printf '%064d' 0)" >/dev/null
rc_none=$?
set -e
expect_eq "tally-central unfreeze refuses" "$rc_op" 2
expect_match "and names the signed decision" "$(cat "$T/unfreeze.err")" "tally decision unfreeze"
expect_eq "a decision with a malformed batch id" "$rc_bad" 2
expect_eq "a decision keeping a batch not held" "$rc_none" 1
expect_match "the central says why" "$(cat "$T/decide.err")" "not_held"
expect_eq "still frozen after refused decisions" \
    "$(curl -sf "$url/v1/devices/$dev/head" | jq .frozen)" 2
expect_eq "the state hash did not move" \
    "$(curl -sf "$url/v1/state-hash" | jq -r .state_hash)" "$hash_frozen"

# Keep the real seq 2: the forgery is overruled, the chain applies again.
out=$(decide "$b2") || fail "unfreeze: $out $(cat "$T/decide.err")"
expect_match "the central stored the decision" "$out" "stored by the central"
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "frozen after unfreeze" "$(jq .frozen <<<"$head")" null
expect_eq "applied after unfreeze" "$(jq .applied <<<"$head")" 4
sh=$(curl -sf "$url/v1/state-hash")
expect_eq "keys after unfreeze (A01, A02, A04, A05)" "$(jq .keys <<<"$sh")" 4
[ "$(jq -r .state_hash <<<"$sh")" != "$hash_frozen" ] ||
    fail "the state hash did not change with the decision"
ev=$(curl -sf "$url/v1/evidence")
expect_eq "evidence stays" "$(jq '.evidence | length' <<<"$ev")" 2
expect_eq "evidence resolved" "$(jq -c '[.evidence[].resolved]' <<<"$ev")" '[true,true]'
expect_eq "no frozen devices" "$(jq -c .frozen <<<"$ev")" "[]"
expect_eq "the decision is listed" "$(jq -c '[.kept[] | .device, .batch, .seq]' <<<"$ev")" \
    "[\"$dev\",\"$b2\",2]"

# The decision is durable: the same state after a restart.
kill9 c
CENTRAL_EXTRA=$CLOSED start_central c "$(cat "$T/c/port")"
expect_eq "state hash after a restart" \
    "$(curl -sf "$url/v1/state-hash" | jq -r .state_hash)" "$(jq -r .state_hash <<<"$sh")"
expect_eq "the forged record never counted" \
    "$(central_db c "select count(*) from batches where hex(id) = upper('$forged')")" 1
echo "PASS"
