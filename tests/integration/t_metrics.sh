#!/usr/bin/env bash
# GET /metrics (Prometheus text format): the central's counters by
# outcome and rejection code, its latency histograms and store figures,
# and tallyd's batches by state, oldest unacknowledged batch, last
# contact and bytes, checked against the batches the test sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faultlib.sh"

# metric FILE NAME{LABELS}: the value of one sample line, or "absent".
metric() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$1"
}
scrape_central() { curl -sf "$(central_url c)/metrics" >"$T/m.txt" || fail "scrape"; }

start_central c
keygen f
keygen g
keygen h
# f: seq 1 then seq 2 (applied), seq 1 again (duplicate).
forge -k "$T/keys/f.key" -e "$ELECTION" -s 1 -M "$T/f1" "$RECORDS/A01-na.json" >"$T/f1.id"
jq -s . "$RECORDS"/A0[23]-na.json >"$T/two.json"
forge -k "$T/keys/f.key" -e "$ELECTION" -s 2 -p "$(cat "$T/f1.id")" -M "$T/f2" \
    "$T/two.json" >/dev/null
# g: two different seq 1 (the second is an equivocation).
forge -k "$T/keys/g.key" -e "$ELECTION" -s 1 -t 1700000001 -M "$T/g1" \
    "$RECORDS/A04-na.json" >/dev/null
forge -k "$T/keys/g.key" -e "$ELECTION" -s 1 -t 1700000002 -M "$T/g1b" \
    "$RECORDS/A04-na.json" >/dev/null
# h: seq 2 before seq 1 (pending), and a live batch (wrong_mode: the
# test central runs open, in test mode).
forge -k "$T/keys/h.key" -e "$ELECTION" -s 1 -M "$T/h1" "$RECORDS/A05-na.json" >"$T/h1.id"
forge -k "$T/keys/h.key" -e "$ELECTION" -s 2 -p "$(cat "$T/h1.id")" -M "$T/h2" \
    "$RECORDS/A06-na.json" >/dev/null
forge -k "$T/keys/h.key" -e "$ELECTION" -s 1 -m live -M "$T/ht" \
    "$RECORDS/A07-na.json" >/dev/null

scrape_central
expect_eq "no batch yet" "$(metric "$T/m.txt" 'tally_central_batches_total{outcome="applied"}')" 0
expect_eq "empty feed" "$(metric "$T/m.txt" tally_central_feed_position)" 0
expect_match "content type" \
    "$(curl -sf -o /dev/null -w '%{content_type}' "$(central_url c)/metrics")" \
    '^text/plain; version=0.0.4'

make_bundle "$T/b1.bundle" "$T/f1" "$T/g1" "$T/h2"
upload c "$T/b1.bundle" >/dev/null
make_bundle "$T/b2.bundle" "$T/f1" "$T/f2" "$T/g1b" "$T/ht"
upload c "$T/b2.bundle" >/dev/null
curl -sf "$(central_url c)/v1/results" >/dev/null || fail "results"
curl -sf "$(central_url c)/v1/results?level=national" >/dev/null || true

scrape_central
m() { metric "$T/m.txt" "$1"; }
expect_eq "applied" "$(m 'tally_central_batches_total{outcome="applied"}')" 3
expect_eq "pending" "$(m 'tally_central_batches_total{outcome="pending"}')" 1
expect_eq "equivocation" "$(m 'tally_central_batches_total{outcome="equivocation"}')" 1
expect_eq "duplicate" "$(m 'tally_central_batches_total{outcome="duplicate"}')" 1
expect_eq "rejected" "$(m 'tally_central_batches_total{outcome="rejected"}')" 1
expect_eq "rejected by code" "$(m 'tally_central_rejected_total{code="wrong_mode"}')" 1
expect_eq "records applied (1 + 2 + 1)" "$(m 'tally_central_records_total{outcome="applied"}')" 4
expect_eq "records pending" "$(m 'tally_central_records_total{outcome="pending"}')" 1
expect_eq "ingest requests" "$(m tally_central_ingest_seconds_count)" 2
expect_eq "ingest +Inf bucket" "$(m 'tally_central_ingest_seconds_bucket{le="+Inf"}')" 2
expect_eq "results requests" "$(m tally_central_results_seconds_count)" 2
expect_eq "held batches" "$(m tally_central_held_batches)" \
    "$(central_db c "select count(*) from batches")"
