#!/usr/bin/env bash
# t_web_field.sh: the local API's dry run (POST /v1/records?dry-run=1) and
# GET /v1/election (PROTOCOL.md 9), and the web-listen setting: only
# 127.0.0.1, and the listener's refusals (9.6).  The page itself is
# tested in Chromium by tests/browser/t_entry.js.
. "$(dirname "$0")/lib.sh"

start_daemon d - "web-listen 127.0.0.1:0"
sock=$T/d/tallyd.sock
api() { curl -s --unix-socket "$sock" "$@"; }
dry() {
	api -H 'Content-Type: application/json' --data-binary "$1" \
	    'http://local/v1/records?dry-run=1'
}

note "dry run of a record with a hard error: every problem, nothing sealed"
out=$(dry "$(jq '.received += 1' "$RECORDS/A01-na.json")")
expect_eq "ok" "$(jq -r .ok <<<"$out")" false
expect_match "H2 message" \
    "$(jq -r '.problems[] | select(.rule == "H2") | .message' <<<"$out")" \
    'valid \+ invalid = .*, but received = '
expect_eq "H2 is no warning" \
    "$(jq -r '.problems[] | select(.rule == "H2") | .warning' <<<"$out")" false

note "an explained warning is listed, and does not block"
out=$(dry "$(jq '.issued += 1 | .explanations = {"W1": "một phiếu hỏng"}' \
    "$RECORDS/A01-na.json")")
expect_eq "ok" "$(jq -r .ok <<<"$out")" true
expect_eq "W1" "$(jq -c '[.problems[] | [.rule, .warning, .explained]]' \
    <<<"$out")" '[["W1",true,true]]'
out=$(dry "$(jq '.issued += 1' "$RECORDS/A01-na.json")")
expect_eq "unexplained" "$(jq -c '[.ok, .problems[0].explained]' \
    <<<"$out")" '[false,false]'
out=$(dry "$(cat "$RECORDS/A01-na.json")")
expect_eq "clean record" "$(jq -c '[.ok, .problems]' <<<"$out")" '[true,[]]'
expect_eq "nothing sealed" "$(tly d status --json | jq '.batches | length')" 0

note "GET /v1/election: the definition, byte for byte"
api -o "$T/def.json" http://local/v1/election
cmp -s "$T/def.json" "$ELECTION" || fail "the definition differs"

note "POST /v1/photos: kept under its BLAKE2b-256"
printf '\x89PNG\r\n\x1a\nnot really an image, but it starts as one' \
    >"$T/photo.png"
out=$(api -H 'Content-Type: image/png' --data-binary @"$T/photo.png" \
    -w ' %{http_code}' http://local/v1/photos)
want=$(b2sum -l 256 "$T/photo.png" | cut -d' ' -f1)
expect_eq "photo" "$out" "{\"photo\":\"$want\",\"bytes\":$(stat -c %s \
    "$T/photo.png")} 201"
out=$(api -H 'Content-Type: image/png' --data-binary @"$T/photo.png" \
    -o /dev/null -w '%{http_code}' http://local/v1/photos)
expect_eq "the same photo again" "$out" 200
expect_error "wrong type" 415 unsupported_media_type --unix-socket "$sock" \
    -H 'Content-Type: image/jpeg' --data-binary @"$T/photo.png" \
    http://local/v1/photos
head -c 1100000 /dev/zero >"$T/big"
expect_error "too large" 413 too_large --unix-socket "$sock" \
    -H 'Content-Type: image/png' --data-binary @"$T/big" \
    http://local/v1/photos

note "the web listener refuses other hosts and cross-site posts"
url=http://127.0.0.1:$(cat "$T/d/web_port")
expect_eq "page" "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" 200
expect_error "foreign host" 421 misdirected -H 'Host: evil.example' \
    "$url/v1/status"
expect_error "form post" 403 forbidden -H 'Content-Type: text/plain' \
    --data-binary @"$RECORDS/A01-na.json" "$url/v1/records"
expect_error "foreign origin" 403 forbidden -H 'Origin: http://evil.example' \
    -H 'Content-Type: application/json' \
    --data-binary @"$RECORDS/A01-na.json" "$url/v1/records"
expect_error "no such page" 404 not_found "$url/nothing.js"
expect_eq "nothing sealed" "$(tly d status --json | jq '.batches | length')" 0
status=$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' -H "Origin: $url" \
    --data-binary @"$RECORDS/A01-na.json" "$url/v1/records")
expect_eq "own page's post" "$status" 201

note "web-listen: only 127.0.0.1"
for bad in 0.0.0.0:8080 192.168.1.2:80 127.0.0.1 127.0.0.1:99999 \
    localhost:80; do
	sed "s/^web-listen .*/web-listen $bad/" "$T/d/tallyd.conf" \
	    >"$T/bad.conf"
	if "$BIN/tallyd" -c "$T/bad.conf" -n 2>"$T/err"; then
		fail "web-listen $bad accepted"
	fi
	expect_match "web-listen $bad" "$(cat "$T/err")" \
	    'bad.conf:[0-9]+: web-listen must be 127.0.0.1:PORT'
done
