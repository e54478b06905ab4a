#!/usr/bin/env bash
# Versions of one count record (PROTOCOL.md 12.4).  Two devices record
# different counts for the same (area, level, round): the key is in
# conflict (GET /v1/conflicts) and its constituency DISPUTED; a record
# that supersedes both heads resolves it.  Two devices recording the
# same counts (double entry) agree, with 2 confirmations, as the state
# hash computed here from the rules shows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

start_central c
url=$(central_url c)
start_daemon a c
start_daemon b c

# A01/na: clerk a enters the paper record, clerk b swaps two candidates'
# votes (the totals still pass every check).
jq '.votes["NA1.1"] = 813 | .votes["NA1.2"] = 458' "$RECORDS/A01-na.json" >"$T/A01-b.json"
ra=$(tly a record --json "$RECORDS/A01-na.json" | jq -r '.records[0]')
rb=$(tly b record --json "$T/A01-b.json" | jq -r '.records[0]')
sync_until_done a
sync_until_done b

cf=$(curl -sf "$url/v1/conflicts")
expect_eq "conflicts" "$(jq '.conflicts | length' <<<"$cf")" 1
expect_eq "conflict key" "$(jq -c '.conflicts[0] | [.area, .level, .round]' <<<"$cf")" \
    '["A01","na",1]'
heads=$(printf '%s\n%s\n' "$ra" "$rb" | LC_ALL=C sort | jq -R . | jq -sc .)
expect_eq "conflict heads, by record id" "$(jq -c '[.conflicts[0].heads[].record]' <<<"$cf")" "$heads"
expect_eq "head bodies" \
    "$(jq -c '[.conflicts[0].heads[] | .body.votes["NA1.1"]] | sort' <<<"$cf")" '[458,813]'
w=$(winner c "$ra" "$rb")
expect_eq "provisional winner by the rules" "$(jq -r '.conflicts[0].winner' <<<"$cf")" "$w"
con=$(curl -sf "$url/v1/results/constituencies/NA-1")
expect_eq "constituency status" "$(jq -r .status <<<"$con")" DISPUTED
expect_eq "disputed areas" "$(jq -c .disputed_areas <<<"$con")" '["A01"]'
# The provisional totals are the winner's.
wvotes=$(jq -r --arg w "$w" '.conflicts[0].heads[] | select(.record == $w) | .body.votes["NA1.1"]' <<<"$cf")
expect_eq "provisional votes of NA1.1" \
    "$(jq '.candidates[] | select(.id == "NA1.1") | .votes' <<<"$con")" "$wvotes"
h1=$(printf '%s\n%s\n' "$ra" "$rb" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
expect_eq "state hash in conflict" "$(curl -sf "$url/v1/state-hash" | jq -r .state_hash)" \
    "$(expected_state_hash c "key A01 na 1 conflict 1 $w $h1")"
sh=$(curl -sf "$url/v1/state-hash")
expect_eq "state-hash conflicts" "$(jq .conflicts <<<"$sh")" 1

# The committee checks the paper: b was right.  A record on device a
# that supersedes both heads resolves the conflict.
jq --arg a "$ra" --arg b "$rb" '.supersedes = [$a, $b]' "$T/A01-b.json" >"$T/A01-fix.json"
rf=$(tly a record --json "$T/A01-fix.json" | jq -r '.records[0]')
sync_until_done a
cf=$(curl -sf "$url/v1/conflicts")
expect_eq "conflicts after the resolution" "$(jq '.conflicts | length' <<<"$cf")" 0
con=$(curl -sf "$url/v1/results/constituencies/NA-1")
[ "$(jq -r .status <<<"$con")" != DISPUTED ] || fail "still DISPUTED after the resolution"
expect_eq "disputed areas after the resolution" "$(jq -c .disputed_areas <<<"$con")" '[]'
expect_eq "votes of NA1.1 after the resolution" \
    "$(jq '.candidates[] | select(.id == "NA1.1") | .votes' <<<"$con")" 813
note "conflict on A01/na resolved by $rf"

# Double entry: both clerks enter A02/na with identical counts (the
# notes differ; only counts take part).
jq '.note = "entered by clerk b"' "$RECORDS/A02-na.json" >"$T/A02-b.json"
da=$(tly a record --json "$RECORDS/A02-na.json" | jq -r '.records[0]')
db=$(tly b record --json "$T/A02-b.json" | jq -r '.records[0]')
sync_until_done a
sync_until_done b
expect_eq "no conflict for identical counts" \
    "$(curl -sf "$url/v1/conflicts" | jq '.conflicts | length')" 0
w2=$(winner c "$da" "$db")
h2=$(printf '%s\n%s\n' "$da" "$db" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
sh=$(curl -sf "$url/v1/state-hash")
expect_eq "keys" "$(jq .keys <<<"$sh")" 2
expect_eq "state hash: A01 resolved, A02 agreed with 2 confirmations" \
    "$(jq -r .state_hash <<<"$sh")" \
    "$(expected_state_hash c "key A01 na 1 agreed 1 $rf $rf" \
        "key A02 na 1 agreed 2 $w2 $h2")"
con=$(curl -sf "$url/v1/results/constituencies/NA-1")
expect_eq "reporting areas" "$(jq .reporting <<<"$con")" 2
expect_eq "A02 counted once" \
    "$(jq '.candidates[] | select(.id == "NA1.1") | .votes' <<<"$con")" \
    "$((813 + $(jq '.votes["NA1.1"]' "$RECORDS/A02-na.json")))"
echo "PASS"
