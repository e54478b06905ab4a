#!/usr/bin/env bash
# The law through the real binaries: records go through tallyd, sync to
# tally-central, and come back from 'tally results'.
#  - Art. 80 after Art. 79: an additional election with half or fewer
#    voting needs its own re-election; that re-election stands;
#  - partial re-elections: areas re-voted one by one are not a
#    re-election round (Art. 78(1) does not apply);
#  - W7: each record has its own rounds entry's deadline;
#  - H10: an explanation must explain;
#  - the text view prints whole statuses, the tie, the additional
#    election, and pads names by display width.
. "$(dirname "$0")/lib.sh"

# definition FILE REPEATS: the test election; with REPEATS=1 the
# re-election of C-1's additional election is announced as round 3.
definition() {
	local extra=""
	[ "$2" = 1 ] && extra=', {"round": 3, "kind": "reelection",
	    "constituency": "C-1", "repeats": 2}'
	cat >"$1" <<-JSON
	{"format": "tally-election/1", "id": "law-$2", "name": "Luật",
	 "date": "2021-05-23", "rules": "law-2015",
	 "levels": [{"id": "x", "name": "Xã", "kind": "council"}],
	 "constituencies": [
	  {"id": "C-1", "level": "x", "name": "Đơn vị 1", "seats": 1,
	   "candidates": [
	    {"id": "a", "name": "Nguyễn Thị Thu Hà", "born": "1972-03-14"},
	    {"id": "b", "name": "Tran Van Minh", "born": "1968-11-02"}]},
	  {"id": "C-2", "level": "x", "name": "Đơn vị 2", "seats": 1,
	   "candidates": [
	    {"id": "c", "name": "Lê Văn Thắng", "born": "1970-05-30"},
	    {"id": "d", "name": "Phạm Thị Hồng", "born": "1976-09-18"}]},
	  {"id": "C-3", "level": "x", "name": "Đơn vị 3", "seats": 2,
	   "candidates": [
	    {"id": "e", "name": "Hoa\u0300ng Thi\u0323 Lan", "born": "1979-07-25"},
	    {"id": "f", "name": "Đỗ Quang Huy", "born": "1979-07-25"},
	    {"id": "g", "name": "Bùi Văn Tùng", "born": "1979-07-25"}]},
	  {"id": "C-5", "level": "x", "name": "Đơn vị 5", "seats": 1,
	   "candidates": [
	    {"id": "h", "name": "Vũ Đức Anh", "born": "1981-12-04"},
	    {"id": "i", "name": "Ngô Thị Mai", "born": "1985-02-21"}]}],
	 "areas": [
	  {"id": "A1", "name": "KV 1", "path": ["P", "D", "W1"],
	   "constituencies": {"x": "C-1"}},
	  {"id": "A2", "name": "KV 2", "path": ["P", "D", "W2"],
	   "constituencies": {"x": "C-2"}},
	  {"id": "A3", "name": "KV 3", "path": ["P", "D", "W3"],
	   "constituencies": {"x": "C-2"}},
	  {"id": "A4", "name": "KV 4", "path": ["P", "D", "W4"],
	   "constituencies": {"x": "C-3"}},
	  {"id": "A6", "name": "KV 6", "path": ["P", "D", "W6"],
	   "constituencies": {"x": "C-5"}}],
	 "rounds": [
	  {"round": 2, "kind": "additional", "constituency": "C-1",
	   "deadline": "2021-06-01T00:00:00+07:00"},
	  {"round": 2, "kind": "reelection", "area": "A2"},
	  {"round": 3, "kind": "reelection", "area": "A3",
	   "constituency": "C-2"}$extra]}
	JSON
}

# rec FILE AREA CONS ROUND R T VOTES [EXPLANATIONS]: one count record,
# every ballot valid; VOTES and EXPLANATIONS are JSON objects.
rec() {
	jq -n --arg a "$2" --arg c "$3" --argjson r "$4" --argjson R "$5" \
	    --argjson T "$6" --argjson v "$7" --argjson x "${8:-null}" \
	    '{area: $a, level: "x", constituency: $c, round: $r,
	    registered: $R, voted: $T, issued: $T, received: $T, valid: $T,
	    invalid: 0, votes: $v} + (if $x then {explanations: $x}
	    else {} end)' >"$1"
}

# refused WHAT DAEMON FILE REGEX: tally record must fail, saying REGEX.
refused() {
	local out rc
	set +e
	out=$(tly "$2" record "$3" 2>&1)
	rc=$?
	set -e
	[ "$rc" != 0 ] || fail "$1: signed"
	expect_match "$1" "$out" "$4"
}

# results NAME CONS: tally results --json for one constituency.
results() {
	"$BIN/tally" results --central "$(central_url "$1")" \
	    --constituency "$2" --json
}

for v in 0 1; do definition "$T/law-$v.json" "$v"; done
"$BIN/tally" election check "$T/law-1.json" >/dev/null ||
    fail "the definition with a re-election of the additional election"

