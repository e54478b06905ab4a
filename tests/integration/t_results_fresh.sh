#!/usr/bin/env bash
# PROTOCOL.md 8.4, freshness: once a client has the `stored` receipt of
# its upload and no other upload is in progress, GET /v1/results
# includes it, while the central keeps its results up to date after
# every commit, and also while a dashboard polls the results meanwhile.
# Thirty one-area uploads, one after the other, each followed at once by
# a query that must count exactly the areas stored so far.
. "$(dirname "$0")/lib.sh"
loadgen_province
start_central c
url=$(central_url c)

# upload I: post the I-th area's batch, then GET /v1/results at once,
# which must count I areas reporting.
upload() {
	"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 1 \
	    -s $(($1 - 1)) -r 4 -c 1 >"$T/lg.out" 2>&1 ||
	    { cat "$T/lg.out"; fail "upload $1"; }
	expect_match "upload $1 stored" "$(cat "$T/lg.out")" \
	    'entries stored 1, '
	got=$(curl -sf "$url/v1/results" | jq '.levels[0].reporting') ||
	    fail "GET /v1/results after upload $1"
	[ "$got" = "$1" ] ||
	    fail "after upload $1, GET /v1/results counts $got areas reporting"
}

note "15 uploads, each followed by a query"
for i in $(seq 1 15); do
	upload "$i"
done

note "15 more while a dashboard polls the results throughout"
(
	while [ ! -e "$T/stop" ]; do
		curl -sf "$url/v1/results" >/dev/null || exit 1
	done
) &
poller=$!
for i in $(seq 16 30); do
	upload "$i"
done
touch "$T/stop"
wait "$poller" || fail "the dashboard's poll failed"
note "every answer included the uploads stored before it"
