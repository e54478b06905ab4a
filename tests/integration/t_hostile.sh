#!/usr/bin/env bash
# Refusals on the headers (PROTOCOL.md 8.5): a body over the limit is
# answered 413 before the client has sent any of it, and the connection
# closed; bodies over the limit are charged to the address like failed
# verifications, so that repeated ones turn into 429; an upload from a
# refused address is answered 429 on its headers, after a delay, while
# another address is served at once; an address that failed a little is
# lent its token back for each honest upload.  The only clocks used are
# a lower bound on the deliberate delay (1 s), and the honest uploads'
# median latency held under that same 1 s.  Needs 127.0.0.2 and
# 127.0.0.4 on the loopback interface (Linux routes all of 127/8 there).
. "$(dirname "$0")/lib.sh"
loadgen_province
start_central c
url=$(central_url c)
port=$(cat "$T/c/port")

# head_post PATH LENGTH: from 127.0.0.1, send only the headers of a POST
# that announces LENGTH bytes of body, none of which is ever sent; print
# the answer's status line and headers, then "closed" if the server
# closed the connection after its answer (or "open" after 20 s).
head_post() {
	local fd line rest
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %s\r\n\r\n' \
	    "$1" application/vnd.tally.bundle "$2" >&"$fd"
	while IFS= read -r -t 30 line <&"$fd"; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		echo "$line"
	done
	IFS= read -r -t 20 -d '' rest <&"$fd"
	[ $? -gt 128 ] && echo open || echo closed
	exec {fd}>&-
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

note "a body over the limit: 413 on the headers, connection closed"
big=$((8 * 1024 * 1024 + 1))
ans=$(head_post /v1/batches "$big") || fail "cannot connect"
expect_match "status" "$(head -n 1 <<<"$ans")" '^HTTP/1\.1 413 '
grep -qix 'connection: close' <<<"$ans" || fail "no Connection: close: $ans"
expect_eq "closed after the answer" "$(tail -n 1 <<<"$ans")" closed

note "repeated bodies over the limit from 127.0.0.1 turn into 429"
i=1
t0=$SECONDS
while :; do
	s=$(now_ms)
	ans=$(head_post /v1/batches "$big") || fail "cannot connect"
	i=$((i + 1))
	[[ $(head -n 1 <<<"$ans") =~ ^HTTP/1\.1\ 429\  ]] && break
	expect_match "answer $i" "$(head -n 1 <<<"$ans")" '^HTTP/1\.1 413 '
	[ "$i" -le 1000 ] || fail "no 429 after $i bodies over the limit"
done
took=$(($(now_ms) - s))
# 64 at once, then 8 a second (the bucket of failed verifications).
max=$((64 + 8 * (SECONDS - t0 + 1)))
[ "$i" -gt 64 ] && [ "$i" -le "$max" ] ||
    fail "429 after $i bodies over the limit, expected 65 to $max"
grep -qi '^Retry-After: [1-9]' <<<"$ans" || fail "429 without Retry-After: $ans"
grep -qix 'connection: close' <<<"$ans" || fail "no Connection: close: $ans"
expect_eq "closed after the 429" "$(tail -n 1 <<<"$ans")" closed
[ "$took" -ge 900 ] || fail "the 429 came after $took ms, not held 1 s"

note "uploads from 127.0.0.1 with Expect: 100-continue: refused on the headers"
# expect_post: from 127.0.0.1, POST /v1/batches announcing a body of 4
# bytes of junk, sent only after the server's 100 Continue; print the
# status of the first answer, and the final one after the body if it
# was sent ("100 400"), and how many ms the first answer took.
expect_post() {
	local fd line s
	s=$(now_ms)
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'POST /v1/batches HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n' \
	    application/vnd.tally.bundle >&"$fd"
	IFS=' ' read -r -t 30 _ code _ <&"$fd" || code=none
	echo "took $(($(now_ms) - s))"
	if [ "$code" = 100 ]; then
		IFS= read -r -t 30 line <&"$fd"	# the empty line after it
		printf 'junk' >&"$fd"
		IFS=' ' read -r -t 30 _ line _ <&"$fd" || line=none
		code="100 $line"
	fi
	echo "$code"
	exec {fd}>&-
}
i=0
t0=$SECONDS
while :; do
	ans=$(expect_post) || fail "cannot connect"
	i=$((i + 1))
	[ "$(tail -n 1 <<<"$ans")" = 429 ] && break
	expect_eq "answer $i" "$(tail -n 1 <<<"$ans")" "100 400"
	[ "$i" -le $((64 + 8 * (SECONDS - t0 + 1))) ] ||
	    fail "no 429 after $i junk uploads"
done
took=$(sed -n 's/^took //p' <<<"$ans")
[ "$took" -ge 900 ] || fail "the 429 came after $took ms, not held 1 s"
expect_eq "reads from it are served" "$(curl -s -o /dev/null -w '%{http_code}' \
    "$url/v1/status")" 200

note "meanwhile 20 uploads from 127.0.0.2, one at a time: none held"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 20 -r 4 -c 1 \
    -I 127.0.0.2 >"$T/honest.out" 2>&1 ||
    { cat "$T/honest.out"; fail "honest uploads failed"; }
res=$(grep '^RESULT ' "$T/honest.out")
expect_match "all stored" "$res" ' batches=20 ok=20 fails=0 '
# A held answer takes 1 s at least: the median would be 1000 ms or more.
[[ $res =~ \ p50_ms=([0-9]+) ]] || fail "no p50: $res"
[ "${BASH_REMATCH[1]}" -lt 1000 ] || fail "honest uploads held: $res"

note "127.0.0.4 fails 40 times, then uploads 200 honest batches: all stored"
printf 'junk' >"$T/junk"
for i in $(seq 40); do
	code=$(curl -s --interface 127.0.0.4 -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/vnd.tally.bundle' \
	    --data-binary @"$T/junk" "$url/v1/batches") || fail "curl failed"
	expect_eq "junk $i" "$code" 400
done
# 24 tokens are left, below half: each upload holds one until it is
# verified, and gets it back when nothing in it failed.
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -s 20 -n 200 -r 1 \
    -c 4 -I 127.0.0.4 >"$T/refund.out" 2>&1 ||
    { cat "$T/refund.out"; fail "uploads from 127.0.0.4 failed"; }
expect_match "all stored" "$(grep '^RESULT ' "$T/refund.out")" \
    ' batches=200 ok=200 fails=0 '

note "the refusals are counted in /metrics, and logged once per episode"
m=$(curl -sf "$url/metrics") || fail "GET /metrics"
n413=$(sed -n 's/^tally_central_refused_total{code="too_large"} //p' <<<"$m")
n429=$(sed -n 's/^tally_central_refused_total{code="rate_limited"} //p' <<<"$m")
[ "${n413:-0}" -ge 64 ] || fail "too_large counted ${n413:-none}"
[ "${n429:-0}" -ge 2 ] || fail "rate_limited counted ${n429:-none}"
n=$(grep -c 'answered 429 for a while' "$T/c/central.log")
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "$n warnings of a 429 episode"
echo "PASS"
