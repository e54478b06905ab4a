#!/usr/bin/env bash
# The end-to-end demo behind 'make demo': on loopback, in a temporary
# directory, a central and two field daemons carry the small election's
# count records, with the central down and up once in the middle.
. "$(dirname "$0")/integration/lib.sh"

say() { printf '\n== %s\n' "$*"; }

say "starting tally-central and two field daemons (tallyd) on 127.0.0.1"
start_central central
port=$(cat "$T/central/port")
start_daemon laptop-a central
start_daemon laptop-b central
echo "central      $(central_url central)  key $(cut -d' ' -f2 "$T/keys/central.pub" | head -c 16)..."
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
start_central central "$port"
sync_until_done laptop-a
sync_until_done laptop-b
tly laptop-a status | head -n 6

say "bundles for the USB stick, verified offline"
for l in laptop-a laptop-b; do
	tly "$l" export --out "$T/$l.bundle"
	"$BIN/tally" verify --election "$ELECTION" "$T/$l.bundle" | tail -n 1
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
