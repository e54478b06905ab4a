#!/usr/bin/env bash
# A commune-sized generated election through the real binaries: tally gen
# with --target, two field daemons, a central; every targeted
# constituency must end with the status asked for.
. "$(dirname "$0")/lib.sh"

GEN=$T/gen
targets=(
	NA-01=NEEDS_ADDITIONAL_ELECTION
	C-01=NEEDS_ADDITIONAL_ELECTION
	C-02=MANUAL_TIEBREAK
	C-03=NEEDS_REELECTION
	C-04=DETERMINED
)
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done

note "generate"
"$BIN/tally" gen --size commune --seed 5 --out "$GEN" "${args[@]}" --json \
    >"$T/gen.json" || fail "tally gen failed"
expect_eq "targets echoed" \
    "$(jq -c '[.targets[] | "\(.constituency)=\(.status)"] | sort' \
    "$T/gen.json")" \
    "$(printf '%s\n' "${targets[@]}" | jq -R . | jq -cs sort)"
"$BIN/tally" gen --size commune --seed 5 --out "$T/again" "${args[@]}" \
    >/dev/null || fail "tally gen failed the second time"
diff -r "$GEN" "$T/again" >/dev/null || fail "the same seed gave other files"
"$BIN/tally" gen --size commune --seed 6 --out "$T/other" >/dev/null ||
    fail "tally gen --seed 6 failed"
cmp -s "$GEN/election.json" "$T/other/election.json" &&
    fail "another seed gave the same definition"

# Usage: an unknown status is a usage error, an unknown constituency or
# a target the seats cannot meet a failure.
set +e
"$BIN/tally" gen --out "$T/bad" --target C-01=ELECTED 2>/dev/null
expect_eq "unknown status" "$?" 2
"$BIN/tally" gen --out "$T/bad" --target C-99=DETERMINED 2>/dev/null
expect_eq "unknown constituency" "$?" 1
"$BIN/tally" gen --out "$T/bad" --target NA-01=NEEDS_REELECTION \
    --target C-01=DETERMINED 2>/dev/null
expect_eq "conflicting targets" "$?" 1
"$BIN/tally" gen 2>/dev/null
expect_eq "no --out" "$?" 2
set -e
[ ! -e "$T/bad/election.json" ] || fail "a failed run left a definition"

ELECTION=$GEN/election.json
start_central central
start_daemon a central
start_daemon b central

note "record (signed) and sync"
i=0
for f in "$GEN"/records/*.json; do
	d=a; [ $((i % 2)) = 0 ] || d=b
	tly "$d" record "$f" >/dev/null || fail "$f was not recorded"
	i=$((i + 1))
done
sync_until_done a
sync_until_done b

url=$(central_url central)
for t in "${targets[@]}"; do
	id=${t%%=*}
	want=${t#*=}
	one=$(curl -sf "$url/v1/results/constituencies/$id") ||
	    fail "GET /v1/results/constituencies/$id"
	expect_eq "$id status" "$(jq -r .status <<<"$one")" "$want"
	expect_eq "$id areas reporting" "$(jq .reporting <<<"$one")" \
	    "$(jq .areas <<<"$one")"
	# The central's totals are the sums of the generated records.
	expect_eq "$id voted" "$(jq .voted <<<"$one")" \
	    "$(jq -s --arg c "$id" '[.[][] | select(.constituency == $c) |
	    .voted] | add' "$GEN"/records/*.json)"
	case $want in
	NEEDS_ADDITIONAL_ELECTION)
		expect_eq "$id additional seats" \
		    "$(jq .additional_election.seats <<<"$one")" \
		    "$(jq '.seats - .seats_filled' <<<"$one")"
		;;
	MANUAL_TIEBREAK)
		expect_eq "$id tie" "$(jq '.tie | length' <<<"$one")" 2
		expect_eq "$id tied born" "$(jq '.tie as $t | [.candidates[] |
		    select(.id as $i | $t | index($i)) | .born] | unique |
		    length' <<<"$one")" 1
		;;
	DETERMINED)
		expect_eq "$id filled" "$(jq .seats_filled <<<"$one")" \
		    "$(jq .seats <<<"$one")"
		;;
	esac
done
# The constituencies not targeted come out determined.
for id in P-01 D-01; do
	one=$(curl -sf "$url/v1/results/constituencies/$id") ||
	    fail "GET /v1/results/constituencies/$id"
	expect_eq "$id status" "$(jq -r .status <<<"$one")" DETERMINED
done
echo "PASS"
