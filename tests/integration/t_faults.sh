#!/usr/bin/env bash
# Three field daemons deliver a few thousand records through a proxy that
# injects network faults at random (cuts, stalls, resets, blackholes, a
# captive portal), while the central and the daemons are killed with
# SIGKILL at random moments and restarted.  At the end, with the faults
# off, every batch a daemon holds is at the central exactly once, every
# record 'tally record' acknowledged is delivered, and nothing is there
# twice.  The run is fixed by FAULT_SEED (printed); the figures are
# printed at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

SEED=${FAULT_SEED:-4242}
NDAEMONS=3
PER_DAEMON=${FAULT_RECORDS:-700}	# records entered per daemon
PROB=${FAULT_PROB:-0.5}		# chance of a fault per connection
FAULTS_MIN=${FAULT_MIN:-300}		# keep the traffic going until then
RANDOM=$SEED
t0=$(date +%s)
note "seed $SEED: $NDAEMONS daemons x $PER_DAEMON records, fault probability $PROB"

start_central c
port=$(cat "$T/c/port")
start_proxy net c -s "$SEED" -m "random $PROB"
DCONF=("connect-timeout 1" "batch-max 1")
for i in $(seq 1 $NDAEMONS); do
	start_daemon "d$i" net "${DCONF[@]}"
done

