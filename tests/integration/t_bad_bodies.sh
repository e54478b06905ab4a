#!/usr/bin/env bash
# Malformed, oversized, mislabelled and replayed bodies get a 4xx with a
# stable code, change nothing, and the servers keep serving.
. "$(dirname "$0")/lib.sh"

start_central c
url=$(central_url c)
B=application/vnd.tally.bundle

# post NAME STATUS CODE CURL-ARGS...: expect status and error code.
post() {
	local what=$1
	expect_error "$@"
	# The server still answers.
	curl -sf "$url/v1/key" >/dev/null || fail "central stopped serving after $what"
}

printf 'not a bundle at all' >"$T/junk"
post "garbage bundle" 400 bad_bundle -H "Content-Type: $B" --data-binary @"$T/junk" "$url/v1/batches"
post "malformed JSON type" 415 unsupported_media_type -H "Content-Type: application/json" \
    --data-binary '{"a":' "$url/v1/batches"
post "unknown encoding" 415 unsupported_encoding -H "Content-Type: $B" \
    -H "Content-Encoding: br" --data-binary @"$T/junk" "$url/v1/batches"
post "gzip that does not inflate" 400 bad_encoding -H "Content-Type: $B" \
    -H "Content-Encoding: gzip" --data-binary @"$T/junk" "$url/v1/batches"

# Over 8 MiB announced: refused before the body is read.
head -c $((8 * 1024 * 1024 + 1)) /dev/zero >"$T/big"
post "oversized body" 413 too_large -H "Content-Type: $B" --data-binary @"$T/big" "$url/v1/batches"
# A gzip bomb: 64 MiB of zeros compresses to ~64 KiB, inflating past the cap.
head -c $((64 * 1024 * 1024)) /dev/zero | gzip -c >"$T/bomb.gz"
post "gzip bomb" 413 too_large -H "Content-Type: $B" -H "Content-Encoding: gzip" \
    --data-binary @"$T/bomb.gz" "$url/v1/batches"
post "unknown path" 404 not_found "$url/v1/nothing"
post "wrong method" 405 method_not_allowed -X DELETE "$url/v1/batches"
post "bad device key" 400 bad_request "$url/v1/devices/XYZ/head"

# A truncated upload: a real bundle cut short.
start_daemon d -
tly d record "$RECORDS/A01-na.json" >/dev/null
tly d export --out "$T/one.bundle" >/dev/null
size=$(stat -c %s "$T/one.bundle")
head -c $((size - 10)) "$T/one.bundle" >"$T/cut.bundle"
post "truncated upload" 400 bad_bundle -H "Content-Type: $B" --data-binary @"$T/cut.bundle" "$url/v1/batches"
expect_eq "nothing stored" "$(central_db c "select count(*) from batches")" 0

# The same bundle whole: stored; replayed: the same receipt, byte for byte.
curl -s -H "Content-Type: $B" --data-binary @"$T/one.bundle" "$url/v1/batches" >"$T/r1"
curl -s -H "Content-Type: $B" --data-binary @"$T/one.bundle" "$url/v1/batches" >"$T/r2"
expect_eq "first upload" "$(jq -r '.results[0].status' "$T/r1")" stored
expect_eq "replayed upload" "$(jq -r '.results[0].status' "$T/r2")" duplicate
expect_eq "replayed receipt" "$(jq -r '.results[0].receipt' "$T/r2")" \
    "$(jq -r '.results[0].receipt' "$T/r1")"
expect_eq "stored once" "$(central_db c "select count(*) from batches")" 1

# A batch for another election is refused and logged.
sed 's/"tn-2021-small"/"tn-2021-other"/' "$ELECTION" >"$T/other.json"
grep -q tn-2021-other "$T/other.json" || fail "could not derive another election"
ELECTION=$T/other.json start_daemon o -
tly o record "$RECORDS/A02-na.json" >/dev/null
tly o export --out "$T/other.bundle" >/dev/null
status=$(curl -s -o "$T/r3" -w '%{http_code}' -H "Content-Type: $B" \
    --data-binary @"$T/other.bundle" "$url/v1/batches")
expect_eq "other election status" "$status" 422
expect_eq "other election code" "$(jq -r '.results[0].error.code' "$T/r3")" wrong_election
expect_eq "rejection logged" \
    "$(central_db c "select count(*) from rejections where code = 'wrong_election'")" 1

# The daemon's local API refuses malformed records and keeps serving.
sock=$T/d/tallyd.sock
status=$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$sock" \
    -H 'Content-Type: application/json' --data-binary '{"area": ' http://localhost/v1/records)
expect_eq "daemon malformed JSON" "$status" 400
jq -e .error.code "$T/body" >/dev/null || fail "daemon error body is not JSON"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/big.json"
status=$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$sock" \
    -H 'Content-Type: application/json' --data-binary @"$T/big.json" http://localhost/v1/records)
expect_eq "daemon oversized body" "$status" 413
tly d status >/dev/null || fail "daemon stopped serving"
echo "PASS"
