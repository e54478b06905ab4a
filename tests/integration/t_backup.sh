#!/usr/bin/env bash
# tally-central backup OUT: an online copy of the database while the
# central serves.  Restored into a new central, it holds the state of the
# moment of the backup; following the first central's audit feed
# (PROTOCOL.md 12.7) from there reaches its state hash again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

state() { curl -sf "$(central_url "$1")/v1/state-hash" | jq -r .state_hash; }

start_central c
keygen f
keygen g
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -M "$T/f1" "$RECORDS/A01-na.json" >"$T/id"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 2 -p "$(cat "$T/id")" -M "$T/f2" \
    "$RECORDS/A02-na.json" >"$T/id"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 3 -p "$(cat "$T/id")" -M "$T/f3" \
    "$RECORDS/A03-na.json" >/dev/null
forge -k "$T/keys/g.key" -e "$ELECTION" -s 1 -M "$T/g1" "$RECORDS/A04-na.json" >/dev/null
make_bundle "$T/b1.bundle" "$T/f1" "$T/f2"
upload c "$T/b1.bundle" >/dev/null
h0=$(state c)
[ -n "$h0" ] && [ "$h0" != null ] || fail "no state hash"

# The backup, while c runs.
out=$("$BIN/tally-central" -c "$T/c/central.conf" backup "$T/backup.db" 2>>"$T/c/central.log") ||
    fail "backup failed: $out"
expect_eq "backup prints its file" "$out" "$T/backup.db"
expect_eq "backup mode" "$(stat -c %a "$T/backup.db")" 600
expect_eq "backup is whole" "$(sqlite3 "$T/backup.db" 'pragma integrity_check')" ok
expect_eq "backup needs no WAL" "$(sqlite3 "$T/backup.db" 'pragma journal_mode')" delete
expect_eq "backup holds the batches" "$(sqlite3 "$T/backup.db" 'select count(*) from batches')" 2
# exit_status CMD...: the exit status of CMD (its stderr to a log).
exit_status() { "$@" >/dev/null 2>>"$T/cmd.log" && echo 0 || echo $?; }
expect_eq "a second backup onto the file is refused" \
    "$(exit_status "$BIN/tally-central" -c "$T/c/central.conf" backup "$T/backup.db")" 2
expect_eq "the refused backup left the file alone" \
    "$(sqlite3 "$T/backup.db" 'select count(*) from batches')" 2
expect_eq "backup without a file" \
    "$(exit_status "$BIN/tally-central" -c "$T/c/central.conf" backup)" 2

# c goes on.
make_bundle "$T/b2.bundle" "$T/f3" "$T/g1"
upload c "$T/b2.bundle" >/dev/null
h1=$(state c)
[ "$h1" != "$h0" ] || fail "state did not change"

# Restore into r (same key): the state of the backup.
mkdir -p "$T/r/data"
chmod 700 "$T/r/data"
cp "$T/backup.db" "$T/r/data/central.db"
cp "$T/keys/c.key" "$T/keys/r.key"
start_central r
expect_eq "restored state" "$(state r)" "$h0"
expect_eq "restored key" "$(curl -sf "$(central_url r)/v1/key" | jq -r .key)" \
    "$(curl -sf "$(central_url c)/v1/key" | jq -r .key)"

# Follow c's feed from the restored copy's last position.
after=$(curl -sf "$(central_url r)/v1/feed?after=0&limit=1000" | jq .next)
expect_eq "restored feed position" "$after" 2
for i in $(seq 1 20); do
	fd=$(curl -sf "$(central_url c)/v1/feed?after=$after&limit=1")
	[ "$(jq '.entries | length' <<<"$fd")" = 0 ] && break
	jq -r '.entries[0].bytes' <<<"$fd" | base64 -d >"$T/feed"
	make_bundle "$T/feed.bundle" "$T/feed"
	upload r "$T/feed.bundle" >/dev/null
	after=$(jq .next <<<"$fd")
done
expect_eq "feed followed to" "$after" 4
expect_eq "restored and caught up" "$(state r)" "$h1"
echo "PASS"
