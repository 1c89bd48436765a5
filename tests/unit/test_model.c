/* Downloads, tokens, logins and the schema, on a real SQLite file: names,
 * the download object field by field, visibility and the pending limit. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/conf.h"
#include "lib/confslot.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/db_sqlite.h"
#include "lib/download.h"
#include "lib/model.h"
#include "lib/queue.h"
#include "lib/timefmt.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

#define US 1000000LL
/* 2019-09-20 16:13:20 and 16:22:27 in Berlin (CEST), as on the product page. */
#define FROM_US (1568988800LL * US)
#define TO_US (1568989347LL * US)

static char dir[PATH_MAX], dbpath[PATH_MAX + 32];
static struct db *db;
static struct conf *conf;
static int64_t alice, bob, admin, cam1, cam2, st1, st2;

/* Run one statement made with printf, asserting it worked. */
static void
sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sqlf(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_msg(db_exec(db, sql) == 0, "%s", sql);
}

static int64_t
count(const char *sql)
{
	int64_t n = -1;

	ck_assert_int_eq(db_query_int(db, sql, &n), 0);
	return n;
}

static struct principal
who(int64_t user_id, int is_admin)
{
	struct principal p;

	memset(&p, 0, sizeof(p));
	p.user_id = user_id;
	p.is_admin = is_admin;
	return p;
}

static void
setup(void)
{
	char err[512];
	int64_t id;

	unit_tmpdir(dir, sizeof(dir));
	unit_set_tz("Europe/Berlin");
	snprintf(dbpath, sizeof(dbpath), "%s/archived.db", dir);
	ck_assert_ptr_nonnull(db = db_open(dbpath, 1));
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_init_secrets(db), 0);
	conf = conf_load(NULL, 0, err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	free(conf->downloads_dir);
	conf->downloads_dir = path_join(dir, "downloads");
	ck_assert_int_eq(db_load_secrets(db, conf), 0);

	ck_assert_int_eq(user_create(db, "alice", "Alice", NULL, 0, &alice), 0);
	ck_assert_int_eq(user_create(db, "bob", NULL, NULL, 0, &bob), 0);
	ck_assert_int_eq(user_create(db, "root", "Admin", NULL, 1, &admin), 0);
	/* A second create of a login answers 1 with the existing id. */
	ck_assert_int_eq(user_create(db, "alice", "Other", NULL, 1, &id), 1);
	ck_assert_int_eq(id, alice);

	ck_assert_int_eq(camera_create(db, "Camera 1", "Group", "City, Street 1", &cam1), 0);
	ck_assert_int_eq(stream_create(db, cam1, "high",
	    "rtsp://admin:456redko@10.1.1.1:554/live", "", &st1), 0);
	ck_assert_int_eq(camera_create(db, "Gate \"North\"/1", NULL, "", &cam2), 0);
	ck_assert_int_eq(stream_create(db, cam2, "high",
	    "rtsp://cam2.local/live?user=admin&password=pw&channel=1", "", &st2), 0);
	/* Fixed times and uuid, so the whole object can be compared. */
	sqlf("UPDATE cameras SET created_at=%lld, updated_at=%lld",
	    1675412946LL * US, 1675412946LL * US);
	sqlf("UPDATE streams SET created_at=%lld, updated_at=%lld,"
	    " uuid='fecb93a5-0c0e-4515-9115-633c45994b29' WHERE id=%lld",
	    1675412946LL * US, 1675412946LL * US, (long long)st1);
}

static void
teardown(void)
{
	db_close(db);
	conf_free(conf);
	unit_rmtree(dir);
}

/* Create one download of stream for user; its id. */
static int64_t
create(int64_t user, int64_t stream, int64_t from, int64_t to)
{
	struct principal p = who(user, 0);
	int64_t id = 0;

	ck_assert_int_eq(download_create(db, conf, &p, &stream, 1, from, to, &id),
	    DL_CREATED);
	ck_assert_int_gt(id, 0);
	return id;
}

