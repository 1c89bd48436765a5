/* The SQL layer: the statement API on SQLite, and how a statement written
 * for both engines reads on PostgreSQL (the end-to-end suite runs every
 * statement on a real PostgreSQL server). */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/db.h"
#include "lib/db_impl.h"
#include "unit.h"
#include "lib/banned.h"

static char dir[PATH_MAX];
static struct db *db;

static void
setup(void)
{
	char path[PATH_MAX + 16];

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path, 1);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_engine(db), DB_SQLITE);
}

static void
teardown(void)
{
	db_close(db);
	unit_rmtree(dir);
}

/* pg SQL: the statement as the PostgreSQL engine sends it. */
static char *
pg(const char *sql, int *n, unsigned char *used)
{
	memset(used, 0, DB_MAX_PARAMS);
	return db_pg_number_params(sql, n, used);
}

START_TEST(test_pg_numbering)
{
	unsigned char used[DB_MAX_PARAMS];
	char *s;
	int n;

	s = pg("SELECT a FROM t WHERE b=? AND c=? LIMIT ?", &n, used);
	ck_assert_str_eq(s, "SELECT a FROM t WHERE b=$1 AND c=$2 LIMIT $3");
	ck_assert_int_eq(n, 3);
	free(s);
	/* Numbered ones keep their number; a bare one follows the highest. */
	s = pg("x=?3 AND y=?1 OR z=? AND w=?3", &n, used);
	ck_assert_str_eq(s, "x=$3 AND y=$1 OR z=$4 AND w=$3");
	ck_assert_int_eq(n, 4);
	ck_assert(used[1] && !used[2] && used[3] && used[4]);
	free(s);
	/* Not inside quotes or comments. */
	s = pg("SELECT '?', \"a?\" -- why?\n, ? FROM t", &n, used);
	ck_assert_str_eq(s, "SELECT '?', \"a?\" -- why?\n, $1 FROM t");
	ck_assert_int_eq(n, 1);
	free(s);
	/* A comment opening with a plus is PostgreSQL's text. */
	s = pg("SELECT id FROM d LIMIT 1 /*+ FOR UPDATE SKIP LOCKED */) x", &n, used);
	ck_assert_str_eq(s, "SELECT id FROM d LIMIT 1  FOR UPDATE SKIP LOCKED ) x");
	free(s);
	s = pg("a /* plain ? */ b", &n, used);
	ck_assert_str_eq(s, "a /* plain $1 */ b");	/* not PostgreSQL's: as written */
	free(s);
	s = pg("unterminated /*+ tail", &n, used);
	ck_assert_str_eq(s, "unterminated  tail");
	free(s);
	s = pg("'open", &n, used);
	ck_assert_str_eq(s, "'open");
	free(s);
}
END_TEST

