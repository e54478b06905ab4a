#!/usr/bin/env bash
# t_photos.sh: the central's photo upload (PROTOCOL.md 8.12): only for a
# photo a stored record names, in order (Content-Range), resumable, kept
# only when the bytes hash to the name; and the daemon's sender (9).
. "$(dirname "$0")/lib.sh"

start_central c
start_daemon d c
url=$(central_url c)
head -c 150000 /dev/urandom >"$T/photo.jpg"
printf '\xff\xd8\xff' | dd of="$T/photo.jpg" conv=notrunc 2>/dev/null
h=$(b2sum -l 256 "$T/photo.jpg" | cut -d' ' -f1)
size=$(stat -c %s "$T/photo.jpg")
head -c 1000 /dev/urandom >"$T/other"
head -c 1000 /dev/zero >"$T/wrong0"
h2=$(b2sum -l 256 "$T/other" | cut -d' ' -f1)
jq --arg h "$h" '.photo = $h' "$RECORDS/A01-na.json" >"$T/na.json"
jq --arg h "$h2" '.photo = $h' "$RECORDS/A01-prov.json" >"$T/prov.json"

put() {	# HASH RANGE FILE-PART
	curl -s -X PUT -H "Content-Range: bytes $2" -H \
	    'Content-Type: application/octet-stream' --data-binary @"$3" \
	    "$url/v1/photos/$1"
}

note "no record names it yet: refused"
head -c 100 "$T/photo.jpg" >"$T/p0"
expect_error "unknown photo" 404 unknown_photo -X PUT \
    -H "Content-Range: bytes 0-99/$size" --data-binary @"$T/p0" \
    "$url/v1/photos/$h"

jq -s . "$T/na.json" "$T/prov.json" >"$T/both.json"
tly d record "$T/both.json" >/dev/null
sync_until_done d

note "in order, resumable"
expect_error "bad range" 400 bad_request -X PUT \
    -H "Content-Range: bytes 0-5/$size" --data-binary @"$T/p0" \
    "$url/v1/photos/$h"
expect_error "bad name" 400 bad_request "$url/v1/photos/ABC"
expect_eq "first part" "$(put "$h" "0-99/$size" "$T/p0")" \
    "{\"photo\":\"$h\",\"stored\":100,\"complete\":false}"
expect_error "the same part again" 409 range_mismatch -X PUT \
    -H "Content-Range: bytes 0-99/$size" --data-binary @"$T/p0" \
    "$url/v1/photos/$h"
expect_eq "state" "$(curl -s "$url/v1/photos/$h")" \
    "{\"photo\":\"$h\",\"stored\":100,\"complete\":false}"
tail -c +101 "$T/photo.jpg" >"$T/rest"
head -c 100000 "$T/rest" >"$T/p1"
head -c 300000 /dev/zero >"$T/big"
expect_error "a part too large" 413 too_large -X PUT \
    -H "Content-Range: bytes 100-300099/900000" \
    --data-binary @"$T/big" "$url/v1/photos/$h"
expect_error "a photo too large" 413 too_large -X PUT \
    -H "Content-Range: bytes 100-1099/2000000" \
    --data-binary @"$T/wrong0" "$url/v1/photos/$h"
expect_eq "second part" "$(put "$h" "100-100099/$size" "$T/p1")" \
    "{\"photo\":\"$h\",\"stored\":100100,\"complete\":false}"
tail -c +100101 "$T/photo.jpg" >"$T/p2"
expect_eq "last part" "$(put "$h" "100100-$((size - 1))/$size" "$T/p2")" \
    "{\"photo\":\"$h\",\"stored\":$size,\"complete\":true}"
cmp "$T/photo.jpg" "$T/c/data/photos/$h" || fail "the stored bytes differ"
curl -sf -o "$T/image" "$url/v1/photos/$h/image" || fail "GET image"
cmp "$T/photo.jpg" "$T/image" || fail "GET image: other bytes"

note "bytes that do not hash to the name are discarded"
head -c 1000 /dev/urandom >"$T/wrong"
expect_error "hash mismatch" 422 hash_mismatch -X PUT \
    -H "Content-Range: bytes 0-999/1000" --data-binary @"$T/wrong" \
    "$url/v1/photos/$h2"
expect_eq "nothing kept" "$(curl -s "$url/v1/photos/$h2" | jq -c .)" \
    "{\"photo\":\"$h2\",\"stored\":0,\"complete\":false}"
expect_error "no image while not whole" 404 not_found "$url/v1/photos/$h2/image"

note "the daemon sends the photos it keeps"
out=$(curl -s --unix-socket "$T/d/tallyd.sock" -H 'Content-Type: image/jpeg' \
    --data-binary @"$T/photo.jpg" http://local/v1/photos | jq -r .photo)
expect_eq "hash" "$out" "$h"
for i in $(seq 1 300); do
	[ "$(tly d status --json | jq -r .photos.sent)" = 1 ] && break
	tly d sync >/dev/null 2>&1 || true
done
expect_eq "sent" "$(tly d status --json | jq -c .photos)" '{"held":1,"sent":1}'
