#!/usr/bin/env bash
# A batch the central rejects for good (a verdict on the batch itself,
# PROTOCOL.md 9.1) becomes "rejected" at the daemon, with the central's
# code and message: tally status shows it and counts it apart, and it is
# never sent again, so the central's rejection log does not grow.  A
# rejection that depends on the central's configuration (seq_gap,
# unknown_device, ...) is not final and is retried.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
start_daemon b c			# laptop B relays, linked to the central
keygen f				# another device

# The central holds 16 different batches of device f with seq 1 (an
# equivocation, kept as evidence); a 17th passes steps 1-7, so the relay
# takes it, but the central refuses it at step 8 with seq_conflict.
msgs=()
for i in $(seq 1 16); do
	forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -t $((1700000000 + i)) \
	    -M "$T/m$i" "$RECORDS/A03-na.json" >/dev/null
	msgs+=("$T/m$i")
done
make_bundle "$T/sixteen.bundle" "${msgs[@]}"
upload c "$T/sixteen.bundle" >/dev/null
expect_eq "the central holds 16" "$(central_db c "select count(*) from batches")" 16
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -t 1700000100 \
    -o "$T/broken.bundle" "$RECORDS/A03-na.json" >/dev/null
out=$(tly b import --json "$T/broken.bundle") || fail "B refused the batch: $out"
expect_eq "relay stored it" "$(jq .stored <<<"$out")" 1
tly b record "$RECORDS/A01-na.json" >/dev/null	# B's own work

out=$(tly b sync --json) || fail "first sync: $out"
expect_eq "first sync: nothing pending" "$(jq .pending <<<"$out")" 0
expect_eq "first sync: outcome" "$(jq -r .outcome <<<"$out")" ok
expect_eq "first sync: one rejected" "$(jq .rejected <<<"$out")" 1
expect_eq "one rejection row at the central" \
    "$(central_db c "select count(*) from rejections")" 1

st=$(tly b status --json)
expect_eq "relayed rejected" "$(jq .relayed.rejected <<<"$st")" 1
expect_eq "relayed pending" "$(jq '.relayed.sealed + .relayed.sent' <<<"$st")" 0
expect_eq "own batch acknowledged" "$(jq .counts.acknowledged <<<"$st")" 1
expect_eq "own rejected" "$(jq .counts.rejected <<<"$st")" 0
human=$(tly b status)
expect_match "status counts it apart" "$human" "relayed: .*1 REJECTED"
expect_match "status says so" "$human" "rejected: +1 batch refused for good"
[[ $human != *"everything is acknowledged"* ]] ||
    fail "status claims everything is acknowledged: $human"
human=$(tly b sync) || fail "sync with a rejected batch: $human"
expect_match "sync says so" "$human" "1 batch was rejected for good"

# Several more attempts: nothing is sent again.
sync_idle b c 1

# The code and message are kept in the store, and survive a restart.
db=$T/b/data/tallyd.db
expect_eq "stored code" \
    "$(sqlite3 "$db" "select reject_code from relay")" seq_conflict
[ -n "$(sqlite3 "$db" "select reject_message from relay")" ] ||
    fail "no rejection message stored"
stop b
start_daemon b c
out=$(tly b sync --json) || fail "sync after restart: $out"
expect_eq "after restart: pending" "$(jq .pending <<<"$out")" 0
expect_eq "after restart: rejected" "$(jq .rejected <<<"$out")" 1
expect_eq "the rejection log still did not grow" \
    "$(central_db c "select count(*) from rejections")" 1

# Taking the same bundle in again changes nothing.
out=$(tly b import --json "$T/broken.bundle") || fail "re-import: $out"
expect_eq "re-import: duplicate" "$(jq -r '.results[0].status' <<<"$out")" duplicate
out=$(tly b sync --json) || fail "sync after re-import: $out"
expect_eq "after re-import: pending" "$(jq .pending <<<"$out")" 0
expect_eq "rejection log unchanged at the end" \
    "$(central_db c "select count(*) from rejections")" 1
echo "PASS"
