#!/usr/bin/env bash
# tally's help is generated from its command table: every command listed
# is one that runs, with its verb as typed ('election check', not
# 'election validate'), and 'tally help CMD' shows that command's usage.
. "$(dirname "$0")/lib.sh"

top=$("$BIN/tally" --help)
expect_match "election's verb" "$top" "election check \[--json\] file"
[[ $top == *"election validate"* ]] && fail "the help names a verb that does not exist"
cmds=$(sed -n '/^commands:/,$p' <<<"$top" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || fail "too few commands listed: $cmds"
for c in $cmds; do
	out=$("$BIN/tally" help "$c") || fail "tally help $c failed"
	expect_match "tally help $c" "$out" "^usage: tally \[-s socket\] $c "
	rc=0
	"$BIN/tally" "$c" --no-such-option >/dev/null 2>"$T/err" || rc=$?
	expect_eq "tally $c --no-such-option: exit" "$rc" 2
	expect_match "tally $c: usage on a bad option" "$(cat "$T/err")" "usage: tally \[-s socket\] $c "
done
rc=0
"$BIN/tally" nosuch >/dev/null 2>&1 || rc=$?
expect_eq "unknown command: exit" "$rc" 2
echo ok
