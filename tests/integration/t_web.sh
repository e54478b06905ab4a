#!/usr/bin/env bash
# The central's pages (PROTOCOL.md 8.9): the dashboard and its files are
# served from the binary; the public view only with "public yes"; JSON
# answers carry an ETag and a matching If-None-Match gets 304, until a
# batch changes the results.
. "$(dirname "$0")/lib.sh"

start_central c
url=$(central_url c)

code=$(curl -s -o "$T/page" -w '%{http_code} %{content_type}' "$url/")
expect_eq "dashboard" "$code" "200 text/html; charset=utf-8"
expect_match "dashboard title" "$(cat "$T/page")" "committee"
for f in $(grep -o '/web/[a-z.]*' "$T/page"); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url$f")
	expect_eq "asset $f" "$code" 200
done
expect_error "unknown asset" 404 not_found "$url/web/nothing.js"
expect_error "public view off" 404 not_found "$url/public"
expect_error "asset by POST" 405 method_not_allowed -X POST "$url/web/style.css"

# The whole first load of the dashboard, compressed, stays small.
size=0
for f in / $(grep -o '/web/[a-z.]*' "$T/page"); do
	n=$(curl -s "$url$f" | gzip -9 | wc -c)
	size=$((size + n))
done
note "dashboard first load: $size bytes gzip"
[ "$size" -lt 150000 ] || fail "first load $size bytes compressed"

# ETag and 304 on the results API.
etag() { curl -s -D - -o /dev/null "$url/v1/results" | tr -d '\r' |
	sed -n 's/^[Ee][Tt][Aa][Gg]: //p'; }
tag=$(etag)
expect_match "etag" "$tag" '^"[0-9a-f]{32}"$'
code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
    -H "If-None-Match: $tag" "$url/v1/results")
expect_eq "unchanged results" "$code" "304 0"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "00"' "$url/v1/results")
expect_eq "other etag" "$code" 200

start_daemon d c
f=$(ls "$RECORDS"/*.json | head -n 1)
tly d record "$f" >/dev/null || fail "record $f"
sync_until_done d
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $tag" "$url/v1/results")
expect_eq "changed results" "$code" 200
[ "$(etag)" != "$tag" ] || fail "the etag did not change with the results"

# Public records (8.10): the batch's exact bytes hash to its id, the
# receipt names it, the area lists it; the definition is the one hashed.
rec=$(curl -sf "$url/v1/areas/$(jq -r .area "$f")")
expect_eq "area records" "$(jq '.records | length' <<<"$rec")" 1
expect_eq "area record applied" "$(jq '.records[0].applied' <<<"$rec")" true
bid=$(jq -r '.records[0].batch' <<<"$rec")
curl -sf -o "$T/batch" "$url/v1/batches/$bid" || fail "GET batch"
expect_eq "batch bytes hash to the id" "$(b2sum -l 256 <"$T/batch" | cut -d' ' -f1)" "$bid"
curl -sf -o "$T/receipt" "$url/v1/batches/$bid/receipt" || fail "GET receipt"
expect_match "receipt names the batch" "$(tail -c +1 "$T/receipt" | tr -d '\0' | grep -ao '"batch":"[0-9a-f]*"')" "$bid"
expect_eq "definition bytes" "$(curl -sf "$url/v1/election" | b2sum -l 256 | cut -d' ' -f1)" \
    "$(curl -sf "$url/v1/results" | jq -r .election)"
expect_error "malformed batch id" 400 bad_request "$url/v1/batches/xyz"
expect_error "unknown batch" 404 not_found "$url/v1/batches/$(printf '0%.0s' {1..64})"
expect_error "unknown area" 404 not_found "$url/v1/areas/NOPE"
expect_eq "area without records" "$(curl -sf "$url/v1/areas/A09" | jq -c .records)" "[]"

# With "public yes" the public view is served.
stop c
CENTRAL_EXTRA="public yes" start_central c
code=$(curl -s -o "$T/pub" -w '%{http_code}' "$(central_url c)/public")
expect_eq "public view on" "$code" 200
note "ok"
