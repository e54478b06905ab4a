#!/usr/bin/env bash
# tests/package/run.sh: build the Debian packages, install them on this
# machine, check what they installed, start the services by hand as their
# users, then purge them and check what purge left.
#
# Needs root (dpkg -i).  systemd cannot run as PID 1 in a container, so
# the units are checked with systemd-analyze (verify, security) and the
# services are started the way the units start them: as _tallyd and
# _tally-central, in the directories StateDirectory= and
# RuntimeDirectory= would create.
#
#   tests/package/run.sh [DEBDIR]   DEBDIR holds built .debs (default:
#                                   build them with make deb)
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
PASS=0
FAIL=0
T=$(mktemp -d /tmp/tally-package.XXXXXX)
chmod 0755 "$T"		# the service users read configs and fifos here
PIDS=()

ok()   { PASS=$((PASS + 1)); echo "ok   $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
# check WHAT COMMAND...: COMMAND's output is shown only when it fails.
check() {
	local what=$1
	shift
	if "$@" >"$T/check.log" 2>&1; then
		ok "$what"
	else
		cat "$T/check.log"; bad "$what"
	fi
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	userdel -r tally-clerk-t >/dev/null 2>&1 || true
	userdel -r tally-other-t >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "tests/package/run.sh: needs root (dpkg -i); skipped"
	exit 0
fi
if [ -n "${1:-}" ]; then
	DEBS=$1
else
	make --no-print-directory deb BUILD=build/pkgtest >"$T/deb.log" 2>&1 ||
	    { tail -40 "$T/deb.log"; echo "make deb failed"; exit 1; }
	ok "make deb: built the packages, lintian clean"
	DEBS=build/pkgtest/deb
fi
for p in tally tallyd tally-central; do
	[ -f "$DEBS/${p}_"*_*.deb ] || { echo "no $p package in $DEBS"; exit 1; }
done

# Nothing of an earlier run may be left.
dpkg --purge tally tallyd tally-central >/dev/null 2>&1 || true

## Install.
dpkg -i "$DEBS"/tally_*.deb "$DEBS"/tallyd_*.deb \
    "$DEBS"/tally-central_*.deb >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; bad "dpkg -i"; exit 1; }
ok "dpkg -i tally tallyd tally-central"
for f in /usr/bin/tally /usr/bin/tallyd /usr/bin/tally-central; do
	check "installed $f" test -x "$f"
done
for f in /usr/share/man/man1/tally.1.gz /usr/share/man/man8/tallyd.8.gz \
    /usr/share/man/man8/tally-central.8.gz \
    /usr/share/man/man5/tallyd.conf.5.gz \
    /usr/share/man/man5/tally-central.conf.5.gz; do
	check "installed $f" test -f "$f"
done
check "conffile /etc/tally/tallyd.conf" \
    grep -qx /etc/tally/tallyd.conf /var/lib/dpkg/info/tallyd.conffiles
check "conffile /etc/tally/tally-central.conf" grep -qx \
    /etc/tally/tally-central.conf /var/lib/dpkg/info/tally-central.conffiles
check "system user _tallyd" getent passwd _tallyd
check "system user _tally-central" getent passwd _tally-central
check "clerks' group tally" getent group tally
check "_tallyd is in group tally" bash -c 'id -nG _tallyd | grep -qw tally'
check "no login shell for _tallyd" bash -c \
    '[[ $(getent passwd _tallyd | cut -d: -f7) == */nologin ]]'
check "tallyd.service enabled" \
    test -L /etc/systemd/system/multi-user.target.wants/tallyd.service

## The units.
UNITDIR=/lib/systemd/system
for u in tallyd tally-central; do
	if systemd-analyze verify "$UNITDIR/$u.service" >"$T/verify.log" 2>&1
	then
		ok "systemd-analyze verify $u.service"
	else
		cat "$T/verify.log"; bad "systemd-analyze verify $u.service"
	fi
	score=$(systemd-analyze security --offline=true "$UNITDIR/$u.service" \
	    2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "     $u.service exposure: ${score:-?}"
	check "$u.service exposure ${score:-?} below 2.0" \
	    awk -v s="${score:-99}" 'BEGIN { exit !(s < 2.0) }'
done

## Configuration: the installed configs with an election in place.
cp "$SRC/tests/vectors/election-small.json" /etc/tally/election.json
chmod 0644 /etc/tally/election.json
# What StateDirectory= and RuntimeDirectory= create for the units.
install -d -o _tallyd -g _tallyd -m 0700 /var/lib/tallyd
install -d -o _tallyd -g _tallyd -m 0755 /run/tallyd
install -d -o _tally-central -g _tally-central -m 0700 /var/lib/tally-central
install -d -o _tally-central -g _tally-central -m 0700 /run/tally-central
check "tallyd -n as _tallyd" runuser -u _tallyd -- \
    tallyd -n -c /etc/tally/tallyd.conf
check "tally-central -n refuses an open live central" \
    sh -c '! tally-central -n -c /etc/tally/tally-central.conf'
# The rest runs the central open, in test mode (it has no authority).
sed -e 's/^listen .*/listen 127.0.0.1:0/' -e 's/^mode live/mode test/' \
    /etc/tally/tally-central.conf >"$T/central.conf"
chmod 0644 "$T/central.conf"
check "tally-central -n as _tally-central" runuser -u _tally-central -- \
    tally-central -n -c "$T/central.conf"
check "tallyd -n as root (drops to the config's user)" \
    tallyd -n -c /etc/tally/tallyd.conf

## The services started by hand, as the units start them.
# uids_of ARGS: the uids of the processes whose command line is ARGS...
uids_of() {
	ps -eo uid=,args= | awk -v a="$1" \
	    '{ u = $1; sub(/^ *[0-9]+ /, ""); if (index($0, a) == 1) print u }' |
	    sort -u
}
export -f uids_of
# wait_ready FIFO: the readiness line, within 30 s.
wait_ready() { local l; read -r -t 30 l <"$1" && echo "$l"; }
mkfifo "$T/tallyd.ready" "$T/central.ready"
chmod 0666 "$T/tallyd.ready" "$T/central.ready"
# A free port for the central (its config listens on 127.0.0.1:8080).
runuser -u _tally-central -- tally-central -c "$T/central.conf" -R 3 \
    3>"$T/central.ready" 2>"$T/central.log" &
PIDS+=($!)
line=$(wait_ready "$T/central.ready") || line=
if [[ $line =~ ^READY\ port=([0-9]+)$ ]]; then
	ok "tally-central runs as _tally-central"
	port=${BASH_REMATCH[1]}
else
	cat "$T/central.log"; bad "tally-central did not get ready"; port=
fi
check "tally-central's process runs as _tally-central" bash -c \
    '[ "$(uids_of "tally-central -c '"$T"'/central.conf")" = "$(id -u _tally-central)" ]'
check "central key created in /var/lib/tally-central, mode 0600" bash -c \
    '[ "$(stat -c %a:%U /var/lib/tally-central/central.key)" = 600:_tally-central ]'
runuser -u _tallyd -- tallyd -c /etc/tally/tallyd.conf -R 3 \
    3>"$T/tallyd.ready" 2>"$T/tallyd.log" &
PIDS+=($!)
line=$(wait_ready "$T/tallyd.ready") || line=
if [ "$line" = READY ]; then
	ok "tallyd runs as _tallyd"
else
	cat "$T/tallyd.log"; bad "tallyd did not get ready"
fi
check "tallyd's process runs as _tallyd" bash -c \
    '[ "$(uids_of "tallyd -c /etc/tally/tallyd.conf -R")" = "$(id -u _tallyd)" ]'
check "socket /run/tallyd/tallyd.sock is 0660 _tallyd:tally" bash -c \
    '[ "$(stat -c %a:%U:%G /run/tallyd/tallyd.sock)" = 660:_tallyd:tally ]'
useradd -M -N -g users -G tally -s /bin/sh tally-clerk-t
useradd -M -N -g users -s /bin/sh tally-other-t
check "a clerk in group tally reaches tallyd at the default socket" \
    runuser -u tally-clerk-t -- tally status
if runuser -u tally-other-t -- tally status >"$T/other.log" 2>&1; then
	bad "a user outside group tally is refused"
else
	ok "a user outside group tally is refused"
fi
if [ -n "$port" ]; then
	check "the central answers as a clerk's tally status --central" \
	    runuser -u tally-clerk-t -- tally status \
	    --central "http://127.0.0.1:$port"
fi
if [ -n "$port" ]; then
	check "the central's /metrics" bash -c "curl -sf \
	    http://127.0.0.1:$port/metrics | grep -qx 'tally_central_held_batches 0'"
fi
check "tallyd's /metrics on its socket, for a clerk" bash -c \
    "runuser -u tally-clerk-t -- curl -sf --unix-socket /run/tallyd/tallyd.sock \
    http://tallyd/metrics | grep -qx 'tally_tallyd_batches{kind=\"own\",state=\"sealed\"} 0'"
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()

## Upgrade keeps a local change to a conffile.
echo "# local change" >>/etc/tally/tallyd.conf
dpkg -i "$DEBS"/tallyd_*.deb >"$T/reinstall.log" 2>&1 ||
    { cat "$T/reinstall.log"; bad "dpkg -i again"; }
check "reinstalling keeps a local change to tallyd.conf" \
    grep -qx '# local change' /etc/tally/tallyd.conf

## Purge.
rm -f /etc/tally/election.json		# the admin's file, not the package's
dpkg --purge tally tallyd tally-central >"$T/purge.log" 2>&1 ||
    { cat "$T/purge.log"; bad "dpkg --purge"; }
for f in /usr/bin/tally /usr/bin/tallyd /usr/bin/tally-central \
    /etc/tally /var/lib/tallyd /var/lib/tally-central /run/tallyd \
    /run/tally-central $UNITDIR/tallyd.service \
    $UNITDIR/tally-central.service /usr/lib/sysusers.d/tallyd.conf \
    /usr/lib/sysusers.d/tally-central.conf \
    /etc/systemd/system/multi-user.target.wants/tallyd.service \
    /etc/systemd/system/multi-user.target.wants/tally-central.service \
    /usr/share/doc/tallyd; do
	check "purge removed $f" test ! -e "$f" -a ! -L "$f"
done
check "dpkg knows none of the packages" bash -c \
    '! dpkg -l tally tallyd tally-central 2>/dev/null | grep -q "^[a-z][a-z] "'
# System users stay, as Debian keeps them: files elsewhere (a backup)
# may still belong to them.
check "purge keeps the system users" getent passwd _tallyd

echo "package: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
