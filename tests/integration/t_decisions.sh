#!/usr/bin/env bash
# Signed decisions (PROTOCOL.md 8.14, 13.6) at a closed central: only a
# key with an adjudicator certificate from the authority may unfreeze a
# device or resolve a conflict.  A forged decision (a clerk's key, an
# uncertified key, out of scope, a flipped bit) is refused with its code,
# kept in the rejection log, and changes nothing: the state hash stays.
# A valid unfreeze lifts the freeze; a valid resolve takes the key out
# of DISPUTED; a replay answers as the first time.  Decisions travel in
# the audit feed, so a mirror following it reaches the same state hash.
# A head that arrives after a resolve, which its over did not list,
# reopens the key: DISPUTED again, with the old decision shown.  Each
# feed decision carries the central's decision receipt, so a mirror
# started after the adjudicator's certificate was revoked judges it at
# that receipt's time and still reaches the same state hash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

trust_init
certify "$T/d1.key" 1 clerk A01,A02
certify "$T/d2.key" 2 clerk A03
certify "$T/d3.key" 3 clerk A03
certify "$T/adj.key" 4 adjudicator
certify "$T/adj2.key" 5 adjudicator A02
certify "$T/d4.key" 6 clerk A03
keygen rogue
keygen c
"$BIN/tally" cert central --authority "$T/authority/auth.key" --key "$T/keys/c.pub" \
    --election "$ELECTION" --not-after 2099-01-01 --serial 7 \
    --out "$T/authority/certs/7.cert" >/dev/null
tally() { "$BIN/tally" "$@"; }
CENTRAL_MODE=live CENTRAL_EXTRA=$CLOSED start_central c
url=$(central_url c)

# batch NAME SEQ OUT [forge options...] -- RECORD...: a live batch.
batch() {
	local name=$1 seq=$2 out=$3
	shift 3
	forge -k "$T/$name.key" -e "$ELECTION" -s "$seq" -m live -M "$out" "$@" >/dev/null
}
# post FILE: POST /v1/decisions; the body to stdout, the status to $T/last_status.
post() {
	curl -s -o "$T/last_body" -w '%{http_code}' --data-binary @"$1" \
	    "$url/v1/decisions" >"$T/last_status" || true
	cat "$T/last_body"
}
state() { curl -sf "$url/v1/state-hash" | jq -r .state_hash; }

note "d1 delivers seq 1 and 2, then signs another seq 2: frozen at 2"
batch d1 1 "$T/s1.msg" "$RECORDS/A01-na.json"
b1=$(b2sum -l 256 "$T/s1.msg" | cut -d' ' -f1)
batch d1 2 "$T/s2.msg" -p "$b1" "$RECORDS/A02-na.json"
b2=$(b2sum -l 256 "$T/s2.msg" | cut -d' ' -f1)
batch d1 2 "$T/x2.msg" -p "$b1" "$RECORDS/A02-prov.json"
make_bundle "$T/d1.bundle" "$T/s1.msg" "$T/s2.msg" "$T/x2.msg"
upload c "$T/d1.bundle" >/dev/null
dev=$(cut -d' ' -f2 "$T/d1.pub")
expect_eq "frozen at 2" "$(curl -sf "$url/v1/devices/$dev/head" | jq .frozen)" 2

note "two clerks disagree on A03: a conflict"
jq '.votes."NA1.1" -= 1 | .votes."NA1.2" += 1' "$RECORDS/A03-na.json" >"$T/A03-other.json"
batch d2 1 "$T/d2.msg" "$RECORDS/A03-na.json"
batch d3 1 "$T/d3.msg" "$T/A03-other.json"
make_bundle "$T/d23.bundle" "$T/d2.msg" "$T/d3.msg"
upload c "$T/d23.bundle" >/dev/null
expect_eq "d2, d3 stored" "$(cat "$T/last_status")" 200
cf=$(curl -sf "$url/v1/conflicts")
expect_eq "one conflict" "$(jq '.conflicts | length' <<<"$cf")" 1
rec3=$(jq -r --arg d "$(cut -d' ' -f2 "$T/d3.pub")" \
    '.conflicts[0].heads[] | select(.device == $d) | .record' <<<"$cf")
