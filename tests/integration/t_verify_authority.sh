#!/usr/bin/env bash
# Offline checks with the authority's key alone, on the real binaries:
# an enrolled laptop records, syncs to a certified central and exports a
# bundle that carries its receipts and certificates (PROTOCOL.md 7.2);
# tally verify --authority accepts it, and without --authority or
# --election says which checks it skipped.  tally audit recomputes the
# central's results from its feed and finds them matching; a feed with
# an entry left out differs, naming the constituency and field, and a
# rogue entry is refused.  A rogue key's bundle fails verify
# (not_certified), and so does a bundle whose receipt another central
# key made.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

A=$T/authority
tally() { "$BIN/tally" "$@"; }
trust_init
keygen c
tally cert central --authority "$A/auth.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 100 \
    --out "$A/central.cert" >/dev/null

# enroll NAME SERIAL AREAS: a laptop key in $T/NAME/data, certified
# (lib.sh's certify) and installed beside the key.
enroll() {
	mkdir -p "$T/$1/data"
	certify "$T/$1/data/device.key" "$2" clerk "$3"
	tally enroll install --key "$T/$1/data/device.key" \
	    --authority "$A/auth.pub" "$A/certs/$2.cert" >/dev/null
}
enroll a 1 A01,A02
enroll b 2 A03

closed=$(printf '%s\n' "$CLOSED" "central-cert $A/central.cert")
CENTRAL_MODE=live CENTRAL_EXTRA=$closed start_central c
DAEMON_MODE=live start_daemon a c "authority $A/auth.pub" \
    "central-cert $A/central.cert"
record_all a "$RECORDS/A01-na.json" "$RECORDS/A02-na.json"
sync_until_done a
out=$(tly a export --out "$T/a.bundle")
expect_match "export counts the companions" "$out" \
    "exported 2 batches with 4 receipts and trust objects"
expect_eq "a bundle with companions is version 2" \
    "$(od -An -tu1 -j8 -N1 "$T/a.bundle" | tr -d ' ')" 2

note "a restored key learns its head from a bundle with companions"
mkdir -p "$T/ra/data"
cp "$T/a/data/device.key" "$T/a/data/device.cert" "$T/ra/data/"
DAEMON_MODE=live start_daemon ra - "authority $A/auth.pub"
out=$(tly ra import --head-from "$T/a.bundle") ||
    fail "head from a version 2 bundle: $out"
expect_match "head learned past the companions" "$out" "head: seq 2 "
stop ra

note "the whole chain, under the authority's key"
out=$(tally verify --authority "$A/auth.pub" --election "$ELECTION" \
    "$A/election.sig" "$T/a.bundle") || fail "verify --authority failed: $out"
expect_match "batches received" "$out" "ok   0 device .* seq 1 .*received [0-9]+"
expect_match "central certified" "$out" "ok   [0-9]+ central certificate serial 100"
expect_match "clerk certificate" "$out" "ok   [0-9]+ clerk certificate serial 1 "
expect_match "receipts" "$out" "ok   [0-9]+ receipt for batch"
expect_match "definition" "$out" "definition statement for election .*the definition given"
grep -q "not checked" <<<"$out" && fail "a full check skipped something: $out"
js=$(tally verify --json --authority "$A/auth.pub" --election "$ELECTION" \
    "$A/election.sig" "$T/a.bundle")
expect_eq "json: files" "$(jq '.files | length' <<<"$js")" 2
expect_eq "json: bundle ok" "$(jq '.files[1].ok' <<<"$js")" 2
expect_eq "json: objects ok" \
    "$(jq '[.files[1].objects[] | select(.ok)] | length' <<<"$js")" 4

note "the audit: the feed recomputed with the central's engines matches"
record_all a "$RECORDS/A01-prov.json"
sync_until_done a
url=$(central_url c)
out=$(tally audit --feed "$url" --authority "$A/auth.pub") ||
    fail "audit of an honest central: $out"
expect_match "results match" "$(tail -n 1 <<<"$out")" "^results match$"
expect_match "every batch verified" "$out" "feed: 3 entries, 3 batches verified, 0 refused"
grep -q "without a certified receipt" <<<"$out" &&
    fail "the feed's receipts gave no receipt times: $out"
expect_match "state hash" "$out" \
    "state hash $(curl -s "$url/v1/state-hash" | jq -r .state_hash)"

