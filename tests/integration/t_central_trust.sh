#!/usr/bin/env bash
# A closed central (tally-central.conf(5): authority, definition-signature,
# certificates, revocations): a live central refuses to start open or with
# an altered definition or a certificate the authority did not sign; it
# applies a batch only from a certified, unrevoked device within its
# window and scope, and keeps every refused batch as evidence.  An open
# test central says it is open in every results answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

A=$T/authority
mkdir -p "$A/certs" "$T/c"
tally() { "$BIN/tally" "$@"; }

tally authority init -o "$A/auth" >/dev/null
tally election sign --authority "$A/auth.key" --out "$A/election.sig" \
    "$ELECTION" >/dev/null

# enroll NAME SERIAL AREAS [cert issue options...]: a device key
# $T/NAME.key and its certificate $A/certs/NAME.cert.
enroll() {
	local name=$1 serial=$2 areas=$3
	shift 3
	tally enroll request --key "$T/$name.key" --name "$name" --no-qr >/dev/null
	tally cert issue --authority "$A/auth.key" --request "$T/$name.req" \
	    --election "$ELECTION" --areas "$areas" --levels '*' \
	    --serial "$serial" --out "$A/certs/$name.cert" "$@" >/dev/null
}
enroll d1 1 A01,A02 --not-after 2099-01-01
enroll d2 2 A03 --not-after 2099-01-01
enroll old 3 A04 --not-before 2020-01-01 --not-after 2020-12-31

# central_n CONF-LINES...: tally-central -n on a configuration of the lines.
central_n() {
	printf '%s\n' "datadir $T/c/data" "key $T/keys/c.key" "$@" >"$T/c/n.conf"
	rc=0
	out=$("$BIN/tally-central" -n -c "$T/c/n.conf" 2>&1) || rc=$?
}
keygen c

note "a live central without an authority refuses to start"
central_n "election $ELECTION" "mode live"
expect_eq "open live: exit" "$rc" 2
expect_match "open live: message" "$out" "mode live needs an authority"
central_n "election $ELECTION"
expect_eq "open, default mode: exit" "$rc" 2

closed=("authority $A/auth.pub" "definition-signature $A/election.sig"
    "certificates $A/certs")
central_n "election $ELECTION" "${closed[@]}"
expect_eq "closed live central: exit" "$rc" 0

note "a definition altered after signing refuses to start"
sed 's/"A01"/"A0l"/' "$ELECTION" >"$T/altered.json"
cmp -s "$ELECTION" "$T/altered.json" && fail "the definition was not altered"
central_n "election $T/altered.json" "${closed[@]}"
expect_eq "altered definition: exit" "$rc" 2
expect_match "altered definition: message" "$out" "altered after signing"
central_n "election $ELECTION" "authority $A/auth.pub" "certificates $A/certs"
expect_eq "no definition signature: exit" "$rc" 2
expect_match "no definition signature: message" "$out" "definition-signature is required"

note "a certificate the authority did not sign refuses to start"
tally authority init -o "$T/rogue" >/dev/null
tally enroll request --key "$T/r.key" --name r --no-qr >/dev/null
mkdir -p "$T/roguecerts"
cp "$A/certs/d1.cert" "$T/roguecerts/"
tally cert issue --authority "$T/rogue.key" --request "$T/r.req" \
    --election "$ELECTION" --areas '*' --levels '*' --serial 9 \
    --not-after 2099-01-01 --out "$T/roguecerts/r.cert" >/dev/null
central_n "election $ELECTION" "authority $A/auth.pub" \
    "definition-signature $A/election.sig" "certificates $T/roguecerts"
expect_eq "rogue certificate: exit" "$rc" 2
expect_match "rogue certificate: names the file" "$out" "roguecerts/r.cert: not_certified"

CENTRAL_MODE=live CENTRAL_EXTRA=$(printf '%s\n' "${closed[@]}") start_central c
grep -q "OPEN central" "$T/c/central.log" && fail "a closed central says it is open"

# batch NAME SEQ OUT RECORD...: a live batch of device NAME.
batch() {
	local name=$1 seq=$2 out=$3
	shift 3
	forge -k "$T/$name.key" -e "$ELECTION" -s "$seq" -m live -o "$out" "$@" >/dev/null
}
# refused WHAT BUNDLE CODE: the upload is refused with CODE, nothing is
# applied and the rejection log holds it.
refused() {
	local before
	before=$(central_db c "select count(*) from batches")
	out=$(upload c "$2")
	expect_eq "$1: status" "$(cat "$T/last_status")" 422
	expect_eq "$1: code" "$(jq -r '.results[0].error.code // .results[0].code' <<<"$out")" "$3"
	expect_eq "$1: nothing stored" "$(central_db c "select count(*) from batches")" "$before"
	[ "$(central_db c "select count(*) from rejections where code = '$3'")" -ge 1 ] ||
	    fail "$1: no $3 evidence in the rejection log"
}

