#!/usr/bin/env bash
# check-includes.sh: the layout rules of HACKING.md that a script can see.
#
# 1. Each third-party library has one home.  Its header may be included
#    only there:
#      sodium.h          crypto/
#      curl/curl.h       sync/http.c
#      sqlite3.h         daemon/store*, central/store*
#      cjson/cJSON.h     nowhere: common/json_scan.c is our own scanner
#      microhttpd.h      common/httpd.c
#      zlib.h            sync/compress.c
#      qrencode.h        cli/qr.c
#      gnutls/*          common/tlscert.c
#
# 2. No two files of one folder depend on each other.  A file X.c owns
#    X.h and XInt.h of its folder.  A.c depends on B.c when it includes a
#    header that B.c owns, or when A.o uses a function or variable that
#    B.o defines (this catches headers shared by a whole folder, such as
#    cli/cli.h).  When A depends on B and B on A, the pair was split by
#    size rather than by layer: find the layer.
#
# Usage: BUILD=build tests/check-includes.sh   (exit 0 clean, 1 otherwise)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DIRS="common crypto sync election merge daemon central cli tests/tools
    tests/tools/faultproxy"
bad=0

# Pairs that are being split in other changes; each is reported, not
# failed, until it is gone.  Remove a line when its cycle is fixed.
KNOWN=""

# home HEADER FILE: 0 when FILE may include HEADER.
home() {
	case $1 in
	sodium.h) [[ $2 == crypto/* ]] ;;
	curl/curl.h) [[ $2 == sync/http.c ]] ;;
	sqlite3.h) [[ $2 == daemon/store* || $2 == central/store* ]] ;;
	cjson/cJSON.h) false ;;
	microhttpd.h) [[ $2 == common/httpd.c ]] ;;
	zlib.h) [[ $2 == sync/compress.c ]] ;;
	qrencode.h) [[ $2 == cli/qr.c ]] ;;
	gnutls/*) [[ $2 == common/tlscert.c ]] ;;
	*) true ;;
	esac
}

for d in $DIRS; do
	for f in "$d"/*.[ch]; do
		[ -f "$f" ] || continue
		while read -r h; do
			if ! home "$h" "$f"; then
				echo "FAIL: $f includes <$h> outside its home"
				bad=1
			fi
		done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f")
	done
done

# obj_of FILE.c: its object file.  A test tool's folder builds into
# tests/tools-obj (the Makefile); a one-file tool has no object.
obj_of() {
	case $1 in
	tests/tools/*/*) local t=${1#tests/tools/}
		echo "$BUILD/tests/tools-obj/${t%.c}.o" ;;
	*) echo "$BUILD/${1%.c}.o" ;;
	esac
}

# deps_of FILE.c: the .c files of its folder that it depends on.
deps_of() {
	local f=$1 d=${1%/*} h o sym
	# By header ownership.
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
	while read -r h; do
		[[ $h == "$d"/* ]] || continue
		o=${h%.h}
		o=${o%Int}.c
		[ -f "$o" ] && [ "$o" != "$f" ] && echo "$o"
	done
	# By symbols, when the objects are built (see the lists below).
	local obj
	obj=$(obj_of "$f")
	[ -f "$obj" ] || return 0
	for o in "$d"/*.c; do
		[ "$o" = "$f" ] && continue
		[ -f "$nmdir/${o//\//_}.def" ] || continue
		if comm -12 "$nmdir/${f//\//_}.und" \
		    "$nmdir/${o//\//_}.def" | grep -q .; then
			echo "$o"
		fi
	done
}

# Each object's undefined and defined global symbols, listed once.
nmdir=$(mktemp -d "${TMPDIR:-/tmp}/tally-inc.XXXXXX")
trap 'rm -rf "$nmdir"' EXIT
for d in $DIRS; do
	for f in "$d"/*.c; do
		obj=$(obj_of "$f")
		[ -f "$obj" ] || continue
		nm -u "$obj" | awk '{print $2}' | sort -u >"$nmdir/${f//\//_}.und"
		nm --defined-only -g "$obj" | awk '{print $3}' | sort -u \
		    >"$nmdir/${f//\//_}.def"
	done
done

for d in $DIRS; do
	declare -A dep=()
	for f in "$d"/*.c; do
		dep[$f]=" $(deps_of "$f" | sort -u | tr '\n' ' ')"
	done
	for a in "${!dep[@]}"; do
		for b in ${dep[$a]}; do
			[[ $a < $b ]] || continue
			[[ ${dep[$b]} == *" $a "* ]] || continue
			if grep -qx "$a:$b" <<<"$KNOWN"; then
				echo "known: $a <-> $b depend on each other"
			else
				echo "FAIL: $a and $b depend on each other"
				bad=1
			fi
		done
	done
	unset dep
done
[ "$bad" = 0 ] && echo "ok: third-party headers at home, no cycles in a folder"
exit "$bad"
