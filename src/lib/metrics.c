#include "config.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "licence.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "banned.h"

static const char *const conditions[] = {
	"pending", "processing", "active", "failed", "expired", "cancelled",
};

static const double seconds_buckets[] = { 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800 };
static const double bytes_buckets[] = { 1e6, 1e7, 5e7, 1e8, 5e8, 1e9, 2e9, 5e9, 1e10 };

/* The numbers only a daemon knows, from the stats of its heartbeat. */
static const struct {
	const char	*daemon;	/* its heartbeat name */
	const char	*key;		/* in its stats object */
	const char	*metric;
	const char	*type;
	const char	*help;
} daemon_metrics[] = {
	{ "archived", "threads", "archived_worker_threads", "gauge",
	  "Worker threads running." },
	{ "archived", "busy", "archived_worker_busy_threads", "gauge",
	  "Worker threads exporting now." },
	{ "archived", "leases_lost", "archived_worker_leases_lost_total", "counter",
	  "Jobs whose lease the worker lost (cancelled or taken over), since it started." },
	{ "archive-pushd", "connections", "archived_push_connections", "gauge",
	  "Open Pusher connections." },
	{ "archive-pushd", "channels", "archived_push_channels", "gauge",
	  "Subscribed channels." },
	{ "archive-pushd", "delivered", "archived_push_events_delivered_total", "counter",
	  "Event messages queued to clients, since pushd started." },
	{ "archive-pushd", "replayed", "archived_push_events_replayed_total", "counter",
	  "Event messages replayed after last_event_id, since pushd started." },
	{ "archive-pushd", "expiry_runs", "archived_expiry_runs_total", "counter",
	  "Expiry runs (timer and sweep), since pushd started." },
	{ "archive-pushd", "expired", "archived_expiry_archives_total", "counter",
	  "Archives expired, since pushd started." },
	{ "archive-pushd", "files_removed", "archived_expiry_files_removed_total", "counter",
	  "Archive files removed by expiry, repair and orphan cleanup, since pushd started." },
	{ "importer", "indexed", "archived_import_segments_total", "counter",
	  "Segments indexed by segments import, since it started." },
	{ "importer", "seconds", "archived_import_seconds_total", "counter",
	  "Seconds spent indexing segments, since the importer started." },
};

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format wants. */
static void
label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_add(b, v, 1);
	}
}

static int
by_condition(struct db *db, struct buf *b)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM downloads WHERE condition=?");

	if (st == NULL)
		return -1;
	head(b, "archived_downloads", "gauge", "Downloads by condition (the queue is"
	    " pending and processing).");
	for (size_t i = 0; i < nitems(conditions); i++) {
		db_reset(st);
		db_bind_text(st, 1, conditions[i]);
		if (db_step(st) != DB_ROW) {
			db_finalize(st);
			return -1;
		}
		buf_printf(b, "archived_downloads{condition=\"%s\"} %lld\n", conditions[i],
		    (long long)db_column_int64(st, 0));
	}
	db_finalize(st);
	return 0;
}

static int
finished(struct db *db, struct buf *b)
{
	struct db_stmt *st = db_prepare(db, "SELECT CASE WHEN condition='failed'"
	    " THEN 'failed' ELSE 'ok' END, coalesce(error_code, ''), count(*)"
	    " FROM downloads WHERE finished_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2");
	int seen_ok = 0, seen_failed = 0, rc;
	struct buf rows;

	if (st == NULL)
		return -1;
	buf_init(&rows);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *result = db_column_text(st, 0);
		const char *code = db_column_text(st, 1);

		if (code[0] == '\0')
			*(strcmp(result, "ok") == 0 ? &seen_ok : &seen_failed) = 1;
		buf_printf(&rows, "archived_exports_total{result=\"%s\",code=\"", result);
		label(&rows, code);
		buf_printf(&rows, "\"} %lld\n", (long long)db_column_int64(st, 2));
	}
	db_finalize(st);
	head(b, "archived_exports_total", "counter", "Exports finished, by result and"
	    " error code (empty for none; an ok export may carry stream_changed or"
	    " sound_left_out).");
	/* Both results always, so that a rate() has a series from the start. */
	if (!seen_ok)
		buf_adds(b, "archived_exports_total{result=\"ok\",code=\"\"} 0\n");
	if (!seen_failed)
		buf_adds(b, "archived_exports_total{result=\"failed\",code=\"\"} 0\n");
	if (rows.len > 0)
		buf_add(b, rows.data, rows.len);
	buf_release(&rows);
	return rc == DB_DONE ? 0 : -1;
}

