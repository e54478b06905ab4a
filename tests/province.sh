# province.sh: the province-sized election end to end, shared by
# tests/demo-province.sh and tests/integration/t_seed_figures.sh.
# Source it after tests/integration/lib.sh.
#
#   province_generate SEED   tally gen --size province into $T/gen; sets
#                            ELECTION (used by start_central/start_daemon)
#   province_start           a central and $NDAEMONS field daemons
#   province_record          every polling area's records, one 'tally
#                            record' (one signed batch) per area, the
#                            daemons working in parallel
#   province_sync            sync every daemon until nothing is pending
#   level_field JSON L EXPR  jq EXPR on level L of a GET /v1/results body
#   files_results            the per-level figures the generated files
#                            decide by Art. 78-80, computed here with jq
#                            (a check of the files apart from the central)

NDAEMONS=${NDAEMONS:-8}
GEN=$T/gen

province_generate() {
	"$BIN/tally" gen --size province --seed "$1" --out "$GEN" --json \
	    >"$T/gen.json" || fail "tally gen --size province failed"
	ELECTION=$GEN/election.json
}

province_start() {
	local i
	start_central central
	for i in $(seq 1 "$NDAEMONS"); do
		start_daemon "field$i" central
	done
}

# record_share I: daemon I records every NDAEMONS-th area, from the I-th.
record_share() {
	local i=$1 j files=("$GEN"/records/*.json)
	for ((j = i - 1; j < ${#files[@]}; j += NDAEMONS)); do
		if ! tly "field$i" record "${files[j]}" >/dev/null; then
			echo "field$i: ${files[j]} was not recorded" >&2
			return 1
		fi
	done
}

province_record() {
	local i pids=() p
	for i in $(seq 1 "$NDAEMONS"); do
		record_share "$i" &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "recording failed"
	done
}

province_sync() {
	local i pids=() p
	for i in $(seq 1 "$NDAEMONS"); do
		sync_until_done "field$i" &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "syncing failed"
	done
}

level_field() {
	jq -r --arg l "$2" ".levels[] | select(.level == \$l) | $3" <<<"$1"
}

# The rules, in jq, on the generated definition and record files: per
# level, seats, seats filled, turnout and the count of each status, in
# the shape of GET /v1/results' levels.
files_results() {
	jq -n -c --slurpfile defn "$GEN/election.json" \
	    --slurpfile recs <(jq -s '[.[][]]' "$GEN"/records/*.json) '
	def pct(a; b): if b == 0 then "-" else
	    ((a * 20000 + b) / (2 * b) | floor) as $h |
	    "\($h / 100 | floor).\($h % 100 | tostring |
	    if length < 2 then "0" + . else . end)" end;
	($defn[0].levels | map({(.id): .kind}) | add) as $kind
	| ($defn[0].constituencies | map({(.id): .}) | add) as $cons
	| $recs[0] | group_by(.constituency) | map(
	    . as $g | $cons[$g[0].constituency] as $c
	    | {level: $c.level, seats: $c.seats,
	       R: (map(.registered) | add), T: (map(.voted) | add),
	       W: (map(.valid) | add),
	       V: ($c.candidates | map(.id as $id | {id, born,
	           v: ($g | map(.votes[$id]) | add)}))}
	    | . as $x
	    | ([.V[] | select(2 * .v > $x.W)] | sort_by(-.v, .born, .id))
	      as $el
	    | (if 2 * .T <= .R then {s: "NEEDS_REELECTION", k: 0}
	       elif ($el | length) > .seats and
	           $el[.seats - 1].v == $el[.seats].v and
	           $el[.seats - 1].born == $el[.seats].born
	       then {s: "MANUAL_TIEBREAK", k: (.seats - 1)}
	       else ([($el | length), .seats] | min) as $k
	       | if $k < .seats and ($kind[.level] == "na" or
	             3 * $k < 2 * .seats)
	         then {s: "NEEDS_ADDITIONAL_ELECTION", k: $k}
	         else {s: "DETERMINED", k: $k} end
	       end) as $r
	    | {level, seats, R, T, status: $r.s, filled: $r.k})
	| group_by(.level) | map({level: .[0].level,
	    seats: (map(.seats) | add), seats_filled: (map(.filled) | add),
	    turnout: pct(map(.T) | add; map(.R) | add),
	    status: (group_by(.status) | map({(.[0].status): length}) |
	    add)})
	| {levels: .}'
}
