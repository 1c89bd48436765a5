/* Archive expiry on a real SQLite file and a real downloads directory:
 * the steps in order, their repair after a crash, orphans, old events. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/expiry.h"
#include "unit.h"
#include "lib/util.h"
#include "lib/banned.h"

#define SEC 1000000LL

static char dir[PATH_MAX], dl[PATH_MAX + 16];
static struct conf *conf;
static struct db *db;
static int64_t now;

static void
exec_sql(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(db_exec(db, sql), 0);
}

static int64_t
query(const char *fmt, ...)
{
	char sql[512];
	int64_t v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(db_query_int(db, sql, &v), 0);
	return v;
}

static void
setup(void)
{
	char err[256], path[PATH_MAX + 32];

	unit_tmpdir(dir, sizeof(dir));
	snprintf(dl, sizeof(dl), "%s/downloads", dir);
	ck_assert_int_eq(mkdir(dl, 0700), 0);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path, 1);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_init_secrets(db), 0);
	conf = conf_load(NULL, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(conf);
	free(conf->downloads_dir);
	conf->downloads_dir = xstrdup(dl);
	ck_assert_int_eq(db_load_secrets(db, conf), 0);
	now = now_us();
	exec_sql("INSERT INTO users(id, login, created_at, updated_at) VALUES (1, 'bob', 0, 0);"
	    "INSERT INTO tokens(id, user_id, secret_hash, created_at) VALUES (7, 1, x'00', 0);"
	    "INSERT INTO cameras(id, name, created_at, updated_at) VALUES (1, 'Cam', 0, 0);"
	    "INSERT INTO streams(id, camera_id, type, url, uuid, created_at, updated_at)"
	    " VALUES (1, 1, 'high', 'rtsp://h/x', 'u', 0, 0)");
}

static void
teardown(void)
{
	db_close(db);
	conf_free(conf);
	unit_rmtree(dir);
}

/* A file in downloads_dir, age seconds old. */
static void
make_file(const char *name, int64_t age)
{
	char path[PATH_MAX + 64];
	struct timespec ts[2];

	unit_write(dl, name, "not really an mp4", path, sizeof(path));
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(now / SEC - age);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int
file_exists(const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dl, name);
	return access(path, F_OK) == 0;
}

/* A download in condition cond with file name (NULL: none), expiring at
 * expires (0: NULL). */
static void
add_download(int id, const char *cond, const char *file, int exists, int64_t expires)
{
	char exp[32] = "NULL", path[128] = "NULL";

	if (expires != 0)
		snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	if (file != NULL) {
		snprintf(path, sizeof(path), "'%s'", file);
		make_file(file, 3600);
	}
	exec_sql("INSERT INTO downloads(id, user_id, token_id, stream_id, from_us,"
	    " to_us, name, path, condition, is_file_exists, is_actual, size,"
	    " created_at, updated_at, expires_at) VALUES (%d, 1, 7, 1, 1000000,"
	    " 2000000, 'Cam, file.mp4', %s, '%s', %d, %d, 17, 0, 0, %s)", id, path,
	    cond, exists, strcmp(cond, "active") == 0, exp);
}

