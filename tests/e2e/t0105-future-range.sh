#!/bin/bash
# A range that ends in the future, or past what the recorder has indexed:
# the download waits, pending with progress 0, until the index reaches its
# "to" (then it is exported whole), or until footage_wait has passed after
# "to" (then it is exported as far as the footage goes, and its coverage
# says so). The API answers at once either way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

make_fixtures || { echo "# no fixtures: skipped"; exit 77; }
setup "footage_wait = 6;"
start_lighttpd
start_worker

# The recorder's index as it grows: segment N of the h264_aac_ts fixture
# (4 s each), placed to start at T0 - 8 s + 4 N s.
T0=$(( $(date +%s) * 1000000 ))
SHIFT=$(( T0 - 8000000 - BASE_US ))
recorded() {
	local c path start end bytes codec w h audio _
	while IFS=$'\t' read -r c path start end bytes codec w h audio _; do
		[ "$c" = h264_aac_ts ] && [ "$path" = "h264_aac_ts/seg00$1.ts" ] || continue
		sql "INSERT INTO segments(stream_id, path, start_us, end_us, bytes,
		    codec, width, height, has_audio, created_at) VALUES ($STREAM,
		    '$FIXTURES/$path', $((start + SHIFT)), $((end + SHIFT)), $bytes,
		    '$codec', $w, $h, $audio, 0)"
		return
	done < "$FIXTURES/manifest.tsv"
}
at() { local_time $((T0 + $1 * 1000000)); }
recorded 0
recorded 1

# Until 3 s from now; the index ends now.
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"$(at -6)\", \"to\": \"$(at 3)\"}"
expect_eq "a range ending in the future is accepted at once" 200 "$STATUS"
WHOLE=$(jbody .id)
sleep 2
expect_eq "it waits for its footage" "pending 0" \
	"$(sql "SELECT condition || ' ' || progress FROM downloads WHERE id=$WHOLE")"
recorded 2
check "the footage indexed up to its end: exported" wait_download "$WHOLE" 30
expect_eq "whole" active "$COND"
api GET "/api/admin/v1/downloads/$WHOLE"
expect_eq "its coverage is the whole range" "$(at -6) $(at 3)" \
	"$(jbody '[.coverage[] | .from, .to] | join(" ")')"

# Until 9 s from the start; the recorder stops at 4 s: after footage_wait
# (6 s) past its end, what there is.
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"$(at 2)\", \"to\": \"$(at 9)\"}"
PART=$(jbody .id)
sleep 1
expect_eq "the second waits too" pending "$(sql "SELECT condition FROM downloads WHERE id=$PART")"
check "after footage_wait it is exported" wait_download "$PART" 40
expect_eq "as far as the footage goes" active "$COND"
NOW=$(( $(date +%s) * 1000000 ))
check "not before footage_wait had passed after its end" test "$NOW" -ge $((T0 + 15000000))
api GET "/api/admin/v1/downloads/$PART"
expect_eq "its coverage ends where the footage does" "$(at 2) $(at 4)" \
	"$(jbody '[.coverage[] | .from, .to] | join(" ")')"

finish
