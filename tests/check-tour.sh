#!/usr/bin/env bash
# check-tour.sh: README.md's code tour and the tree agree.
#
# The tour is the table under "## Code tour": one row per folder, its
# first cell the folder in backquotes (`central/`), the second the names
# of what lives there in backquotes.
#
# - every folder of the tree holding code, every top-level folder and
#   every entry of tests/ has a row (a path cell may list several:
#   `man/`, `docs/`);
# - a folder has one row, not two;
# - in the row of a code folder, every C source file is named (its stem,
#   `store_ops`, or a pattern such as `cmd_*.c`), and every name that
#   looks like a module (lowercase, digits and _, perhaps .c or .h) is a
#   file there;
# - every path named anywhere in the tour (a name with a /) exists.
#
# Usage: tests/check-tour.sh   (exit 0 when they agree, 1 otherwise)
set -u
cd "$(dirname "$0")/.."
README=README.md
CODE="common crypto sync election merge daemon central cli"
# Names in code rows that are programs or words, not files.
WORDS=" tally tallyd "
bad=0
fail() { echo "FAIL: $*"; bad=1; }

tour=$(sed -n '/^## Code tour/,/^## /p' "$README" | grep '^| `')
[ -n "$tour" ] || { echo "FAIL: no code tour in $README"; exit 1; }

# The first cell of each row: the paths it covers.
firsts=$(cut -d'|' -f2 <<<"$tour" | grep -o '`[^`]*`' | tr -d '`')
dups=$(sort <<<"$firsts" | uniq -d)
[ -z "$dups" ] || fail "more than one row for: $(echo $dups)"
has_row() { grep -qxF "$1" <<<"$firsts"; }

for top in $(git ls-files | grep / | cut -d/ -f1 | sort -u); do
	case $top in .*) continue ;; esac
	[ "$top" = tests ] && continue
	has_row "$top/" || fail "no row for $top/"
done
for e in $(git ls-files tests | cut -d/ -f2 | sort -u); do
	if git ls-files "tests/$e" | grep -q "^tests/$e/"; then
		has_row "tests/$e/" || fail "no row for tests/$e/"
	else
		has_row "tests/$e" || grep -qF "\`tests/$e\`" <<<"$tour" ||
		    fail "no row names tests/$e"
	fi
done

for d in $CODE; do
	row=$(grep "^| \`$d/\` |" <<<"$tour")
	[ -n "$row" ] || continue
	names=$(cut -d'|' -f3- <<<"$row" | grep -o '`[^`]*`' | tr -d '`')
	while IFS= read -r n; do
		[[ $n =~ ^[a-z][a-z0-9_]*(\.[ch])?$ ]] || continue
		[[ $WORDS == *" $n "* ]] && continue
		[ -e "$d/$n" ] || [ -e "$d/$n.c" ] || [ -e "$d/$n.h" ] ||
		    fail "$d/: the tour names '$n', which is no file there"
	done <<<"$names"
	for f in $(git ls-files "$d/*.c"); do
		stem=$(basename "$f" .c) listed=0
		while IFS= read -r n; do
			case $n in *'*'*) [[ $stem.c == $n || $stem == $n ]] && listed=1 ;;
			"$stem" | "$stem.c") listed=1 ;; esac
		done <<<"$names"
		[ $listed = 1 ] || fail "$f is not in the tour's $d/ row"
	done
done

for p in $(grep -o '`[^` ]*/[^` ]*`' <<<"$tour" | tr -d '`' | sort -u); do
	case $p in *'*'*) continue ;; /*) continue ;; esac
	[[ $p =~ ^[a-z][A-Za-z0-9_.-]*/ ]] || continue
	[ -e "$p" ] || [ -e "$p.c" ] || [ -e "$p.h" ] || fail "the tour names $p, which does not exist"
done
[ $bad = 0 ] && echo "check-tour: ok"
exit $bad