START_TEST(test_expire_due)
{
	struct expiry_stats st = { 0 };
	json_t *payload, *d;
	char *text;
	struct db_stmt *s;

	add_download(1, "active", "a1.mp4", 1, now - SEC);
	add_download(2, "active", "a2.mp4", 1, now + 3600 * SEC);
	ck_assert_int_eq(expiry_run(db, conf, now, &st), 0);
	ck_assert_int_eq(st.expired, 1);
	ck_assert_int_eq(st.errors, 0);
	/* Row finished, file gone; the other untouched. */
	ck_assert_int_eq(query("SELECT count(*) FROM downloads WHERE id=1 AND"
	    " condition='expired' AND is_actual=0 AND is_file_exists=0 AND path IS NULL"
	    " AND updated_at>=%lld", (long long)now), 1);
	ck_assert(!file_exists("a1.mp4"));
	ck_assert_int_eq(query("SELECT count(*) FROM downloads WHERE id=2 AND"
	    " condition='active' AND is_file_exists=1"), 1);
	ck_assert(file_exists("a2.mp4"));
	/* One archive_expired event for the owner and the token that asked. */
	ck_assert_int_eq(query("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(query("SELECT count(*) FROM events WHERE type='archive_expired'"
	    " AND user_id=1 AND token_id=7 AND download_id=1"), 1);
	s = db_prepare(db, "SELECT payload FROM events");
	ck_assert_int_eq(db_step(s), DB_ROW);
	text = xstrdup(db_column_text(s, 0));
	db_finalize(s);
	payload = json_loads(text, 0, NULL);
	free(text);
	ck_assert_str_eq(json_string_value(json_object_get(payload, "type")), "archive_expired");
	ck_assert_str_eq(json_string_value(json_object_get(payload, "status")), "ok");
	d = json_object_get(json_object_get(payload, "data"), "download");
	ck_assert_str_eq(json_string_value(json_object_get(d, "condition")), "expired");
	ck_assert(json_is_false(json_object_get(d, "is_actual")));
	ck_assert_str_eq(json_string_value(json_object_get(d, "url")), "");
	ck_assert(json_is_null(json_object_get(json_object_get(payload, "data"), "url")));
	json_decref(payload);

	/* Idempotent: nothing more the second time. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(expiry_run(db, conf, now, &st), 0);
	ck_assert_int_eq(st.expired, 0);
	ck_assert_int_eq(query("SELECT count(*) FROM events"), 1);
	/* And the other one, when its time comes. */
	ck_assert_int_eq(expiry_run(db, conf, now + 3600 * SEC, &st), 0);
	ck_assert_int_eq(st.expired, 1);
	ck_assert(!file_exists("a2.mp4"));
}
END_TEST

START_TEST(test_not_active_untouched)
{
	struct expiry_stats st = { 0 };

	add_download(1, "processing", NULL, 0, now - SEC);
	add_download(2, "failed", NULL, 0, now - SEC);
	add_download(3, "active", "a3.mp4", 1, 0);		/* no expiry */
	ck_assert_int_eq(expiry_run(db, conf, now, &st), 0);
	ck_assert_int_eq(st.expired, 0);
	ck_assert_int_eq(query("SELECT count(*) FROM downloads WHERE condition IN"
	    " ('processing', 'failed', 'active')"), 3);
	ck_assert(file_exists("a3.mp4"));
}
END_TEST

/* A crash after step 1 leaves the row marked and the file on disk. */
START_TEST(test_repair)
{
	struct expiry_stats st = { 0 };

	add_download(1, "expired", "r1.mp4", 1, now - SEC);
	add_download(2, "cancelled", "r2.mp4", 1, 0);
	add_download(3, "expired", NULL, 0, now - SEC);		/* done already */
	/* The file already unlinked, the row not finished (crash after 2). */
	add_download(4, "expired", "r4.mp4", 1, now - SEC);
	{
		char p[PATH_MAX + 64];

		snprintf(p, sizeof(p), "%s/r4.mp4", dl);
		ck_assert_int_eq(unlink(p), 0);
	}
	ck_assert_int_eq(expiry_repair(db, conf, &st), 0);
	ck_assert_int_eq(st.repaired, 3);
	ck_assert(!file_exists("r1.mp4"));
	ck_assert(!file_exists("r2.mp4"));
	ck_assert_int_eq(query("SELECT count(*) FROM downloads WHERE is_file_exists=0"
	    " AND path IS NULL"), 4);
	/* Repair writes no event: step 1 wrote it, in its transaction. */
	ck_assert_int_eq(query("SELECT count(*) FROM events"), 0);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(expiry_repair(db, conf, &st), 0);
	ck_assert_int_eq(st.repaired, 0);
}
END_TEST

/* pushd and a cron "archivectl cleanup", each on its own connection, one
 * after the other over the same rows: each archive expires once. */
START_TEST(test_two_sweepers)
{
	struct expiry_stats a = { 0 }, b = { 0 };
	char path[PATH_MAX + 32];
	struct db *db2;

	snprintf(path, sizeof(path), "%s/t.db", dir);
	db2 = db_open(path, 0);
	ck_assert_ptr_nonnull(db2);
	for (int i = 1; i <= 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "s%d.mp4", i);
		add_download(i, "active", name, 1, now - SEC);
	}
	ck_assert_int_eq(expiry_sweep(db, conf, now, &a), 0);
	ck_assert_int_eq(expiry_sweep(db2, conf, now, &b), 0);
	ck_assert_int_eq(a.expired + b.expired, 20);
	ck_assert_int_eq(a.errors + b.errors, 0);
	ck_assert_int_eq(query("SELECT count(*) FROM events WHERE type='archive_expired'"), 20);
	ck_assert_int_eq(query("SELECT count(*) FROM downloads WHERE condition='expired'"
	    " AND is_file_exists=0"), 20);
	db_close(db2);
}
END_TEST

