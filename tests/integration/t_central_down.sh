#!/usr/bin/env bash
# The central is down while records are entered; when it comes up on the
# same address, every record arrives exactly once.
. "$(dirname "$0")/lib.sh"

start_central c
port=$(cat "$T/c/port")
start_daemon d c
stop c
note "central stopped; recording with no link"

n=0
for f in "$RECORDS"/A0[1-5]-*.json; do
	tly d record "$f" >/dev/null || fail "record $f"
	n=$((n + 1))
done
out=$(tly d sync --json) && fail "sync succeeded with the central down: $out"
expect_eq "sync outcome while down" "$(jq -r .outcome <<<"$out")" failed
st=$(tly d status --json)
expect_eq "nothing acknowledged while down" "$(jq .counts.acknowledged <<<"$st")" 0
expect_match "last error names the central" "$(jq -r .last_error <<<"$st")" "unreachable"

start_central c "$port"
note "central back on port $port"
# The daemon's own backoff retries; an explicit sync must also work.
sync_until_done d
st=$(tly d status --json)
expect_eq "acknowledged after restart" "$(jq .counts.acknowledged <<<"$st")" "$n"

# Exactly once: one stored batch and one record row per recorded record.
expect_eq "central batches" "$(central_db c "select count(*) from batches")" "$n"
expect_eq "central records" "$(central_db c "select count(*) from records")" "$n"
expect_eq "distinct record ids" \
    "$(central_db c "select count(distinct id) from records")" "$n"
dev=$(jq -r .device <<<"$st")
head=$(curl -sf "$(central_url c)/v1/devices/$dev/head")
expect_eq "central head" "$(jq .head <<<"$head")" "$n"

# Syncing again sends nothing new and changes nothing.
sync_until_done d
expect_eq "central batches after resync" "$(central_db c "select count(*) from batches")" "$n"
echo "PASS"
