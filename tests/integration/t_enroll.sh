#!/usr/bin/env bash
# Enrollment end to end with the real tally binary: authority init ->
# enroll request -> cert issue -> enroll install -> cert show; and the
# refusals this layer can make: a certificate from another key than the
# authority, an expired certificate, a definition altered after signing,
# a forged decision, a certificate for another device key.
. "$(dirname "$0")/lib.sh"

A=$T/authority
D=$T/laptop
mkdir -p "$A" "$D"
tally() { "$BIN/tally" "$@"; }

# The authority, with its key encrypted under a passphrase.
echo "committee passphrase" >"$A/pass"
out=$(tally authority init -o "$A/auth" --passphrase-fd 3 3<"$A/pass")
expect_match "authority key id" "$out" "authority key: [0-9a-f]{64}"
expect_eq "secret key mode" "$(stat -c %a "$A/auth.key")" 600
expect_match "authority key is encrypted" "$(cat "$A/auth.key")" \
    "^tally-ed25519-encrypted [0-9a-f]{64} argon2id13 "
tally authority init -o "$A/auth" 2>"$T/err" && fail "authority key overwritten"
expect_match "no overwrite" "$(cat "$T/err")" "already exists"

# The laptop asks: fingerprint, QR code and a request file.
out=$(tally enroll request --key "$D/device.key" --name laptop-A01)
dev=$(sed -n 's/^device key: //p' <<<"$out")
expect_match "device key id" "$dev" "^[0-9a-f]{64}$"
expect_match "fingerprint printed" "$out" "${dev:0:4} ${dev:4:4} ${dev:8:4}"
expect_match "QR code printed" "$out" "█"
[ -s "$D/device.req" ] || fail "no request file"
out=$(tally cert show "$D/device.req")
expect_match "request shows its device" "$out" "device key: $dev"

# The authority certifies A01 and A02 at level na.
tally cert issue --authority "$A/auth.key" --request "$D/device.req" \
    2>"$T/err" --election "$ELECTION" --areas A02,A01 --levels na \
    --not-after 2099-01-01 --serial 1 --out "$A/a01.cert" && fail "issued without the passphrase"
expect_match "encrypted key needs its passphrase" "$(cat "$T/err")" "passphrase"
out=$(tally cert issue --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --request "$D/device.req" --election "$ELECTION" --areas A02,A01 \
    --levels na --not-after 2099-01-01 --serial 1 --out "$A/a01.cert" --qr)
expect_match "issue shows the scope" "$out" "clerk for areas A01,A02, levels na"
set +e
tally cert issue --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --request "$D/device.req" --election "$ELECTION" --areas A01,Z99 \
    --levels na --not-after 2099-01-01 --serial 1 --out "$T/x" 2>"$T/err"
rc=$?
set -e
expect_eq "an area outside the election" "$rc" 2
expect_match "names the area" "$(cat "$T/err")" "Z99"

# The laptop installs it beside its key and shows scope and expiry.
out=$(tally enroll install --key "$D/device.key" --authority "$A/auth.pub" "$A/a01.cert")
expect_match "installed" "$out" "installed $D/device.cert"
out=$(tally cert show --authority "$A/auth.pub" --election "$ELECTION" "$D/device.cert")
expect_match "scope" "$out" "areas A01,A02, levels na"
expect_match "expiry" "$out" "to 2099-01-01 00:00:00 UTC"
expect_match "checked signer" "$out" "(the authority)"

# Refused: a certificate another key signed.
tally authority init -o "$T/rogue" >/dev/null
tally cert issue --authority "$T/rogue.key" --request "$D/device.req" \
    --election "$ELECTION" --areas '*' --levels '*' --not-after 2099-01-01 \
    --serial 1 --out "$T/rogue.cert" >/dev/null
tally enroll install --key "$D/device.key" --authority "$A/auth.pub" \
    "$T/rogue.cert" 2>"$T/err" && fail "installed a rogue certificate"
expect_match "rogue refused" "$(cat "$T/err")" "not signed by the authority"
tally cert show --authority "$A/auth.pub" "$T/rogue.cert" 2>"$T/err" &&
    fail "a rogue certificate shows as good"

# Refused: an expired certificate (and one checked at a time past it).
tally cert issue --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --request "$D/device.req" --election "$ELECTION" --areas A01 --levels na \
    --not-before 2020-01-01 --not-after 2020-12-31 --serial 2 \
    --out "$A/old.cert" >/dev/null
