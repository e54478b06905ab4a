#!/usr/bin/env bash
# A damaged bundle file (PROTOCOL.md 7.1): one flipped bit, a damaged
# length field or a truncated file no longer throws the good entries
# away.  'tally verify' reports the file-level failure, names each entry
# that fails and passes each that verifies on its own; 'tally import'
# sends the good ones and names the others; both exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
start_daemon d -			# a field daemon with no link at all
record_all d "$RECORDS"/A0[1-3]-na.json
tly d export --out "$T/good.bundle" >/dev/null
for i in 0 1 2; do
	id[$i]=$("$BIN/tally" verify --json "$T/good.bundle" | jq -r ".entries[$i].batch")
done

# 1. One bit flipped inside entry 1, the trailer hash left as it was.
cp "$T/good.bundle" "$T/flip.bundle"
off=$(( $(bundle_offset "$T/good.bundle" 1) + 4 + 150 ))
byte=$(od -An -tu1 -j"$off" -N1 "$T/flip.bundle" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 4)))" |
    dd of="$T/flip.bundle" bs=1 seek="$off" conv=notrunc status=none
out=$("$BIN/tally" verify --json --election "$ELECTION" "$T/flip.bundle" 2>"$T/err") &&
    fail "verify accepted a damaged file: $out"
expect_eq "flip: file-level failure" "$(jq -r .damaged.code <<<"$out")" bad_bundle
expect_match "flip: the failure is the hash" "$(jq -r .damaged.message <<<"$out")" "hash"
expect_eq "flip: entries found" "$(jq .batches <<<"$out")" 3
expect_eq "flip: good entries" "$(jq -c '[.entries[] | .ok]' <<<"$out")" '[true,false,true]'
expect_eq "flip: entry 1 named" "$(jq -r '.entries[1].code' <<<"$out")" bad_signature
expect_eq "flip: entry 0 is the original" "$(jq -r '.entries[0].batch' <<<"$out")" "${id[0]}"
expect_eq "flip: entry 2 is the original" "$(jq -r '.entries[2].batch' <<<"$out")" "${id[2]}"
expect_match "flip: stderr says so" "$(cat "$T/err")" "damaged"
human=$("$BIN/tally" verify "$T/flip.bundle" 2>&1) && fail "verify exit 0"
expect_match "flip: text names entry 1" "$human" "BAD +1 .*bad_signature"
expect_match "flip: text passes entry 2" "$human" "ok +2 device"

out=$("$BIN/tally" import --json "$T/flip.bundle" --central "$(central_url c)" \
    --central-key "$T/keys/c.pub" 2>/dev/null) && fail "import exit 0: $out"
expect_eq "import: entry 0 stored" "$(jq -r '.results[0].status' <<<"$out")" stored
expect_eq "import: entry 1 not sent" "$(jq -r '.results[1].status' <<<"$out")" not_sent
expect_eq "import: entry 1's code" "$(jq -r '.results[1].error.code' <<<"$out")" bad_signature
expect_eq "import: entry 2 held (seq 2 is missing)" "$(jq -r '.results[2].status' <<<"$out")" pending
expect_eq "import: file-level failure" "$(jq -r .damaged.code <<<"$out")" bad_bundle
expect_eq "central holds entries 0 and 2" \
    "$(central_db c "select count(*) from batches where lower(hex(id)) in ('${id[0]}', '${id[2]}')")" 2
expect_eq "the damaged entry never reached the central" \
    "$(central_db c "select count(*) from rejections")" 0

# 2. The high byte of entry 1's length field damaged: the entry is found
# by its magic and ends where entry 2 begins, so all three verify.
cp "$T/good.bundle" "$T/len.bundle"
printf '\377' | dd of="$T/len.bundle" bs=1 seek="$(bundle_offset "$T/good.bundle" 1)" \
    conv=notrunc status=none
out=$("$BIN/tally" verify --json "$T/len.bundle" 2>/dev/null) && fail "verify exit 0 (length)"
expect_eq "length: file-level failure" "$(jq -r .damaged.code <<<"$out")" bad_bundle
expect_eq "length: all three good" "$(jq -c '[.entries[] | .batch]' <<<"$out")" \
    "$(jq -nc --arg a "${id[0]}" --arg b "${id[1]}" --arg c "${id[2]}" '[$a,$b,$c]')"
expect_eq "length: none bad" "$(jq .bad <<<"$out")" 0
out=$("$BIN/tally" import --json "$T/len.bundle" --central "$(central_url c)" 2>/dev/null) &&
    fail "import exit 0 (length)"
expect_eq "length: entry 1 now stored" "$(jq -r '.results[] | select(.batch == "'"${id[1]}"'") | .status' <<<"$out")" stored
expect_eq "central head at the end" \
    "$(curl -sf "$(central_url c)/v1/devices/$(tly d status --json | jq -r .device)/head" | jq .head)" 3

# 3. A file cut short inside entry 2: entries 0 and 1 survive.
size=$(( $(bundle_offset "$T/good.bundle" 2) + 200 ))
head -c "$size" "$T/good.bundle" >"$T/cut.bundle"
out=$("$BIN/tally" verify --json "$T/cut.bundle" 2>/dev/null) && fail "verify exit 0 (cut)"
expect_eq "cut: verdicts" "$(jq -c '[.entries[] | .ok]' <<<"$out")" '[true,true,false]'
expect_eq "cut: entry 2's code" "$(jq -r '.entries[2].code' <<<"$out")" truncated

# 4. Nothing recognisable at all: refused, as before.
head -c 4000 /dev/urandom | tr -d 'T' >"$T/junk.bundle"
out=$("$BIN/tally" verify --json "$T/junk.bundle" 2>/dev/null) && fail "verify took junk"
expect_eq "junk: error" "$(jq -r .error.code <<<"$out")" bad_bundle
echo "PASS"
