#!/usr/bin/env bash
# 'tally verify' step 8 among a bundle's own entries (PROTOCOL.md 10),
# by the merge engine's per-device rules: the same batch twice and two
# batches with one seq are seq_conflict, a prev that names no entry one
# seq below is chain_broken, and a gap is no error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

keygen k
key=$T/keys/k.key
x1=$(forge -k "$key" -e "$ELECTION" -s 1 -M "$T/x1.msg" "$RECORDS/A01-na.json")
forge -k "$key" -e "$ELECTION" -s 2 -p "$x1" -M "$T/x2.msg" \
    "$RECORDS/A02-na.json" >/dev/null
forge -k "$key" -e "$ELECTION" -s 4 -p "$x1" -M "$T/x4.msg" \
    "$RECORDS/A04-na.json" >/dev/null
make_bundle "$T/good.bundle" "$T/x4.msg" "$T/x2.msg" "$T/x1.msg"
"$BIN/tally" verify "$T/good.bundle" >/dev/null ||
    fail "a chain with a gap, out of order, does not verify"

forge -k "$key" -e "$ELECTION" -s 1 -M "$T/y1.msg" "$RECORDS/A03-na.json" >/dev/null
forge -k "$key" -e "$ELECTION" -s 3 -p "$x1" -M "$T/x3.msg" \
    "$RECORDS/A03-na.json" >/dev/null
make_bundle "$T/bad.bundle" "$T/x1.msg" "$T/x2.msg" "$T/x2.msg" \
    "$T/y1.msg" "$T/x3.msg"
out=$("$BIN/tally" verify --json "$T/bad.bundle" 2>/dev/null) &&
    fail "verify accepted two histories"
expect_eq "codes by entry" "$(jq -c '[.entries[] | .code]' <<<"$out")" \
    '["seq_conflict",null,"seq_conflict","seq_conflict","chain_broken"]'
expect_match "the duplicate names the first copy" \
    "$(jq -r '.entries[2].detail' <<<"$out")" "same batch is also at index 1"
expect_match "seq 1 names the other batch" \
    "$(jq -r '.entries[0].detail' <<<"$out")" "different batch .* index 3"
expect_match "the broken link names seq 2" \
    "$(jq -r '.entries[4].detail' <<<"$out")" "is not the id of seq 2 \(index 1\)"
echo "PASS"