note "an unlisted key uploads counts for every area before the laptops"
keygen x
all=()
for f in "$RECORDS"/*-na.json; do all+=("$f"); done
forge -k "$T/keys/x.key" -e "$ELECTION" -s 1 -m live -o "$T/x.bundle" "${all[@]}" >/dev/null
refused "attacker" "$T/x.bundle" not_certified
upload c "$T/x.bundle" >/dev/null
upload c "$T/x.bundle" >/dev/null
expect_eq "the same bytes are kept once" \
    "$(central_db c "select count(*) || ' ' || max(repeats) from rejections")" "1 2"
res=$(curl -s "$(central_url c)/v1/results?level=na")
expect_eq "no area reported" "$(jq '.levels[0].reporting' <<<"$res")" 0
expect_eq "a closed central's results are not marked open" "$(jq .open <<<"$res")" null

note "a device signing outside its areas"
batch d1 1 "$T/scope.bundle" "$RECORDS/A01-na.json" "$RECORDS/A03-na.json"
refused "outside its areas" "$T/scope.bundle" out_of_scope
expect_match "names the record" "$(jq -r '.results[0].error.message // .results[0].message' <"$T/last_body")" "A03"

note "an expired certificate"
batch old 1 "$T/old.bundle" "$RECORDS/A04-na.json"
refused "expired certificate" "$T/old.bundle" expired

note "certified devices within their scope are applied"
batch d1 1 "$T/d1.bundle" "$RECORDS/A01-na.json" "$RECORDS/A02-na.json"
upload c "$T/d1.bundle" >/dev/null
expect_eq "d1: status" "$(cat "$T/last_status")" 200
forge -k "$T/d2.key" -e "$ELECTION" -s 1 -m live -M "$T/d2a.msg" \
    -o "$T/d2a.bundle" "$RECORDS/A03-na.json" >/dev/null
upload c "$T/d2a.bundle" >/dev/null
expect_eq "d2 seq 1: status" "$(cat "$T/last_status")" 200
expect_eq "two batches stored" "$(central_db c "select count(*) from batches")" 2

# post FILE: POST /v1/trust; the answer to stdout, the status to $T/last_status.
post() {
	curl -s -o "$T/last_body" -w '%{http_code}' --data-binary @"$1" \
	    "$(central_url c)/v1/trust" >"$T/last_status" || true
	cat "$T/last_body"
}

note "a certificate posted to the running central"
tally enroll request --key "$T/d5.key" --name d5 --no-qr >/dev/null
tally cert issue --authority "$A/auth.key" --request "$T/d5.req" \
    --election "$ELECTION" --areas A05 --levels '*' --serial 5 \
    --not-after 2099-01-01 --out "$T/d5.cert" >/dev/null
batch d5 1 "$T/d5.bundle" "$RECORDS/A05-na.json"
refused "not yet certified" "$T/d5.bundle" not_certified
out=$(post "$T/d5.cert")
expect_eq "post cert: status" "$(cat "$T/last_status")" 200
expect_eq "post cert: added" "$(jq -r .status <<<"$out")" added
out=$(post "$T/d5.cert")
expect_eq "post cert again: held" "$(jq -r .status <<<"$out")" held
upload c "$T/d5.bundle" >/dev/null
expect_eq "d5 after its certificate: status" "$(cat "$T/last_status")" 200
out=$(post "$T/roguecerts/r.cert")
expect_eq "post a rogue cert: status" "$(cat "$T/last_status")" 422
expect_eq "post a rogue cert: code" "$(jq -r .error.code <<<"$out")" not_certified

note "a revoked device, for batches after the revocation"
tally revoke --authority "$A/auth.key" --list "$A/revoked" \
    --election "$ELECTION" 2 >/dev/null
out=$(post "$A/revoked")
expect_eq "post revocations: status" "$(cat "$T/last_status")" 200
forge -k "$T/d2.key" -e "$ELECTION" -s 2 -m live -P "$T/d2a.msg" \
    -o "$T/d2b.bundle" "$RECORDS/A03-prov.json" >/dev/null
refused "revoked device" "$T/d2b.bundle" revoked
expect_eq "the batch before the revocation stays" \
    "$(central_db c "select count(*) from batches")" 3

note "posted objects survive a restart and are served"
stop c
CENTRAL_MODE=live CENTRAL_EXTRA=$(printf '%s\n' "${closed[@]}") \
    start_central c "$(cat "$T/c/port")"
refused "revoked after a restart" "$T/d2b.bundle" revoked
tr=$(curl -s "$(central_url c)/v1/trust")
expect_eq "GET /v1/trust: authority" "$(jq -r .authority <<<"$tr")" "$(cut -d' ' -f2 "$A/auth.pub")"
expect_eq "GET /v1/trust: revocation serial" "$(jq .revocations <<<"$tr")" 1
# definition statement, three certificates, the posted one, the list
expect_eq "GET /v1/trust: objects" "$(jq '.objects | length' <<<"$tr")" 6

note "an open test central says so"
stop c
start_central o
code=$(curl -s -o /dev/null -w '%{http_code}' "$(central_url o)/v1/trust")
expect_eq "an open central has no trust objects" "$code" 409
grep -q "OPEN central" "$T/o/central.log" || fail "an open central did not warn in its log"
res=$(curl -s "$(central_url o)/v1/results")
expect_eq "open: summary" "$(jq .open <<<"$res")" true
expect_match "open: warning" "$(jq -r .warning <<<"$res")" "open central"
cid=$(curl -s "$(central_url o)/v1/results?level=na" | jq -r '.constituencies[0].id')
res=$(curl -s "$(central_url o)/v1/results/constituencies/$cid")
expect_eq "open: constituency" "$(jq .open <<<"$res")" true
echo "PASS"
