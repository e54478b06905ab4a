#!/usr/bin/env bash
# bench/run.sh: the figures of election night, in one run on this machine
# (`make bench` runs it after building).  Prints what it measures as it
# goes, then one line per figure:
#
#	bench: ingest_ratio <durable batches/s at 4 records / verify ceiling>
#	bench: national_seconds <wall seconds, four levels>
#	bench: results_p99_ms <p99 of GET /v1/results during ingest>
#	bench: pouch_ratio <tally records/s / PouchDB docs/s>
#	bench: wire_bytes_per_record <bytes>
#	bench: central_rss_mib <peak, national>
#	bench: tallyd_rss_mib <after 1,000 records>
#	bench: hostile_ratio <worst of the three>
#
# A figure that could not be measured is printed as n/a, with the reason
# above it.  Steps:
#
#  1. ceiling: Ed25519 verifications/s on every core (bench/ceiling.c),
#     fdatasync/s in the data directory;
#  2. durable ingest: bench/loadgen posts N pre-signed one-area batches
#     (one key per area) to a fresh tally-central at 4 records per batch
#     and c16, c64, c256, and at 1 record per batch, c64;
#  3. bytes on the wire per record: gzip bodies, 4 records, c64;
#  4. the national election, `tally gen --size national-2021` (85,000
#     areas, four levels, 340,000 records) and `--size national` (three
#     levels): one batch per polling area with all its levels, c64; the
#     seconds from the first POST until GET /v1/results shows every
#     constituency complete, GET /v1/results and one-constituency
#     latencies sampled during ingest, the central's peak RSS (VmHWM);
#  5. the field daemon: tallyd with the national-2021 definition, its
#     start time and RSS holding the whole definition (no certificate)
#     and a certificate scope of one area (PROTOCOL.md 9.8); then, with
#     a scope of the records' areas, RSS after 1,000 records given one
#     `tally record` at a time, and the median latency of those calls
#     (fork to exit);
#  6. the peer: pouchdb-server (npm, installed under $BUILD/pouch, on
#     127.0.0.1 only) takes the same records as documents by _bulk_docs
#     (4 and 100 per request) and by replication;
#  7. hostile load: honest ingest (4 records, c64) during a slow-loris
#     (bench/slowloris.c, 600 connections), during oversized bodies and
#     during a flood of forged batches (bench/loadgen -A), each divided
#     by the clean c64 rate measured again just before them.  The
#     attackers post from 127.0.0.1 and the honest devices from
#     127.0.0.2 (a forger's address is answered 429, PROTOCOL.md 8.5).
#
# Environment: BUILD, BIN (as make); BENCH_QUICK=1 scales everything down
# (2,000 batches per run, the province election instead of the national
# ones, 200 tallyd records) to check the script in about a minute;
# BENCH_BATCHES=N sets the batches per ingest run (default 10,000);
# BENCH_PERF=1 records `perf record` (DWARF call graphs) of the central
# during the c64 ingest and prints its top symbols and the time under
# each part of an upload; BENCH_KEEP=1 keeps the work
# directory; BENCH_NO_POUCH=1 skips the peer.  Figures depend on the
# machine and on what else runs on it.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
LG=$BUILD/bench/loadgen
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then N=${BENCH_BATCHES:-2000}; else N=${BENCH_BATCHES:-10000}; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
PIDS=()
CWRAP=()	# a command the central runs under (perf record), or none
T0=$SECONDS

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

