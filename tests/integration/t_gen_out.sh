#!/usr/bin/env bash
# tally gen --out refuses to write into a directory that is not empty
# unless --force, and when forced it leaves no record of an earlier
# election behind.
. "$(dirname "$0")/lib.sh"

G=$T/gen
"$BIN/tally" gen --seed 5 --out "$G" >/dev/null || fail "first gen"
n=$(ls "$G/records" | wc -l)
h=$(b2sum "$G/election.json")
# A record of a larger earlier election, and a file of the user's own.
echo '[]' >"$G/records/ZZ-99.json"
echo keep >"$G/notes.txt"

out=$("$BIN/tally" gen --seed 6 --out "$G" 2>&1) && fail "gen overwrote $G: $out"
expect_match "refusal says why" "$out" "not empty; use --force"
expect_eq "definition untouched" "$(b2sum "$G/election.json")" "$h"

"$BIN/tally" gen --seed 6 --out "$G" --force >/dev/null || fail "gen --force"
[ -e "$G/records/ZZ-99.json" ] && fail "a stale record was left behind"
expect_eq "the user's file is kept" "$(cat "$G/notes.txt")" keep
expect_eq "records of the new election only" "$(ls "$G/records" | wc -l)" \
    "$(ls "$G/records" | grep -c '\.json$')"
"$BIN/tally" gen --seed 6 --out "$T/fresh" >/dev/null || fail "gen into a new dir"
expect_eq "the same files as a fresh run" "$(cd "$G/records" && ls)" "$(cd "$T/fresh/records" && ls)"
expect_eq "the same definition" "$(b2sum <"$G/election.json")" "$(b2sum <"$T/fresh/election.json")"
[ "$n" -gt 0 ] || fail "no records generated"
