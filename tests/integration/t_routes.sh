#!/usr/bin/env bash
# The route tables: HEAD on every GET endpoint is answered like GET
# without a body, other methods get 405, unknown paths 404.
. "$(dirname "$0")/lib.sh"

start_central c
url=$(central_url c)
start_daemon d -
sock=$T/d/tallyd.sock
dev=$(printf '%064d' 0)

port=$(cat "$T/c/port")

# raw_head PATH: the central's whole answer to HEAD PATH over HTTP/1.0
# (the server closes the connection after it), into $T/raw.
raw_head() {
	exec 5<>"/dev/tcp/127.0.0.1/$port"
	printf 'HEAD %s HTTP/1.0\r\n\r\n' "$1" >&5
	timeout 10 cat <&5 >"$T/raw" || fail "HEAD $1: no answer"
	exec 5>&-
}

# head_ok WHAT STATUS CURL-ARGS...: HEAD gives STATUS.
head_ok() {
	local what=$1 want=$2 status
	shift 2
	status=$(curl -s -I -o "$T/headers" -w '%{http_code}' "$@")
	expect_eq "HEAD $what" "$status" "$want"
}

for p in /v1/key /v1/results /v1/state-hash /v1/status /v1/conflicts \
    /v1/evidence /v1/feed "/v1/devices/$dev/head" "/v1/devices/$dev/receipts"; do
	head_ok "central $p" 200 "$url$p"
	# Nothing follows the headers' blank line.
	raw_head "$p"
	expect_eq "HEAD $p: bytes after the headers" \
	    "$(sed -n '/^\r$/,$p' "$T/raw" | tail -n +2 | wc -c)" 0
	# GET still answers, with a body.
	curl -sf "$url$p" | jq -e . >/dev/null || fail "GET $p: no JSON body"
done
head_ok "central /v1/results/constituencies/none" 404 \
    "$url/v1/results/constituencies/none"
head_ok "daemon /v1/status" 200 --unix-socket "$sock" http://tallyd/v1/status
head_ok "daemon /v1/bundle" 200 --unix-socket "$sock" http://tallyd/v1/bundle

expect_error "POST /v1/key" 405 method_not_allowed -X POST "$url/v1/key"
expect_error "GET /v1/batches" 405 method_not_allowed "$url/v1/batches"
expect_error "device without an endpoint" 404 not_found "$url/v1/devices/$dev"
expect_error "trailing slash" 404 not_found "$url/v1/key/"
expect_error "empty segment" 404 not_found "$url/v1/devices//head"
expect_error "daemon GET /v1/sync" 405 method_not_allowed --unix-socket "$sock" \
    http://tallyd/v1/sync
expect_error "daemon unknown" 404 not_found --unix-socket "$sock" http://tallyd/v1/x
echo ok