static void
assert_json_eq(json_t *got, const char *want_text)
{
	json_error_t e;
	json_t *want = json_loads(want_text, 0, &e);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
	char *w;

	ck_assert_msg(want != NULL, "bad expected JSON: %s", e.text);
	w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, want), "got\n%s\nwant\n%s", g, w);
	free(g);
	free(w);
	json_decref(want);
}

static const struct { const char *label; int64_t from, to; const char *name; } name_cases[] = {
	{ "City, Street 1", 1569322996LL * US, 1569323533LL * US,
	    "City, Street 1, file.20190924-130316-131213.mp4" },
	{ "Camera 1", FROM_US, TO_US, "Camera 1, file.20190920-161320-162227.mp4" },
	{ "a/b\\c\"d'e`f", FROM_US, TO_US, "a_b_c_d_e_f, file.20190920-161320-162227.mp4" },
	{ "tab\there\nnl\r\x7f" "end", FROM_US, TO_US,
	    "tab_here_nl__end, file.20190920-161320-162227.mp4" },
	{ "../../etc/passwd", FROM_US, TO_US,
	    ".._.._etc_passwd, file.20190920-161320-162227.mp4" },
	{ "Stra\xc3\x9f" "e 5, \xd0\x9a\xd0\xb0\xd0\xbc\xd0\xb5\xd1\x80\xd0\xb0", FROM_US, TO_US,
	    "Stra\xc3\x9f" "e 5, \xd0\x9a\xd0\xb0\xd0\xbc\xd0\xb5\xd1\x80\xd0\xb0"
	    ", file.20190920-161320-162227.mp4" },
	{ "", FROM_US, TO_US, "camera, file.20190920-161320-162227.mp4" },
	/* Across midnight: the end shows only its time of day. */
	{ "X", 1569009600LL * US - 60 * US, 1569009600LL * US + 4 * 3600 * US,
	    "X, file.20190920-215900-020000.mp4" },
};

START_TEST(test_make_name)
{
	char *name = download_make_name(name_cases[_i].label, name_cases[_i].from,
	    name_cases[_i].to);

	ck_assert_str_eq(name, name_cases[_i].name);
	free(name);
}
END_TEST

/* The stored name uses the camera's address, else its name. */
START_TEST(test_name_from_camera)
{
	int64_t a = create(alice, st1, FROM_US, TO_US), b = create(alice, st2, FROM_US, TO_US);
	json_t *ja = download_to_json(db, conf, a), *jb = download_to_json(db, conf, b);

	ck_assert_str_eq(json_string_value(json_object_get(ja, "name")),
	    "City, Street 1, file.20190920-161320-162227.mp4");
	ck_assert_str_eq(json_string_value(json_object_get(jb, "name")),
	    "Gate _North__1, file.20190920-161320-162227.mp4");
	json_decref(ja);
	json_decref(jb);
}
END_TEST

