#!/usr/bin/env bash
# A relay: laptop A has no link; its bundle is carried to laptop B, whose
# daemon takes it (tally import) and forwards it to the central.  The
# batches arrive verified and unchanged: same batch ids, same bytes.  A
# bundle with one byte altered (and its trailer hash recomputed, so only
# the batch signature can tell) is refused by B, which names the batch,
# and nothing of it reaches the central.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
start_daemon a -			# laptop A: no link at all
start_daemon b c			# laptop B: linked to the central
dev_a=$(tly a status --json | jq -r .device)

tly a record "$RECORDS/A01-na.json" >/dev/null
jq -s '.' "$RECORDS"/A02-*.json >"$T/two.json"	# an array: one batch
tly a record "$T/two.json" >/dev/null
tly a record "$RECORDS/A03-na.json" >/dev/null
tly b record "$RECORDS/A04-na.json" >/dev/null	# B's own work, too
tly a export --out "$T/a.bundle" >/dev/null
"$BIN/tally" verify --election "$ELECTION" "$T/a.bundle" >/dev/null ||
    fail "A's bundle does not verify"
n=$(bundle_count "$T/a.bundle")
expect_eq "entries in A's bundle" "$n" 3

# B takes the bundle and forwards it with its own batch.
out=$(tly b import --json "$T/a.bundle") || fail "B refused A's bundle: $out"
expect_eq "B stored A's batches" "$(jq .stored <<<"$out")" 3
sync_until_done b
expect_eq "central head of A's device" \
    "$(curl -sf "$(central_url c)/v1/devices/$dev_a/head" | jq .head)" 3

# The central holds each of A's batches byte for byte: the same id (the
# hash of the bytes) and the same bytes as A exported.
for i in $(seq 0 $((n - 1))); do
	bundle_entry "$T/a.bundle" "$i" >"$T/entry$i"
	id=$(b2sum -l 256 "$T/entry$i" | cut -d' ' -f1)
	expect_eq "entry $i is A's batch id" \
	    "$("$BIN/tally" verify --json "$T/a.bundle" | jq -r ".entries[$i].batch")" "$id"
	expect_eq "entry $i at the central" \
	    "$(central_db c "select count(*) from batches where hex(id) = upper('$id')")" 1
	central_db c "select hex(bytes) from batches where hex(id) = upper('$id')" |
	    tr -d '\n' | basenc --base16 -d >"$T/stored$i"
	cmp -s "$T/entry$i" "$T/stored$i" || fail "entry $i: the central's bytes differ from A's"
	expect_eq "entry $i: hash of the central's bytes" \
	    "$(b2sum -l 256 "$T/stored$i" | cut -d' ' -f1)" "$id"
	expect_eq "entry $i: device" \
	    "$(central_db c "select lower(hex(device)) from batches where hex(id) = upper('$id')")" "$dev_a"
done
expect_eq "central records of A" \
    "$(central_db c "select count(*) from records where lower(hex(device)) = '$dev_a'")" 4
expect_eq "nothing rejected" "$(central_db c "select count(*) from rejections")" 0
note "A's $n batches reached the central through B unchanged"

# A works on; its next bundle is damaged on the way: one byte of the new
# batch (seq 4, the last entry) flipped, the trailer hash made to match.
tly a record "$RECORDS/A05-na.json" >/dev/null
tly a export --out "$T/a2.bundle" >/dev/null
bundle_entry "$T/a2.bundle" 3 >"$T/good4"
good_id=$(b2sum -l 256 "$T/good4" | cut -d' ' -f1)
flip_byte "$T/a2.bundle" "$T/bad.bundle" 3 100
bundle_entry "$T/bad.bundle" 3 >"$T/bad4"
bad_id=$(b2sum -l 256 "$T/bad4" | cut -d' ' -f1)
[ "$bad_id" != "$good_id" ] || fail "the byte flip changed nothing"
"$BIN/tally" verify "$T/bad.bundle" >/dev/null 2>&1 &&
    fail "verify accepted the altered bundle"

out=$(tly b import --json "$T/bad.bundle") && fail "B accepted an altered bundle: $out"
expect_eq "altered entry refused" \
    "$(jq -r '.results[3].status' <<<"$out")" rejected
expect_eq "altered entry's code" \
    "$(jq -r '.results[3].error.code' <<<"$out")" bad_signature
expect_eq "altered entry named by its batch id" \
    "$(jq -r '.results[3].batch' <<<"$out")" "$bad_id"
expect_eq "the untouched entries are duplicates" \
    "$(jq '[.results[0:3][] | .status] | unique' -c <<<"$out")" '["duplicate"]'
human=$(tly b import "$T/bad.bundle" 2>&1) && fail "B accepted an altered bundle"
expect_match "the human answer names the batch" "$human" "${bad_id:0:16}.*bad_signature"
sync_until_done b
expect_eq "the altered batch is not at the central" \
    "$(central_db c "select count(*) from batches where hex(id) in (upper('$bad_id'), upper('$good_id'))")" 0
expect_eq "central head of A after the altered bundle" \
    "$(curl -sf "$(central_url c)/v1/devices/$dev_a/head" | jq .head)" 3

# The intact bundle still goes through.
out=$(tly b import --json "$T/a2.bundle") || fail "B refused the intact bundle: $out"
sync_until_done b
expect_eq "the intact batch at the central" \
    "$(central_db c "select count(*) from batches where hex(id) = upper('$good_id')")" 1
expect_eq "central head of A at the end" \
    "$(curl -sf "$(central_url c)/v1/devices/$dev_a/head" | jq .head)" 4
echo "PASS"