note "the audit: a feed with one entry left out differs, and says where"
curl -s "$url/v1/feed?after=0" >"$T/feed.json"
tally audit --feed "$T/feed.json" --central "$url" --authority "$A/auth.pub" \
    --election "$ELECTION" >/dev/null || fail "audit of the saved feed"
jq -c 'del(.entries[0])' "$T/feed.json" >"$T/cut.json"
set +e
out=$(tally audit --feed "$T/cut.json" --central "$url" \
    --authority "$A/auth.pub" 2>&1)
rc=$?
set -e
expect_eq "cut feed: exit" "$rc" 1
cid=$(jq -r .constituency "$RECORDS/A01-na.json")
expect_match "cut feed: the constituency and field named" "$out" \
    "DIFF level na, constituency $cid, reporting: central [0-9]+, recomputed [0-9]+"
expect_match "cut feed: state hash" "$out" "DIFF state hash: central [0-9a-f]{64}, recomputed [0-9a-f]{64}"
expect_match "cut feed: verdict" "$(tail -n 1 <<<"$out")" "^results differ: "

note "the audit: a feed entry from a rogue key is refused"
tally keygen -o "$T/rogue" >/dev/null
forge -k "$T/rogue.key" -e "$ELECTION" -s 1 -m live -M "$T/rogue.msg" \
    "$RECORDS/A05-na.json" >/dev/null
rb=$(b2sum -l 256 "$T/rogue.msg" | cut -d' ' -f1)
rd=$(cut -d' ' -f2 "$T/rogue.pub")
jq -c --arg b "$rb" --arg d "$rd" --arg m "$(base64 -w0 "$T/rogue.msg")" \
    '.entries += [{"pos": 99, "batch": $b, "device": $d, "seq": 1, "bytes": $m}]' \
    "$T/feed.json" >"$T/rogue-feed.json"
set +e
out=$(tally audit --feed "$T/rogue-feed.json" --central "$url" \
    --authority "$A/auth.pub" 2>&1)
rc=$?
set -e
expect_eq "rogue feed: exit" "$rc" 1
expect_match "rogue feed: refused" "$out" \
    "REFUSED feed position 99 batch $rb device $rd seq 1: not_certified"

note "without --authority or --election, the skipped checks are named"
out=$(tally verify "$T/a.bundle") || fail "verify: $out"
expect_match "no authority" "$out" "not checked: certificates.*(no --authority)"
expect_match "no election" "$out" "not checked: the election hash.*(no --election)"
expect_match "summary says so" "$(tail -n 1 <<<"$out")" "some checks skipped"
out=$(tally verify --authority "$A/auth.pub" "$T/a.bundle") ||
    fail "verify --authority alone: $out"
expect_match "no statement" "$out" "not checked: the definition's signature"

note "a rogue key's bundle is not certified"
forge -k "$T/rogue.key" -e "$ELECTION" -s 1 -m live -o "$T/rogue.bundle" \
    "$RECORDS/A01-na.json" >/dev/null
set +e
out=$(tally verify --authority "$A/auth.pub" --election "$ELECTION" \
    "$T/rogue.bundle" 2>"$T/err")
rc=$?
set -e
expect_eq "rogue: exit" "$rc" 1
expect_match "rogue: not_certified" "$out" "BAD  0 [0-9a-f]{64}: not_certified: .*[(]device "
expect_match "rogue: the file named" "$(cat "$T/err")" "rogue.bundle: 1 of 1 batch failed"
tally verify --election "$ELECTION" "$T/rogue.bundle" >/dev/null ||
    fail "without --authority the rogue bundle's signatures are fine"

note "a receipt from another central key"
keygen c2
CENTRAL_MODE=live CENTRAL_EXTRA=$CLOSED start_central c2
DAEMON_MODE=live start_daemon b c2 "authority $A/auth.pub"
record_all b "$RECORDS/A03-na.json"
sync_until_done b
tly b export --out "$T/b.bundle" >/dev/null
set +e
out=$(tally verify --authority "$A/auth.pub" --election "$ELECTION" \
    "$A/central.cert" "$T/b.bundle" 2>"$T/err")
rc=$?
set -e
expect_eq "other central: exit" "$rc" 1
expect_match "other central: the receipt" "$out" \
    "BAD  [0-9]+ receipt: not_certified: receipt for batch [0-9a-f]{64} by central key $(cut -d' ' -f2 "$T/keys/c2.pub")"
expect_match "other central: counted" "$(cat "$T/err")" "1 of [0-9]+ receipts and trust objects failed"
echo "PASS"