/* Every field of the product page's object, and ours, for a new download. */
START_TEST(test_json_pending)
{
	int64_t id = create(alice, st1, FROM_US, TO_US);
	json_t *j;
	char want[4096];

	sqlf("UPDATE downloads SET created_at=%lld, updated_at=%lld WHERE id=%lld",
	    1568998800LL * US, 1676041765LL * US, (long long)id);
	j = download_to_json(db, conf, id);
	ck_assert_ptr_nonnull(j);
	snprintf(want, sizeof(want), "{"
	    "\"id\": %lld,"
	    "\"name\": \"City, Street 1, file.20190920-161320-162227.mp4\","
	    "\"type\": \"mp4\", \"url\": \"\","
	    "\"from\": \"2019-09-20 16:13:20\", \"to\": \"2019-09-20 16:22:27\","
	    "\"created_at\": \"2019-09-20T17:00:00.000000Z\","
	    "\"updated_at\": \"2023-02-10T15:09:25.000000Z\","
	    "\"is_file_exists\": false, \"is_actual\": true, \"condition\": \"pending\","
	    "\"stopped_at\": \"\", \"progress\": 0, \"size\": 0, \"duration\": 0.0,"
	    "\"coverage\": [], \"expires_at\": null, \"error\": null,"
	    "\"stream\": {"
	    " \"id\": %lld, \"type\": \"high\", \"camera_id\": %lld, \"status\": null,"
	    " \"url\": \"rtsp://10.1.1.1:554/live\", \"bitrate\": null,"
	    " \"resolution\": null, \"output_rate\": null, \"ip\": \"\","
	    " \"uuid\": \"fecb93a5-0c0e-4515-9115-633c45994b29\", \"sound\": null,"
	    " \"streams_count\": null,"
	    " \"created_at\": \"2023-02-03T08:29:06.000000Z\","
	    " \"updated_at\": \"2023-02-03T08:29:06.000000Z\","
	    " \"is_preview_from_server\": true, \"is_archive_from_server\": null,"
	    " \"is_enabled\": true, \"is_can_transfer\": true, \"source\": \"manual\","
	    " \"is_sound_enabled\": null, \"reconnect_attempt\": null,"
	    " \"reconnect_total\": null, \"reconnect_time\": null,"
	    " \"disconnections_count\": 0,"
	    " \"camera\": {"
	    "  \"id\": %lld, \"group_id\": 1, \"status\": \"initial\","
	    "  \"type\": \"media_server_v2\", \"start_at\": null,"
	    "  \"created_at\": \"2023-02-03T08:29:06.000000Z\", \"name\": \"Camera 1\","
	    "  \"address\": \"City, Street 1\","
	    "  \"can_edit\": true, \"origin\": null, \"user_type\": \"individual\","
	    "  \"shared_from\": null, \"ip\": \"\", \"lat\": null, \"lng\": null,"
	    "  \"azimuth\": null, \"is_sensitive\": 0, \"is_public\": 0,"
	    "  \"is_ip_reserved\": false, \"count_issues\": 0, \"source\": \"manual\","
	    "  \"archive_storage_days\": null, \"is_archive_recording\": false,"
	    "  \"archive_recording_type\": \"fulltime\", \"is_increased_reconnect\": 0,"
	    "  \"is_sound_enabled\": true, \"is_bridge\": false,"
	    "  \"can_change_archive_timetable\": true, \"is_auto_create_streams\": false,"
	    "  \"is_provisioning_enable\": false,"
	    "  \"is_can_manage_archive_storage_days\": true, \"is_editable\": true,"
	    "  \"status_changed_at\": null, \"is_intercom\": false, \"deleted_at\": null"
	    " }}}", (long long)id, (long long)st1, (long long)cam1, (long long)cam1);
	assert_json_eq(j, want);
	json_decref(j);
}
END_TEST

/* An active download: a signed link that verifies, size, duration,
 * coverage in local time, expiry in the created_at form. */
