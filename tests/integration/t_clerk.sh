#!/usr/bin/env bash
# What the clerk is told: a repeated record request seals one batch, a
# dead central is never "everything is acknowledged", check-link proves
# the address and the key, an answer cut in its headers is a broken link
# (not a portal), and delivery resumes soon after the link heals.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c

# ---- a record request repeated with its idempotency key --------------------
start_daemon d c
key="Idempotency-Key: 00112233445566778899aabbccddeeff"
post() {
	curl -s -o "$T/post.json" -w '%{http_code}' --unix-socket "$T/d/tallyd.sock" \
	    -H 'Content-Type: application/json' -H "$key" \
	    --data-binary @"$RECORDS/A01-na.json" http://localhost/v1/records
}
expect_eq "first request" "$(post)" 201
b1=$(jq -r .batch "$T/post.json")
expect_eq "repeated request" "$(post)" 200
expect_eq "the original batch" "$(jq -r .batch "$T/post.json")" "$b1"
expect_eq "marked as replayed" "$(jq -r .replayed "$T/post.json")" true
st=$(tly d status --json)
expect_eq "one batch for two requests" "$(jq '.batches | length' <<<"$st")" 1
out=$(tly d record "$RECORDS/A02-na.json") || fail "record: $out"
expect_match "record prints its batch" "$out" "recorded: batch 2 "

# A record error names the file and the record's index.
jq '.valid = "many"' "$RECORDS/A03-na.json" >"$T/bad.json"
out=$(tly d record "$T/bad.json" 2>&1) && fail "a bad record was accepted"
expect_match "bad request names file and record" "$out" "bad.json: record 0 \\(area A03, level na\\)"
jq '[., (.valid += 1)]' "$RECORDS/A03-na.json" >"$T/bad2.json"
out=$(tly d record "$T/bad2.json" 2>&1) && fail "a failing record was accepted"
expect_match "check failure names file and record" "$out" "bad2.json: record 1 \\(area A03, level na\\): H2"

# tallyd commits a record but the answer is lost (it died mid-request):
# tally record repeats the request with the same key and gets the
# original batch, so one batch is sealed, not two.
mkfifo "$T/lose.ready"
"$TOOLS/losefirst" "$T/lose.sock" "$T/d/tallyd.sock" 3 3>"$T/lose.ready" &
PIDS+=("$!")
line=$(wait_ready "$T/lose.ready") || fail "losefirst did not get ready"
before=$(tly d status --json | jq '.batches | length')
out=$("$BIN/tally" -s "$T/lose.sock" record "$RECORDS/A03-na.json" 2>&1) ||
    fail "record through a lost answer: $out"
expect_match "the retry got the original batch" "$out" "already recorded"
expect_eq "one batch for a lost answer" "$(tly d status --json | jq '.batches | length')" \
    $((before + 1))

# ---- check-link --------------------------------------------------------------
expect_match "status before any proof" "$(jq -r .last_proven <<<"$st")" "^(null|[0-9]+)$"
out=$(tly d check-link) || fail "check-link through tallyd: $out"
expect_match "check-link" "$out" "^link: ok: the central at .* signed with its key $(cut -d' ' -f2 "$T/keys/c.pub")"
st=$(tly d status --json)
expect_match "last proven is kept" "$(jq -r .last_proven <<<"$st")" "^[0-9]+$"
out=$(tly d check-link --central "$(central_url c)" --central-key "$T/keys/c.pub") ||
    fail "check-link --central: $out"
keygen other
out=$(tly d check-link --central "$(central_url c)" --central-key "$T/keys/other.pub" 2>&1) &&
    fail "check-link accepted another key: $out"
expect_match "another key is named" "$out" "answered with another key"
code=$(curl -s -o /dev/null -w '%{http_code}' "$(central_url c)/v1/link?nonce=00")
expect_eq "a malformed nonce" "$code" 400
# The proof survives a restart (it is kept in the store).
stop d
start_daemon d c
expect_match "last proven after a restart" "$(tly d status --json | jq -r .last_proven)" "^[0-9]+$"

# ---- a dead central is never "everything is acknowledged" --------------------
start_daemon dead - "central http://127.0.0.1:1" "central-key $T/keys/c.pub"
out=$(tly dead sync 2>&1) && fail "sync to a dead central exited 0: $out"
[[ $out == *"everything is acknowledged"* ]] && fail "dead central: $out"
expect_match "sync says why" "$out" "central unreachable: cannot connect"
[[ $out == *failed:* || $out == *no_central* ]] && fail "internal codes shown: $out"
out=$(tly dead status)
[[ $out == *"everything is acknowledged"* ]] && fail "dead central status: $out"
expect_match "status: never proven" "$out" "proven: +never"
expect_match "status: the election by name" "$out" "election: .*\\(id tn-2021-small\\)"
out=$(tly dead check-link 2>&1) && fail "check-link to a dead central: $out"

# ---- an answer cut inside its headers is a broken link, not a portal ---------
start_proxy p c
start_daemon e p
proxy p mode fixed cut_response 20 >/dev/null
out=$(tly e record "$RECORDS/A04-na.json") || fail "record: $out"
out=$(tly e sync 2>&1) && fail "sync through a cut link succeeded: $out"
err=$(tly e status --json | jq -r .last_error)
[[ $err == *captive* ]] && fail "a cut answer was taken for a portal: $err"
expect_match "a cut answer is a broken link" "$err" "link broke"

# ---- delivery resumes soon after the link heals, despite a long backoff ------
stop e
start_proxy q c
BACKOFF_MIN=60 BACKOFF_MAX=300 start_daemon f q "netwatch no"
proxy q refuse 3000 >/dev/null
out=$(tly f record "$RECORDS/A05-na.json") || fail "record: $out"
for i in $(seq 1 100); do
	[ "$(tly f status --json | jq -r '.last_error // empty')" != "" ] && break
	sleep 0.1
done
st=$(tly f status --json)
expect_match "the first attempt failed" "$(jq -r .last_error <<<"$st")" "unreachable"
next=$(jq .next_attempt <<<"$st")
[ "$next" -ge $(( $(date +%s) + 45 )) ] || fail "backoff shorter than expected: $next"
# The link heals after 3 s; a probe (every 10 s) must notice well before
# the backoff (60 s or more) ends.
t0=$SECONDS
for i in $(seq 1 250); do
	[ "$(tly f status --json | jq .counts.acknowledged)" = 1 ] && break
	sleep 0.1
done
expect_eq "delivered after the link healed" "$(tly f status --json | jq .counts.acknowledged)" 1
[ $((SECONDS - t0)) -le 25 ] || fail "delivery took $((SECONDS - t0)) s"
note "delivered $((SECONDS - t0)) s after the failed attempt"
