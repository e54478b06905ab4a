#!/usr/bin/env bash
# Configuration errors name file:line and exit 2, in both servers; an
# empty port in 'central' is refused instead of meaning port 80.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/d" "$T/c"
keygen c

# tallyd_n CONF-LINES...: run tallyd -n on a config; sets out and rc.
tallyd_n() {
	printf '%s\n' "datadir $T/d/data" "election $ELECTION" "$@" "socket $T/d/t.sock" >"$T/d/t.conf"
	rc=0
	out=$("$BIN/tallyd" -n -c "$T/d/t.conf" 2>&1) || rc=$?
}
# central_n CONF-LINES...: the same for tally-central.
central_n() {
	printf '%s\n' "datadir $T/c/data" "election $ELECTION" "$@" >"$T/c.conf"
	rc=0
	out=$("$BIN/tally-central" -n -c "$T/c.conf" 2>&1) || rc=$?
}

tallyd_n "central http://127.0.0.1:" "central-key $T/keys/c.pub"
expect_eq "empty port: exit" "$rc" 2
expect_match "empty port: message" "$out" "t\.conf:3: central: the port after ':' is empty"
tallyd_n "central http://127.0.0.1:/x" "central-key $T/keys/c.pub"
expect_eq "empty port before a path: exit" "$rc" 2
tallyd_n "central http://127.0.0.1:99999" "central-key $T/keys/c.pub"
expect_eq "port out of range: exit" "$rc" 2
expect_match "port out of range: message" "$out" "t\.conf:3: central: the port"
tallyd_n "central http://[::1]:8080/" "central-key $T/keys/c.pub"
expect_eq "IPv6 host and port: exit" "$rc" 0
tallyd_n "central https://tally.example/base" "central-key $T/keys/c.pub"
expect_eq "no port: exit" "$rc" 0

tallyd_n "backoff-min 0"
expect_eq "bound: exit" "$rc" 2
expect_match "bound: message" "$out" "t\.conf:3: 'backoff-min' must be a whole number from 1 to 86400"
tallyd_n "netwatch maybe"
expect_match "choice: message" "$out" "t\.conf:3: netwatch must be 'no' or 'yes'"
tallyd_n "metrics-listen 127.0.0.1"
expect_eq "metrics-listen without a port: exit" "$rc" 2
expect_match "metrics-listen without a port: message" "$out" "t\.conf:3: metrics-listen must be HOST:PORT"
tallyd_n "metrics-listen 127.0.0.1:70000"
expect_match "metrics-listen port: message" "$out" "t\.conf:3: metrics-listen: the port must be"
tallyd_n "metrics-listen [::1]:9101"
expect_eq "metrics-listen IPv6: exit" "$rc" 0
tallyd_n "socket-group no-such-group-here"
expect_eq "socket-group: exit" "$rc" 2
expect_match "socket-group: message" "$out" "t\.conf:3: socket-group no-such-group-here: no such group"
tallyd_n "colour blue"
expect_eq "unknown key: exit" "$rc" 2
expect_match "unknown key: message" "$out" "t\.conf:3: unknown key 'colour'"
printf 'election %s\n' "$ELECTION" >"$T/d/t.conf"
rc=0; out=$("$BIN/tallyd" -n -c "$T/d/t.conf" 2>&1) || rc=$?
expect_eq "required: exit" "$rc" 2
expect_match "required: message" "$out" "t\.conf: 'datadir' is required"

central_n "threads 999"
expect_eq "central bound: exit" "$rc" 2
expect_match "central bound: message" "$out" "c\.conf:3: 'threads' must be a whole number from 1 to 256"
central_n "listen 127.0.0.1:"
expect_eq "central empty port: exit" "$rc" 2
expect_match "central empty port: message" "$out" "c\.conf:3: listen: bad port"
central_n "mode test"
expect_eq "central -n: exit" "$rc" 0
echo ok
