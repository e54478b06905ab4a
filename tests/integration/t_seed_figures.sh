#!/usr/bin/env bash
# The seed article's figures (Thai Nguyen 2021) from signed records: the
# province-sized election goes through field daemons to a central, whose
# results must show NA turnout 99.68%, provincial council turnout 99.67%,
# 7 / 66 / 319 / 3,982 deputies elected and 11 commune constituencies
# needing an additional election.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/province.sh"

note "generate the province"
province_generate 2021
expect_eq "polling areas" "$(jq .areas "$T/gen.json")" 1439
expect_eq "record files" "$(ls "$GEN"/records | wc -l)" 1439

# The files alone decide the figures (computed here, apart from the
# central); then the central must show the same from signed records.
check_figures() {
	local what=$1 res=$2
	expect_eq "$what: na turnout" "$(level_field "$res" na .turnout)" 99.68
	expect_eq "$what: province turnout" \
	    "$(level_field "$res" province .turnout)" 99.67
	expect_eq "$what: na elected" "$(level_field "$res" na .seats_filled)" 7
	expect_eq "$what: province elected" \
	    "$(level_field "$res" province .seats_filled)" 66
	expect_eq "$what: district elected" \
	    "$(level_field "$res" district .seats_filled)" 319
	expect_eq "$what: commune seats" "$(level_field "$res" commune .seats)" \
	    4073
	expect_eq "$what: commune elected" \
	    "$(level_field "$res" commune .seats_filled)" 3982
	expect_eq "$what: commune additional elections" \
	    "$(level_field "$res" commune .status.NEEDS_ADDITIONAL_ELECTION)" 11
	expect_eq "$what: commune determined" \
	    "$(level_field "$res" commune .status.DETERMINED)" 1347
}
check_figures "files" "$(files_results)"

note "a central and $NDAEMONS field daemons"
province_start
note "record every polling area's records (signed)"
province_record
note "sync"
province_sync

url=$(central_url central)
res=$(curl -sf "$url/v1/results") || fail "GET /v1/results"
expect_eq "election" "$(jq -r .election <<<"$res")" \
    "$(jq -r .hash "$T/gen.json")"
expect_eq "levels" "$(jq -c '[.levels[].level]' <<<"$res")" \
    '["na","province","district","commune"]'
for l in na province district commune; do
	expect_eq "$l reporting" "$(level_field "$res" $l .reporting)" 1439
	expect_eq "$l areas" "$(level_field "$res" $l .areas)" 1439
	expect_eq "$l provisional" "$(level_field "$res" $l .provisional)" false
	expect_eq "$l incomplete" \
	    "$(level_field "$res" $l .status.INCOMPLETE)" 0
done
check_figures "central" "$res"
expect_eq "commune constituencies" \
    "$(level_field "$res" commune .constituencies)" 1358

# One constituency that must vote again: its missing seats.
com=$(curl -sf "$url/v1/results?level=commune") ||
    fail "GET /v1/results?level=commune"
expect_eq "commune list" "$(jq '.constituencies | length' <<<"$com")" 1358
id=$(jq -r '[.constituencies[] | select(.status ==
    "NEEDS_ADDITIONAL_ELECTION")][0].id' <<<"$com")
one=$(curl -sf "$url/v1/results/constituencies/$id") ||
    fail "GET /v1/results/constituencies/$id"
expect_eq "$id status" "$(jq -r .status <<<"$one")" NEEDS_ADDITIONAL_ELECTION
expect_eq "$id missing seats" "$(jq '.additional_election.seats' <<<"$one")" \
    "$(jq '.seats - .seats_filled' <<<"$one")"
expect_eq "$id winners" "$(jq '.winners | length' <<<"$one")" \
    "$(jq .seats_filled <<<"$one")"
echo "PASS"
