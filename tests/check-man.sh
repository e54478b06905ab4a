#!/usr/bin/env bash
# check-man.sh: every command's --help and its man page agree.
#
# - tally(1): for each command that 'tally --help' lists, the options
#   that 'tally help CMD' names (--long, and -x given as "-x, --long")
#   are the options named (Fl) in the man page's entries for CMD (the
#   ".It Cm CMD ..." items up to the next one), and the other way round;
#   the global options likewise against the page's first option list;
# - tallyd(8), tally-central(8): the options of --help are those of the
#   page's SYNOPSIS, and the other way round;
# - each --help exits 0 ('tally CMD --help' too) and tally's, tallyd's
#   and tally-central's state the exit statuses 0, 1 and 2, and
#   each page of section 1 and 8 has an EXIT STATUS section naming them;
# - every page renders with no warning (man --warnings), when man(1) is
#   installed (in a UTF-8 locale: the pages name Vietnamese places).
#
# Usage: BIN=bin tests/check-man.sh   (exit 0 when they agree, 1 otherwise)
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C
BIN=${BIN:-bin}
bad=0
fail() { echo "FAIL: $*"; bad=1; }

# opts_help: the options named in a --help text on stdin, one a line:
# every --long, and a short -x that has no long alias ("-x, --long").
# tally's global -s in each usage line is left out.
opts_help() {
	sed 's/tally \[-s socket\]/tally/' |
	    sed -E 's/(^|[ ,])-[a-zA-Z], --/\1--/g' |
	    grep -oE '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9-]*' |
	    sed 's/^[][ ,|(]//' | grep -vxE -- '-h|--help|-[0-9]+' | sort -u
}
# opts_man: the options (Fl) named in man source text on stdin; short
# options that have a long alias in OPTS ($1) are left out, as above.
opts_man() {
	grep -oE '(^\.|[ ])Fl -?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[. ]//; s/^Fl /-/' |
	    sed -E 's/^-([a-zA-Z]{2,})$/\1/' | while read -r o; do
		case $o in -*) echo "$o" ;; *) fold -w1 <<<"$o" | sed 's/^/-/' ;; esac
	    done | grep -vxE -- '-h|--help' | sort -u
}
# man_block CMD: the man entries of tally's command CMD.
man_block() {
	awk -v cmd="$1" '
	    /^\.(Sh|Ss|El)/ { on = 0 }
	    /^\.It Cm / { on = ($3 == cmd) }
	    on' man/tally.1
}
compare() {	# WHAT HELP-TEXT MAN-TEXT
	local x h m a
	# a short option with a long alias in --help may be named either way
	a=$(grep -oE -- '-[a-zA-Z], --' <<<"$2" | cut -c1-2)
	h=$(opts_help <<<"$2" | grep -vxF -e "$a")
	m=$(opts_man <<<"$3" | grep -vxF -e "$a")
	set -- "$1" "$h" "$m"
	for x in $(comm -23 <(echo "$2") <(echo "$3")); do
		fail "$1: --help names $x, the man page does not"
	done
	for x in $(comm -13 <(echo "$2") <(echo "$3")); do
		fail "$1: the man page names $x, --help does not"
	done
}
exits() {	# WHAT TEXT: states exit statuses 0, 1 and 2
	grep -qi 'exit' <<<"$2" && grep -qw 0 <<<"$2" && grep -qw 1 <<<"$2" &&
	    grep -qw 2 <<<"$2" || fail "$1: the exit statuses 0, 1, 2 are not stated"
}

top=$("$BIN/tally" --help) || fail "tally --help: exit $?"
exits "tally --help" "$top"
compare "tally (global)" "$(sed '/^commands:/,$d' <<<"$top" | sed '1,/^$/d')" \
    "$(awk '/^The global options are:/ { on = 1 } on && /^\.El/ { exit } on' \
    man/tally.1)"
cmds=$(sed -n '/^commands:/,$p' <<<"$top" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
for c in $cmds; do
	h=$("$BIN/tally" help "$c") || fail "tally help $c: exit $?"
	"$BIN/tally" "$c" --help >/dev/null || fail "tally $c --help: exit $?"
	m=$(man_block "$c")
	[ -n "$m" ] || { fail "tally $c: no entry in man/tally.1"; continue; }
	compare "tally $c" "$h" "$m"
done

for p in tallyd tally-central; do
	h=$("$BIN/$p" --help) || fail "$p --help: exit $?"
	exits "$p --help" "$h"
	compare "$p" "$(sed -n '1,/^$/p' <<<"$h"; grep -oE '^  -[a-zA-Z]' <<<"$h")" \
	    "$(awk '/^\.Sh SYNOPSIS/ { on = 1; next } /^\.Sh/ { on = 0 } on' man/$p.8)"
done

for f in man/*.1 man/*.8; do
	s=$(awk '/^\.Sh EXIT STATUS/ { on = 1; next } /^\.Sh/ { on = 0 } on' "$f")
	[ -n "$s" ] || { fail "$f: no EXIT STATUS section"; continue; }
	grep -q '^\.It 0' <<<"$s" && grep -q '^\.It 1' <<<"$s" &&
	    grep -q '^\.It 2' <<<"$s" || fail "$f: EXIT STATUS does not state 0, 1 and 2"
done

if command -v man >/dev/null; then
	for f in man/*.[158]; do
		# UTF-8: the pages name Vietnamese places
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || fail "$f renders with warnings: $w"
	done
fi
[ $bad = 0 ] && echo "check-man: ok"
exit $bad