heads=$(jq -r '[.conflicts[0].heads[].record] | join(",")' <<<"$cf")
cid=$(curl -sf "$url/v1/results?level=na" | jq -r '.constituencies[0].id')
expect_eq "A03 disputed" "$(curl -sf "$url/v1/results/constituencies/$cid" |
    jq -c .disputed_areas)" '["A03"]'

# refused WHAT FILE CODE: POST /v1/decisions refuses FILE with CODE, the
# state hash is unchanged and the rejection log holds the bytes.
refused() {
	local before out
	before=$(state)
	out=$(post "$2")
	expect_eq "$1: status" "$(cat "$T/last_status")" 422
	expect_eq "$1: code" "$(jq -r .error.code <<<"$out")" "$3"
	expect_eq "$1: state hash unchanged" "$(state)" "$before"
	expect_eq "$1: kept as evidence" "$(central_db c "select count(*) from rejections
	    where code = '$3' and hex(bytes) = '$(xxd -p "$2" | tr -d '\n' | tr a-f A-F)'")" 1
}
unfreeze() {	# KEY OUT [options]: sign "keep b2" with KEY into OUT
	local key=$1 out=$2
	shift 2
	tally decision unfreeze --key "$key" --election "$ELECTION" --device "$dev" \
	    --batch "$b2" --seq 2 --out "$out" "$@" >/dev/null
}
resolve() {	# KEY OUT: sign "A03 counts d3's record, of d2's and d3's" into OUT
	tally decision resolve --key "$1" --election "$ELECTION" --area A03 \
	    --level na --round 1 --record "$rec3" --over "$heads" --out "$2" >/dev/null
}

note "forged decisions are refused and change nothing"
unfreeze "$T/d2.key" "$T/clerk.dec"
refused "signed by a clerk" "$T/clerk.dec" not_certified
unfreeze "$T/keys/rogue.key" "$T/rogue.dec"
refused "signed by an uncertified key" "$T/rogue.dec" not_certified
resolve "$T/adj2.key" "$T/scope.dec"
refused "out of the adjudicator's scope" "$T/scope.dec" out_of_scope
unfreeze "$T/adj.key" "$T/flip.dec"
byte=$(od -An -tu1 -j120 -N1 "$T/flip.dec" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" |
    dd of="$T/flip.dec" bs=1 seek=120 conv=notrunc status=none
refused "a flipped bit" "$T/flip.dec" bad_signature
tally decision unfreeze --key "$T/adj.key" --election "$ELECTION" --device "$dev" \
    --batch "$b1" --seq 2 --out "$T/wrongseq.dec" >/dev/null
refused "a batch not held at that seq" "$T/wrongseq.dec" not_held
refused "the same refusal again" "$T/clerk.dec" not_certified
expect_eq "still frozen" "$(curl -sf "$url/v1/devices/$dev/head" | jq .frozen)" 2
expect_eq "nothing in the feed" "$(curl -sf "$url/v1/feed" | jq '[.entries[] | select(.kind == "decision")] | length')" 0

note "the adjudicator's unfreeze lifts the freeze"
before=$(state)
out=$(unfreeze "$T/adj.key" "$T/unfreeze.dec" --central "$url" 2>&1 ||
    fail "unfreeze --central: $out")
out=$(tally decision submit --central "$url" "$T/unfreeze.dec") ||
    fail "submit: $out"
expect_match "submit says stored" "$out" "stored by the central"
head=$(curl -sf "$url/v1/devices/$dev/head")
expect_eq "not frozen" "$(jq .frozen <<<"$head")" null
expect_eq "seq 1 and 2 applied" "$(jq .applied <<<"$head")" 2
[ "$(state)" != "$before" ] || fail "the state hash did not change"
expect_eq "the kept decision is listed" \
    "$(curl -sf "$url/v1/evidence" | jq -c '[.kept[] | .batch]')" "[\"$b2\"]"
first=$(post "$T/unfreeze.dec")
expect_eq "a replay: status" "$(cat "$T/last_status")" 200
second=$(post "$T/unfreeze.dec")
expect_eq "a replay answers the same" "$second" "$first"
expect_eq "a replay names the decision" "$(jq -r .decision <<<"$first")" \
    "$(b2sum -l 256 "$T/unfreeze.dec" | cut -d' ' -f1)"

note "the adjudicator's resolve takes A03 out of DISPUTED"
resolve "$T/adj.key" "$T/resolve.dec"
out=$(post "$T/resolve.dec")
expect_eq "resolve: status" "$(cat "$T/last_status")" 200
expect_eq "no conflict left" "$(curl -sf "$url/v1/conflicts" | jq '.conflicts | length')" 0
expect_eq "no key in conflict" "$(curl -sf "$url/v1/state-hash" | jq .conflicts)" 0
cs=$(curl -sf "$url/v1/results/constituencies/$cid")
expect_eq "no disputed area" "$(jq -c .disputed_areas <<<"$cs")" '[]'
expect_eq "the chosen version counts" "$(curl -sf "$url/v1/areas/A03" |
    jq -r --arg r "$rec3" '[.records[] | select(.record == $r)] | length')" 1

