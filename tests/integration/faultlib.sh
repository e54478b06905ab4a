# faultlib.sh: helpers for the fault, merge and relay tests.  Source it
# after lib.sh.
#
# A fault proxy NAME looks to start_daemon like a central: $T/NAME/port is
# the proxy's port and $T/keys/NAME.pub the key of the central behind it,
# so "start_daemon d NAME" sends d's batches through the proxy.

[ -x "$TOOLS/faultproxy" ] || fail "missing $TOOLS/faultproxy (make the test tools)"

# start_proxy NAME CENTRAL [faultproxy options...]: a fault proxy in front
# of central CENTRAL.  Control it with "proxy NAME COMMAND...".  Its
# counters are printed to $T/NAME/stats.json when it stops.
start_proxy() {
	local name=$1 central=$2 d=$T/$1 line pid
	shift 2
	mkdir -p "$d"
	cp "$T/keys/$central.pub" "$T/keys/$name.pub"
	rm -f "$d/ready"
	mkfifo "$d/ready"
	"$TOOLS/faultproxy" -t "127.0.0.1:$(cat "$T/$central/port")" \
	    -C "$d/ctl" -R 3 "$@" 3>"$d/ready" >"$d/stats.json" \
	    2>>"$d/proxy.log" &
	pid=$!
	PIDS+=("$pid")
	echo "$pid" >"$d/pid"
	line=$(wait_ready "$d/ready") || fail "proxy $name did not get ready"
	[[ $line =~ ^READY\ port=([0-9]+)$ ]] || fail "proxy $name: bad readiness line '$line'"
	echo "${BASH_REMATCH[1]}" >"$d/port"
}

# proxy NAME COMMAND...: one control command; prints the answer.
proxy() {
	local name=$1
	shift
	"$TOOLS/faultproxy" -c "$T/$name/ctl" "$@"
}

# stop_proxy NAME: stop it; its final counters (one JSON line) are then
# in $T/NAME/stats.json.  Not in a subshell: it waits for the proxy.
stop_proxy() {
	stop "$1"
	jq -e .faults_total "$T/$1/stats.json" >/dev/null ||
	    fail "proxy $1 left no counters"
}

# daemon_key NAME: the secret key file of daemon NAME.
daemon_key() { echo "$T/$1/data/device.key"; }

# forge ARGS...: the batch forger (tests/tools/forge.c).
forge() {
	[ -x "$TOOLS/forge" ] || fail "missing $TOOLS/forge (make the test tools)"
	"$TOOLS/forge" "$@"
}

# upload CENTRAL FILE: POST a bundle to a central; the answer goes to
# stdout, the HTTP status to $T/last_status.
upload() {
	curl -s -o "$T/last_body" -w '%{http_code}' \
	    -H 'Content-Type: application/vnd.tally.bundle' \
	    --data-binary @"$2" "$(central_url "$1")/v1/batches" >"$T/last_status" ||
	    true
	cat "$T/last_body"
}

# sync_idle NAME CENTRAL ROWS: three syncs of daemon NAME, each ending
# with nothing to deliver, after which central CENTRAL's rejection log
# still holds ROWS rows: nothing was sent again.
sync_idle() {
	local i out
	for i in 1 2 3; do
		out=$(tly "$1" sync --json) || fail "sync $i of $1: $out"
		expect_eq "sync $i of $1: pending" "$(jq .pending <<<"$out")" 0
	done
	expect_eq "rejection rows at $2 after syncing $1" \
	    "$(central_db "$2" "select count(*) from rejections")" "$3"
}

# ---- bundle files (PROTOCOL.md 7) -----------------------------------------

