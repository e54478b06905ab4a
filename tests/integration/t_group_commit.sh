#!/usr/bin/env bash
# Group commit: uploads that arrive together are committed in one
# transaction, each answered after that COMMIT.  The same 300 batches
# posted 64 at a time to one central and one at a time to another must
# leave both in the same state (state hash, counts); posted again, 64 at
# a time, every one is a duplicate; and forged batches posted at the
# same time as honest ones (from another address) are rejected alone.
# /metrics shows every upload going through the group writer, and at
# least one sync of the write-ahead log per commit (each upload is
# answered only after one).  When storing one upload of a group fails
# (here a trigger added to the store refuses the records of every tenth
# polling area), only that upload is lost: the group is applied again,
# each upload alone, and every other upload of it is stored.  Nothing
# here is timed.
. "$(dirname "$0")/lib.sh"
loadgen_province
E=$ELECTION
D=$T/gen/records
start_central a
start_central b
ua=$(central_url a)
ub=$(central_url b)

lg() {	# NAME ARGS...: loadgen, output in $T/NAME.out
	local n=$1
	shift
	"$LG" -e "$E" -d "$D" "$@" >"$T/$n.out" 2>&1
}

note "300 batches at c64 to a, one at a time to b"
lg a -u "$ua" -n 300 -r 4 -c 64 -K || { cat "$T/a.out"; fail "loadgen a"; }
lg b -u "$ub" -n 300 -r 4 -c 1 -K || { cat "$T/b.out"; fail "loadgen b"; }
expect_match "a answers" "$(grep '^RESULT ' "$T/a.out")" \
    ' batches=300 ok=300 fails=0 nothing=0 '
sa=$(curl -sf "$ua/v1/state-hash") || fail "state hash a"
sb=$(curl -sf "$ub/v1/state-hash") || fail "state hash b"
expect_eq "state hash" "$(jq -r .state_hash <<<"$sa")" \
    "$(jq -r .state_hash <<<"$sb")"
expect_eq "batches" "$(curl -sf "$ua/v1/status" | jq .batches)" 300
expect_eq "record keys" "$(curl -sf "$ua/v1/status" | jq .keys)" 1200

metric() {	# URL NAME: the value of an unlabelled metric
	curl -sf "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
for u in "$ua" "$ub"; do
	expect_eq "uploads through the writer" \
	    "$(metric "$u" tally_central_committed_uploads_total)" 300
	commits=$(metric "$u" tally_central_commits_total)
	syncs=$(metric "$u" tally_central_wal_syncs_total)
	[ -n "$commits" ] && [ "$commits" -ge 1 ] && [ "$commits" -le 300 ] ||
	    fail "commits: '$commits'"
	[ -n "$syncs" ] && [ "$syncs" -ge "$commits" ] ||
	    fail "WAL syncs $syncs < commits $commits"
	expect_match "writer seconds" \
	    "$(metric "$u" tally_central_writer_cpu_seconds_total)" '^[0-9]+\.[0-9]{9}$'
done
expect_eq "one upload per commit at c1" \
    "$(metric "$ub" tally_central_commits_total)" 300

note "the same again at c64: every one a duplicate"
lg dup -u "$ua" -n 300 -r 4 -c 64 -K || true	# duplicates are "not stored"
expect_match "duplicates" "$(cat "$T/dup.out")" \
    'entries stored 0, pending 0, duplicate 300, equivocation 0, rejected 0'

note "forged and honest batches at once: only the forged are rejected"
"$LG" -A forged -c 32 -t 600 -n 100 -s 300 -e "$E" -d "$D" -u "$ua" \
    >"$T/forged.out" 2>&1 &
fpid=$!
# The honest ones from another address: 127.0.0.1 is soon answered 429
# for its forgeries (PROTOCOL.md 8.5).
lg more -u "$ua" -n 300 -s 300 -r 4 -c 32 -I 127.0.0.2 ||
    { cat "$T/more.out"; fail "loadgen more"; }
kill -TERM "$fpid"
wait "$fpid" || true
expect_match "honest" "$(grep '^RESULT ' "$T/more.out")" \
    ' batches=300 ok=300 fails=0 nothing=0 '
expect_eq "batches after" "$(curl -sf "$ua/v1/status" | jq .batches)" 600

note "a failure of the store loses only the upload that failed"
start_central c
uc=$(central_url c)
central_db c "CREATE TRIGGER refuse BEFORE INSERT ON records
    WHEN NEW.area LIKE '%7' BEGIN SELECT RAISE(ABORT, 'refused'); END;" ||
    fail "trigger"
lg fail -u "$uc" -n 300 -r 4 -c 64 -K || true	# the refused are failures
res=$(grep '^RESULT ' "$T/fail.out")
ok=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' <<<"$res")
expect_match "refused answered 500" "$(cat "$T/fail.out")" ' http_5xx 30 '
expect_eq "the others stored" "$ok" 270
expect_eq "batches held" "$(curl -sf "$uc/v1/status" | jq .batches)" 270
expect_eq "areas held" "$(central_db c 'SELECT count(DISTINCT area) FROM
    records')" 270
expect_eq "refused areas held" "$(central_db c "SELECT count(*) FROM records
    WHERE area LIKE '%7'")" 0
expect_match "group applied again" "$(cat "$T/c/central.log")" \
    'applying the group again, each upload alone'
echo "PASS"
