#!/usr/bin/env bash
# Failed verifications are limited per address (PROTOCOL.md 8.5): a
# flood of forged batches from 127.0.0.1 is answered 429 once that
# address has spent its bucket, while an honest upload from 127.0.0.2
# at the same time is stored in full.  Then junk from a third address:
# the first 64 bundles are answered 400, and 429 with Retry-After comes
# before 64 + 8 per second of them.  Needs 127.0.0.2 and 127.0.0.3 on
# the loopback interface (Linux routes all of 127/8 there).
. "$(dirname "$0")/lib.sh"
loadgen_province
start_central c
url=$(central_url c)

note "forged batches from 127.0.0.1, an honest upload from 127.0.0.2"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 400 -r 1 -c 32 \
    -A forged -t 3 >"$T/attack.out" 2>&1 &
apid=$!
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -s 400 -n 100 -r 4 \
    -c 8 -I 127.0.0.2 >"$T/honest.out" 2>&1 ||
    { cat "$T/honest.out"; fail "honest upload failed"; }
wait "$apid"
cat "$T/attack.out" "$T/honest.out"
expect_match "honest: all stored" "$(grep '^RESULT ' "$T/honest.out")" \
    ' batches=100 ok=100 fails=0 '
att=$(grep 'answers:' "$T/attack.out") || fail "no attacker summary"
[[ $att =~ 429=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] ||
    fail "the forger was never answered 429: $att"
n422=0
[[ $att =~ 422=([0-9]+) ]] && n422=${BASH_REMATCH[1]}
[[ $att =~ \ in\ ([0-9]+)\.[0-9]\ s ]] || fail "no duration: $att"
# 64 at once, then 8 a second, and at most the 32 in flight beyond: an
# upload from a failing address holds a token while it is verified.
max=$((64 + 8 * (BASH_REMATCH[1] + 1) + 32))
[ "$n422" -ge 64 ] && [ "$n422" -le "$max" ] ||
    fail "forged batches verified: $n422, expected 64 to $max"
expect_eq "nothing forged stored" "$(curl -sf "$url/v1/status" |
    jq .batches)" 100

note "junk bundles from 127.0.0.3: 400 until the bucket is empty, then 429"
printf 'junk' >"$T/junk"
i=0
while :; do
	code=$(curl -s --interface 127.0.0.3 -o "$T/junk.ans" -D "$T/junk.hdr" \
	    -w '%{http_code}' -H 'Content-Type: application/vnd.tally.bundle' \
	    --data-binary @"$T/junk" "$url/v1/batches") || fail "curl failed"
	i=$((i + 1))
	[ "$code" = 429 ] && break
	expect_eq "junk answer $i" "$code" 400
	[ "$i" -le 300 ] || fail "no 429 after $i junk bundles"
done
[ "$i" -gt 64 ] || fail "429 after only $i bundles; the burst is 64"
grep -qi '^Retry-After: [1-9]' "$T/junk.hdr" ||
    fail "429 without Retry-After: $(cat "$T/junk.hdr")"
expect_eq "code" "$(jq -r .error.code "$T/junk.ans")" rate_limited
echo "PASS"