# be32 FILE OFFSET: the big-endian 4-byte integer at OFFSET.
be32() {
	echo $((16#$(od -An -tx1 -j"$2" -N4 "$1" | tr -d ' \n')))
}

# bundle_offset FILE INDEX: the offset of entry INDEX's length field.
bundle_offset() {
	local f=$1 want=$2 off=12 i=0 len
	while :; do
		len=$(be32 "$f" "$off")
		[ "$len" != 0 ] || fail "$f has no entry $want"
		[ "$i" = "$want" ] && break
		off=$((off + 4 + len)) i=$((i + 1))
	done
	echo "$off"
}

# bundle_count FILE: the number of entries.
bundle_count() {
	local size
	size=$(stat -c %s "$1")
	be32 "$1" $((size - 36))
}

# bundle_entry FILE INDEX: the signed message of entry INDEX, to stdout.
bundle_entry() {
	local off
	off=$(bundle_offset "$1" "$2")
	tail -c +$((off + 5)) "$1" | head -c "$(be32 "$1" "$off")"
}

# bundle_fix FILE: recompute the trailer hash in place.
bundle_fix() {
	local size
	size=$(stat -c %s "$1")
	head -c $((size - 32)) "$1" >"$1.tmp"
	head -c $((size - 32)) "$1" | b2sum -l 256 | cut -d' ' -f1 |
	    tr a-f A-F | basenc --base16 -d >>"$1.tmp"
	mv "$1.tmp" "$1"
}

# flip_byte IN OUT INDEX AT: copy bundle IN to OUT with the byte AT bytes
# into entry INDEX's message XORed with 1, and the trailer hash fixed.
flip_byte() {
	local off byte
	cp "$1" "$2"
	off=$(( $(bundle_offset "$1" "$3") + 4 + $4 ))
	byte=$(od -An -tu1 -j"$off" -N1 "$2" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 1)))" |
	    dd of="$2" bs=1 seek="$off" conv=notrunc status=none
	bundle_fix "$2"
}

# make_bundle OUT MSG...: a bundle of the given signed message files.
make_bundle() {
	local out=$1 m n=0
	shift
	printf 'TALLYBDL\001\000\000\000' >"$out"
	for m in "$@"; do
		u32be "$(stat -c %s "$m")" >>"$out"
		cat "$m" >>"$out"
		n=$((n + 1))
	done
	u32be 0 >>"$out"
	u32be "$n" >>"$out"
	b2sum -l 256 "$out" | cut -d' ' -f1 | tr a-f A-F | basenc --base16 -d >>"$out"
}

# u32be N: four big-endian bytes.
u32be() {
	printf '%08X' "$1" | basenc --base16 -d
}

# ---- the state hash (PROTOCOL.md 12.6), computed from outside ---------------

# device_lines CENTRAL: the "device ..." lines of the state hash, from the
# held batches' devices and GET /v1/devices/{key}/head.
device_lines() {
	local dev h
	for dev in $(central_db "$1" "select distinct lower(hex(device)) from batches" |
	    LC_ALL=C sort); do
		h=$(curl -sf "$(central_url "$1")/v1/devices/$dev/head")
		printf 'device %s head %s applied %s frozen %s\n' "$dev" \
		    "$(jq .head <<<"$h")" "$(jq .applied <<<"$h")" \
		    "$(jq '.frozen // 0' <<<"$h")"
	done
}

# expected_state_hash CENTRAL KEYLINE...: the state hash of a central with
# no evidence and no decisions, whose record keys are the given lines.
expected_state_hash() {
	local c=$1
	shift
	{
		printf 'tally-state-v1\n'
		device_lines "$c"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} | b2sum -l 256 | cut -d' ' -f1
}

# batch_sig CENTRAL BATCH: the 64 signature bytes of a held batch, in hex.
batch_sig() {
	central_db "$1" "select lower(hex(substr(bytes, length(bytes) - 63)))
	    from batches where hex(id) = upper('$2')"
}

# winner CENTRAL RECORD...: the winner among heads of chain length 0
# (12.4): greatest seq, then signature bytes, then index.
winner() {
	local c=$1 r b best= bkey= key seq idx
	shift
	for r in "$@"; do
		b=${r%%:*} idx=${r##*:}
		seq=$(central_db "$c" "select seq from batches where hex(id) = upper('$b')")
		key=$(printf '%020d %s %010d' "$seq" "$(batch_sig "$c" "$b")" "$idx")
		if [ -z "$best" ] || [[ $key > $bkey ]]; then
			best=$r bkey=$key
		fi
	done
	echo "$best"
}
