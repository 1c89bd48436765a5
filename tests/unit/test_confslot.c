/* The reload pattern: a configuration is published only once filled, its
 * readers keep theirs until they let go, a bad file changes nothing. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/confslot.h"
#include "lib/db.h"
#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

#define RELOADS	200

static char dir[PATH_MAX], cfpath[PATH_MAX + 16], dbpath[PATH_MAX + 16];
static struct confslot slot;
static struct db *db;
static atomic_int done, seen, bad;

/* The file with max_range = range (and a typo when broken). */
static void
write_conf(int64_t range, int broken)
{
	char text[PATH_MAX + 256];

	snprintf(text, sizeof(text), "database = \"%s\";\nmax_range = %lld;\n%s",
	    dbpath, (long long)range, broken ? "max_rnage = 5;\n" : "");
	ck_assert_int_eq(write_file_atomic(cfpath, text, strlen(text), 0600), 0);
}

static void
setup(void)
{
	struct conf *c;
	char err[512];

	unit_tmpdir(dir, sizeof(dir));
	snprintf(cfpath, sizeof(cfpath), "%s/a.conf", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/a.db", dir);
	ck_assert_ptr_nonnull(db = db_open(dbpath, 1));
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_init_secrets(db), 0);
	write_conf(3600, 0);
	ck_assert_ptr_nonnull(c = conf_load(cfpath, 1, err, sizeof(err)));
	ck_assert_int_eq(confslot_fill(c, db, c->database), 0);
	confslot_init(&slot, c);
	atomic_store(&done, 0);
	atomic_store(&seen, 0);
	atomic_store(&bad, 0);
}

static void
teardown(void)
{
	confslot_release(&slot);
	db_close(db);
	unit_rmtree(dir);
}

/* Reads as a worker thread does, checking every secret every time. */
static void *
reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		struct conf *c = confslot_get(&slot);

		if (c->url_key == NULL || strlen(c->url_key) != 48 ||
		    c->pusher.key == NULL || c->pusher.secret == NULL ||
		    c->max_range < 3600 || c->max_range > 3600 + RELOADS)
			atomic_fetch_add(&bad, 1);
		atomic_fetch_add(&seen, 1);
		conf_free(c);
	}
	return NULL;
}

START_TEST(test_never_half_filled)
{
	pthread_t t[2];
	struct conf *held = confslot_get(&slot), *c;

	for (size_t i = 0; i < nitems(t); i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, NULL), 0);
	for (int i = 1; i <= RELOADS; i++) {
		write_conf(3600 + i, 0);
		/* Half the time through the caller's connection, half its own. */
		ck_assert_int_eq(confslot_reload(&slot, NULL, i % 2 ? db : NULL, 1), 1);
	}
	atomic_store(&done, 1);
	for (size_t i = 0; i < nitems(t); i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(atomic_load(&bad), 0);
	ck_assert_int_gt(atomic_load(&seen), 0);
	/* A reader's reference outlives every reload. */
	ck_assert_int_eq(held->max_range, 3600);
	ck_assert_ptr_nonnull(held->url_key);
	conf_free(held);
	c = confslot_get(&slot);
	ck_assert_int_eq(c->max_range, 3600 + RELOADS);
	conf_free(c);
}
END_TEST

START_TEST(test_bad_file_keeps_old)
{
	struct conf *c;

	write_conf(7200, 1);
	ck_assert_int_eq(confslot_reload(&slot, NULL, db, 0), -1);
	/* Reported once: the same bad file is not tried at every check. */
	ck_assert_int_eq(confslot_reload(&slot, NULL, db, 0), 0);
	c = confslot_get(&slot);
	ck_assert_int_eq(c->max_range, 3600);
	conf_free(c);
	/* Fixed: picked up without force. */
	write_conf(7201, 0);
	ck_assert_int_eq(confslot_reload(&slot, NULL, db, 0), 1);
	ck_assert_int_eq(confslot_reload(&slot, NULL, db, 0), 0);
	c = confslot_get(&slot);
	ck_assert_int_eq(c->max_range, 7201);
	ck_assert_ptr_nonnull(c->url_key);
	conf_free(c);
}
END_TEST

/* A database without the settings cannot fill it: nothing is published. */
START_TEST(test_unfillable_keeps_old)
{
	char text[PATH_MAX + 64], other[PATH_MAX + 16];
	struct conf *c;
	struct db *empty;

	snprintf(other, sizeof(other), "%s/b.db", dir);
	ck_assert_ptr_nonnull(empty = db_open(other, 1));
	ck_assert_int_eq(db_migrate(empty), 0);
	db_close(empty);
	snprintf(text, sizeof(text), "database = \"%s\";\n", other);
	ck_assert_int_eq(write_file_atomic(cfpath, text, strlen(text), 0600), 0);
	ck_assert_int_eq(confslot_reload(&slot, NULL, db, 1), -1);
	c = confslot_get(&slot);
	ck_assert_str_eq(c->database, dbpath);
	ck_assert_ptr_nonnull(c->url_key);
	conf_free(c);
}
END_TEST

static Suite *
confslot_suite(void)
{
	Suite *s = suite_create("confslot");
	TCase *tc = tcase_create("reload");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_never_half_filled);
	tcase_add_test(tc, test_bad_file_keeps_old);
	tcase_add_test(tc, test_unfillable_keeps_old);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(confslot_suite());
}
