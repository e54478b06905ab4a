#!/usr/bin/env bash
# tally pair (PROTOCOL.md 9.6): the clerk opens a code on the laptop, a
# phone pairs with it over HTTPS on lan-listen and gets a cookie that
# reaches the entry API; the pairing survives a restart of tallyd (it is
# kept in DATADIR/pairings); a wrong or a used code is refused; 'tally
# pair revoke' shuts the phone out at once.
. "$(dirname "$0")/lib.sh"

start_daemon d - "web-listen 127.0.0.1:0" "lan-listen 127.0.0.1:0"
[ -f "$T/d/lan_port" ] || fail "no lan port in the readiness line"
lan() { echo "https://127.0.0.1:$(cat "$T/d/lan_port")"; }

# pair_post CODE LABEL: POST /v1/pair as a phone; the status is printed,
# the body left in $T/body and the headers in $T/headers.
pair_post() {
	curl -s --insecure -o "$T/body" -D "$T/headers" -w '%{http_code}' \
	    -H 'Content-Type: application/json' -H "Origin: $(lan)" \
	    --data "{\"code\":\"$1\",\"label\":\"$2\"}" "$(lan)/v1/pair"
}
# phone_get PATH [COOKIE]: the status of a GET on the phones' port.
phone_get() {
	curl -s --insecure -o /dev/null -w '%{http_code}' \
	    ${2:+-H "Cookie: $2"} "$(lan)$1"
}

# Usage and exit codes.
tly d pair >/dev/null 2>&1 && fail "pair without a verb"
expect_eq "no verb: exit" "$(tly d pair >/dev/null 2>&1; echo $?)" 2
expect_eq "bad id: exit" "$(tly d pair revoke XYZ >/dev/null 2>&1; echo $?)" 2
expect_eq "unknown verb: exit" "$(tly d pair forget >/dev/null 2>&1; echo $?)" 2
tly d pair --help | grep -q "tally pair revoke" || fail "pair --help"

# The code, in words and as JSON.
out=$(tly d pair code --no-qr) || fail "pair code"
fp=$(curl -s "http://127.0.0.1:$(cat "$T/d/web_port")/v1/pairings" \
    -H "Host: 127.0.0.1:$(cat "$T/d/web_port")" | jq -r .fingerprint)
expect_match "fingerprint" "$fp" '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'
expect_match "words: address" "$out" "open $(lan)/ in its browser"
expect_match "words: fingerprint" "$out" "$fp"
expect_match "words: code" "$out" 'type the code [0-9]{6} '
qr=$(tly d pair code) || fail "pair code with a QR"
[ "$(grep -c '▀\|▄\|█' <<<"$qr")" -gt 10 ] || fail "no QR code drawn"
j=$(tly d pair code --json) || fail "pair code --json"
expect_eq "json url" "$(jq -r .url <<<"$j")" "$(lan)/"
expect_eq "json fingerprint" "$(jq -r .fingerprint <<<"$j")" "$fp"
code=$(jq -r .code <<<"$j")
expect_match "json code" "$code" '^[0-9]{6}$'
[ "$(jq -r .expires <<<"$j")" -gt "$(date +%s)" ] || fail "expiry passed"

# An unpaired phone gets 401; a wrong code is refused (one wrong try
# does not void the code).
expect_eq "unpaired" "$(phone_get /v1/status)" 401
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
expect_eq "wrong code" "$(pair_post "$wrong" "phone 1")" 403
expect_eq "wrong code: error" "$(jq -r .error.code "$T/body")" bad_code
grep -qi '^set-cookie' "$T/headers" && fail "a cookie for a wrong code"

# The right code pairs; the cookie reaches the entry API.
expect_eq "pair" "$(pair_post "$code" "phone 1")" 200
id=$(jq -r .paired "$T/body")
expect_match "pairing id" "$id" '^[0-9a-f]{16}$'
cookie=$(tr -d '\r' <"$T/headers" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
expect_match "cookie" "$cookie" "^tally_pair=$id\\.[0-9a-f]{64}$"
expect_eq "paired: status" "$(phone_get /v1/status "$cookie")" 200
expect_eq "paired: pairings" "$(phone_get /v1/pairings "$cookie")" 403
expect_eq "forged token" "$(phone_get /v1/status "tally_pair=$id.$(printf '0%.0s' {1..64})")" 401

# The code was for one phone.
expect_eq "used code" "$(pair_post "$code" "phone 2")" 403
expect_eq "used code: error" "$(jq -r .error.code "$T/body")" bad_code

# tally pair list names it.
expect_match "list" "$(tly d pair list)" "^$id  [0-9-]+ [0-9:]+ UTC  phone 1$"
expect_eq "list --json" "$(tly d pair list --json | jq -r '.pairings[0].label')" "phone 1"

# A restart keeps the pairing and the certificate.
stop d
start_daemon d - "web-listen 127.0.0.1:0" "lan-listen 127.0.0.1:0"
expect_eq "after restart: status" "$(phone_get /v1/status "$cookie")" 200
expect_eq "after restart: list" "$(tly d pair list --json | jq -r '.pairings[0].id')" "$id"
expect_eq "after restart: fingerprint" "$(tly d pair code --json | jq -r .fingerprint)" "$fp"

# Revoke: the cookie is refused at once, and after a restart.
expect_eq "revoke" "$(tly d pair revoke "$id" --json | jq -r .revoked)" "$id"
expect_eq "revoked: status" "$(phone_get /v1/status "$cookie")" 401
expect_eq "revoked: list" "$(tly d pair list)" "no phone is paired"
expect_eq "revoke again: exit" "$(tly d pair revoke "$id" >/dev/null 2>&1; echo $?)" 1
stop d
start_daemon d - "web-listen 127.0.0.1:0" "lan-listen 127.0.0.1:0"
expect_eq "revoked after restart" "$(phone_get /v1/status "$cookie")" 401

# Without lan-listen, tally pair says so and exits 1.
stop d
start_daemon d -
expect_eq "no lan-listen: exit" "$(tly d pair list >/dev/null 2>&1; echo $?)" 1
why=$(tly d pair code 2>&1) && fail "pair code without lan-listen"
expect_match "no lan-listen: why" "$why" "lan-listen is not set"
note "pairing by code, across restarts, and revocation: ok"
