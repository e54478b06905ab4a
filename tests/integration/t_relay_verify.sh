#!/usr/bin/env bash
# A relay applies exactly the central's entry checks (PROTOCOL.md 10
# steps 1-7).  A forged batch whose record raises W3 without an
# explanation is refused by 'tally verify', by the central and by a
# relaying daemon alike, all with bad_record; the relay stores nothing,
# so nothing is re-sent and the central's rejection log stays empty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
start_daemon b c			# laptop B: linked to the central
keygen f				# a device that never met B

# W3: 100 * invalid > 10 * received, and no explanation.
jq '.invalid = 200 | .valid = 952 | del(.marks) |
    .votes = {"NA1.1": 400, "NA1.2": 700, "NA1.3": 300, "NA1.4": 500}' \
    "$RECORDS/A01-na.json" >"$T/w3.json"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -o "$T/w3.bundle" \
    "$T/w3.json" >/dev/null

out=$("$BIN/tally" verify --json --election "$ELECTION" "$T/w3.bundle") &&
    fail "verify accepted the W3 batch: $out"
expect_eq "verify: code" "$(jq -r '.entries[0].code' <<<"$out")" bad_record
expect_match "verify: rule named" "$(jq -r '.entries[0].detail' <<<"$out")" W3

out=$(upload c "$T/w3.bundle")
expect_eq "central: status" "$(cat "$T/last_status")" 422
expect_eq "central: code" "$(jq -r '.results[0].error.code' <<<"$out")" bad_record
expect_eq "central: one rejection row" \
    "$(central_db c "select count(*) from rejections")" 1

out=$(tly b import --json "$T/w3.bundle") && fail "B took the W3 batch: $out"
expect_eq "relay: status" "$(jq -r '.results[0].status' <<<"$out")" rejected
expect_eq "relay: code" "$(jq -r '.results[0].error.code' <<<"$out")" bad_record
expect_match "relay: rule named" "$(jq -r '.results[0].error.message' <<<"$out")" W3
expect_eq "relay: nothing relayed" \
    "$(tly b status --json | jq '[.relayed[]] | add')" 0

# Nothing is pending, so syncing sends nothing and the central's
# rejection log does not grow.
sync_idle b c 1
# A batch "created" in 1970 or in 2100 is refused everywhere as bad_batch
# (PROTOCOL.md 4).
for t in 0 4102444800; do
	forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -t "$t" -o "$T/t$t.bundle" \
	    "$RECORDS/A02-na.json" >/dev/null
	out=$("$BIN/tally" verify --json "$T/t$t.bundle") &&
	    fail "verify accepted created $t: $out"
	expect_eq "verify: created $t" "$(jq -r '.entries[0].code' <<<"$out")" bad_batch
	out=$(upload c "$T/t$t.bundle")
	expect_eq "central: created $t" "$(jq -r '.results[0].error.code' <<<"$out")" bad_batch
	out=$(tly b import --json "$T/t$t.bundle") && fail "B took created $t: $out"
	expect_eq "relay: created $t" "$(jq -r '.results[0].error.code' <<<"$out")" bad_batch
done
echo "PASS"
