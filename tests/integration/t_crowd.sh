#!/usr/bin/env bash
# Crowds at the central's door: 1,000 uploads 256 at a time, each on a
# new connection, must every one get an answer (none "server returned
# nothing"); then, while 600 slow-loris connections dribble their
# headers a byte every 5 seconds, honest uploads must still be stored.
# The only bound is loadgen's -T, which stops a run that cannot finish.
. "$(dirname "$0")/lib.sh"
SL=$BUILD/bench/slowloris
[ -x "$SL" ] || fail "$SL is not built (make $SL)"
loadgen_province
start_central c
url=$(central_url c)

note "1,000 uploads at c256, a new connection each"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -n 1000 -r 4 -c 256 \
    -T 120 >"$T/c256.out" 2>&1 || { cat "$T/c256.out"; fail "loadgen c256"; }
expect_match "every POST answered" "$(grep '^RESULT ' "$T/c256.out")" \
    ' batches=1000 ok=1000 fails=0 nothing=0 '

note "200 honest uploads during 600 slow-loris connections"
mkfifo "$T/slready"
"$SL" -c 600 -t 600 -R 3 "$url" 3>"$T/slready" >"$T/sl.out" 2>&1 &
slpid=$!
line=$(wait_ready "$T/slready") || fail "slowloris did not start"
note "slowloris: $line"
"$LG" -u "$url" -e "$ELECTION" -d "$T/gen/records" -s 1000 -n 200 -r 4 \
    -c 16 -T 60 >"$T/honest.out" 2>&1 || true
kill -TERM "$slpid"
wait "$slpid" || true
cat "$T/sl.out"
expect_match "honest uploads stored" "$(grep '^RESULT ' "$T/honest.out")" \
    ' batches=200 ok=200 fails=0 nothing=0 '
echo "PASS"