note "round 1 and the additional round, no re-election announced"
ELECTION=$T/law-0.json
start_central c0
start_daemon d0 c0
R=$T/rec
mkdir -p "$R"
rec "$R/a1-1.json" A1 C-1 1 100 90 '{"a": 45, "b": 45}'
rec "$R/a2-1.json" A2 C-2 1 100 90 '{"c": 90, "d": 0}'
rec "$R/a3-1.json" A3 C-2 1 100 90 '{"c": 90, "d": 0}'
rec "$R/a4-1.json" A4 C-3 1 100 90 '{"e": 60, "f": 60, "g": 60}'
rec "$R/a6-1.json" A6 C-5 1 100 90 '{"h": 45, "i": 45}'
for f in a1-1 a2-1 a3-1 a4-1 a6-1; do
	tly d0 record "$R/$f.json" >/dev/null || fail "$f was not recorded"
done

note "H10: an explanation must explain, and only a warning raised"
bad=('{"W2": "   "}' '{"W2": "\u200b"}' '{"W1": "nộp \u202e21"}'
    '{"W1": "kiểm tra lại"}' '{"W7": "hai dòng\nnhau"}')
for x in "${bad[@]}"; do
	rec "$R/bad.json" A2 C-2 2 100 40 '{"c": 30, "d": 10}' "$x"
	refused "explanation $x" d0 "$R/bad.json" H10
done

note "W7: each record has its own entry's deadline"
# A2's round 2 entry has no deadline; its sibling (C-1's additional
# election) has one that passed in 2021.
rec "$R/a2-2.json" A2 C-2 2 100 40 '{"c": 30, "d": 10}'
tly d0 record "$R/a2-2.json" >/dev/null ||
    fail "a record of an entry without a deadline was refused"
rec "$R/a1-2.json" A1 C-1 2 100 50 '{"a": 30, "b": 20}'
refused "a late record without explanation" d0 "$R/a1-2.json" W7
rec "$R/a1-2.json" A1 C-1 2 100 50 '{"a": 30, "b": 20}' \
    '{"W7": "đường sạt lở, nộp muộn"}'
tly d0 record "$R/a1-2.json" >/dev/null || fail "explained W7 refused"
rec "$R/a3-3.json" A3 C-2 3 100 40 '{"c": 30, "d": 10}'
tly d0 record "$R/a3-3.json" >/dev/null || fail "a3-3 was not recorded"
sync_until_done d0

note "Art. 80 after Art. 79: the additional election needs a re-election"
one=$(results c0 C-1) || fail "tally results C-1"
expect_eq "C-1 status" "$(jq -r .status <<<"$one")" NEEDS_REELECTION
expect_eq "C-1 winners" "$(jq -c .winners <<<"$one")" "[]"
expect_eq "C-1 round" "$(jq .round <<<"$one")" 2
note "partial re-elections: not a re-election round"
one=$(results c0 C-2) || fail "tally results C-2"
expect_eq "C-2 status" "$(jq -r .status <<<"$one")" NEEDS_REELECTION
expect_eq "C-2 voted" "$(jq .voted <<<"$one")" 80

note "the text view"
txt=$("$BIN/tally" results --central "$(central_url c0)" --constituency C-3)
expect_match "C-3 status" "$txt" "MANUAL_TIEBREAK"
expect_match "C-3 tie" "$txt" "tie \(Art. 78\(4\)[^\n]*: e, f, g"
# The born column starts at the same display column on every row.
cols=$(grep -E ' 1979-07-25 ' <<<"$txt" | sed 's/ 1979-07-25 .*//' |
    while IFS= read -r l; do printf '%s\n' "$l" | LC_ALL=C.UTF-8 wc -L
    done | sort -u | wc -l)
expect_eq "names padded by display width" "$cols" 1
txt=$("$BIN/tally" results --central "$(central_url c0)" --constituency C-5)
expect_match "C-5 status" "$txt" "NEEDS_ADDITIONAL_ELECTION"
expect_match "C-5 additional" "$txt" \
    "additional election \(Art. 79\): 1 seats, candidates [hi], [hi]"

note "the re-election of the additional election stands"
ELECTION=$T/law-1.json
start_central c1
start_daemon d1 c1
rec "$R/a1-2.json" A1 C-1 2 100 50 '{"a": 30, "b": 20}' \
    '{"W7": "đường sạt lở, nộp muộn"}'
rec "$R/a1-3.json" A1 C-1 3 100 40 '{"a": 25, "b": 15}'
for f in a1-1 a1-2 a1-3; do
	tly d1 record "$R/$f.json" >/dev/null || fail "$f was not recorded"
done
sync_until_done d1
one=$(results c1 C-1) || fail "tally results C-1"
expect_eq "C-1 status" "$(jq -r .status <<<"$one")" RECOGNISED_LOW_TURNOUT
expect_eq "C-1 winners" "$(jq -c .winners <<<"$one")" '["a"]'
expect_eq "C-1 round" "$(jq .round <<<"$one")" 3
txt=$("$BIN/tally" results --central "$(central_url c1)" --constituency C-1)
expect_match "whole status" "$txt" "RECOGNISED_LOW_TURNOUT"
echo "PASS"