expect_eq "held = applied + pending + equivocation" "$(m tally_central_held_batches)" 5
expect_eq "pending batches" "$(m tally_central_pending_batches)" \
    "$(( $(m tally_central_held_batches) - $(central_db c "select count(*) from chain") ))"
expect_eq "frozen devices" "$(m tally_central_frozen_devices)" 1
expect_eq "equivocation proofs" "$(m tally_central_equivocation_proofs)" \
    "$(central_db c "select count(*) from evidence")"
expect_eq "feed position" "$(m tally_central_feed_position)" \
    "$(curl -sf "$(central_url c)/v1/feed?after=0&limit=100" | jq .next)"
[ "$(m tally_central_store_bytes)" -gt 4096 ] || fail "store bytes: $(m tally_central_store_bytes)"

# ---- tallyd ---------------------------------------------------------------
# d1 has no central: two sealed batches, never a contact.  Its metrics
# also listen on TCP (metrics-listen, port from the log).
start_daemon d1 - "metrics-listen 127.0.0.1:0"
port=$(sed -n 's/.*metrics on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/d1/tallyd.log")
[ -n "$port" ] || fail "no metrics port in the log"
record_all d1 "$RECORDS/A01-na.json" "$RECORDS/A02-na.json"
curl -sf "http://127.0.0.1:$port/metrics" >"$T/d1.txt" || fail "scrape d1 over TCP"
d() { metric "$T/$1.txt" "$2"; }
expect_eq "d1 sealed" "$(d d1 'tally_tallyd_batches{kind="own",state="sealed"}')" 2
expect_eq "d1 acknowledged" "$(d d1 'tally_tallyd_batches{kind="own",state="acknowledged"}')" 0
expect_eq "d1 records sealed" "$(d d1 'tally_tallyd_records{kind="own",state="sealed"}')" 2
expect_eq "d1 never in contact" "$(d d1 tally_tallyd_last_contact_timestamp_seconds)" 0
age=$(d d1 tally_tallyd_oldest_unacked_age_seconds)
[ "$age" -ge 0 ] && [ "$age" -lt 120 ] || fail "d1 oldest unacked age: $age"
expect_eq "only /metrics on the metrics port" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/status")" 404
# d2 delivers one batch to c.
start_daemon d2 c
record_all d2 "$RECORDS/A08-na.json"
sync_until_done d2
curl -sf --unix-socket "$T/d2/tallyd.sock" http://tallyd/metrics >"$T/d2.txt" ||
    fail "scrape d2 over its socket"
expect_eq "d2 acknowledged" "$(d d2 'tally_tallyd_batches{kind="own",state="acknowledged"}')" 1
expect_eq "d2 sealed" "$(d d2 'tally_tallyd_batches{kind="own",state="sealed"}')" 0
expect_eq "d2 nothing unacknowledged" "$(d d2 tally_tallyd_oldest_unacked_age_seconds)" 0
now=$(date +%s)
last=$(d d2 tally_tallyd_last_contact_timestamp_seconds)
[ $((now - last)) -ge 0 ] && [ $((now - last)) -lt 120 ] || fail "d2 last contact $last, now $now"
st=$(tly d2 status --json)
expect_eq "d2 bytes up" "$(d d2 'tally_tallyd_wire_bytes_total{direction="up"}')" \
    "$(jq .wire.bytes_up <<<"$st")"
expect_eq "d2 bytes down" "$(d d2 'tally_tallyd_wire_bytes_total{direction="down"}')" \
    "$(jq .wire.bytes_down <<<"$st")"
[ "$(d d2 'tally_tallyd_wire_bytes_total{direction="up"}')" -gt 0 ] || fail "no bytes up"
echo "PASS"