START_TEST(test_json_active)
{
	int64_t id = create(alice, st1, FROM_US, TO_US);
	int64_t expires = 1569009600LL * US + 123456;
	char want_prefix[128];
	const char *url;
	json_t *j, *cov;

	sqlf("UPDATE downloads SET condition='active', is_file_exists=1, progress=100,"
	    " size=123456789, duration_us=547250000, path='x.mp4',"
	    " coverage='[[%lld,%lld],[%lld,%lld]]', expires_at=%lld WHERE id=%lld",
	    FROM_US, FROM_US + 60 * US, FROM_US + 120 * US, TO_US,
	    (long long)expires, (long long)id);
	j = download_to_json(db, conf, id);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "condition")), "active");
	ck_assert(json_is_true(json_object_get(j, "is_file_exists")));
	ck_assert(json_is_true(json_object_get(j, "is_actual")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "progress")), 100);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "size")), 123456789);
	ck_assert(json_is_real(json_object_get(j, "duration")));
	ck_assert_double_eq_tol(json_real_value(json_object_get(j, "duration")), 547.25, 1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(j, "expires_at")),
	    "2019-09-20T20:00:00.123456Z");
	ck_assert_str_eq(json_string_value(json_object_get(j, "stopped_at")), "");
	ck_assert(json_is_null(json_object_get(j, "error")));
	cov = json_object_get(j, "coverage");
	assert_json_eq(cov, "[{\"from\": \"2019-09-20 16:13:20\", \"to\": \"2019-09-20 16:14:20\"},"
	    " {\"from\": \"2019-09-20 16:15:20\", \"to\": \"2019-09-20 16:22:27\"}]");

	url = json_string_value(json_object_get(j, "url"));
	snprintf(want_prefix, sizeof(want_prefix),
	    "http://localhost/api/admin/v1/downloads/%lld/file?k=", (long long)id);
	ck_assert_msg(strncmp(url, want_prefix, strlen(want_prefix)) == 0, "%s", url);
	ck_assert_uint_eq(strlen(url), strlen(want_prefix) + URL_KEY_LEN +
	    strlen("&expires=1569009600&signature=") + 64);
	{
		char path[64], key[URL_KEY_LEN + 1];

		download_file_path(id, path);
		ck_assert_int_eq(url_verify(conf, path, strchr(url, '?') + 1, 1569009599,
		    key), URL_VALID);
		/* The key in the link is this download's, and only its. */
		ck_assert_int_eq(download_key_matches(db, id, key), 1);
		ck_assert_int_eq(download_key_matches(db, id, ""), 0);
		ck_assert_int_eq(url_verify(conf, path, strchr(url, '?') + 1, 1569009600,
		    key), URL_EXPIRED);
	}
	json_decref(j);
}
END_TEST

/* Failed and cancelled downloads: no link, the reason, when it stopped. */
START_TEST(test_json_failed)
{
	int64_t id = create(alice, st1, FROM_US, TO_US);
	json_t *j;

	sqlf("UPDATE downloads SET condition='failed', is_actual=0,"
	    " error_code='no_footage', error_message='nothing was recorded in the range',"
	    " stopped_at=%lld WHERE id=%lld", 1568998800LL * US + 5, (long long)id);
	j = download_to_json(db, conf, id);
	ck_assert_str_eq(json_string_value(json_object_get(j, "url")), "");
	ck_assert(json_is_false(json_object_get(j, "is_actual")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "stopped_at")),
	    "2019-09-20T17:00:00.000005Z");
	assert_json_eq(json_object_get(j, "error"), "{\"code\": \"no_footage\","
	    " \"message\": \"nothing was recorded in the range\"}");
	json_decref(j);

	/* A file that exists but whose row is not active gets no link. */
	sqlf("UPDATE downloads SET condition='cancelled', is_file_exists=1,"
	    " expires_at=%lld, error_code=NULL WHERE id=%lld", 1569009600LL * US,
	    (long long)id);
	j = download_to_json(db, conf, id);
	ck_assert_str_eq(json_string_value(json_object_get(j, "url")), "");
	ck_assert(json_is_null(json_object_get(j, "error")));
	json_decref(j);

	ck_assert_ptr_null(download_to_json(db, conf, id + 1000));
}
END_TEST

/* Query-string credentials are removed from stream.url too. */
START_TEST(test_json_stream_url)
{
	int64_t id = create(bob, st2, FROM_US, TO_US);
	json_t *j = download_to_json(db, conf, id);
	json_t *s = json_object_get(j, "stream");

	ck_assert_str_eq(json_string_value(json_object_get(s, "url")),
	    "rtsp://cam2.local/live?channel=1");
	ck_assert(json_is_null(json_object_get(json_object_get(s, "camera"), "group_id")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s, "camera"),
	    "name")), "Gate \"North\"/1");
	json_decref(j);
}
END_TEST