START_TEST(test_orphans)
{
	struct expiry_stats st = { 0 };
	char abs[PATH_MAX + 64];

	add_download(1, "active", "owned.mp4", 1, now + 3600 * SEC);
	/* A row may hold an absolute path inside downloads_dir. */
	snprintf(abs, sizeof(abs), "%s/owned-abs.mp4", dl);
	add_download(2, "active", NULL, 1, now + 3600 * SEC);
	make_file("owned-abs.mp4", 3600);
	exec_sql("UPDATE downloads SET path='%s' WHERE id=2", abs);
	add_download(3, "pending", NULL, 0, 0);
	make_file("3-abc.mp4", 3600);			/* a crash before the commit */
	make_file("77-gone.mp4", 3600);			/* no row at all: kept */
	make_file("orphan.mp4", 3600);			/* not a name the worker gives */
	make_file("fresh.mp4", 5);			/* may be about to be committed */
	make_file(".tmp-5-abc", 3600);			/* a dead worker's temp file */
	make_file(".tmp-6-def", 10);			/* a live worker's */
	make_file("notes.txt", 3600);			/* not an archive name */
	make_file(".hidden", 3600);
	{
		char sub[PATH_MAX + 32];

		snprintf(sub, sizeof(sub), "%s/dir.mp4", dl);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
	}
	ck_assert_int_eq(expiry_orphans(db, conf, now, &st), 0);
	ck_assert_int_eq(st.orphans, 2);
	ck_assert(file_exists("owned.mp4"));
	ck_assert(file_exists("owned-abs.mp4"));
	ck_assert(!file_exists("3-abc.mp4"));
	ck_assert(file_exists("77-gone.mp4"));
	ck_assert(file_exists("orphan.mp4"));
	ck_assert(file_exists("fresh.mp4"));
	ck_assert(!file_exists(".tmp-5-abc"));
	ck_assert(file_exists(".tmp-6-def"));
	ck_assert(file_exists("notes.txt"));
	ck_assert(file_exists(".hidden"));
	ck_assert(file_exists("dir.mp4"));
}
END_TEST

START_TEST(test_orphans_no_dir)
{
	struct expiry_stats st = { 0 };

	unit_rmtree(dl);
	ck_assert_int_eq(expiry_orphans(db, conf, now, &st), 0);
	ck_assert_int_eq(st.orphans, 0);
}
END_TEST

START_TEST(test_prune_events)
{
	struct expiry_stats st = { 0 };
	int64_t keep = conf->pusher.event_retention * SEC;

	exec_sql("INSERT INTO events(user_id, type, payload, created_at) VALUES"
	    " (1, 'archive_generated', '{}', %lld), (1, 'archive_generated', '{}', %lld),"
	    " (1, 'archive_generated', '{}', %lld)", (long long)(now - keep - SEC),
	    (long long)(now - keep + SEC), (long long)now);
	ck_assert_int_eq(expiry_prune_events(db, conf, now, &st), 0);
	ck_assert_int_eq(st.events, 1);
	ck_assert_int_eq(query("SELECT count(*) FROM events"), 2);
}
END_TEST

START_TEST(test_next)
{
	int64_t at = 0;

	ck_assert_int_eq(expiry_next(db, &at), 0);
	add_download(1, "active", "n1.mp4", 1, now + 50 * SEC);
	add_download(2, "active", "n2.mp4", 1, now + 20 * SEC);
	add_download(3, "expired", NULL, 0, now + 5 * SEC);
	add_download(4, "active", "n4.mp4", 1, 0);
	ck_assert_int_eq(expiry_next(db, &at), 1);
	ck_assert_int_eq(at, now + 20 * SEC);
}
END_TEST

static Suite *
expiry_suite(void)
{
	Suite *s = suite_create("expiry");
	TCase *tc = tcase_create("expiry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expire_due);
	tcase_add_test(tc, test_not_active_untouched);
	tcase_add_test(tc, test_repair);
	tcase_add_test(tc, test_two_sweepers);
	tcase_add_test(tc, test_orphans);
	tcase_add_test(tc, test_orphans_no_dir);
	tcase_add_test(tc, test_prune_events);
	tcase_add_test(tc, test_next);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(expiry_suite());
}
