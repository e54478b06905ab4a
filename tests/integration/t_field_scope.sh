#!/usr/bin/env bash
# A field daemon holds the part of the definition its certificate's
# scope needs (PROTOCOL.md 9.8): GET /v1/election serves that part, the
# status names the whole file's hash, the areas of the scope are
# recorded as before and another area's record is refused (H1).  As a
# relay it judges the records of its own areas (step 7) and leaves the
# others to the central.  Without a certificate it holds everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

"$BIN/tally" authority init -o "$T/auth" >/dev/null
mkdir -p "$T/keys"
"$BIN/tally" enroll request --key "$T/keys/b.key" --name b --no-qr >/dev/null
"$BIN/tally" cert issue --authority "$T/auth.key" --request "$T/keys/b.req" \
    --election "$ELECTION" --areas A01,A02 --levels '*' --serial 1 \
    --not-after 2099-01-01 --out "$T/keys/b.cert" >/dev/null

start_central c
start_daemon b c "key $T/keys/b.key"
get() { curl -s --unix-socket "$T/$1/tallyd.sock" "http://tallyd$2"; }

def=$(get b /v1/election)
expect_eq "areas held" "$(jq -c '[.areas[].id]' <<<"$def")" '["A01","A02"]'
expect_eq "constituencies held" "$(jq -c '[.constituencies[].id]' <<<"$def")" \
    '["NA-1","P-1"]'
expect_eq "the rest as in the file" "$(jq -c 'del(.areas, .constituencies)' <<<"$def")" \
    "$(jq -c 'del(.areas, .constituencies)' "$ELECTION")"
expect_eq "an area as in the file" "$(jq -c '.areas[1]' <<<"$def")" \
    "$(jq -c '.areas[] | select(.id == "A02")' "$ELECTION")"
expect_eq "status: the whole file's hash" \
    "$(tly b status --json | jq -r .election.hash)" \
    "$(b2sum -l 256 "$ELECTION" | cut -d' ' -f1)"
grep -q "2 polling areas kept (the certificate's scope)" "$T/b/tallyd.log" ||
    fail "the log does not say what was kept"

record_all b "$RECORDS"/A01-*.json "$RECORDS"/A02-*.json
out=$(tly b record "$RECORDS/A05-na.json" 2>&1) && fail "A05 was signed: $out"
expect_match "another area: H1" "$out" "H1.*A05"
sync_until_done b
expect_eq "central: the four records" \
    "$(central_db c "select count(*) from records")" 4

# As a relay: another device's batch of A05 passes at B and goes on to
# the central, which judges it; one of A01 is judged at B.
keygen f
jq '.invalid = 200 | .valid = 952 | del(.marks) |
    .votes = {"NA1.1": 400, "NA1.2": 700, "NA1.3": 300, "NA1.4": 500}' \
    "$RECORDS/A01-na.json" >"$T/w3.json"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -o "$T/w3.bundle" \
    "$T/w3.json" >/dev/null
out=$(tly b import --json "$T/w3.bundle") && fail "B took the W3 batch: $out"
expect_eq "relay, own area: code" "$(jq -r '.results[0].error.code' <<<"$out")" bad_record
jq '.area = "A05"' "$T/w3.json" >"$T/w3-a05.json"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -o "$T/a05.bundle" \
    "$T/w3-a05.json" >/dev/null
out=$(tly b import --json "$T/a05.bundle") || fail "B refused A05's batch: $out"
expect_eq "relay, other area: stored" "$(jq -r '.results[0].status' <<<"$out")" stored
out=$(tly b sync --json || true)
expect_eq "central: rejected for good" "$(jq -r .rejected <<<"$out")" 1
expect_eq "central: its rejection row" \
    "$(central_db c "select count(*) from rejections")" 1

# The definition must not change while it is read: not testable from
# outside without a race; without a certificate the daemon holds it all.
start_daemon d -
expect_eq "no certificate: every area" \
    "$(get d /v1/election | jq '.areas | length')" 10
grep -q "10 polling areas kept (all)" "$T/d/tallyd.log" ||
    fail "the log does not say all were kept"
echo "PASS"