tally enroll install --key "$D/device.key" --authority "$A/auth.pub" \
    "$A/old.cert" 2>"$T/err" && fail "installed an expired certificate"
expect_match "expired refused" "$(cat "$T/err")" "expired"
tally cert show --authority "$A/auth.pub" "$A/old.cert" 2>"$T/err" >/dev/null &&
    fail "an expired certificate shows as good"
expect_match "expired named" "$(cat "$T/err")" "expired"
tally cert show --authority "$A/auth.pub" --at 2100-01-01 "$D/device.cert" \
    2>"$T/err" >/dev/null && fail "valid after not_after"
tally cert show --authority "$A/auth.pub" --at 2020-06-01 "$A/old.cert" >/dev/null

# Refused: a certificate for another device's key.
mkdir -p "$T/other"
tally enroll request --key "$T/other/device.key" --no-qr >/dev/null
tally enroll install --key "$T/other/device.key" "$A/a01.cert" 2>"$T/err" &&
    fail "installed another device's certificate"
expect_match "other key refused" "$(cat "$T/err")" "another key"

# The signed definition, and one altered after signing.
tally election sign --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --out "$A/election.sig" "$ELECTION" >/dev/null
out=$(tally cert show --authority "$A/auth.pub" --election "$ELECTION" "$A/election.sig")
expect_match "definition signed" "$out" "signed by the authority"
sed 's/"A01"/"A0l"/' "$ELECTION" >"$T/altered.json"
cmp -s "$ELECTION" "$T/altered.json" && fail "the definition was not altered"
tally cert show --authority "$A/auth.pub" --election "$T/altered.json" \
    "$A/election.sig" 2>"$T/err" && fail "an altered definition verified"
expect_match "altered named" "$(cat "$T/err")" "altered after signing"

# Decisions: an adjudicator's stands; a clerk's (forged) is refused.
mkdir -p "$T/adj"
tally enroll request --key "$T/adj/device.key" --name committee --no-qr >/dev/null
tally cert issue --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --request "$T/adj/device.req" --election "$ELECTION" --role adjudicator \
    --areas '*' --levels '*' --not-after 2099-01-01 --serial 3 \
    --out "$A/adj.cert" >/dev/null
batch=$(printf 'b%.0s' {1..64} | tr b a)
tally decision unfreeze --key "$T/adj/device.key" --election "$ELECTION" \
    --device "$dev" --batch "$batch" --seq 2 --note "restored laptop" \
    --out "$T/unfreeze.dec" >/dev/null
out=$(tally cert show --authority "$A/auth.pub" --election "$ELECTION" \
    --cert "$A/adj.cert" "$T/unfreeze.dec")
expect_match "decision allowed" "$out" "allows this decision"
tally decision resolve --key "$D/device.key" --election "$ELECTION" \
    --area A01 --level na --round 1 --record "$batch:0" --over "$batch:0" \
    --out "$T/forged.dec" >/dev/null
tally cert show --authority "$A/auth.pub" --election "$ELECTION" \
    --cert "$A/adj.cert" "$T/forged.dec" 2>"$T/err" >/dev/null &&
    fail "a forged decision was allowed"
expect_match "forged refused" "$(cat "$T/err")" "not_certified"
# A byte flipped in a decision breaks its signature.
byte=$(od -An -tu1 -j120 -N1 "$T/unfreeze.dec")
printf "\\$(printf %o $(( byte ^ 1 )))" |
    dd of="$T/unfreeze.dec" bs=1 seek=120 conv=notrunc status=none
tally cert show "$T/unfreeze.dec" 2>"$T/err" >/dev/null && fail "a damaged decision verified"
expect_match "damaged decision" "$(cat "$T/err")" "signature"

# Revocation: the list grows and its serial rises.
tally revoke --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --list "$A/revoked.bin" --election "$ELECTION" 2 >/dev/null
out=$(tally revoke --authority "$A/auth.key" --passphrase-fd 3 3<"$A/pass" \
    --list "$A/revoked.bin" --election "$ELECTION" --at 2026-06-01 1)
expect_match "list 2" "$out" "revocation list 2: 2 certificates revoked"
out=$(tally cert show --authority "$A/auth.pub" "$A/revoked.bin")
expect_match "serial 1 revoked" "$out" "revoked 1 from 2026-06-01"
tally cert show --authority "$T/rogue.pub" "$A/revoked.bin" 2>/dev/null >/dev/null &&
    fail "a list verified under another authority"
echo "PASS"