note "the feed carries both decisions, byte for byte"
fd=$(curl -sf "$url/v1/feed?after=0")
expect_eq "feed kinds" "$(jq -c '[.entries[].kind]' <<<"$fd")" \
    '["batch","batch","batch","batch","batch","decision","decision"]'
expect_eq "feed positions" "$(jq -c '[.entries[].pos]' <<<"$fd")" '[1,2,3,4,5,6,7]'
jq -r '.entries[6].bytes' <<<"$fd" | base64 -d | cmp -s - "$T/resolve.dec" ||
    fail "the feed's decision is not the posted bytes"
expect_eq "feed signer" "$(jq -r '.entries[5].signer' <<<"$fd")" "$(cut -d' ' -f2 "$T/adj.pub")"

note "the adjudicator's certificate is revoked after the decisions"
receipts=$(curl -sf "$url/v1/feed?after=0" | jq -r '.entries[] | select(.kind == "decision") | .receipt')
expect_eq "every decision has a receipt" "$(wc -w <<<"$receipts")" 2
stored=0
for r in $receipts; do
	base64 -d <<<"$r" >"$T/dr"
	grep -qa "tally/decision-receipt/v1" "$T/dr" || fail "not a decision receipt"
	s=$(grep -ao '"stored":[0-9]*' "$T/dr" | cut -d: -f2)
	[ "$s" -gt "$stored" ] && stored=$s
done
at=$((stored + 1))
tally revoke --authority "$T/authority/auth.key" --list "$T/rev.list" \
    --election "$ELECTION" --at "$at" 4 >/dev/null
# Until the second after the last decision, the revocation is not yet in force.
while [ "$(date +%s)" -lt "$at" ]; do sleep 0.2; done

note "a mirror started now judges each decision at its receipt's time"
keygen m
CENTRAL_MODE=live CENTRAL_EXTRA="$CLOSED
revocations $T/rev.list" start_central m
curl -sf "$url/v1/feed?after=0" | jq -r '[.entries[] | select(.kind == "decision")][0].bytes' |
    base64 -d >"$T/first.dec"
curl -s -o "$T/last_body" -w '%{http_code}' --data-binary @"$T/first.dec" \
    "$(central_url m)/v1/decisions" >"$T/last_status" || true
