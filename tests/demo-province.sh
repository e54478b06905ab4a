#!/usr/bin/env bash
# The demo behind 'make demo-province': the election of Thai Nguyen
# province, 2021 (1,439 polling areas, four levels), generated, recorded
# and signed on eight field daemons, synced to a central on loopback; the
# central's results are set against the figures the province published.
. "$(dirname "$0")/integration/lib.sh"
. "$ROOT/tests/province.sh"

say() { printf '\n== %s\n' "$*"; }
start=$(date +%s)

say "generating the election of Thai Nguyen province, 2021"
province_generate 2021
"$BIN/tally" gen --size province --seed 2021 --out "$T/gen-again" |
    sed "s|$T/gen-again|gen|g"
cmp -s "$GEN/election.json" "$T/gen-again/election.json" ||
    fail "the same seed gave another definition"
rm -rf "$T/gen-again"

say "starting tally-central and $NDAEMONS field daemons on 127.0.0.1"
province_start
echo "central  $(central_url central)"

say "recording 1,439 polling areas x 4 levels (one signed batch per area)"
t0=$(date +%s)
province_record
echo "recorded in $(( $(date +%s) - t0 )) s"

say "syncing every daemon to the central"
t0=$(date +%s)
province_sync
nb=$(central_db central 'select count(*) from batches')
echo "synced in $(( $(date +%s) - t0 )) s; batches at the central: $nb"

say "results at the central"
url=$(central_url central)
"$BIN/tally" results --central "$url" | head -n 60 || true

res=$(curl -sf "$url/v1/results") || fail "GET /v1/results"
lf() { level_field "$res" "$@"; }
say "the central against the seed article"
printf '%-44s %12s %12s\n' "figure" "published" "central"
row() { printf '%-44s %12s %12s\n' "$1" "$2" "$3"; }
row "National Assembly turnout (%)" 99.68 "$(lf na .turnout)"
row "provincial council turnout (%)" 99.67 "$(lf province .turnout)"
row "National Assembly deputies elected" 7 "$(lf na .seats_filled)"
row "provincial council deputies elected" 66 "$(lf province .seats_filled)"
row "district council deputies elected" 319 "$(lf district .seats_filled)"
row "commune council deputies elected" 3982 "$(lf commune .seats_filled)"
row "commune council seats" 4073 "$(lf commune .seats)"
row "commune constituencies voting again" 11 \
    "$(lf commune .status.NEEDS_ADDITIONAL_ELECTION)"

say "elapsed: $(( $(date +%s) - start )) s"