START_TEST(test_visible)
{
	int64_t id = create(alice, st1, FROM_US, TO_US);
	struct principal a = who(alice, 0), b = who(bob, 0), r = who(admin, 1);

	ck_assert_int_eq(download_visible(db, &a, id, 0), 1);
	ck_assert_int_eq(download_visible(db, &b, id, 0), 0);
	ck_assert_int_eq(download_visible(db, &r, id, 0), 1);
	ck_assert_int_eq(download_visible(db, &a, id + 1, 0), 0);
	ck_assert_int_eq(download_visible(db, &r, id + 1, 0), 0);
	/* Removed from the apps' history: gone for them, kept for the admin. */
	ck_assert_int_eq(download_cancel_hide(db, conf, id), 0);
	ck_assert_int_eq(download_visible(db, &a, id, 1), 0);
	ck_assert_int_eq(download_visible(db, &a, id, 0), 1);
	ck_assert_int_eq(download_visible(db, &r, id, 0), 1);
}
END_TEST

/* The statements' full-scan steps, added up as each one finishes. */
static int64_t scan_steps;

static int
count_scans(unsigned type, void *ctx, void *p, void *x)
{
	(void)ctx;
	(void)x;
	if (type == SQLITE_TRACE_PROFILE)
		scan_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
	return 0;
}

START_TEST(test_list_uses_index)
{
	struct download_filter f = { .user_id = alice };
	int64_t *ids = NULL, total = 0;
	size_t n = 0;

	conf->max_pending = 100;
	for (int i = 0; i < 50; i++)
		create(bob, st1, FROM_US, TO_US);
	create(alice, st1, FROM_US, TO_US);
	create(alice, st2, FROM_US, TO_US);
	sqlite3_trace_v2(db_sqlite_handle(db), SQLITE_TRACE_PROFILE, count_scans, NULL);
	scan_steps = 0;
	ck_assert_int_eq(download_list(db, &f, 0, 10, &ids, &n, &total), 0);
	ck_assert_int_eq(total, 2);
	ck_assert_uint_eq(n, 2);
	/* A user's page walks that user's index entries, not every row:
	 * "user_id=?1 OR <is admin>" scanned all 52. */
	ck_assert_int_eq(scan_steps, 0);
	free(ids);
	ids = NULL;
	f.is_admin = 1;
	ck_assert_int_eq(download_list(db, &f, 0, 100, &ids, &n, &total), 0);
	ck_assert_int_eq(total, 52);
	free(ids);
	sqlite3_trace_v2(db_sqlite_handle(db), 0, NULL, NULL);
}
END_TEST

/* Claim the next job as "w1"; its id, or 0 when there is none. */
static int64_t
claim(void)
{
	struct job job = { 0 };
	int rc = queue_claim(db, conf, "w1", &job);

	ck_assert_int_ge(rc, 0);
	return rc == 1 ? job.id : 0;
}

START_TEST(test_claim_waits_for_footage)
{
	int64_t now = now_us(), s = USEC_PER_SEC, future, recent, old;

	conf->footage_wait = 600;
	sqlf("INSERT INTO segments(stream_id, path, start_us, end_us, bytes,"
	    " codec, created_at) VALUES (%lld, '/r/a.ts', %lld, %lld, 1, 'h264', 0)",
	    (long long)st1, (long long)(now - 100 * s), (long long)(now - 2 * s));
	/* Ends 5 s from now: waits while the index ends before it. */
	future = create(alice, st1, now - 10 * s, now + 5 * s);
	ck_assert_int_eq(claim(), 0);
	/* The recorder's next segment reaches it: claimed. */
	sqlf("INSERT INTO segments(stream_id, path, start_us, end_us, bytes,"
	    " codec, created_at) VALUES (%lld, '/r/b.ts', %lld, %lld, 1, 'h264', 0)",
	    (long long)st1, (long long)(now - 2 * s), (long long)(now + 6 * s));
	ck_assert_int_eq(claim(), future);
	/* Ended a minute ago with nothing recorded up to it: it waits for
	 * footage_wait after its end, then is exported as it is. */
	recent = create(alice, st2, now - 120 * s, now - 60 * s);
	ck_assert_int_eq(claim(), 0);
	/* Long past: no waiting, whatever the index has. */
	old = create(bob, st2, now - 3600 * s, now - 1800 * s);
	ck_assert_int_eq(claim(), old);
	conf->footage_wait = 30;
	ck_assert_int_eq(claim(), recent);
	ck_assert_int_eq(claim(), 0);
}
END_TEST