expect_eq "at the mirror's clock: refused" "$(cat "$T/last_status")" 422
expect_eq "at the mirror's clock: revoked" "$(jq -r .error.code "$T/last_body")" revoked
curl -s -o "$T/last_body" -w '%{http_code}' -H "Tally-Receipt: $(sed -n 2p <<<"$receipts")" \
    --data-binary @"$T/first.dec" "$(central_url m)/v1/decisions" >"$T/last_status" || true
expect_eq "another decision's receipt: refused" "$(cat "$T/last_status")" 422
expect_eq "another decision's receipt: bad_receipt" "$(jq -r .error.code "$T/last_body")" bad_receipt
after=0
while :; do
	fd=$(curl -sf "$url/v1/feed?after=$after&limit=2")
	n=$(jq '.entries | length' <<<"$fd")
	[ "$n" -gt 0 ] || break
	for j in $(seq 0 $((n - 1))); do
		jq -r ".entries[$j].bytes" <<<"$fd" | base64 -d >"$T/entry"
		case $(jq -r ".entries[$j].kind" <<<"$fd") in
		batch)	make_bundle "$T/entry.bundle" "$T/entry"
			upload m "$T/entry.bundle" >/dev/null ;;
		decision)
			curl -sf -H "Tally-Receipt: $(jq -r ".entries[$j].receipt" <<<"$fd")" \
			    --data-binary @"$T/entry" "$(central_url m)/v1/decisions" \
			    >/dev/null || fail "the mirror refused a decision" ;;
		*)	fail "unknown feed entry kind" ;;
		esac
	done
	after=$(jq .next <<<"$fd")
done
expect_eq "feed followed to" "$after" 7
expect_eq "mirror state hash" "$(curl -sf "$(central_url m)/v1/state-hash" | jq -r .state_hash)" "$(state)"
expect_eq "the mirror passes the receipts on" "$(curl -sf "$(central_url m)/v1/feed?after=0" |
    jq -r '.entries[] | select(.kind == "decision") | .receipt')" "$receipts"
expect_eq "mirror: not frozen" "$(curl -sf "$(central_url m)/v1/devices/$dev/head" | jq .frozen)" null
expect_eq "mirror: no conflict" "$(curl -sf "$(central_url m)/v1/state-hash" | jq .conflicts)" 0

note "an audit of the feed, decisions included, matches the central"
out=$("$BIN/tally" audit --feed "$url" --authority "$T/authority/auth.pub") ||
    fail "audit with decisions: $out"
expect_match "audit: decisions applied" "$out" "2 decisions verified"
expect_match "audit: match" "$(tail -n 1 <<<"$out")" "^results match$"

note "the decisions survive a restart"
sh=$(state)
kill9 c
CENTRAL_MODE=live CENTRAL_EXTRA=$CLOSED start_central c "$(cat "$T/c/port")"
expect_eq "state hash after a restart" "$(state)" "$sh"

note "a resolve names the heads it chose among"
tally decision resolve --key "$T/adj.key" --election "$ELECTION" --area A03 \
    --level na --round 1 --record "$rec3" --out "$T/noover.dec" 2>"$T/err" &&
    fail "a resolve without --over or --central was signed"
expect_match "says why" "$(cat "$T/err")" "needs --over"
curl -sf "$url/v1/feed?after=6" | jq -r '.entries[0].bytes' | base64 -d |
    grep -qa '"over":\["' ||
    fail "the resolve decision does not carry over"

note "a fourth device's differing A03 record reopens the resolved key"
jq '.votes."NA1.1" -= 2 | .votes."NA1.2" += 2' "$RECORDS/A03-na.json" >"$T/A03-third.json"
batch d4 1 "$T/d4.msg" "$T/A03-third.json"
make_bundle "$T/d4.bundle" "$T/d4.msg"
upload c "$T/d4.bundle" >/dev/null
expect_eq "d4 stored" "$(cat "$T/last_status")" 200
cf=$(curl -sf "$url/v1/conflicts")
expect_eq "A03 in conflict again" "$(jq -c '[.conflicts[] | .area]' <<<"$cf")" '["A03"]'
expect_eq "three heads shown" "$(jq '.conflicts[0].heads | length' <<<"$cf")" 3
expect_eq "the old decision shown" "$(jq -r '.conflicts[0].stale.decision' <<<"$cf")" \
    "$(b2sum -l 256 "$T/resolve.dec" | cut -d' ' -f1)"
