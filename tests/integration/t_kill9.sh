#!/usr/bin/env bash
# kill -9 of tallyd right after 'tally record' returns: the record is
# there after a restart, and it is delivered.
. "$(dirname "$0")/lib.sh"

start_central c
port=$(cat "$T/c/port")
stop c					# deliver nothing until the restart
start_daemon d c

out=$(tly d record --json "$RECORDS/A07-prov.json") || fail "record: $out"
batch=$(jq -r .batch <<<"$out")
kill9 d					# the instant after the answer
note "tallyd killed with SIGKILL after acknowledging batch ${batch:0:16}"

start_daemon d c
st=$(tly d status --json)
expect_eq "batches after restart" "$(jq '.batches | length' <<<"$st")" 1
expect_eq "batch id survives" "$(jq -r '.batches[0].batch' <<<"$st")" "$batch"

# A second record chains onto the survivor, then the central comes back.
tly d record "$RECORDS/A08-prov.json" >/dev/null
start_central c "$port"
sync_until_done d
expect_eq "central holds the killed-over batch" \
    "$(central_db c "select count(*) from batches where hex(id) = upper('$batch')")" 1
expect_eq "central batches" "$(central_db c "select count(*) from batches")" 2
expect_eq "central record for A07" \
    "$(central_db c "select count(*) from records where area = 'A07' and level = 'prov'")" 1
echo "PASS"
