#!/usr/bin/env bash
# The field daemon's side of trust: receipts count only from the central
# the authority certified; a central key that does not match says so with
# both keys; the device's own certificate shows in tally status; an
# encrypted device key needs its passphrase on a file descriptor.
. "$(dirname "$0")/lib.sh"

A=$T/authority
mkdir -p "$A"
tally() { "$BIN/tally" "$@"; }
tally authority init -o "$A/auth" >/dev/null
keygen c
keygen rogue
tally cert central --authority "$A/auth.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 100 \
    --out "$A/central.cert" >/dev/null
start_central c
start_central rogue

# An enrolled laptop: request, certificate, install.
mkdir -p "$T/a/data"
tally enroll request --key "$T/a/data/device.key" --name laptop-a >/dev/null
tally cert issue --authority "$A/auth.key" --request "$T/a/data/device.req" \
    --election "$ELECTION" --areas A01,A02 --levels na \
    --not-after 2099-01-01 --serial 1 --out "$A/a.cert" >/dev/null
tally enroll install --key "$T/a/data/device.key" --authority "$A/auth.pub" \
    "$A/a.cert" >/dev/null

# Laptop a talks to the rogue address but trusts the certified central:
# the rogue's receipts are refused, in words that name both keys.
start_daemon a - "central $(central_url rogue)" "authority $A/auth.pub" \
    "central-cert $A/central.cert"
tly a record "$RECORDS/A01-na.json" >/dev/null
out=$(tly a sync 2>&1) && fail "a receipt from an uncertified central counted: $out"
st=$(tly a status --json)
expect_eq "nothing acknowledged" "$(jq -r .counts.acknowledged <<<"$st")" 0
expect_match "the error says the keys differ" "$(jq -r .last_error <<<"$st")" \
    "does not match the one configured"
expect_match "names the rogue key" "$(jq -r .last_error <<<"$st")" \
    "$(awk '{print $2}' "$T/keys/rogue.pub")"
out=$(tly a status)
expect_match "status shows the scope" "$out" "certificate:  certificate 1: clerk for areas A01,A02, levels na"
expect_match "status shows the expiry" "$out" "to 2099-01-01"
expect_match "status: central certified" "$out" "central key:  certified"
stop a

# The same laptop pointed at the certified central delivers.
sed -i "s#^central .*#central $(central_url c)#" "$T/a/tallyd.conf"
rm -f "$T/a/ready"; mkfifo "$T/a/ready"
"$BIN/tallyd" -c "$T/a/tallyd.conf" -R 3 3>"$T/a/ready" 2>>"$T/a/tallyd.log" &
echo $! >"$T/a/pid"; PIDS+=("$(cat "$T/a/pid")")
wait_ready "$T/a/ready" >/dev/null || fail "a did not restart"
sync_until_done a
expect_eq "acknowledged by the certified central" \
    "$(tly a status --json | jq -r .counts.acknowledged)" 1

# Refused at start: central-key disagreeing with central-cert, a central
# certificate from another authority, central-cert without authority.
conf=$T/a/tallyd.conf
check() { "$BIN/tallyd" -n -c "$1" 2>"$T/err"; }
cp "$conf" "$T/k.conf"; echo "central-key $T/keys/rogue.pub" >>"$T/k.conf"
check "$T/k.conf" && fail "started with a central-key the certificate denies"
expect_match "mismatch names both" "$(cat "$T/err")" "certifies the central key .* but central-key"
tally authority init -o "$T/other" >/dev/null
tally cert central --authority "$T/other.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 1 \
    --out "$T/other.cert" >/dev/null
sed "s#^central-cert .*#central-cert $T/other.cert#" "$conf" >"$T/o.conf"
check "$T/o.conf" && fail "started with a central certificate of another authority"
expect_match "another authority" "$(cat "$T/err")" "central.cert|other.cert"
grep -v '^authority' "$conf" >"$T/n.conf"
check "$T/n.conf" && fail "central-cert without authority"
expect_match "needs authority" "$(cat "$T/err")" "needs 'authority'"

# An encrypted device key: refused without passphrase-fd, fine with it.
mkdir -p "$T/e/data"
echo "laptop secret" >"$T/e/pass"
tally enroll request --key "$T/e/data/device.key" --passphrase-fd 3 \
    3<"$T/e/pass" >/dev/null
cat >"$T/e.conf" <<CONF
datadir $T/e/data
socket $T/e/tallyd.sock
election $ELECTION
CONF
check "$T/e.conf" && fail "an encrypted key started without its passphrase"
expect_match "says how" "$(cat "$T/err")" "encrypted: give its passphrase.*passphrase-fd"
echo "passphrase-fd 4" >>"$T/e.conf"
"$BIN/tallyd" -n -c "$T/e.conf" 4<"$T/e/pass" 2>"$T/err" ||
    fail "the passphrase did not unlock the key: $(cat "$T/err")"
echo "wrong" >"$T/e/bad"
"$BIN/tallyd" -n -c "$T/e.conf" 4<"$T/e/bad" 2>"$T/err" &&
    fail "a wrong passphrase unlocked the key"
echo "PASS"