/* A histogram over the finished, successful exports' column expr, in
 * units of scale (export_us / 1e6 = seconds). */
static int
histogram(struct db *db, struct buf *b, const char *name, const char *help,
    const char *expr, double scale, const double *le, size_t n)
{
	struct buf sql;
	struct db_stmt *st;
	int ret = -1;

	buf_init(&sql);
	buf_printf(&sql, "SELECT count(*), coalesce(sum(%s), 0)", expr);
	for (size_t i = 0; i < n; i++)
		buf_printf(&sql, ", coalesce(sum(CASE WHEN %s <= %.0f THEN 1 ELSE 0 END), 0)",
		    expr, le[i] * scale);
	buf_printf(&sql, " FROM downloads WHERE finished_at IS NOT NULL"
	    " AND condition<>'failed' AND %s IS NOT NULL", expr);
	st = db_prepare(db, sql.data);
	buf_release(&sql);
	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW) {
		head(b, name, "histogram", help);
		for (size_t i = 0; i < n; i++)
			buf_printf(b, "%s_bucket{le=\"%g\"} %lld\n", name, le[i],
			    (long long)db_column_int64(st, (int)i + 2));
		buf_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n", name,
		    (long long)db_column_int64(st, 0));
		buf_printf(b, "%s_sum %.6f\n", name, db_column_double(st, 1) / scale);
		buf_printf(b, "%s_count %lld\n", name, (long long)db_column_int64(st, 0));
		ret = 0;
	}
	db_finalize(st);
	return ret;
}

/* Bytes a second over the last 100 successful exports. */
static int
throughput(struct db *db, struct buf *b)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(sum(size), 0),"
	    " coalesce(sum(export_us), 0) FROM (SELECT size, export_us FROM downloads"
	    " WHERE finished_at IS NOT NULL AND condition<>'failed' AND export_us>0"
	    " ORDER BY finished_at DESC LIMIT 100) AS recent");
	int ret = -1;

	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW) {
		int64_t bytes = db_column_int64(st, 0), us = db_column_int64(st, 1);

		head(b, "archived_export_throughput_bytes_per_second", "gauge",
		    "Bytes written per second of export time, over the last 100 exports.");
		buf_printf(b, "archived_export_throughput_bytes_per_second %.0f\n",
		    us > 0 ? (double)bytes * USEC_PER_SEC / (double)us : 0.0);
		ret = 0;
	}
	db_finalize(st);
	return ret;
}

/* One gauge from a one-number query. */
static int
gauge(struct db *db, struct buf *b, const char *name, const char *help,
    const char *sql)
{
	int64_t v;

	if (db_query_int(db, sql, &v) == -1)
		return -1;
	head(b, name, "gauge", help);
	buf_printf(b, "%s %lld\n", name, (long long)v);
	return 0;
}

