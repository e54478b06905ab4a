#!/usr/bin/env bash
# The end-to-end demo behind 'make demo': on loopback, in a temporary
# directory, a closed central and two enrolled field daemons carry the
# small election's count records, with the central down and up once in
# the middle, and ends with an observer's audit of the results.  The
# same steps as README.md's "Using it".
. "$(dirname "$0")/integration/lib.sh"

say() { printf '\n== %s\n' "$*"; }
tally() { "$BIN/tally" "$@"; }
A=$T/authority
export DAEMON_MODE=live
mkdir -p "$A/certs"

say "the committee: an authority key, the signed definition, the central's certificate"
tally authority init -o "$A/auth" | head -n 1
tally election sign --authority "$A/auth.key" --out "$A/election.sig" "$ELECTION" >/dev/null
keygen central
tally cert central --authority "$A/auth.key" --key "$T/keys/central.pub" \
    --election "$ELECTION" --not-after 2099-12-31 --serial 1000 \
    --out "$A/central.cert" | head -n 1

say "enrollment: each laptop asks, the authority certifies its areas, the laptop installs"
serial=0
for l in laptop-a:A01,A02,A03,A04,A05 laptop-b:A06,A07,A08,A09,A10; do
	name=${l%%:*} areas=${l#*:}
	serial=$((serial + 1))
	mkdir -p "$T/$name/data"
	tally enroll request --key "$T/$name/data/device.key" --name "$name" \
	    --no-qr | head -n 1
	tally cert issue --authority "$A/auth.key" \
	    --request "$T/$name/data/device.req" --election "$ELECTION" \
	    --areas "$areas" --levels na,prov --not-after 2099-12-31 \
	    --serial "$serial" --out "$A/certs/$name.cert" >/dev/null
	tally enroll install --key "$T/$name/data/device.key" \
	    --authority "$A/auth.pub" "$A/certs/$name.cert" | tail -n 2
done

say "starting a closed tally-central (mode live) and two field daemons (tallyd) on 127.0.0.1"
CENTRAL_MODE=live CENTRAL_EXTRA="authority $A/auth.pub
central-cert $A/central.cert
certificates $A/certs
definition-signature $A/election.sig" start_central central
port=$(cat "$T/central/port")
url=$(central_url central)
for l in laptop-a laptop-b; do
	start_daemon "$l" - "central $url" "authority $A/auth.pub" \
	    "central-cert $A/central.cert" "web-listen 127.0.0.1:0"
done
echo "central      $url  key $(cut -d' ' -f2 "$T/keys/central.pub" | head -c 16)... (certified)"
echo "laptop-a     device $(tly laptop-a status --json | jq -r .device | head -c 16)...  areas A01-A05"
echo "laptop-b     device $(tly laptop-b status --json | jq -r .device | head -c 16)...  areas A06-A10"

# record LAPTOP AREA...: enter both levels' records for each area.
record() {
	local laptop=$1 a lvl
	shift
	for a in "$@"; do
		for lvl in na prov; do
			tly "$laptop" record "$RECORDS/$a-$lvl.json" >/dev/null
		done
		echo "$laptop   recorded $a (na, prov)"
	done
}

say "election night: the first polling areas report"
record laptop-a A01 A02 A03
record laptop-b A06 A07 A08
tly laptop-a sync
tly laptop-b sync

say "the central goes down; the teams keep recording"
stop central
record laptop-a A04 A05
record laptop-b A09 A10
tly laptop-a sync || true
tly laptop-a status

say "the central comes back on the same address"
CENTRAL_MODE=live CENTRAL_EXTRA="authority $A/auth.pub
central-cert $A/central.cert
certificates $A/certs
definition-signature $A/election.sig" start_central central "$port"
sync_until_done laptop-a
sync_until_done laptop-b
tly laptop-a status | head -n 9

say "an attacker's key, not enrolled, is refused by the central"
keygen rogue
mkdir -p "$T/rogue"
cp "$T/keys/rogue.key" "$T/rogue/device.key"
start_daemon rogue - "central $url" "authority $A/auth.pub" \
    "central-cert $A/central.cert" "key $T/rogue/device.key"
tly rogue record "$RECORDS/A01-na.json" >/dev/null 2>&1 || true
tly rogue sync >/dev/null 2>&1 && { echo "the central took an uncertified batch" >&2; exit 1; }
echo "rogue        $(tly rogue status --json | jq -r '.batches[0].last_error // .last_error' | cut -c1-100)"

say "bundles for the USB stick (with receipts and certificates), verified offline with the authority's key"
for l in laptop-a laptop-b; do
	tly "$l" export --out "$T/$l.bundle"
	"$BIN/tally" verify --authority "$A/auth.pub" --election "$ELECTION" \
	    "$A/election.sig" "$T/$l.bundle" | tail -n 1
done

say "results at the central"
"$BIN/tally" results --central "$(central_url central)" --level na
echo
"$BIN/tally" results --central "$(central_url central)" --level prov | tail -n +7
echo
"$BIN/tally" results --central "$(central_url central)" --constituency P-1

acked=0
for l in laptop-a laptop-b; do
	acked=$((acked + $(tly "$l" status --json | jq .counts.acknowledged)))
done
say "receipts"
echo "signed receipts held by the field daemons: $acked"
echo "batches stored at the central:             $(central_db central 'select count(*) from batches')"

say "the pages"
echo "entry page, laptop-a:   http://127.0.0.1:$(cat "$T/laptop-a/web_port")/"
echo "entry page, laptop-b:   http://127.0.0.1:$(cat "$T/laptop-b/web_port")/"
echo "committee's dashboard:  $(central_url central)/"

say "an observer's audit: every result recomputed from the signed feed, with the authority's key alone"
"$BIN/tally" audit --feed "$(central_url central)" --authority "$A/auth.pub"
# In a terminal, leave everything up until Enter; 'make demo' in a
# script or CI ends here.
if [ -t 0 ] && [ -t 1 ]; then
	printf '\npress Enter to stop the central and the daemons '
	read -r _
fi