# The records: the small election's twenty records, each made distinct
# by its note, cut into chunks: many single records, some arrays of up
# to 256 (one batch each).  Daemon 1 starts with a full 256.
jq -s -c '.' "$RECORDS"/*.json >"$T/pool.json"
npool=$(jq length "$T/pool.json")
steps=()
for i in $(seq 1 $NDAEMONS); do
	left=$PER_DAEMON k=0 at=0
	mkdir -p "$T/chunks/d$i"
	while [ "$left" -gt 0 ]; do
		r=$((RANDOM % 10))
		if [ "$i" = 1 ] && [ "$k" = 0 ]; then size=256
		elif [ $r -lt 6 ]; then size=1
		elif [ $r -lt 9 ]; then size=$((2 + RANDOM % 31))
		else size=$((33 + RANDOM % 224))
		fi
		[ "$size" -gt "$left" ] && size=$left
		f=$T/chunks/d$i/$k.json
		jq -c --argjson at "$at" --argjson n "$size" --arg d "d$i" \
		    --argjson np "$npool" '
		    [range($at; $at + $n) as $j | .[$j % $np] |
		     .note = "\($d) entry \($j)"] |
		    if length == 1 then .[0] else . end' "$T/pool.json" >"$f"
		steps+=("d$i $f $size")
		left=$((left - size)) at=$((at + size)) k=$((k + 1))
	done
done
# A seeded shuffle of the steps across the daemons.
for ((i = ${#steps[@]} - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	x=${steps[i]} steps[i]=${steps[j]} steps[j]=$x
done
note "${#steps[@]} record commands prepared"

# Traffic: each daemon is asked to sync again and again (as a clerk
# pressing "send" would), besides its own retries.
touch "$T/running"
drive() {
	while [ -f "$T/running" ]; do
		tly "$1" sync >/dev/null 2>&1 || true
		sleep 0.05
	done
}
DRIVERS=()
for i in $(seq 1 $NDAEMONS); do
	drive "d$i" &
	DRIVERS+=($!)
	PIDS+=($!)			# stopped by the cleanup too
done
stop_drivers() {
	rm -f "$T/running"
	local p
	for p in "${DRIVERS[@]}"; do wait "$p" 2>/dev/null || true; done
	DRIVERS=()
}

: >"$T/entered"			# batch ids 'tally record' acknowledged
entered_records=0 uncertain=0 kills_central=0 kills_daemon=0 kills_mid=0
netevents=0 couriers=0 central_down=0 captive=0

# record D FILE SIZE: enter one chunk; count it only if tally said yes.
record() {
	local out
	if out=$(tly "$1" record --json "$2" 2>/dev/null); then
		jq -r .batch <<<"$out" >>"$T/entered"
		entered_records=$((entered_records + $3))
	else
		fail "record $2 on $1 with the daemon up: $out"
	fi
}

# record_killed D FILE SIZE: enter a chunk and kill the daemon meanwhile.
record_killed() {
	local rp out=$T/rk.out rc=0
	tly "$1" record --json "$2" >"$out" 2>/dev/null &
	rp=$!
	if [ $((RANDOM % 2)) = 0 ]; then sleep "0.0$((RANDOM % 10))"; fi
	kill9 "$1"
	wait "$rp" || rc=$?
	if [ "$rc" = 0 ]; then
		jq -r .batch "$out" >>"$T/entered"
		entered_records=$((entered_records + $3))
	else
		uncertain=$((uncertain + 1))
	fi
	kills_daemon=$((kills_daemon + 1)) kills_mid=$((kills_mid + 1))
	start_daemon "$1" net "${DCONF[@]}"
}

# event: at random, kill or restart the central, kill a daemon, disturb
# the whole link for a while, or carry a bundle by hand.
event() {
	local r=$((RANDOM % 100)) d
	if [ "$captive" = 1 ]; then
		proxy net captive off >/dev/null
		captive=0
	fi
	if [ "$central_down" -gt 0 ]; then
		central_down=$((central_down - 1))
		if [ "$central_down" = 0 ]; then start_central c "$port"; fi
		return 0
	fi
	if [ $r -lt 15 ]; then
		kill9 c
		kills_central=$((kills_central + 1))
		central_down=$((RANDOM % 3))
		if [ "$central_down" = 0 ]; then start_central c "$port"; fi
	elif [ $r -lt 27 ]; then
		d=d$((1 + RANDOM % NDAEMONS))
		kill9 "$d"
		kills_daemon=$((kills_daemon + 1))
		start_daemon "$d" net "${DCONF[@]}"
	elif [ $r -lt 37 ]; then
		netevents=$((netevents + 1))
		case $((RANDOM % 4)) in
		0) proxy net blackhole $((300 + RANDOM % 1200)) >/dev/null ;;
		1) proxy net drop $((300 + RANDOM % 1200)) >/dev/null ;;
		2) proxy net refuse $((300 + RANDOM % 1200)) >/dev/null ;;
		3) proxy net captive on >/dev/null; captive=1 ;;
		esac
	elif [ $r -lt 50 ]; then
		courier
	fi
	return 0
}

# courier: carry everything a daemon holds to the central by hand, through
# the same bad link; what the central already holds comes back duplicate.
courier() {
	local d=d$((1 + RANDOM % NDAEMONS))
	couriers=$((couriers + 1))
	tly "$d" export --out "$T/courier.bundle" >/dev/null 2>&1 || return 0
	"$BIN/tally" import "$T/courier.bundle" --central \
	    "http://127.0.0.1:$(cat "$T/net/port")" \
	    --central-key "$T/keys/c.pub" >/dev/null 2>&1 || true
}

for s in "${steps[@]}"; do
	read -r d f size <<<"$s"
	if [ $((RANDOM % 100)) -lt 6 ]; then
		record_killed "$d" "$f" "$size"
	else
		record "$d" "$f" "$size"
	fi
	event
done
note "all record commands done after $(( $(date +%s) - t0 ))s; $entered_records records acknowledged by tally record"

# More traffic, with more faults, until enough faults have been
# injected: couriers carry the daemons' bundles by hand, four at a time,
# through the same bad link (all duplicates or late arrivals); bounded.
if [ "$central_down" -gt 0 ]; then start_central c "$port"; fi
central_down=0
for i in $(seq 1 $NDAEMONS); do
	tly "d$i" export --out "$T/d$i.bundle" >/dev/null
done
phase1=$(proxy net stats)
note "couriers from $(( $(date +%s) - t0 ))s; $(jq .faults_total <<<"$phase1") faults so far"
proxy net mode random 0.8 >/dev/null
cps=()				# couriers under way, oldest first
for i in $(seq 1 600); do
	if [ "${#cps[@]}" -ge 4 ]; then
		wait "${cps[0]}" || true
		cps=("${cps[@]:1}")
	fi
	n=$(proxy net stats | jq .faults_total)
	[ "$n" -ge "$FAULTS_MIN" ] && break
	"$BIN/tally" import "$T/d$((1 + RANDOM % NDAEMONS)).bundle" \
	    --central "http://127.0.0.1:$(cat "$T/net/port")" \
	    --central-key "$T/keys/c.pub" >/dev/null 2>&1 &
	cps+=($!)
	couriers=$((couriers + 1))
done
for p in "${cps[@]}"; do wait "$p" || true; done

# Heal: no more faults, the central up, the daemons' own syncs finish.
proxy net mode pass >/dev/null
proxy net captive off >/dev/null
if [ "$central_down" -gt 0 ]; then start_central c "$port"; fi
stop_drivers
for i in $(seq 1 $NDAEMONS); do
	sync_until_done "d$i"
done
note "all delivered after $(( $(date +%s) - t0 ))s"
stop_proxy net
stats=$(cat "$T/net/stats.json")

# Exactly once: the union of the daemons' batches is what the central
# holds, each batch once, each record once.
: >"$T/daemon_batches"
held_records=0
for i in $(seq 1 $NDAEMONS); do
	st=$(tly "d$i" status --json)
	expect_eq "d$i: batches not acknowledged" \
	    "$(jq '[.batches[] | select(.state != "acknowledged")] | length' <<<"$st")" 0
	n=$(jq '.batches | length' <<<"$st")
	expect_eq "d$i: seqs are 1..n, each once" \
	    "$(jq -c '[.batches[].seq] | sort' <<<"$st")" "$(jq -cn "[range(1; $n + 1)]")"
	jq -r '.batches[].batch' <<<"$st" >>"$T/daemon_batches"
	held_records=$((held_records + $(jq '[.batches[].records] | add // 0' <<<"$st")))
	dev=$(jq -r .device <<<"$st")
	expect_eq "d$i: central head" \
	    "$(curl -sf "$(central_url c)/v1/devices/$dev/head" | jq .head)" "$n"
done
sort "$T/daemon_batches" >"$T/daemon_sorted"
central_db c "select lower(hex(id)) from batches" | sort >"$T/central_sorted"
missing=$(comm -23 "$T/daemon_sorted" "$T/central_sorted" | wc -l)
extra=$(comm -13 "$T/daemon_sorted" "$T/central_sorted" | wc -l)
dup_batches=$(( $(central_db c "select count(*) from batches") -
    $(central_db c "select count(distinct id) from batches") ))
crec=$(central_db c "select count(*) from records")
dup_records=$((crec - $(central_db c "select count(distinct id) from records")))
sort "$T/entered" >"$T/entered_sorted"
lost=$(comm -23 "$T/entered_sorted" "$T/daemon_sorted" | wc -l)
lost_central=$(comm -23 "$T/entered_sorted" "$T/central_sorted" | wc -l)

cat <<EOF
-- figures (seed $SEED)
   records entered and acknowledged by tally record: $entered_records in $(wc -l <"$T/entered") batches
   record commands cut by a kill: $uncertain
   batches held by the daemons: $(wc -l <"$T/daemon_sorted") ($held_records records)
   batches at the central: $(wc -l <"$T/central_sorted") ($crec records)
   connections through the proxy: $(jq .connections <<<"$stats")
   faults injected: $(jq .faults_total <<<"$stats") $(jq -c .faults <<<"$stats")
   ($(jq .faults_total <<<"$phase1") of them while the records were entered)
   link-wide disturbances: $netevents; hand-carried bundles: $couriers
   kills (SIGKILL): central $kills_central, daemons $kills_daemon ($kills_mid during 'tally record')
   losses: $((lost + lost_central + missing)); duplicates: $((dup_batches + dup_records + extra))
EOF
expect_eq "entered batches missing at the daemons" "$lost" 0
expect_eq "entered batches missing at the central" "$lost_central" 0
expect_eq "daemon batches missing at the central" "$missing" 0
expect_eq "central batches no daemon holds" "$extra" 0
expect_eq "duplicate batches" "$dup_batches" 0
expect_eq "central records" "$crec" "$held_records"
expect_eq "duplicate records" "$dup_records" 0
[ "$entered_records" -ge $((NDAEMONS * PER_DAEMON / 2)) ] ||
    fail "only $entered_records records were entered"
[ "$(jq .faults_total <<<"$stats")" -ge "$FAULTS_MIN" ] ||
    fail "only $(jq .faults_total <<<"$stats") faults were injected"
echo "PASS"
