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

url=$(central_url c)
nc=0
for lvl in na prov; do
	res=$("$BIN/tally" results --central "$url" --level "$lvl" --json)
	for c in $(jq -r '.constituencies[].id' <<<"$res"); do
		cs=$(jq -c --arg c "$c" '.constituencies[] | select(.id == $c)' <<<"$res")
		for f in registered voted valid invalid; do
			expect_eq "$c $f" "$(jq -r --arg f "$f" '.[$f]' <<<"$cs")" \
			    "$(expected_sum "$lvl" "$c" "$f")"
		done
		expect_eq "$c reporting" "$(jq .reporting <<<"$cs")" "$(jq .areas <<<"$cs")"
		# Each candidate's votes are the sum over the records.
		one=$("$BIN/tally" results --central "$url" --constituency "$c" --json)
		for cand in $(jq -r '.candidates[].id' <<<"$one"); do
			got=$(jq -r --arg k "$cand" '.candidates[] | select(.id == $k) | .votes' <<<"$one")
			want=$(jq -s --arg c "$c" --arg k "$cand" \
			    '[.[] | select(.constituency == $c) | .votes[$k]] | add' "$RECORDS"/*.json)
			expect_eq "$c $cand votes" "$got" "$want"
		done
		# Turnout is derived from integers with two decimals, half up.
		R=$(jq .registered <<<"$cs")
		V=$(jq .voted <<<"$cs")
		t=$(( (V * 10000 * 2 + R) / (2 * R) ))
		expect_eq "$c turnout" "$(jq -r .turnout <<<"$cs")" \
		    "$((t / 100)).$(printf '%02d' $((t % 100)))"
		nc=$((nc + 1))
	done
done
note "results match the record files for $nc constituencies"
res=$(curl -sf "$url/v1/results")

# Replaying the exported bundle straight to the central changes nothing.
tly d export --out "$T/all.bundle" >/dev/null
before=$(central_db c "select count(*) from batches")
out=$("$BIN/tally" import "$T/all.bundle" --central "$(central_url c)" \
    --central-key "$T/keys/c.pub" --json) || fail "replay import: $out"
expect_eq "replayed entries all duplicate" \
    "$(jq '[.results[] | select(.status == "duplicate")] | length' <<<"$out")" "$n"
expect_eq "batches after replay" "$(central_db c "select count(*) from batches")" "$before"
res2=$(curl -sf "$url/v1/results")
expect_eq "results after replay" "$res2" "$res"
echo "PASS"