START_TEST(test_statements)
{
	struct db_stmt *st;
	static const unsigned char blob[] = { 0, 1, 2, 0xff };

	ck_assert_int_eq(db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY,"
	    " n INTEGER, r REAL, s TEXT, b BLOB)"), 0);
	ck_assert(!db_in_transaction(db));
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert(db_in_transaction(db));
	st = db_prepare(db, "INSERT INTO t(n, r, s, b) VALUES (?, ?, ?, ?) RETURNING id");
	db_bind_int64(st, 1, INT64_MAX);
	db_bind_double(st, 2, 2.5);
	db_bind_textn(st, 3, "abcdef", 3);
	db_bind_blob(st, 4, blob, sizeof(blob));
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_column_int64(st, 0), 1);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_reset(st);
	db_bind_null(st, 1);
	db_bind_text(st, 3, NULL);
	ck_assert_int_eq(db_step(st), DB_ROW);
	db_finalize(st);
	ck_assert_int_eq(db_changes(db), 1);
	ck_assert_int_eq(db_commit(db), 0);
	ck_assert(!db_in_transaction(db));

	st = db_prepare(db, "SELECT n, r, s, b, id FROM t ORDER BY id");
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_column_count(st), 5);
	ck_assert_str_eq(db_column_name(st, 2), "s");
	ck_assert_int_eq(db_column_type(st, 0), DB_INTEGER);
	ck_assert(db_column_int64(st, 0) == INT64_MAX);
	ck_assert_int_eq(db_column_type(st, 1), DB_FLOAT);
	ck_assert(db_column_double(st, 1) == 2.5);
	ck_assert_str_eq(db_column_text(st, 2), "abc");
	ck_assert_int_eq(db_column_type(st, 3), DB_BLOB);
	ck_assert_int_eq(db_column_bytes(st, 3), 4);
	ck_assert(memcmp(db_column_blob(st, 3), blob, 4) == 0);
	ck_assert_int_eq(db_step(st), DB_ROW);
	/* The second row: the same binds but the two NULLs (text NULL is NULL). */
	ck_assert_int_eq(db_column_type(st, 0), DB_NULL);
	ck_assert_int_eq(db_column_type(st, 2), DB_NULL);
	ck_assert_ptr_null(db_column_text(st, 2));
	ck_assert_int_eq(db_column_int(st, 0), 0);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_finalize(st);

	/* A failed statement: -1, and the engine's words. */
	st = db_prepare(db, "INSERT INTO t(id) VALUES (1)");
	ck_assert_int_eq(db_step(st), -1);
	ck_assert(strstr(db_errmsg(db), "UNIQUE") != NULL);
	db_finalize(st);
	ck_assert_ptr_null(db_prepare(db, "SELEC nonsense"));
	ck_assert(!db_disk_full(db));
}
END_TEST

/* A kept statement is the same one each time, given back reset. */
START_TEST(test_kept_statements)
{
	struct db_stmt *a, *b;
	int64_t v;

	a = db_stmt(db, "SELECT ?1 + 1");
	db_bind_int(a, 1, 41);
	ck_assert_int_eq(db_step(a), DB_ROW);
	ck_assert_int_eq(db_column_int(a, 0), 42);
	db_stmt_done(a);
	b = db_stmt(db, "SELECT ?1 + 1");
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(db_step(b), DB_ROW);	/* the bindings were cleared */
	ck_assert_int_eq(db_column_type(b, 0), DB_NULL);
	db_stmt_done(b);
	ck_assert_int_eq(db_query_int(db, "SELECT 7 * 6", &v), 0);
	ck_assert_int_eq(v, 42);
}
END_TEST

/* On SQLite there is nothing to notify, and ids follow by themselves. */
START_TEST(test_one_host)
{
	ck_assert_int_eq(db_notify(db, "archived_worker"), 0);
	ck_assert_int_eq(db_listen(db, "archived_worker"), -1);
	ck_assert_int_eq(db_notifications(db), 0);
	ck_assert_int_eq(db_notify(db, "bad channel; DROP"), -1);
	ck_assert_int_eq(db_ids_follow(db, "t; DROP TABLE t"), -1);
	ck_assert_int_eq(db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY)"), 0);
	ck_assert_int_eq(db_ids_follow(db, "t"), 0);
	ck_assert(db_files_ok(db));
	ck_assert_int_eq(db_begin_rows(db), 0);
	ck_assert(db_in_transaction(db));
	db_rollback(db);
	ck_assert(!db_in_transaction(db));
}
END_TEST

START_TEST(test_urls)
{
	char *s;

	ck_assert(db_is_url("postgresql://h/d"));
	ck_assert(db_is_url("postgres:///d?host=/run"));
	ck_assert(!db_is_url("/var/lib/archived/archived.db"));
	ck_assert(!db_is_url("postgresql:/x"));
	s = db_shown("postgresql://u:pw@h:5432/d?password=pw");
	ck_assert_str_eq(s, "postgresql://h:5432/d");
	free(s);
	s = db_shown("/srv/a.db");
	ck_assert_str_eq(s, "/srv/a.db");
	free(s);
	/* No server there: NULL, said without the password. */
	ck_assert_ptr_null(db_open("postgresql://u:s3cret@127.0.0.1:1/none?connect_timeout=2", 0));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pg_numbering);
	tcase_add_test(tc, test_statements);
	tcase_add_test(tc, test_kept_statements);
	tcase_add_test(tc, test_one_host);
	tcase_add_test(tc, test_urls);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
