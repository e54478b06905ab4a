#!/usr/bin/env bash
# tally trust push: certificates and revocation lists posted to a running
# central (PROTOCOL.md 8.11), each file named with what it holds and what
# became of it: added, held already, or refused with the central's code.
# Exit 0 when every object was taken, 1 when one was refused or the
# central did not answer, 2 on a usage error.
. "$(dirname "$0")/lib.sh"

A=$T/authority
mkdir -p "$A/certs"
tally() { "$BIN/tally" "$@"; }
tally authority init -o "$A/auth" >/dev/null
tally election sign --authority "$A/auth.key" --out "$A/election.sig" \
    "$ELECTION" >/dev/null
CENTRAL_MODE=live CENTRAL_EXTRA=$(printf '%s\n' "authority $A/auth.pub" \
    "definition-signature $A/election.sig") start_central c
url=$(central_url c)

tally enroll request --key "$T/d1.key" --name laptop-1 --no-qr >/dev/null
tally cert issue --authority "$A/auth.key" --request "$T/d1.req" \
    --election "$ELECTION" --areas A01 --levels '*' --serial 1 \
    --not-after 2099-01-01 --out "$T/d1.cert" >/dev/null
tally revoke --authority "$A/auth.key" --list "$T/revoked" \
    --election "$ELECTION" 7 >/dev/null
tally authority init -o "$T/rogue" >/dev/null
tally cert issue --authority "$T/rogue.key" --request "$T/d1.req" \
    --election "$ELECTION" --areas '*' --levels '*' --serial 9 \
    --not-after 2099-01-01 --out "$T/rogue.cert" >/dev/null

note "new objects are added, each named"
out=$(tally trust push --central "$url" "$T/d1.cert" "$T/revoked")
expect_match "names the certificate" "$out" "d1.cert: device certificate 1 \(laptop-1\): added"
expect_match "names the list" "$out" "revoked: revocation list 1 \(1 revoked\): added"
expect_eq "the central serves the list" "$(curl -sf "$url/v1/trust" | jq .revocations)" 1

note "the same objects again are held, exit 0"
out=$(tally trust push --central "$url" "$T/d1.cert")
expect_match "held" "$out" "d1.cert: device certificate 1 \(laptop-1\): held already"

note "a certificate of another authority is refused, exit 1"
rc=0
out=$(tally trust push --central "$url" "$T/rogue.cert" "$T/d1.cert" 2>"$T/err") || rc=$?
expect_eq "refused: exit" "$rc" 1
expect_match "refused: named with the code" "$out" "rogue.cert: device certificate 9 \(laptop-1\): refused: not_certified"
expect_match "the others still go" "$out" "d1.cert: .*: held already"
expect_match "counts the refused" "$(cat "$T/err")" "1 of 2 objects refused"
echo junk >"$T/junk"
rc=0
out=$(tally trust push --central "$url" "$T/junk" 2>&1) || rc=$?
expect_eq "junk: exit" "$rc" 1
expect_match "junk: named" "$out" "junk: not a trust object: refused"

note "usage and an unreachable central"
rc=0; tally trust push "$T/d1.cert" 2>/dev/null || rc=$?
expect_eq "no --central: exit" "$rc" 2
rc=0; tally trust push --central "$url" 2>/dev/null || rc=$?
expect_eq "no file: exit" "$rc" 2
rc=0; tally trust pull 2>/dev/null || rc=$?
expect_eq "unknown verb: exit" "$rc" 2
rc=0
out=$(tally trust push --central http://127.0.0.1:1 "$T/d1.cert" 2>&1) || rc=$?
expect_eq "no central: exit" "$rc" 1
expect_match "no central: says so" "$out" "cannot reach the central"
echo "PASS"
