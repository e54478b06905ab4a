#!/usr/bin/env bash
# Upgrades: stores written by the first release (schema version 1,
# tests/vectors/upgrade) open with the current binaries, which migrate
# them (PRAGMA user_version) and keep every batch: the central's state
# and results, the daemon's chain, receipts and unacknowledged batch,
# which still verify offline and grow with new records.
. "$(dirname "$0")/lib.sh"

U="$VEC/upgrade"
# The current schema versions: a fresh store of each.
start_central fresh
start_daemon freshd -
stop fresh
stop freshd
cv=$(sqlite3 "$T/fresh/data/central.db" 'pragma user_version')
dv=$(sqlite3 "$T/freshd/data/tallyd.db" 'pragma user_version')
[ "$cv" -gt 1 ] && [ "$dv" -gt 1 ] || fail "no migration to test: central $cv, tallyd $dv"

# The central of the first release.
mkdir -p "$T/c/data"
chmod 700 "$T/c/data"
sqlite3 "$T/c/data/central.db" <"$U/central-v1.sql"
expect_eq "old central schema" "$(sqlite3 "$T/c/data/central.db" 'pragma user_version')" 1
install -m 600 "$U/central.key" "$T/keys/c.key"
cp "$U/central.pub" "$T/keys/c.pub"
start_central c
expect_eq "central migrated" "$(central_db c 'pragma user_version')" "$cv"
expect_eq "central kept the batches" "$(central_db c 'select count(*) from batches')" 3
st=$(curl -sf "$(central_url c)/v1/status") || fail "status"
expect_eq "central applied them" "$(jq .applied <<<"$st")" 3
expect_eq "central key" "$(curl -sf "$(central_url c)/v1/key" | jq -r .key)" \
    "$(awk '{print $2}' "$U/central.pub")"
res=$(curl -sf "$(central_url c)/v1/results") || fail "results after the upgrade"

# The daemon of the first release.  Its batches are live ones, which a
# central without an authority (test mode, open) refuses, so it runs
# without a central here: its chain is checked offline.
mkdir -p "$T/d/data"
chmod 700 "$T/d/data"
sqlite3 "$T/d/data/tallyd.db" <"$U/tallyd-v1.sql"
install -m 600 "$U/device.key" "$T/d/data/device.key"
DAEMON_MODE=live start_daemon d -
expect_eq "daemon migrated" "$(sqlite3 "$T/d/data/tallyd.db" 'pragma user_version')" "$dv"
st=$(tly d status --json)
expect_eq "daemon kept its acknowledged batches" "$(jq .counts.acknowledged <<<"$st")" 3
expect_eq "daemon kept its unacknowledged batch" \
    "$(( $(jq .counts.sealed <<<"$st") + $(jq .counts.sent <<<"$st") ))" 1
# A new record on the upgraded daemon extends the same chain.
record_all d "$RECORDS/A05-na.json"
expect_eq "a new batch after the upgrade" "$(tly d status --json | jq '.batches | length')" 5
tly d export --out "$T/d.bundle" >/dev/null
out=$("$BIN/tally" verify --election "$ELECTION" --json "$T/d.bundle") ||
    fail "the upgraded chain does not verify: $out"
expect_eq "the upgraded chain verifies: 5 batches ok" "$(jq .ok <<<"$out")" 5
expect_eq "the upgraded chain: none bad" "$(jq .bad <<<"$out")" 0
echo "PASS"
