#!/bin/bash
# What an operator watches, through lighttpd as shipped: /api/health turns
# 503 with the reason when the worker goes silent and 200 again when it
# restarts; /metrics, switched on, is valid Prometheus text (promtool) whose
# counters match the exports this test made; off, it is 404; from an
# address outside metrics_allow, 403.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"

make_fixtures
OPTS=("poll_interval_ms = 200;" "health_stale = 5;")
setup "${OPTS[@]}" "metrics = true;"
start_lighttpd
start_pushd
start_worker
STREAM1=$(index_case h264_aac_ts)

# health_until STATUS TENTHS: ask /api/health until it answers STATUS.
health_until() {
	for _ in $(seq 1 "$2"); do
		TOKEN= api GET /api/health
		[ "$STATUS" = "$1" ] && return 0
		sleep 0.1
	done
}

# health: both daemons report within a second of starting.
health_until 200 50
expect_eq "health: 200 with both daemons up" 200 "$STATUS"
expect_eq "health says ok" ok "$(jbody .status)"
expect_eq "health lists the worker and pushd" "archive-pushd archived" \
	"$(jbody '[.daemons[].name] | sort | join(" ")')"

# Three exports: two that succeed, one with no footage.
ids=()
for r in "0 6" "2 8" "-900 -800"; do
	set -- $r
	api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM1,
		\"from\": \"$(local_time $((BASE_US + $1 * 1000000)))\",
		\"to\": \"$(local_time $((BASE_US + $2 * 1000000)))\"}"
	ids+=("$(jbody .id)")
done
for id in "${ids[@]}"; do wait_download "$id" 60 || true; done
expect_eq "the exports finished" "active active failed" \
	"$(for id in "${ids[@]}"; do sql "SELECT condition FROM downloads WHERE id=$id"; done | xargs)"
sleep 5.5	# one heartbeat interval: the daemons' numbers are fresh

# --- /metrics through the web server
code=$(curl -s -o "$T/metrics" -D "$T/mh" -w '%{http_code}' "$BASE/metrics")
expect_eq "metrics on, from 127.0.0.1: 200" 200 "$code"
check "metrics: Prometheus text content type" grep -qi '^content-type: text/plain; version=0.0.4' "$T/mh"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics < "$T/metrics" 2>&1) && rc=0 || rc=$?
	expect_eq "promtool check metrics finds nothing to fix" "0 " "$rc $out"
else
	echo "# promtool not installed: format not checked"
fi
m() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
expect_eq "exports ok counted" 2 "$(m 'archived_exports_total{result="ok",code=""}')"
expect_eq "exports failed, by code" 1 "$(m 'archived_exports_total{result="failed",code="no_footage"}')"
expect_eq "active downloads" 2 "$(m 'archived_downloads{condition="active"}')"
expect_eq "nothing pending" 0 "$(m 'archived_downloads{condition="pending"}')"
expect_eq "export seconds histogram counts the two" 2 "$(m archived_export_seconds_count)"
expect_eq "export bytes sum is the files' sizes" \
	"$(sql "SELECT sum(size) FROM downloads WHERE condition='active'")" \
	"$(m archived_export_bytes_sum | cut -d. -f1)"
check "throughput is positive" awk '$1 == "archived_export_throughput_bytes_per_second" && $2 > 0 { f = 1 } END { exit !f }' "$T/metrics"
expect_eq "segments indexed" "$(sql 'SELECT count(*) FROM segments')" "$(m archived_segments)"
check "the worker's own numbers arrive" grep -q '^archived_worker_threads{host=' "$T/metrics"
check "pushd's own numbers arrive" grep -q '^archived_push_connections{host=' "$T/metrics"
check "each daemon's heartbeat age" \
	test "$(grep -c '^archived_daemon_heartbeat_age_seconds{' "$T/metrics")" -ge 2
check "no secret in the metrics" sh -c "! grep -Eq '${TOKEN#*|}|456redko' '$T/metrics'"

# Off: as if there were no such page. Outside the allow-list: 403.
write_config "${OPTS[@]}"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics")
expect_eq "metrics off by default: 404" 404 "$code"
write_config "${OPTS[@]}" "metrics = true;" 'metrics_allow = "10.0.0.0/8, fd00::/8";'
code=$(curl -s -o "$T/body" -w '%{http_code}' "$BASE/metrics")
expect_eq "metrics from outside metrics_allow: 403" 403 "$code"
check "403 names the key" grep -q metrics_allow "$T/body"

# The responder's log reaches log_file under lighttpd, whose FastCGI
# programs get /dev/null as stderr; a failed login is there, its password not.
write_config "${OPTS[@]}" "log_file = \"$T/responder.log\";"
TOKEN= api POST /api/admin/v1/auth/token '{"login": "nobody", "password": "s3cretpass"}'
expect_eq "a failed login answers 422" 422 "$STATUS"
check "the responder logged it to log_file" grep -q "downloads.fcgi\[[0-9]*\]: failed login for 'nobody'" "$T/responder.log"
check "without the password" sh -c "! grep -q s3cretpass '$T/responder.log'"
write_config "${OPTS[@]}"

# --- the worker stops: health turns 503, naming it; it restarts: 200.
kill -TERM "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null || true
health_until 503 120
expect_eq "worker stopped: health 503" 503 "$STATUS"
check "the reason names the worker" grep -q '"reason":"archived silent for' "$T/body"
start_worker
health_until 200 50
expect_eq "worker restarted: health 200 again" 200 "$STATUS"

finish
