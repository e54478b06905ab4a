#!/usr/bin/env bash
# check-limits.sh: common/limits.h and the table of docs/PROTOCOL.md
# section 11 state the same limits.
#
# Each "#define TLY_..." of the header must be a row of the table (its
# `name` column), each row a macro of the header, and the row's value
# (the first number of its `value` column) the macro's value as the
# compiler computes it.
#
# Usage: tests/check-limits.sh   (exit 0 when they agree, 1 otherwise)
set -u
cd "$(dirname "$0")/.."
CC=${CC:-cc}
HDR=common/limits.h
DOC=docs/PROTOCOL.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tally-limits.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bad=0

# The header's macros, in order.
sed -n 's/^#define[[:space:]]\{1,\}\(TLY_[A-Z0-9_]*\)[[:space:]].*/\1/p' \
    "$HDR" | grep -vx TLY_LIMITS_H >"$tmp/names"
[ -s "$tmp/names" ] || { echo "FAIL: no limits in $HDR"; exit 1; }

# Their values, as the compiler sees them.
{
	echo '#include <stdio.h>'
	echo '#include "common/limits.h"'
	echo 'int main(void) {'
	while read -r n; do
		echo "printf(\"%s %llu\\n\", \"$n\", (unsigned long long)($n));"
	done <"$tmp/names"
	echo 'return 0; }'
} >"$tmp/dump.c"
if ! "$CC" -I. -o "$tmp/dump" "$tmp/dump.c" || ! "$tmp/dump" >"$tmp/hdr"; then
	echo "FAIL: cannot evaluate $HDR"
	exit 1
fi

# The table of section 11: | `NAME` | what | VALUE ... | section |
awk '/^## 11\. /{on=1; next} /^## /{on=0} on' "$DOC" |
    sed -n 's/^| `\(TLY_[A-Z0-9_]*\)` | [^|]* | \([0-9]\{1,\}\)[^|]* | [^|]* |$/\1 \2/p' \
    >"$tmp/doc"
[ -s "$tmp/doc" ] || { echo "FAIL: no table in $DOC section 11"; exit 1; }
awk '/^## 11\. /{on=1; next} /^## /{on=0} on && /^\| `/' "$DOC" | wc -l |
    { read -r rows; [ "$rows" -eq "$(wc -l <"$tmp/doc")" ] ||
    { echo "FAIL: a row of $DOC section 11 does not parse"; exit 1; }; } ||
    bad=1

while read -r n v; do
	d=$(awk -v n="$n" '$1 == n {print $2}' "$tmp/doc")
	if [ -z "$d" ]; then
		echo "FAIL: $n ($v) is not in $DOC section 11"
		bad=1
	elif [ "$d" != "$v" ]; then
		echo "FAIL: $n is $v in $HDR but $d in $DOC section 11"
		bad=1
	fi
done <"$tmp/hdr"
while read -r n d; do
	grep -qx "$n" "$tmp/names" || {
		echo "FAIL: $n ($d) of $DOC section 11 is not in $HDR"
		bad=1
	}
done <"$tmp/doc"
[ "$(cut -d' ' -f1 "$tmp/doc" | sort | uniq -d)" = "" ] || {
	echo "FAIL: a name repeats in $DOC section 11"
	bad=1
}
[ "$bad" = 0 ] && echo "ok: $(wc -l <"$tmp/hdr") limits agree"
exit "$bad"
