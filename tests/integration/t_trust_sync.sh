#!/usr/bin/env bash
# The authority's news reaches the laptops through sync (PROTOCOL.md 9.7):
# a revocation list pushed to the running central (tally trust push) is
# fetched by a field daemon on its next sync, verified under its own
# authority key and kept across a restart; tally status shows the list's
# serial and says in words that the laptop's certificate is revoked, or
# expires within a day.  An unchanged answer costs a 304 (ETag).  A
# revoked central certificate stops that central's receipts from
# counting; a central of another authority gives nothing.
. "$(dirname "$0")/lib.sh"

A=$T/authority
mkdir -p "$A/certs"
tally() { "$BIN/tally" "$@"; }
tally authority init -o "$A/auth" >/dev/null
tally election sign --authority "$A/auth.key" --out "$A/election.sig" \
    "$ELECTION" >/dev/null
keygen c
tally cert central --authority "$A/auth.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 100 \
    --out "$A/central.cert" >/dev/null
# enroll NAME SERIAL NOT-AFTER: the key $T/NAME/data/device.key, certified.
enroll() {
	mkdir -p "$T/$1/data"
	tally enroll request --key "$T/$1/data/device.key" --name "$1" \
	    --no-qr >/dev/null
	tally cert issue --authority "$A/auth.key" --request "$T/$1/data/device.req" \
	    --election "$ELECTION" --areas '*' --levels '*' --serial "$2" \
	    --not-after "$3" --out "$A/certs/$1.cert" >/dev/null
	tally enroll install --key "$T/$1/data/device.key" \
	    --authority "$A/auth.pub" "$A/certs/$1.cert" >/dev/null
}
enroll a 1 2099-01-01
enroll b 2 $(( $(date +%s) + 3 * 3600 ))
CENTRAL_MODE=live CENTRAL_EXTRA=$(printf '%s\n' "authority $A/auth.pub" \
    "definition-signature $A/election.sig" "certificates $A/certs" \
    "central-cert $A/central.cert") start_central c
url=$(central_url c)
trust=("authority $A/auth.pub" "central-cert $A/central.cert")
DAEMON_MODE=live start_daemon a c "${trust[@]}"

# revoke_push SERIAL [OPTIONS...]: add SERIAL to the authority's list and
# push the list to the running central.
revoke_push() {
	local serial=$1
	shift
	tally revoke --authority "$A/auth.key" --list "$A/revoked" \
	    --election "$ELECTION" "$@" "$serial" >/dev/null
	tally trust push --central "$url" "$A/revoked" >/dev/null
}

note "before any revocation"
tly a record "$RECORDS/A01-na.json" >/dev/null
sync_until_done a
st=$(tly a status --json)
expect_eq "no list yet" "$(jq .revocations <<<"$st")" 0
expect_eq "not revoked" "$(jq .certificate_revoked <<<"$st")" null
expect_match "status says none" "$(tly a status)" "revocations:  none received"
etag=$(sqlite3 "$T/a/data/tallyd.db" "select v from meta where k = 'trust_etag'")
expect_match "the answer's tag is kept" "$etag" '^"[0-9a-f]{32}"$'
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    "$url/v1/trust?for=device")
expect_eq "the kept tag is the central's: unchanged answers 304" "$code" 304
only=$(curl -sf "$url/v1/trust?for=device" | jq '.objects | length')
expect_eq "for=device: the central certificate only" "$only" 1
expect_error "for=other" 400 bad_request "$url/v1/trust?for=other"

note "a revocation pushed to the central reaches the laptop on its next sync"
revoke_push 1 --at 2026-01-01
sync_until_done a
st=$(tly a status --json)
expect_eq "the list's serial" "$(jq .revocations <<<"$st")" 1
expect_eq "revoked from" "$(jq .certificate_revoked <<<"$st")" \
    "$(date -u -d 2026-01-01 +%s)"
out=$(tly a status)
expect_match "status: serial" "$out" "revocations:  list 1"
expect_match "status: in words" "$out" "REVOKED: the authority revoked this laptop's certificate"
[ "$(sqlite3 "$T/a/data/tallyd.db" "select count(*) from trust where kind = 'revocations'")" = 1 ] ||
    fail "the list is not kept in the store"
grep -q "took revocation list 1" "$T/a/tallyd.log" || fail "no log of the list"

note "a newer list replaces it; it survives a restart"
revoke_push 7
sync_until_done a
expect_eq "list 2" "$(tly a status --json | jq .revocations)" 2
expect_eq "one list kept" "$(sqlite3 "$T/a/data/tallyd.db" "select group_concat(serial) from trust where kind = 'revocations'")" 2
stop a
DAEMON_MODE=live start_daemon a - "central $url" "${trust[@]}"
st=$(tly a status --json)
expect_eq "list 2 after a restart" "$(jq .revocations <<<"$st")" 2
expect_eq "still revoked after a restart" "$(jq '.certificate_revoked != null' <<<"$st")" true

note "a certificate that expires within a day"
DAEMON_MODE=live start_daemon b c "${trust[@]}"
expect_match "expires soon" "$(tly b status)" "EXPIRES SOON, at .* \(in [23] h\)"
sync_until_done b
expect_eq "b takes list 2 too" "$(tly b status --json | jq .revocations)" 2
expect_eq "b is not revoked" "$(tly b status --json | jq .certificate_revoked)" null

note "the central's certificate revoked: its receipts stop counting"
revoke_push 100
sync_until_done b
expect_eq "b takes list 3" "$(tly b status --json | jq .revocations)" 3
tly b record "$RECORDS/A02-na.json" >/dev/null
out=$(tly b sync 2>&1) && fail "a receipt of a revoked central counted: $out"
st=$(tly b status --json)
expect_eq "nothing acknowledged" "$(jq .counts.acknowledged <<<"$st")" 0
expect_match "says why" "$(jq -r .last_error <<<"$st")" "revoked"

note "objects of another authority are not taken"
tally authority init -o "$T/other" >/dev/null
tally cert central --authority "$T/other.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 1 \
    --out "$T/other-central.cert" >/dev/null
DAEMON_MODE=live start_daemon e c "authority $T/other.pub" \
    "central-cert $T/other-central.cert"
sync_until_done e
expect_eq "e takes no list" "$(tly e status --json | jq .revocations)" 0
grep -q "the central's authority is $(cut -d' ' -f2 "$A/auth.pub"), this laptop's is $(cut -d' ' -f2 "$T/other.pub"): nothing taken" \
    "$T/e/tallyd.log" || fail "e does not say the authorities differ"
echo "PASS"