say() { printf '== %s (%ds)\n' "$*" $((SECONDS - T0)); }
# field FILE KEY: the value of KEY= on the RESULT line of FILE, or n/a.
field() {
	local v
	v=$(sed -n 's/^RESULT .*\<'"$2"'=\([^ ]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1)
	echo "${v:-n/a}"
}
# div A B [DIGITS]: A / B, or n/a.
div() {
	awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN {
	    if (a == "n/a" || b == "n/a" || a == "" || b == "" || b + 0 == 0 ||
	        a + 0 < 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}
unpid() {	# remove $1 from PIDS
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# central_start NAME ELECTION: a fresh central in $W/NAME; sets CPID, CURL.
central_start() {
	local d=$W/$1 line
	mkdir -p "$d"
	"$BIN/tally" keygen -o "$d/central" >/dev/null || exit 1
	printf 'datadir %s/data\nlisten 127.0.0.1:0\nkey %s/central.key\nelection %s\nmode test\n' \
	    "$d" "$d" "$2" >"$d/central.conf"
	mkfifo "$d/ready"
	"${CWRAP[@]}" "$BIN/tally-central" -c "$d/central.conf" -R 3 3>"$d/ready" \
	    2>>"$d/central.log" &
	CPID=$!
	PIDS+=("$CPID")
	if ! read -r -t 120 line <"$d/ready" || [[ ! $line =~ port=([0-9]+) ]]; then
		echo "central $1 did not start:"; tail -n 5 "$d/central.log"; exit 1
	fi
	if [ ${#CWRAP[@]} -gt 0 ]; then	# CPID is the wrapper; the central is its child
		WPID=$CPID
		CPID=$(pgrep -P "$WPID" | head -n 1)
		[ -n "$CPID" ] || { echo "central $1: no child under ${CWRAP[0]}"; exit 1; }
	fi
	CURL=http://127.0.0.1:${BASH_REMATCH[1]}
}
central_stop() {
	kill -TERM "$CPID" 2>/dev/null
	if [ ${#CWRAP[@]} -gt 0 ]; then	# the wrapper exits after the central
		wait "$WPID" 2>/dev/null
		unpid "$WPID"
		return
	fi
	wait "$CPID" 2>/dev/null
	unpid "$CPID"
}
hwm_mib() {	# peak RSS of PID in MiB
	awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null
}
rss_mib() {
	awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null
}

# gen SIZE: generate (once per binary) into $BUILD/bench-gen/SIZE.
gen() {
	local d=$BUILD/bench-gen/$1
	if [ ! -f "$d/stamp" ] || [ "$BIN/tally" -nt "$d/stamp" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		"$BIN/tally" gen --size "$1" --out "$d" >"$d.txt" || exit 1
		touch "$d/stamp"
	fi
	echo "$d"
}

# ingest NAME ARGS...: loadgen on a fresh national-2021 central; output
# in $W/NAME.out.  The central's CPU share of one core is appended.
ingest() {
	local name=$1 t0 c0 c1
	shift
	central_start "$name" "$BIGE"
	c0=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")
	t0=$(date +%s.%N)
	"$LG" -u "$CURL" -e "$BIGE" -d "$BIGD" -n "$N" "$@" \
	    >"$W/$name.out" 2>&1
	c1=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")
	awk -v c="$((c1 - c0))" -v t0="$t0" -v t1="$(date +%s.%N)" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "central CPU %.0f%% of one core\n",
	    100 * c / hz / (t1 - t0) }' >>"$W/$name.out"
	central_stop
	grep -v '^RESULT' "$W/$name.out" | sed "s/^/  $name: /"
}

say "build: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$QUICK" = 1 ]; then
	BIG=province; SMALL=province
else
	BIG=national-2021; SMALL=national
fi
say "generate $BIG and $SMALL"
BIGG=$(gen "$BIG"); SMALLG=$(gen "$SMALL")
[ -f "$BIGG/stamp" ] && [ -f "$SMALLG/stamp" ] || { echo "tally gen failed"; exit 1; }
BIGE=$BIGG/election.json; BIGD=$BIGG/records
NAREAS=$(ls "$BIGD" | wc -l)
[ "$N" -gt "$NAREAS" ] && N=$NAREAS

say "1. ceiling"
mkdir -p "$W/ceiling"
"$BUILD/bench/ceiling" "$W/ceiling" | tee "$W/ceiling.out" | grep -v ^RESULT
VERIFY=$(field "$W/ceiling.out" verify_s)
"$BUILD/bench/bench_wire" | sed 's/^/  bench_wire: /'

say "2. durable ingest, $N batches per run"
if [ "${BENCH_PERF:-}" = 1 ] && command -v perf >/dev/null; then
	# The central runs under perf record rather than perf attaching
	# with -p: -p follows only the threads that exist when it attaches,
	# and the central starts a thread per connection (common/httpd.c)
	# once the load begins, so -p saw none of the work.  Started under
	# perf, every thread inherits the counters.  perf starts disabled
	# and is enabled through its control FIFO once the central is
	# ready, so the profile is of the ingest alone, not of loading
	# the election.  Call graphs are unwound from DWARF (the code has
	# no frame pointers), so the time under each function is known.
	mkfifo "$W/perf.ctl" "$W/perf.ack"
	CWRAP=(perf record -D -1 --control "fifo:$W/perf.ctl,$W/perf.ack"
	    -F 1999 --call-graph dwarf,16384 -o "$W/perf.data" --)
	central_start perf "$BIGE"	# perf's own messages go to its central.log
	exec 7<>"$W/perf.ctl" 8<>"$W/perf.ack"
	echo enable >&7
	read -r -t 10 _ <&8
	"$LG" -u "$CURL" -e "$BIGE" -d "$BIGD" -n "$N" -r 4 -c 64 \
	    >"$W/perf.out" 2>&1
	echo disable >&7
	read -r -t 10 _ <&8
	exec 7>&- 8>&-
	central_stop
	CWRAP=()
	echo "  profile of the central during c64 ingest (perf record, DWARF call graphs, the ingest alone):"
	if ! perf report -i "$W/perf.data" --stdio --sort dso -g none 2>/dev/null |
	    grep -qE '^ +[0-9.]+%'; then
		echo "  no samples; perf record and the central said:"
		tail -n 8 "$W/perf/central.log" | sed 's/^/    /'
	fi
	echo "  by object:"
	perf report -i "$W/perf.data" --stdio --no-children --sort dso \
	    -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | head -n 8 |
	    sed 's/^/  /'
	echo "  by symbol, self:"
	perf report -i "$W/perf.data" --stdio --no-children \
	    --sort dso,symbol -g none 2>/dev/null | grep -E '^ +[0-9.]+%' |
	    head -n 25 | sed 's/^/  /'
	echo "  system calls, with the kernel's work under them:"
	perf report -i "$W/perf.data" --stdio --children --sort symbol \
	    -g none 2>/dev/null | grep -E '^ +[0-9.]+%.*__x64_sys_' |
	    head -n 10 | sed 's/^/  /'
	# The parts of an upload (central/ingest.c, group.c, store_wal.c):
	# the time under each, children included.
	echo "  the central's work, with what it calls:"
	perf report -i "$W/perf.data" --stdio --children --sort symbol \
	    -g none 2>/dev/null | grep -E '^ +[0-9.]+%.*\] (tly_central_post_batches|verify_entry|tly_batch_parse|tly_envelope_verify|entry_seal|commit_timed|apply_item|tly_cstore_commit_lazy|sync_group|ckpt_main|start_thread)( |$)' |
	    sed 's/^/  /'
fi
ingest r4c64 -r 4 -c 64
ingest r4c16 -r 4 -c 16
ingest r4c256 -r 4 -c 256
ingest r1c64 -r 1 -c 64
BPS4=$(field "$W/r4c64.out" bps)
RPS4=$(field "$W/r4c64.out" rps)
echo "  ingest / verify ceiling: 4 records $(div "$BPS4" "$VERIFY"), 1 record $(div "$(field "$W/r1c64.out" bps)" "$VERIFY")"

say "3. bytes on the wire, gzip, 4 records per batch"
ingest gzip -r 4 -c 64 -z
WIRE=$(field "$W/gzip.out" bytes_per_record)

say "4. the national election"
national() {	# NAME GENDIR
	local out=$W/$1.out
	central_start "$1" "$2/election.json"
	"$LG" -u "$CURL" -e "$2/election.json" -d "$2/records" -n 1000000 \
	    -r 256 -c 64 -b -S 250 -W 900 >"$out" 2>&1
	echo "central peak RSS $(hwm_mib "$CPID") MiB; store $(du -m \
	    "$W/$1/data/central.db" | cut -f1) MiB, its WAL $(du -m \
	    "$W/$1/data/central.db-wal" 2>/dev/null | cut -f1) MiB" >>"$out"
	echo "RESULT hwm_mib=$(hwm_mib "$CPID")" >>"$out"
	central_stop
	echo "  $1: $(sed -n 's/^ *\([0-9]* polling areas, [0-9]* count records\).*/\1/p' "$2.txt")"
	grep -v '^RESULT' "$out" | sed "s/^/  $1: /"
}
national "$BIG" "$BIGG"
NATSECS=$(field "$W/$BIG.out" complete_s)
case $NATSECS in -*) NATSECS=n/a ;; esac	# not complete in time
RESP99=$(field "$W/$BIG.out" results_p99_ms)
CRSS=$(field "$W/$BIG.out" hwm_mib)
if [ "$QUICK" != 1 ]; then national "$SMALL" "$SMALLG"; fi

say "5. the field daemon"
TDN=1000; [ "$QUICK" = 1 ] && TDN=200
d=$W/tallyd; mkdir -p "$d/recs"
# tallyd_start NAME [CONFIG LINES...]: a tallyd on $BIGE in $d/NAME;
# sets TPID and TSTART_MS (fork to READY).
tallyd_start() {
	local n=$1 t0 line
	shift
	mkdir -p "$d/$n"
	printf 'datadir %s/data\nsocket %s/tallyd.sock\nelection %s\nmode test\n' \
	    "$d/$n" "$d/$n" "$BIGE" >"$d/$n/tallyd.conf"
	printf '%s\n' "$@" >>"$d/$n/tallyd.conf"
	rm -f "$d/$n/ready"; mkfifo "$d/$n/ready"
	t0=$(date +%s%N)
	"$BIN/tallyd" -c "$d/$n/tallyd.conf" -R 3 3>"$d/$n/ready" 2>>"$d/$n/tallyd.log" &
	TPID=$!; PIDS+=("$TPID")
	if ! read -r -t 120 line <"$d/$n/ready"; then
		echo "  tallyd $n did not start: $(tail -n 3 "$d/$n/tallyd.log")"
		TPID=; return 1
	fi
	TSTART_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
tallyd_stop() { kill -TERM "$TPID"; wait "$TPID" 2>/dev/null; unpid "$TPID"; }
# certify KEY AREAS: a device certificate beside KEY for AREAS, all levels.
"$BIN/tally" authority init -o "$d/auth" >/dev/null
certify() {
	"$BIN/tally" enroll request --key "$1" --name bench --no-qr >/dev/null &&
	"$BIN/tally" cert issue --authority "$d/auth.key" --request "${1%.key}.req" \
	    --election "$BIGE" --areas "$2" --levels '*' --serial "$((++SERIAL))" \
	    --not-after 2099-01-01 --out "${1%.key}.cert" >/dev/null
}
SERIAL=0
# The records: one per file, in area then level order.
i=0; AREAS=
for f in "$BIGD"/*.json; do
	AREAS=$AREAS${AREAS:+,}$(basename "$f" .json)
	while read -r rec; do
		printf '%s\n' "$rec" >"$d/recs/$(printf %05d "$i").json"
		i=$((i + 1))
	done < <(jq -c '.[]' "$f")
	[ "$i" -lt "$TDN" ] || break
done
ls "$d"/recs/*.json | tail -n +$((TDN + 1)) | xargs -r rm -f
TRSS=n/a
# Without a certificate tallyd holds the whole definition (PROTOCOL.md
# 9.8); this start also makes the device key and its store.
if tallyd_start all; then
	echo "  tallyd, whole definition (no certificate): start $TSTART_MS ms, RSS $(rss_mib "$TPID") MiB, peak $(hwm_mib "$TPID") MiB"
	tallyd_stop
fi
# A scope of one polling area: what a field laptop holds.
mkdir -p "$d/one"
if certify "$d/one/device.key" "${AREAS%%,*}" &&
    tallyd_start one "key $d/one/device.key"; then
	echo "  tallyd, scope of one area: start $TSTART_MS ms, RSS $(rss_mib "$TPID") MiB, peak $(hwm_mib "$TPID") MiB"
	tallyd_stop
fi
# The records' $(( (TDN + 3) / 4 )) areas, on the key of the first start.
if certify "$d/all/data/device.key" "$AREAS" && tallyd_start all; then
	echo "  tallyd, scope of $(tr ',' '\n' <<<"$AREAS" | wc -l) areas: start $TSTART_MS ms, RSS $(rss_mib "$TPID") MiB"
	: >"$d/lat"
	for f in "$d"/recs/*.json; do
		t0=$(date +%s%N)
		"$BIN/tally" -s "$d/all/tallyd.sock" record "$f" >/dev/null 2>>"$d/record.err" ||
		    echo "  tally record $f failed: $(tail -n 1 "$d/record.err")"
		echo $(( ($(date +%s%N) - t0) / 1000 )) >>"$d/lat"
	done
	TRSS=$(rss_mib "$TPID")
	echo "  tallyd RSS after $TDN records: $TRSS MiB (peak $(hwm_mib "$TPID") MiB)"
	echo "  tally record, one record, fork to exit: p50 $(sort -n "$d/lat" |
	    awk '{ v[NR] = $1 } END { printf "%.1f ms", v[int((NR + 1) / 2)] / 1000 }')"
	tallyd_stop
fi

say "6. the peer: PouchDB"
POUCH=n/a
PDOCS=$(( N < NAREAS ? N : NAREAS )); [ "$QUICK" != 1 ] && PDOCS=20000
if [ "${BENCH_NO_POUCH:-}" = 1 ]; then
	echo "  n/a: BENCH_NO_POUCH=1"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "  n/a: node and npm are not installed (apt-get install nodejs npm)"
elif ! { [ -x "$BUILD/pouch/node_modules/.bin/pouchdb-server" ] ||
    npm install --prefix "$BUILD/pouch" --no-audit --no-fund \
    pouchdb-server >"$W/npm.log" 2>&1; }; then
	echo "  n/a: npm install pouchdb-server failed: $(tail -n 2 "$W/npm.log")"
else
	mkdir -p "$W/pouch/db"
	port=$(( 20000 + RANDOM % 20000 ))
	(cd "$W/pouch" && exec "$BUILD/pouch/node_modules/.bin/pouchdb-server" \
	    --host 127.0.0.1 --port "$port" --dir "$W/pouch/db" \
	    >"$W/pouch/server.log" 2>&1) &
	PPID_=$!; PIDS+=("$PPID_")
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$port/" >/dev/null && break
		sleep 0.2
	done
	if node "$ROOT/bench/pouch.js" "http://127.0.0.1:$port" "$BIGD" \
	    $((PDOCS / 4 + 1)) 64 >"$W/pouch.out" 2>&1; then
		grep -v ^RESULT "$W/pouch.out" | sed 's/^/  /'
		POUCH=$(field "$W/pouch.out" repl_s)
		echo "  tally records/s (4 per batch, c64, verified, fsynced) / PouchDB: replication $(div "$RPS4" "$POUCH" 2), _bulk_docs x4 $(div "$RPS4" "$(field "$W/pouch.out" bulk4_s)" 2), x100 $(div "$RPS4" "$(field "$W/pouch.out" bulk100_s)" 2)"
	else
		echo "  n/a: the PouchDB run failed: $(tail -n 2 "$W/pouch.out")"
	fi
	kill -TERM "$PPID_"; wait "$PPID_" 2>/dev/null; unpid "$PPID_"
fi

say "7. hostile load (honest: 4 records, c64, at most 60 s)"
hostile() {	# NAME ATTACKER-COMMAND...
	local name=$1 apid
	shift
	central_start "$name" "$BIGE"
	"$@" "$CURL" >"$W/$name.attack" 2>&1 &
	apid=$!; PIDS+=("$apid")
	sleep 2		# let the attack take hold
	"$LG" -u "$CURL" -e "$BIGE" -d "$BIGD" -n "$N" -r 4 -c 64 \
	    -I 127.0.0.2 -T 60 >"$W/$name.out" 2>&1
	kill -TERM "$apid"; wait "$apid" 2>/dev/null; unpid "$apid"
	central_stop
	echo "  $name: $(grep -h 'loadgen: [0-9]* answered\|failures' "$W/$name.out" | tr '\n' ' ')"
	echo "  $name: attacker: $(grep -v '^loadgen: signed' "$W/$name.attack" | tail -n 1)"
	echo "  $name: ratio to clean $(div "$(field "$W/$name.out" bps)" "$CLEAN")"
}
# Each attacker execs, so that its pid is the one hostile() kills.
hostile_slowloris() { exec "$BUILD/bench/slowloris" -c 600 -t 600 "$1"; }
hostile_oversize() { exec "$LG" -A oversize -c 16 -t 600 -u "$1"; }
hostile_forged() {
	exec "$LG" -A forged -c 64 -t 600 -n 2000 -e "$BIGE" \
	    -d "$BIGD" -u "$1"
}
# The clean rate again, just before: the machine's load drifts.
ingest clean -r 4 -c 64
CLEAN=$(field "$W/clean.out" bps)
hostile slowloris hostile_slowloris
hostile oversize hostile_oversize
hostile forged hostile_forged
HOST=n/a
for h in slowloris oversize forged; do
	r=$(div "$(field "$W/$h.out" bps)" "$CLEAN")
	if [ "$r" = n/a ]; then HOST=n/a; break; fi
	HOST=$(awk -v a="$HOST" -v b="$r" 'BEGIN { print (a == "n/a" || b < a) ? b : a }')
done

say "done"
[ "$QUICK" = 1 ] && echo "(BENCH_QUICK=1: $N batches per run; national_seconds and central_rss_mib are of the province election)"
printf '%-22s %12s  %s\n' figure value target \
    ingest_ratio "$(div "$BPS4" "$VERIFY")" ">= 0.5" \
    national_seconds "$NATSECS" "<= 30" \
    results_p99_ms "$RESP99" "<= 20" \
    pouch_ratio "$(div "$RPS4" "$POUCH" 2)" ">= 5" \
    wire_bytes_per_record "$WIRE" "<= 300" \
    central_rss_mib "$CRSS" "<= 512" \
    tallyd_rss_mib "$TRSS" "<= 16" \
    hostile_ratio "$HOST" ">= 0.67"
echo "bench: ingest_ratio $(div "$BPS4" "$VERIFY")"
echo "bench: national_seconds $NATSECS"
echo "bench: results_p99_ms $RESP99"
echo "bench: pouch_ratio $(div "$RPS4" "$POUCH" 2)"
echo "bench: wire_bytes_per_record $WIRE"
echo "bench: central_rss_mib $CRSS"
echo "bench: tallyd_rss_mib $TRSS"
echo "bench: hostile_ratio $HOST"
