#!/usr/bin/env bash
# Convergence (PROTOCOL.md 12.5): three centrals are fed the same batches
# (from bundles exported by field daemons, plus forged ones: an
# equivocation, a chain that arrives out of order, a broken link) in
# different random orders, with duplicates, in bundles of random sizes,
# and each is killed with SIGKILL mid-feed and restarted.  They end with
# the same state hash, conflicts, evidence and results.  The orders are
# fixed by CONV_SEED (printed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

SEED=${CONV_SEED:-2021}
RANDOM=$SEED
note "seed $SEED"
r() { jq --argjson v "$2" ".votes[\"$3\"] = \$v" "$RECORDS/$1.json"; }

# ---- the batches ---------------------------------------------------------
start_daemon d1 -
start_daemon d2 -
start_daemon d3 -
rec() { tly "$1" record --json "$2" | jq -r '.records[0]'; }
d1_a01=$(rec d1 "$RECORDS/A01-na.json")
rec d1 "$RECORDS/A02-na.json" >/dev/null
jq -s . "$RECORDS"/A0[345]-na.json >"$T/three.json"
d1_a03=$(rec d1 "$T/three.json")
rec d1 "$RECORDS/A06-prov.json" >/dev/null
# d1 corrects its own A01 (a later record of the same key and device).
jq '.votes["NA1.3"] = 314 | .votes["NA1.4"] = 557' "$RECORDS/A01-na.json" >"$T/A01-fix.json"
rec d1 "$T/A01-fix.json" >/dev/null
# d2: a different A01 (conflict), the same A02 (double entry), and an
# A03 that explicitly supersedes d1's.
jq '.votes["NA1.1"] = 813 | .votes["NA1.2"] = 458' "$RECORDS/A01-na.json" >"$T/A01-b.json"
rec d2 "$T/A01-b.json" >/dev/null
rec d2 "$RECORDS/A02-na.json" >/dev/null
rec d2 "$RECORDS/A07-prov.json" >/dev/null
jq --arg s "$d1_a03" '.supersedes = [$s] | .votes["NA1.1"] += 1 | .votes["NA1.2"] -= 1' \
    "$RECORDS/A03-na.json" >"$T/A03-b.json"
rec d2 "$T/A03-b.json" >/dev/null
# d3, and a second seq 2 signed with d3's key: an equivocation.
rec d3 "$RECORDS/A08-na.json" >/dev/null
rec d3 "$RECORDS/A09-na.json" >/dev/null
rec d3 "$RECORDS/A10-na.json" >/dev/null
d3_b1=$(tly d3 status --json | jq -r '.batches[] | select(.seq == 1) | .batch')
mkdir -p "$T/pool"
n=0
for d in d1 d2 d3; do
	tly "$d" export --out "$T/$d.bundle" >/dev/null
	for i in $(seq 0 $(( $(bundle_count "$T/$d.bundle") - 1 ))); do
		bundle_entry "$T/$d.bundle" "$i" >"$T/pool/$n"
		n=$((n + 1))
	done
done
jq '.votes["NA1.1"] += 1 | .votes["NA1.2"] -= 1' "$RECORDS/A09-na.json" >"$T/A09-x.json"
forge -k "$(daemon_key d3)" -e "$ELECTION" -s 2 -p "$d3_b1" -M "$T/pool/$n" \
    "$T/A09-x.json" >/dev/null
n=$((n + 1))
# Device f (a key of its own): a clean chain of three; the centrals see
# its batches in any order, so some wait as pending for a while.
keygen f
prev=() s=1
for a in A10-prov A09-prov A08-prov; do
	forge -k "$T/keys/f.key" -e "$ELECTION" -s $s "${prev[@]}" -M "$T/pool/$n" \
	    "$RECORDS/$a.json" >"$T/id"
	prev=(-p "$(cat "$T/id")") s=$((s + 1)) n=$((n + 1))
done
# Device g: seq 2 does not link to seq 1 (prev_mismatch).
keygen g
forge -k "$T/keys/g.key" -e "$ELECTION" -s 1 -M "$T/pool/$n" "$RECORDS/A04-prov.json" >/dev/null
n=$((n + 1))
forge -k "$T/keys/g.key" -e "$ELECTION" -s 2 -p "$(printf '%064d' 7)" -M "$T/pool/$n" \
    "$RECORDS/A05-prov.json" >/dev/null