START_TEST(test_max_pending)
{
	struct principal a = who(alice, 0), b = who(bob, 0);
	int64_t streams[3] = { st1, st2, st1 }, ids[3] = { 0 }, first;

	conf->max_pending = 2;
	first = create(alice, st1, FROM_US, TO_US);
	create(alice, st2, FROM_US, TO_US);
	ck_assert_int_eq(download_create(db, conf, &a, streams, 1, FROM_US, TO_US, ids),
	    DL_TOO_MANY);
	ck_assert_int_eq(count("SELECT count(*) FROM downloads"), 2);
	/* A batch that would cross the limit inserts nothing. */
	ck_assert_int_eq(download_create(db, conf, &b, streams, 3, FROM_US, TO_US, ids),
	    DL_TOO_MANY);
	ck_assert_int_eq(count("SELECT count(*) FROM downloads"), 2);
	/* Other users have their own count. */
	ck_assert_int_eq(download_create(db, conf, &b, streams, 2, FROM_US, TO_US, ids),
	    DL_CREATED);
	ck_assert_int_ne(ids[0], ids[1]);
	ck_assert_int_eq(count("SELECT count(*) FROM downloads WHERE condition='pending'"), 4);
	/* Finished ones do not count; processing ones do. */
	sqlf("UPDATE downloads SET condition='processing' WHERE id=%lld", (long long)first);
	ck_assert_int_eq(download_create(db, conf, &a, streams, 1, FROM_US, TO_US, ids),
	    DL_TOO_MANY);
	sqlf("UPDATE downloads SET condition='active' WHERE id=%lld", (long long)first);
	ck_assert_int_eq(download_create(db, conf, &a, streams, 1, FROM_US, TO_US, ids),
	    DL_CREATED);
	sqlf("UPDATE downloads SET condition='failed' WHERE user_id=%lld", (long long)alice);
	ck_assert_int_eq(download_create(db, conf, &a, streams, 2, FROM_US, TO_US, ids),
	    DL_CREATED);
	/* Nothing was left inside a transaction. */
	ck_assert(!db_in_transaction(db));
}
END_TEST

START_TEST(test_tokens)
{
	char tok[TOKEN_MAX], bad[TOKEN_MAX + 8];
	int64_t tid = 0, parsed;
	const char *secret;
	struct principal p;
	unsigned char hash[SHA256_LEN];
	struct db_stmt *st;

	ck_assert_int_eq(token_create(db, alice, 0, "script", tok, &tid), 0);
	ck_assert_int_eq(token_parse(tok, &parsed, &secret), 0);
	ck_assert_int_eq(parsed, tid);
	ck_assert_uint_eq(strlen(secret), TOKEN_SECRET_LEN);
	ck_assert_uint_eq(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789"), TOKEN_SECRET_LEN);

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(token_authenticate(db, tok, &p), AUTH_OK);
	ck_assert_int_eq(p.user_id, alice);
	ck_assert_int_eq(p.token_id, tid);
	ck_assert_str_eq(p.login, "alice");
	ck_assert_str_eq(p.name, "Alice");
	ck_assert_int_eq(p.is_admin, 0);
	ck_assert_int_eq(p.token_expires_at, 0);
	principal_release(&p);

	/* Only SHA-256 of the secret is stored. */
	sha256(secret, strlen(secret), hash);
	st = db_prepare(db, "SELECT secret_hash FROM tokens WHERE id=?");
	db_bind_int64(st, 1, tid);
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_column_bytes(st, 0), SHA256_LEN);
	ck_assert(memcmp(db_column_blob(st, 0), hash, SHA256_LEN) == 0);
	db_finalize(st);

	/* Wrong secret: last character changed. */
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(token_authenticate(db, bad, &p), AUTH_DENIED);
	/* Right secret, another token's id. */
	snprintf(bad, sizeof(bad), "%lld|%s", (long long)tid + 1, secret);
	ck_assert_int_eq(token_authenticate(db, bad, &p), AUTH_DENIED);
	ck_assert_int_eq(token_authenticate(db, NULL, &p), AUTH_DENIED);

	/* Revoked. */
	ck_assert_int_eq(token_revoke(db, tid), 0);
	ck_assert_int_eq(token_authenticate(db, tok, &p), AUTH_DENIED);
	ck_assert_ptr_null(p.login);
}
END_TEST

