#!/usr/bin/env bash
# Record every count record of the small election on one field daemon,
# sync to a central, and check the central's results against the sums of
# the record files.  Then replay the same batches: nothing changes.
. "$(dirname "$0")/lib.sh"

start_central c
start_daemon d c

n=0
for f in "$RECORDS"/*.json; do
	tly d record "$f" >/dev/null || fail "record $f"
	n=$((n + 1))
done
note "recorded $n records"
sync_until_done d

st=$(tly d status --json)
expect_eq "acknowledged batches" "$(jq '.counts.acknowledged' <<<"$st")" "$n"
expect_eq "sealed batches" "$(jq '.counts.sealed' <<<"$st")" 0

res=$("$BIN/tally" results --central "$(central_url c)" --json)
for c in $(jq -r '.constituencies[].id' <<<"$res"); do
	lvl=$(jq -r --arg c "$c" '.constituencies[] | select(.id == $c) | .level' <<<"$res")
	for f in registered voted valid invalid; do
		got=$(jq -r --arg c "$c" --arg f "$f" \
		    '.constituencies[] | select(.id == $c) | .[$f]' <<<"$res")
		expect_eq "$c $f" "$got" "$(expected_sum "$lvl" "$c" "$f")"
	done
	areas=$(jq -r --arg c "$c" '.constituencies[] | select(.id == $c) | .areas' <<<"$res")
	reporting=$(jq -r --arg c "$c" '.constituencies[] | select(.id == $c) | .reporting' <<<"$res")
	expect_eq "$c reporting" "$reporting" "$areas"
	# Each candidate's votes are the sum over the records.
	for cand in $(jq -r --arg c "$c" '.constituencies[] | select(.id == $c) | .candidates[].id' <<<"$res"); do
		got=$(jq -r --arg c "$c" --arg k "$cand" \
		    '.constituencies[] | select(.id == $c) | .candidates[] | select(.id == $k) | .votes' <<<"$res")
		want=$(jq -s --arg c "$c" --arg k "$cand" \
		    '[.[] | select(.constituency == $c) | .votes[$k]] | add' "$RECORDS"/*.json)
		expect_eq "$c $cand votes" "$got" "$want"
	done
done
note "results match the record files for $(jq '.constituencies | length' <<<"$res") constituencies"

# Turnout is derived from integers with two decimals.
c1=$(jq -r '.constituencies[0].id' <<<"$res")
R=$(jq -r '.constituencies[0].registered' <<<"$res")
V=$(jq -r '.constituencies[0].voted' <<<"$res")
want=$(( (V * 10000 * 2 + R) / (2 * R) ))
expect_eq "$c1 turnout" "$(jq -r '.constituencies[0].turnout' <<<"$res")" \
    "$((want / 100)).$(printf '%02d' $((want % 100)))"

# Replaying the exported bundle straight to the central changes nothing.
tly d export --out "$T/all.bundle" >/dev/null
before=$(central_db c "select count(*) from batches")
out=$("$BIN/tally" import "$T/all.bundle" --central "$(central_url c)" \
    --central-key "$T/keys/c.pub" --json) || fail "replay import: $out"
expect_eq "replayed entries all duplicate" \
    "$(jq '[.results[] | select(.status == "duplicate")] | length' <<<"$out")" "$n"
expect_eq "batches after replay" "$(central_db c "select count(*) from batches")" "$before"
res2=$("$BIN/tally" results --central "$(central_url c)" --json)
expect_eq "results after replay" "$res2" "$res"
echo "PASS"