static int
daemons(struct db *db, struct buf *b, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT name, host, beat_at, node"
	    " FROM daemons ORDER BY name, host, node");
	int rc;

	if (st == NULL)
		return -1;
	head(b, "archived_daemon_heartbeat_age_seconds", "gauge",
	    "Seconds since each daemon last reported (see /api/health).");
	while ((rc = db_step(st)) == DB_ROW) {
		buf_adds(b, "archived_daemon_heartbeat_age_seconds{daemon=\"");
		label(b, db_column_text(st, 0));
		buf_adds(b, "\",host=\"");
		label(b, db_column_text(st, 1));
		buf_adds(b, "\",node=\"");
		label(b, db_column_text(st, 3));
		buf_printf(b, "\"} %.3f\n",
		    (double)(now - db_column_int64(st, 2)) / USEC_PER_SEC);
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return -1;

	st = db_prepare(db, "SELECT host, stats, node FROM daemons WHERE name=?1"
	    " ORDER BY host, node");
	if (st == NULL)
		return -1;
	for (size_t i = 0; i < nitems(daemon_metrics); i++) {
		int headed = 0;

		db_reset(st);
		db_bind_text(st, 1, daemon_metrics[i].daemon);
		while ((rc = db_step(st)) == DB_ROW) {
			const char *stats = db_column_text(st, 1);
			json_t *o = stats ? json_loads(stats, 0, NULL) : NULL;
			json_t *v = json_object_get(o, daemon_metrics[i].key);

			if (json_is_number(v)) {
				if (!headed++)
					head(b, daemon_metrics[i].metric,
					    daemon_metrics[i].type, daemon_metrics[i].help);
				buf_printf(b, "%s{host=\"", daemon_metrics[i].metric);
				label(b, db_column_text(st, 0));
				buf_adds(b, "\",node=\"");
				label(b, db_column_text(st, 2));
				buf_printf(b, "\"} %.15g\n", json_number_value(v));
			}
			json_decref(o);
		}
		if (rc != DB_DONE)
			break;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : -1;
}

static void
licence_days(const struct conf *c, struct buf *b, int64_t now)
{
	struct licence l;
	char why[160];

	if (c->licence_file == NULL || licence_load(c->licence_file, &l, why,
	    sizeof(why)) == -1 || l.expires_us == 0)
		return;
	head(b, "archived_licence_days_left", "gauge", "Days until the configured"
	    " licence expires (absent without a licence file or expiry).");
	buf_printf(b, "archived_licence_days_left %.2f\n",
	    (double)(l.expires_us - now) / (86400.0 * USEC_PER_SEC));
}

int
metrics_render(struct db *db, const struct conf *c, struct buf *out)
{
	int64_t now = now_us();
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM downloads WHERE"
	    " condition='processing' AND lease_until>=%lld", (long long)now);
	if (by_condition(db, out) == -1 || finished(db, out) == -1 ||
	    histogram(db, out, "archived_export_seconds", "Time an export took,"
	    " from its claim to the file in place.", "export_us", 1e6,
	    seconds_buckets, nitems(seconds_buckets)) == -1 ||
	    histogram(db, out, "archived_export_bytes", "Size of the exported files.",
	    "size", 1, bytes_buckets, nitems(bytes_buckets)) == -1 ||
	    throughput(db, out) == -1 ||
	    gauge(db, out, "archived_worker_leases_held", "Jobs a worker holds a"
	    " live lease on.", sql) == -1 ||
	    gauge(db, out, "archived_segments", "Recorded segments indexed.",
	    "SELECT count(*) FROM segments") == -1 ||
	    gauge(db, out, "archived_segments_bytes", "Bytes of the indexed segments.",
	    "SELECT coalesce(sum(bytes), 0) FROM segments") == -1 ||
	    daemons(db, out, now) == -1)
		return error("cannot read the metrics: %s", db_errmsg(db));
	licence_days(c, out, now);
	return 0;
}

/* Split list at commas and blanks; each(item, arg) until it answers 1. */
static int
list_any(const char *list, int (*each)(const char *, void *), void *arg)
{
	char item[128];

	while (list != NULL && *list != '\0') {
		size_t n;

		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n > 0 && n < sizeof(item)) {
			memcpy(item, list, n);
			item[n] = '\0';
			if (each(item, arg) == 1)
				return 1;
		}
		list += n;
	}
	return 0;
}