START_TEST(test_token_expiry)
{
	char tok[TOKEN_MAX];
	int64_t tid, later = now_us() + 3600 * US;
	struct principal p;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(token_create(db, bob, now_us() - US, NULL, tok, &tid), 0);
	ck_assert_int_eq(token_authenticate(db, tok, &p), AUTH_DENIED);
	ck_assert_int_eq(token_create(db, bob, later, NULL, tok, &tid), 0);
	ck_assert_int_eq(token_authenticate(db, tok, &p), AUTH_OK);
	ck_assert_int_eq(p.token_expires_at, later);
	ck_assert_str_eq(p.name, "bob");
	principal_release(&p);
	ck_assert_int_eq(token_create(db, admin, 0, NULL, tok, &tid), 0);
	ck_assert_int_eq(token_authenticate(db, tok, &p), AUTH_OK);
	ck_assert_int_eq(p.is_admin, 1);
	principal_release(&p);
}
END_TEST

#define S40 "abcdefghijABCDEFGHIJabcdefghijABCDEFGHIJ"

static const char *const bad_tokens[] = {
	"", "|", "abc", S40, "|" S40, "1|", "1" S40, "0|" S40, "-1|" S40, "+1|" S40,
	" 1|" S40, "1 |" S40, "1x|" S40, "0x1|" S40, "1|" S40 "x", "1|" "abc",
	"1||" S40, "1|" S40 " ", "1234567890123456789|" S40, "99999999999999999999|" S40,
	"Bearer 1|" S40,
};

START_TEST(test_token_malformed)
{
	struct principal p;
	int64_t id;
	const char *secret;

	memset(&p, 0, sizeof(p));
	ck_assert_msg(token_parse(bad_tokens[_i], &id, &secret) == -1, "parsed '%s'",
	    bad_tokens[_i]);
	ck_assert_int_eq(token_authenticate(db, bad_tokens[_i], &p), AUTH_DENIED);
	/* A well-formed token that names no token at all. */
	ck_assert_int_eq(token_authenticate(db, "999|" S40, &p), AUTH_DENIED);
}
END_TEST

START_TEST(test_login_limit)
{
	struct principal p;
	int64_t carol;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(user_create(db, "carol", "Carol", "right password", 0, &carol), 0);
	ck_assert_int_eq(login_check(db, "carol", "right password", 5, &p), LOGIN_OK);
	ck_assert_int_eq(p.user_id, carol);
	ck_assert_str_eq(p.login, "carol");
	principal_release(&p);

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(login_check(db, "carol", "wrong", 5, &p), LOGIN_BAD);
	/* The sixth try within the minute is refused, even the right password. */
	ck_assert_int_eq(login_check(db, "carol", "right password", 5, &p), LOGIN_LIMITED);
	ck_assert_ptr_null(p.login);
	/* Another login is not limited by carol's failures. */
	ck_assert_int_eq(login_check(db, "alice", "x", 5, &p), LOGIN_BAD);
	/* A minute later the failures are forgotten; success clears them. */
	sqlf("UPDATE rate_hits SET at = at - %lld WHERE bucket='login-failure:carol'", 61 * US);
	ck_assert_int_eq(login_check(db, "carol", "right password", 5, &p), LOGIN_OK);
	principal_release(&p);
	ck_assert_int_eq(count("SELECT count(*) FROM rate_hits WHERE bucket='login-failure:carol'"), 0);
}
END_TEST

