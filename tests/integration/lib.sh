# lib.sh: helpers for integration tests.  Source it from a test script.
#
# Every test runs the real binaries on 127.0.0.1 in its own temporary
# directory, waits on each server's readiness fd (never on time), and
# cleans up with a trap.  Waits are bounded.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${BIN:-bin}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
BIN=$(cd "$BIN" && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TOOLS=$BUILD/tests/tools		# test tools such as the fault proxy
VEC=$ROOT/tests/vectors
ELECTION=$VEC/election-small.json
RECORDS=$VEC/records-small
T=$(mktemp -d "${TMPDIR:-/tmp}/tally-it.XXXXXX")
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "${KEEP:-}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; dump_logs; exit 1; }
note() { echo "-- $*"; }

dump_logs() {
	local f
	for f in "$T"/*/*.log; do
		[ -f "$f" ] || continue
		echo "== $f" >&2
		tail -n 20 "$f" >&2
	done
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_match WHAT TEXT REGEX
expect_match() {
	[[ $2 =~ $3 ]] || fail "$1: '$2' does not match /$3/"
}

# expect_error WHAT STATUS CODE CURL-ARGS...: the answer has that HTTP
# status and error code (PROTOCOL.md 8); its body is left in $T/body.
expect_error() {
	local what=$1 want_status=$2 want_code=$3 status
	shift 3
	status=$(curl -s -o "$T/body" -w '%{http_code}' "$@")
	expect_eq "$what: status" "$status" "$want_status"
	expect_eq "$what: code" "$(jq -r .error.code "$T/body")" "$want_code"
}

# wait_ready FIFO: read the readiness line, bounded by 30 s.
wait_ready() {
	local line
	if ! read -r -t 30 line <"$1"; then
		return 1
	fi
	printf '%s\n' "$line"
}

# keygen NAME: a key pair at $T/keys/NAME.{key,pub}
keygen() {
	mkdir -p "$T/keys"
	"$BIN/tally" keygen -o "$T/keys/$1" >/dev/null
}

# start_central NAME [PORT]: start tally-central; sets CENTRAL_URL_<NAME>.
# The key is $T/keys/NAME.key (created if absent); the store $T/NAME/.
start_central() {
	local name=$1 port=${2:-0} d=$T/$1 line pid
	mkdir -p "$d"
	[ -f "$T/keys/$name.key" ] || keygen "$name"
	cat >"$d/central.conf" <<-CONF
	datadir $d/data
	listen 127.0.0.1:$port
	key $T/keys/$name.key
	election $ELECTION
	mode ${CENTRAL_MODE:-test}
	${CENTRAL_EXTRA:-}
	CONF
	rm -f "$d/ready"
	mkfifo "$d/ready"
	"$BIN/tally-central" -c "$d/central.conf" -R 3 3>"$d/ready" \
	    2>>"$d/central.log" &
	pid=$!
	PIDS+=("$pid")
	echo "$pid" >"$d/pid"
	line=$(wait_ready "$d/ready") || fail "central $name did not get ready"
	[[ $line =~ ^READY\ port=([0-9]+)$ ]] || fail "central $name: bad readiness line '$line'"
	echo "${BASH_REMATCH[1]}" >"$d/port"
	eval "CENTRAL_URL_$name=http://127.0.0.1:${BASH_REMATCH[1]}"
}

# central_url NAME
central_url() { echo "http://127.0.0.1:$(cat "$T/$1/port")"; }

# stop NAME: SIGTERM and wait; kill9 NAME: SIGKILL and wait.
stop() {
	local pid
	pid=$(cat "$T/$1/pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
kill9() {
	local pid
	pid=$(cat "$T/$1/pid")
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# start_daemon NAME [CENTRAL_NAME|-] [extra config lines...]
# (BACKOFF_MIN and BACKOFF_MAX override the short test backoff.)
# The daemon's store is $T/NAME/data; its socket $T/NAME/tallyd.sock.
start_daemon() {
	local name=$1 central=${2:--} d=$T/$1 line pid
	shift $(( $# >= 2 ? 2 : 1 ))
	mkdir -p "$d"
	{
		echo "datadir $d/data"
		echo "socket $d/tallyd.sock"
		echo "election $ELECTION"
		echo "mode ${DAEMON_MODE:-test}"
		echo "backoff-min ${BACKOFF_MIN:-1}"
		echo "backoff-max ${BACKOFF_MAX:-2}"
		if [ "$central" != - ]; then
			echo "central http://127.0.0.1:$(cat "$T/$central/port")"
			echo "central-key $T/keys/$central.pub"
		fi
		local x
		for x in "$@"; do echo "$x"; done
	} >"$d/tallyd.conf"
	rm -f "$d/ready"
	mkfifo "$d/ready"
	"$BIN/tallyd" -c "$d/tallyd.conf" -R 3 3>"$d/ready" 2>>"$d/tallyd.log" &
	pid=$!
	PIDS+=("$pid")
	echo "$pid" >"$d/pid"
	line=$(wait_ready "$d/ready") || fail "daemon $name did not get ready"
	# With web-listen: "READY web=PORT", the port kept in $T/NAME/web_port;
	# with lan-listen too: "READY web=PORT lan=PORT", in $T/NAME/lan_port.
	[[ $line =~ ^READY( web=([0-9]+)( lan=([0-9]+))?)?$ ]] ||
	    fail "daemon $name: bad readiness line '$line'"
	if [ -n "${BASH_REMATCH[2]}" ]; then
		echo "${BASH_REMATCH[2]}" >"$d/web_port"
	fi
	if [ -n "${BASH_REMATCH[4]}" ]; then
		echo "${BASH_REMATCH[4]}" >"$d/lan_port"
	fi
}

# tly NAME ARGS...: the tally CLI against daemon NAME.
tly() {
	local name=$1
	shift
	"$BIN/tally" -s "$T/$name/tallyd.sock" "$@"
}

# record_all NAME FILE...: 'tally record' each file on daemon NAME.
record_all() {
	local name=$1 f
	shift
	for f in "$@"; do
		tly "$name" record "$f" >/dev/null
	done
}

# sync_until_done NAME: run 'tally sync' until nothing is pending (bounded),
# with the outcome SYNC_OUTCOME (default ok; "frozen" for a frozen device).
sync_until_done() {
	local i out
	for i in $(seq 1 20); do
		out=$(tly "$1" sync --json 2>/dev/null || true)
		if [ "$(jq -r '.outcome' <<<"$out" 2>/dev/null)" = "${SYNC_OUTCOME:-ok}" ] &&
		    [ "$(jq -r '.pending' <<<"$out")" = 0 ]; then
			return 0
		fi
	done
	fail "daemon $1 did not finish syncing: $out"
}

# loadgen_province: LG, the load generator of bench/ (built by make),
# and the province election generated into $T/gen (ELECTION set).
loadgen_province() {
	LG=$BUILD/bench/loadgen
	[ -x "$LG" ] || fail "$LG is not built (make $LG)"
	"$BIN/tally" gen --size province --out "$T/gen" >/dev/null ||
	    fail "tally gen"
	ELECTION=$T/gen/election.json
}

# central_db NAME SQL: query the central's store file directly.
central_db() {
	sqlite3 "$(ls "$T/$1/data/"*.db | head -n 1)" "$2"
}

# expected_sum LEVEL CONSTITUENCY FIELD: the sum over the record files.
expected_sum() {
	jq -s --arg l "$1" --arg c "$2" --arg f "$3" \
	    '[.[] | select(.level == $l and .constituency == $c) | .[$f]] | add' \
	    "$RECORDS"/*.json
}

# ---- trust (PROTOCOL.md 13) --------------------------------------------------

# trust_init: an authority at $T/authority/auth.{key,pub}, the signed
# definition and a certificates folder; CLOSED gets the configuration
# lines of a central closed under it (start with CENTRAL_EXTRA=$CLOSED).
trust_init() {
	local a=$T/authority
	mkdir -p "$a/certs"
	"$BIN/tally" authority init -o "$a/auth" >/dev/null
	"$BIN/tally" election sign --authority "$a/auth.key" \
	    --out "$a/election.sig" "$ELECTION" >/dev/null
	CLOSED=$(printf '%s\n' "authority $a/auth.pub" \
	    "definition-signature $a/election.sig" "certificates $a/certs")
}

# certify KEY SERIAL ROLE [AREAS]: the authority certifies KEY (created
# when absent) for AREAS (default every area) at every level as ROLE
# (clerk or adjudicator); the certificate is $T/authority/certs/SERIAL.cert.
certify() {
	local req=$T/authority/$2.req
	"$BIN/tally" enroll request --key "$1" --out "$req" --no-qr >/dev/null
	"$BIN/tally" cert issue --authority "$T/authority/auth.key" \
	    --request "$req" --election "$ELECTION" --areas "${4:-*}" --levels '*' \
	    --role "$3" --serial "$2" --not-after 2099-01-01 \
	    --out "$T/authority/certs/$2.cert" >/dev/null
}

# post_cert CENTRAL SERIAL: give a running central certificate SERIAL.
post_cert() {
	curl -sf --data-binary @"$T/authority/certs/$2.cert" \
	    "$(central_url "$1")/v1/trust" >/dev/null ||
	    fail "central $1 refused certificate $2"
}

# lock_store CENTRAL: hold central CENTRAL's store write lock from
# outside (sqlite3, BEGIN IMMEDIATE) until unlock_store; returns once
# the lock is held.  One such lock at a time.
lock_store() {
	local line
	mkfifo "$T/sql.in" "$T/sql.out"
	sqlite3 "$(ls "$T/$1/data/"*.db | head -n 1)" <"$T/sql.in" \
	    >"$T/sql.out" &
	echo $! >"$T/sql.pid"
	exec 7>"$T/sql.in" 8<"$T/sql.out"
	printf 'BEGIN IMMEDIATE;\nSELECT %s;\n' "'locked'" >&7
	read -r line <&8 && [ "$line" = locked ] || fail "sqlite3: $line"
}

# unlock_store: release the lock of lock_store.
unlock_store() {
	printf 'ROLLBACK;\n' >&7
	exec 7>&- 8<&-
	wait "$(cat "$T/sql.pid")" || true
	rm -f "$T/sql.in" "$T/sql.out"
}
