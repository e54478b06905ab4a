#!/usr/bin/env bash
# A tampered bundle is rejected on import, names the batch, and changes
# no result; 'tally verify' exits 1 naming it.  A damaged file gives up
# only its damaged entries.
. "$(dirname "$0")/lib.sh"

start_central c
start_daemon d -			# a field daemon with no link at all
record_all d "$RECORDS"/A0[1-3]-na.json
tly d export --out "$T/good.bundle" >/dev/null
"$BIN/tally" verify --election "$ELECTION" "$T/good.bundle" >/dev/null ||
    fail "verify of the untouched bundle"

# Flip one byte inside the second batch's body, then fix the bundle's
# trailer hash so only the batch signature can catch it.
cp "$T/good.bundle" "$T/bad.bundle"
len1=$((16#$(od -An -tx1 -j12 -N4 "$T/good.bundle" | tr -d ' \n')))
off=$((12 + 4 + len1 + 4 + 100))	# 100 bytes into the second entry
byte=$(od -An -tu1 -j"$off" -N1 "$T/bad.bundle" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 1 )))" |
    dd of="$T/bad.bundle" bs=1 seek="$off" conv=notrunc status=none
size=$(stat -c %s "$T/bad.bundle")
head -c $((size - 32)) "$T/bad.bundle" | b2sum -l 256 | cut -d' ' -f1 |
    tr a-f A-F | basenc --base16 -d >"$T/hash"
head -c $((size - 32)) "$T/bad.bundle" >"$T/bad2.bundle"
cat "$T/hash" >>"$T/bad2.bundle"
mv "$T/bad2.bundle" "$T/bad.bundle"

bad_id=$("$BIN/tally" verify --json "$T/good.bundle" | jq -r '.entries[1].batch')
out=$("$BIN/tally" verify "$T/bad.bundle" 2>&1) && fail "verify accepted a tampered bundle"
expect_match "verify names the entry" "$out" "BAD +1 .*bad_signature"

before=$("$BIN/tally" results --central "$(central_url c)" --json)
out=$("$BIN/tally" import "$T/bad.bundle" --central "$(central_url c)" --json) &&
    fail "import of a tampered bundle succeeded"
expect_eq "tampered entry rejected" \
    "$(jq -r '.results[] | select(.index == 1) | .error.code' <<<"$out")" bad_signature
# The batch after the forged one is held, not applied: seq 2 is missing.
expect_eq "the batch after the forged one waits for it" \
    "$(jq -r '.results[] | select(.index == 2) | .status' <<<"$out")" pending
expect_eq "the first batch is stored" \
    "$(jq -r '.results[] | select(.index == 0) | .status' <<<"$out")" stored
after=$("$BIN/tally" results --central "$(central_url c)" --json)
expect_eq "rejection log holds the forged bytes" \
    "$(central_db c "select count(*) from rejections where code = 'bad_signature'")" 1
# Only seq 1 was applied: A01 reports, A02's forged batch did not count.
rep=$(jq '.levels[] | select(.level == "na") | .reporting' <<<"$after")
expect_eq "only the untampered first batch applied" "$rep" 1
[ "$(jq '[.levels[].reporting] | add' <<<"$before")" = 0 ] ||
    fail "results were not empty before the import"

# A bundle with a byte flipped and no hash fix is damaged as a file:
# the damage is reported and the damaged entry (0) is not sent, but the
# good entries are salvaged (PROTOCOL.md 7.1; more in t_salvage): the
# genuine seq 2 arrives and the held seq 3 is applied after it.
cp "$T/good.bundle" "$T/raw.bundle"
printf 'X' | dd of="$T/raw.bundle" bs=1 seek=200 conv=notrunc status=none
out=$("$BIN/tally" import "$T/raw.bundle" --central "$(central_url c)" 2>&1) &&
    fail "import of a damaged bundle succeeded"
expect_match "damaged bundle error" "$out" "not a valid bundle.*salvaging"
expect_match "the damaged entry is named" "$out" "0  not sent"
rep=$("$BIN/tally" results --central "$(central_url c)" --json |
    jq '.levels[] | select(.level == "na") | .reporting')
expect_eq "the salvaged batches applied" "$rep" 3
echo "PASS"