/* Four failures leave room for the fifth try; unknown logins count too. */
START_TEST(test_login_edges)
{
	struct principal p;
	int64_t id;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(user_create(db, "dave", NULL, "pw", 0, &id), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(login_check(db, "dave", "no", 5, &p), LOGIN_BAD);
	ck_assert_int_eq(login_check(db, "dave", "pw", 5, &p), LOGIN_OK);
	principal_release(&p);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(login_check(db, "nobody", "pw", 2, &p), LOGIN_BAD);
	ck_assert_int_eq(login_check(db, "nobody", "pw", 2, &p), LOGIN_LIMITED);
	/* A token-only user (no password) cannot log in with any password. */
	ck_assert_int_eq(login_check(db, "bob", "", 5, &p), LOGIN_BAD);
	ck_assert_ptr_null(p.login);
}
END_TEST

START_TEST(test_schema)
{
	char path[PATH_MAX + 32];
	struct db *fresh;

	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_check_schema(db), 0);
	/* Migrating again changes nothing. */
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION);

	/* A newer schema is refused by both, and left as it is. */
	sqlf("UPDATE schema_version SET version=%d", DB_SCHEMA_VERSION + 1);
	ck_assert_int_eq(db_check_schema(db), -1);
	ck_assert_int_eq(db_migrate(db), -1);
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION + 1);
	ck_assert(!db_in_transaction(db));
	/* An older one is refused by the check (archivectl init upgrades it). */
	sqlf("UPDATE schema_version SET version=%d", DB_SCHEMA_VERSION - 1);
	ck_assert_int_eq(db_check_schema(db), -1);

	/* An empty database has no schema; opening a missing file fails unless asked to create. */
	snprintf(path, sizeof(path), "%s/fresh.db", dir);
	ck_assert_ptr_null(db_open(path, 0));
	ck_assert_ptr_nonnull(fresh = db_open(path, 1));
	ck_assert_int_eq(db_schema_version(fresh), 0);
	ck_assert_int_eq(db_check_schema(fresh), -1);
	db_close(fresh);
}
END_TEST

/* confslot_fill takes the secrets from the database; init keeps them. */
START_TEST(test_open_checked)
{
	struct conf *c;
	char err[512], *key = db_setting_get(db, "url_key"), *again;
	struct db *h;

	ck_assert_ptr_nonnull(key);
	ck_assert_uint_eq(strlen(key), 48);
	ck_assert_str_eq(conf->url_key, key);
	ck_assert_int_eq(db_init_secrets(db), 0);
	ck_assert_ptr_nonnull(again = db_setting_get(db, "url_key"));
	ck_assert_str_eq(again, key);
	free(again);
	c = conf_load(NULL, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	free(c->database);
	c->database = xstrdup(dbpath);
	ck_assert_ptr_nonnull(h = db_open_checked(c));
	ck_assert_ptr_null(c->url_key);
	ck_assert_int_eq(confslot_fill(c, NULL, NULL), 0);
	ck_assert_str_eq(c->url_key, key);
	ck_assert_uint_eq(strlen(c->pusher.key), 20);
	ck_assert_uint_eq(strlen(c->pusher.secret), 40);
	db_close(h);
	conf_free(c);
	free(key);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("downloads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_make_name, 0,
	    (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_test(tc, test_name_from_camera);
	tcase_add_test(tc, test_json_pending);
	tcase_add_test(tc, test_json_active);
	tcase_add_test(tc, test_json_failed);
	tcase_add_test(tc, test_json_stream_url);
	tcase_add_test(tc, test_visible);
	tcase_add_test(tc, test_max_pending);
	tcase_add_test(tc, test_list_uses_index);
	tcase_add_test(tc, test_claim_waits_for_footage);
	tcase_add_test(tc, test_schema);
	tcase_add_test(tc, test_open_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Every login costs an scrypt, slower still under sanitizers. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_token_expiry);
	tcase_add_loop_test(tc, test_token_malformed, 0,
	    (int)(sizeof(bad_tokens) / sizeof(bad_tokens[0])));
	tcase_add_test(tc, test_login_limit);
	tcase_add_test(tc, test_login_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(model_suite());
}
