#!/usr/bin/env bash
# The load generator of `make bench` (bench/loadgen), in small: 200
# pre-signed one-area batches of 4 records, 16 at a time, to a real
# central.  Every answer must be "stored", and the central must then hold
# exactly those devices, batches and record keys.  Then the same batches
# signed for another election: every one must come back rejected, and
# loadgen must say so and fail.  Results are sampled during the run and
# every sample must be answered (PROTOCOL.md 8.4, freshness), and turnout
# is polled meanwhile; after it, the results and turnout must be the same
# bytes as a restarted central computes from scratch on the same store.
# Nothing here is timed.
. "$(dirname "$0")/lib.sh"
note "generate the province"
loadgen_province
start_central c
url=$(central_url c)

note "200 batches of 4 records at c16, results sampled every 2 ms, turnout polled"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 200 -r 4 -c 16 \
    -S 2 >"$T/lg.out" 2>&1 &
lg=$!
polls=0
while kill -0 "$lg" 2>/dev/null; do
	curl -sf "$url/v1/turnout?level=na" >/dev/null && polls=$((polls + 1))
done
wait "$lg" || { cat "$T/lg.out"; fail "loadgen failed"; }
echo "turnout polled $polls times during the upload"
cat "$T/lg.out"
res=$(grep '^RESULT ' "$T/lg.out") || fail "no RESULT line"
expect_match "loadgen result" "$res" ' batches=200 ok=200 fails=0 nothing=0 '
expect_match "entries" "$(cat "$T/lg.out")" \
    'entries stored 200, pending 0, duplicate 0, equivocation 0, rejected 0'
expect_match "every results sample answered" "$res" ' sample_fails=0$'
[[ $res =~ \ results_n=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] ||
    fail "no results sample was answered"

st=$(curl -sf "$url/v1/status") || fail "GET /v1/status"
expect_eq "devices" "$(jq .devices <<<"$st")" 200
expect_eq "batches" "$(jq .batches <<<"$st")" 200
expect_eq "applied" "$(jq .applied <<<"$st")" 200
expect_eq "pending" "$(jq .pending <<<"$st")" 0
expect_eq "record keys (heads)" "$(jq .keys <<<"$st")" 800
expect_eq "records held" "$(central_db c 'SELECT count(*) FROM records')" 800

note "signed for another election: all rejected, and loadgen says so"
if "$LG" -u "$url" -e "$VEC/election-small.json" -d "$T/gen/records" \
    -n 20 -r 1 -c 4 >"$T/bad.out" 2>&1; then
	cat "$T/bad.out"
	fail "loadgen succeeded with every batch rejected"
fi
expect_match "rejected" "$(cat "$T/bad.out")" \
    'entries stored 0, pending 0, duplicate 0, equivocation 0, rejected 20'
expect_match "not stored" "$(grep '^RESULT ' "$T/bad.out")" ' ok=0 fails=20 '
expect_eq "batches after" "$(curl -sf "$url/v1/status" | jq .batches)" 200

note "the results: the same bytes as a restarted central's"
level=$(curl -sf "$url/v1/results" | jq -r '.levels[0].level') ||
    fail "GET /v1/results"
ids=$(curl -sf "$url/v1/results?level=$level" |
    jq -r '.constituencies[0:3][].id') || fail "GET /v1/results?level="
get_all() {
	curl -sf "$1/v1/results" && echo || return 1
	for id in $ids; do
		curl -sf "$1/v1/results/constituencies/$id" && echo || return 1
	done
	for l in $(curl -sf "$1/v1/results" | jq -r '.levels[].level'); do
		curl -sf "$1/v1/turnout?level=$l" && echo || return 1
	done
	curl -sf "$1/v1/turnout?level=$level&constituency=$(head -n 1 <<<"$ids")" &&
	    echo
}
get_all "$url" >"$T/before.json" || fail "GET results"
stop c
start_central c
get_all "$(central_url c)" >"$T/after.json" || fail "GET results (restarted)"
nlev=$(curl -sf "$(central_url c)/v1/results" | jq '.levels | length')
expect_eq "answers" "$(wc -l <"$T/after.json")" "$((2 + nlev + $(wc -w <<<"$ids")))"
cmp -s "$T/before.json" "$T/after.json" ||
    fail "results or turnout after ingest differ from a restarted central's"
echo "PASS"