expect_eq "its choice shown" "$(jq -r '.conflicts[0].stale.record' <<<"$cf")" "$rec3"
expect_eq "a key in conflict" "$(curl -sf "$url/v1/state-hash" | jq .conflicts)" 1
expect_eq "A03 disputed again" "$(curl -sf "$url/v1/results/constituencies/$cid" |
    jq -c .disputed_areas)" '["A03"]'
note "a new decision over the three heads resolves it again"
out=$(tally decision resolve --key "$T/adj.key" --election "$ELECTION" --area A03 \
    --level na --round 1 --record "$rec3" --note "recounted" --central "$url" 2>&1) ||
    fail "resolve --central: $out"
expect_eq "no conflict left again" "$(curl -sf "$url/v1/conflicts" | jq '.conflicts | length')" 0
expect_eq "A03 not disputed" "$(curl -sf "$url/v1/results/constituencies/$cid" |
    jq -c .disputed_areas)" '[]'
expect_eq "the new decision lists the three heads" "$(curl -sf "$url/v1/feed?after=8" |
    jq -r '.entries[0].bytes' | base64 -d | grep -ao '"over":\[[^]]*\]' | grep -o ':[0-9]*"' | wc -l)" 3

note "results kept up to date by changes equal a restarted central's, byte for byte"
results_all() {
	local l id
	curl -sf "$1/v1/results" && echo || return 1
	for l in $(curl -sf "$1/v1/results" | jq -r '.levels[].level'); do
		curl -sf "$1/v1/results?level=$l" && echo || return 1
		for id in $(curl -sf "$1/v1/results?level=$l" | jq -r '.constituencies[].id'); do
			curl -sf "$1/v1/results/constituencies/$id" && echo || return 1
		done
	done
}
results_all "$url" >"$T/res-live.json" || fail "GET results"
kill9 c
CENTRAL_MODE=live CENTRAL_EXTRA=$CLOSED start_central c "$(cat "$T/c/port")"
results_all "$url" >"$T/res-fresh.json" || fail "GET results (restarted)"
[ "$(wc -l <"$T/res-fresh.json")" -gt 3 ] || fail "too few results documents"
cmp -s "$T/res-live.json" "$T/res-fresh.json" ||
    fail "results kept up to date differ from a fresh computation"

note "an open test central has no certificates: it takes any signed decision, and warns"
start_central o
forge -k "$T/d1.key" -e "$ELECTION" -s 1 -M "$T/o1.msg" "$RECORDS/A01-na.json" >/dev/null
o1=$(b2sum -l 256 "$T/o1.msg" | cut -d' ' -f1)
forge -k "$T/d1.key" -e "$ELECTION" -s 1 -M "$T/o1x.msg" "$RECORDS/A02-na.json" >/dev/null
make_bundle "$T/o.bundle" "$T/o1.msg" "$T/o1x.msg"
upload o "$T/o.bundle" >/dev/null
expect_eq "open: frozen at 1" "$(curl -sf "$(central_url o)/v1/devices/$dev/head" | jq .frozen)" 1
tally decision unfreeze --key "$T/keys/rogue.key" --election "$ELECTION" --device "$dev" \
    --batch "$o1" --seq 1 --central "$(central_url o)" >/dev/null
expect_eq "open: not frozen" "$(curl -sf "$(central_url o)/v1/devices/$dev/head" | jq .frozen)" null
grep -q "OPEN central: decision by" "$T/o/central.log" || fail "the open central did not warn"
echo "PASS"