n=$((n + 1))
note "$n batches in the pool"

# ---- the feeds -----------------------------------------------------------
# feed NAME: start central NAME and upload the pool to it in a random
# order, with about a third of the batches repeated, in bundles of 1 to 4
# entries; at a random point kill it (sometimes during an upload) and
# restart it, resending the bundle whose answer was lost.
feed() {
	local name=$1 order=() i j x k bundles=0 kill_at rp
	for i in $(seq 0 $((n - 1))); do
		order+=("$i")
		[ $((RANDOM % 3)) = 0 ] && order+=("$i")
	done
	for ((i = ${#order[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		x=${order[i]} order[i]=${order[j]} order[j]=$x
	done
	start_central "$name"
	kill_at=$((RANDOM % 6))
	i=0
	while [ "$i" -lt "${#order[@]}" ]; do
		k=$((1 + RANDOM % 4))
		files=()
		for x in "${order[@]:i:k}"; do files+=("$T/pool/$x"); done
		make_bundle "$T/$name.up" "${files[@]}"
		if [ "$bundles" = "$kill_at" ]; then
			if [ $((RANDOM % 2)) = 0 ]; then
				upload "$name" "$T/$name.up" >/dev/null &
				rp=$!
				kill9 "$name"
				wait "$rp" || true
			else
				kill9 "$name"
			fi
			start_central "$name" "$(cat "$T/$name/port")"
			note "$name killed and restarted after $bundles uploads"
		fi
		upload "$name" "$T/$name.up" >/dev/null
		case $(cat "$T/last_status") in
		200|422) ;;
		*) fail "$name: upload answered $(cat "$T/last_status")" ;;
		esac
		i=$((i + k)) bundles=$((bundles + 1))
	done
	note "$name: ${#order[@]} entries in $bundles uploads, order ${order[*]}"
}

feed c1
feed c2
feed c3

# ---- the same state everywhere --------------------------------------------
h1=$(curl -sf "$(central_url c1)/v1/state-hash")
note "c1: $h1"
expect_eq "frozen devices (d3 and g)" "$(jq .frozen <<<"$h1")" 2
[ "$(jq .conflicts <<<"$h1")" -ge 1 ] || fail "no conflict in the state"
expect_eq "devices" "$(jq .devices <<<"$h1")" 5
for c in c2 c3; do
	for p in /v1/state-hash /v1/conflicts /v1/evidence /v1/results \
	    /v1/results/constituencies/NA-1 /v1/results/constituencies/P-1; do
		expect_eq "$c $p" "$(curl -sf "$(central_url "$c")$p")" \
		    "$(curl -sf "$(central_url c1)$p")"
	done
done
for c in c1 c2 c3; do
	expect_eq "$c held batches" "$(central_db "$c" "select count(*) from batches")" "$n"
done
# A mirror that follows c1's audit feed (12.7) reaches the same state.
start_central m
after=0
for i in $(seq 1 50); do
	fd=$(curl -sf "$(central_url c1)/v1/feed?after=$after&limit=5")
	cnt=$(jq '.entries | length' <<<"$fd")
	[ "$cnt" = 0 ] && break
	files=()
	for j in $(seq 0 $((cnt - 1))); do
		jq -r ".entries[$j].bytes" <<<"$fd" | base64 -d >"$T/feed$j"
		expect_eq "feed entry is its batch" "$(b2sum -l 256 "$T/feed$j" | cut -d' ' -f1)" \
		    "$(jq -r ".entries[$j].batch" <<<"$fd")"
		files+=("$T/feed$j")
	done
	make_bundle "$T/feed.bundle" "${files[@]}"
	upload m "$T/feed.bundle" >/dev/null
	after=$(jq .next <<<"$fd")
done
expect_eq "feed positions" "$after" "$n"
expect_eq "the mirror's state" "$(curl -sf "$(central_url m)/v1/state-hash")" "$h1"

# A restart changes nothing.
kill9 c2
start_central c2 "$(cat "$T/c2/port")"
expect_eq "c2 after a restart" "$(curl -sf "$(central_url c2)/v1/state-hash")" "$h1"
echo "PASS"
