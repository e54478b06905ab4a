#!/usr/bin/env bash
# The laptop's own files (tallyd(8)): a data or socket directory that
# others may write to is refused; with 'user', the data directory is
# created before the drop, owned by that user; 'socket-group' lets
# clerks who are not root use the socket; a secret key that others may
# read is a configuration error (exit 2) in both servers; tally and
# tallyd agree on the default socket.
. "$(dirname "$0")/lib.sh"

# conf DIR LINES...: a tallyd.conf in DIR/tallyd.conf.
conf() {
	local d=$1
	shift
	mkdir -p "$d"
	printf '%s\n' "election $ELECTION" "$@" >"$d/tallyd.conf"
}
# run_n DIR: tallyd -n; sets out and rc.
run_n() {
	rc=0
	out=$("$BIN/tallyd" -n -c "$1/tallyd.conf" 2>&1) || rc=$?
}

note "a group- or other-writable data directory is refused"
mkdir -p "$T/w/data"
chmod 0777 "$T/w/data"
conf "$T/w" "datadir $T/w/data" "socket $T/w/tallyd.sock"
run_n "$T/w"
expect_eq "0777 datadir: exit" "$rc" 2
expect_match "0777 datadir: message" "$out" "datadir $T/w/data: mode 0777: writable by group or others"
chmod 0770 "$T/w/data"
run_n "$T/w"
expect_eq "0770 datadir: exit" "$rc" 2
chmod 0700 "$T/w/data"
run_n "$T/w"
expect_eq "0700 datadir: exit" "$rc" 0

note "so is the socket's directory"
mkdir -p "$T/w/run"
chmod 0777 "$T/w/run"
conf "$T/w" "datadir $T/w/data" "socket $T/w/run/tallyd.sock"
run_n "$T/w"
expect_eq "0777 socket directory: exit" "$rc" 2
expect_match "0777 socket directory: message" "$out" "socket directory $T/w/run: mode 0777"

note "a secret key that others may read: exit 2 in both servers"
conf "$T/k" "datadir $T/k/data" "socket $T/k/tallyd.sock"
run_n "$T/k"
expect_eq "fresh key: exit" "$rc" 0
chmod 0640 "$T/k/data/device.key"
run_n "$T/k"
expect_eq "tallyd, group-readable key: exit" "$rc" 2
keygen c
chmod 0640 "$T/keys/c.key"
printf '%s\n' "datadir $T/k/cdata" "election $ELECTION" "key $T/keys/c.key" "mode test" >"$T/k/c.conf"
rc=0
out=$("$BIN/tally-central" -n -c "$T/k/c.conf" 2>&1) || rc=$?
expect_eq "tally-central, group-readable key: exit" "$rc" 2

note "tally and tallyd default to the same socket"
dsock=$("$BIN/tallyd" --help | sed -n 's/.*socket is \([^ ]*\) unless.*/\1/p')
csock=$("$BIN/tally" --help 2>&1 | sed -n 's/.*else \([^ )]*\)).*/\1/p')
[ -n "$dsock" ] || fail "tallyd --help names no default socket"
expect_eq "default socket" "$csock" "$dsock"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	note "not root: the user and socket-group cases are skipped"
	echo ok
	exit 0
fi

note "with 'user', the data directory is created first, owned by the user"
chmod 0755 "$T"
mkdir -p "$T/u"
cp "$ELECTION" "$T/u/election.json"
chmod 0644 "$T/u/election.json"
printf '%s\n' "election $T/u/election.json" "datadir $T/u/data" \
    "socket $T/u/run/tallyd.sock" "user nobody" >"$T/u/tallyd.conf"
run_n "$T/u"
expect_eq "user: exit" "$rc" 0
expect_eq "user: datadir owner" "$(stat -c %U "$T/u/data")" nobody
expect_eq "user: datadir mode" "$(stat -c %a "$T/u/data")" 700
expect_eq "user: socket directory owner" "$(stat -c %U "$T/u/run")" nobody

note "socket-group: a clerk in that group, not root, can use tally"
start_daemon g - "socket-group nogroup"
sock=$T/g/tallyd.sock
expect_eq "socket mode" "$(stat -c %a "$sock")" 660
expect_eq "socket group" "$(stat -c %G "$sock")" nogroup
chmod 0755 "$T/g"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$BIN/tally" -s "$sock" status >"$T/g/clerk.out" 2>&1 ||
    fail "a clerk in the socket's group cannot use tally: $(cat "$T/g/clerk.out")"
if setpriv --reuid=65534 --regid=54321 --clear-groups \
    "$BIN/tally" -s "$sock" status >/dev/null 2>&1; then
	fail "a user outside the socket's group could use tally"
fi
echo ok