/* An address as 16 bytes, IPv4 as ::ffff:a.b.c.d; *v4 says it was one.
 * -1 if s is not an address. */
static int
addr_bytes(const char *s, unsigned char out[16], int *v4)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct in_addr a4;

	if (inet_pton(AF_INET6, s, out) == 1) {
		*v4 = memcmp(out, mapped, sizeof(mapped)) == 0;
		return 0;
	}
	if (inet_pton(AF_INET, s, &a4) != 1)
		return -1;
	memcpy(out, mapped, sizeof(mapped));
	memcpy(out + 12, &a4, 4);
	*v4 = 1;
	return 0;
}

/* Does the address or prefix item hold want (16 bytes)? 1 yes, 0 no. */
static int
addr_match(const char *item, void *arg)
{
	const unsigned char *want = arg;
	unsigned char net[16];
	char host[128], *slash;
	int64_t bits;
	int v4;

	snprintf(host, sizeof(host), "%s", item);
	if ((slash = strchr(host, '/')) != NULL)
		*slash = '\0';
	if (addr_bytes(host, net, &v4) == -1)
		return 0;
	if (slash == NULL)
		bits = 128;
	else if (parse_i64(slash + 1, &bits) == -1 || bits > (v4 ? 32 : 128))
		return 0;
	else if (v4)
		bits += 96;
	for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		if ((net[i] & mask) != (want[i] & mask))
			return 0;
	}
	return 1;
}

int
addr_in_list(const char *addr, const char *list)
{
	unsigned char a[16];
	int v4;

	if (addr == NULL || addr_bytes(addr, a, &v4) == -1)
		return 0;
	return list_any(list, addr_match, a);
}

struct health {
	struct db		*db;
	const struct conf *c;
	json_t		*daemons;
	char		 reason[200];
	int		 error;
};

/* One daemon the configuration says must be alive; the first problem
 * found is the reason. */
static int
daemon_alive(const char *name, void *arg)
{
	struct health *h = arg;
	struct db_stmt *st = db_prepare(h->db, "SELECT host, beat_at, node"
	    " FROM daemons WHERE name=? ORDER BY beat_at DESC");
	int64_t now = now_us(), best = -1;
	int rc;

	if (st == NULL) {
		h->error = 1;
		return 1;
	}
	db_bind_text(st, 1, name);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t age = now - db_column_int64(st, 1);

		if (best == -1 || age < best)
			best = age;
		json_array_append_new(h->daemons, json_pack("{s:s, s:s, s:s, s:f}",
		    "name", name, "host", db_column_text(st, 0),
		    "node", db_column_text(st, 2), "age", (double)age / USEC_PER_SEC));
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		h->error = 1;
		return 1;
	}
	if (h->reason[0] != '\0')
		return 0;
	if (best == -1)
		snprintf(h->reason, sizeof(h->reason), "%s has never reported", name);
	else if (best > (int64_t)h->c->health_stale * USEC_PER_SEC)
		snprintf(h->reason, sizeof(h->reason), "%s silent for %lld s (more"
		    " than health_stale, %d s)", name, (long long)(best / USEC_PER_SEC),
		    h->c->health_stale);
	return 0;
}

int
health_check(struct db *db, const struct conf *c, json_t **body)
{
	struct health h = { .db = db, .c = c, .daemons = json_array() };
	int ret;

	*body = NULL;
	/* Writable: take the write lock, then let it go. */
	if (db_begin(db) == -1) {
		json_decref(h.daemons);
		return -1;
	}
	db_rollback(db);
	(void)list_any(c->health_daemons, daemon_alive, &h);
	if (h.error) {
		json_decref(h.daemons);
		return -1;
	}
	ret = h.reason[0] == '\0';
	*body = json_pack("{s:s, s:s, s:o}", "status", ret ? "ok" : "error",
	    "database", "ok", "daemons", h.daemons);
	if (!ret)
		json_object_set_new(*body, "reason", json_string(h.reason));
	return ret;
}
