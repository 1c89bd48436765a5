/* The licence: no check without a file; files, expiry in the configured zone,
 * the camera limit, and the reasons the 402 message shows. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/db.h"
#include "lib/licence.h"
#include "lib/model.h"
#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

#define US 1000000LL

static char dir[PATH_MAX];

static void
setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	unit_set_tz("UTC");
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

static int64_t
utc_us(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * US;
}

/* Load a licence from text; the reason goes to why on failure. */
static int
load(const char *text, struct licence *l, char *why, size_t len)
{
	char path[PATH_MAX + 32];

	unit_write(dir, "licence.conf", text, path, sizeof(path));
	why[0] = '\0';
	return licence_load(path, l, why, len);
}

/* The local date days from today, as "YYYY-MM-DD". */
static void
local_date(int days, char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += days;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

START_TEST(test_file_with_feature)
{
	struct licence l;
	char why[160];

	ck_assert_int_eq(load("holder = \"ACME Security\";\nexpires = \"2099-12-31\";\n"
	    "features = [ \"live\", \"archive_export\" ];\nmax_cameras = 100;\n",
	    &l, why, sizeof(why)), 0);
	ck_assert_str_eq(l.holder, "ACME Security");
	ck_assert_int_eq(l.has_export, 1);
	ck_assert_int_eq(l.max_cameras, 100);
	ck_assert_int_eq(l.expires_us, utc_us(2100, 1, 1, 0, 0, 0));
	ck_assert_int_eq(licence_evaluate(&l, now_us(), 100, why, sizeof(why)), 1);
	ck_assert_int_eq(licence_evaluate(&l, now_us(), 101, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "101 cameras exceed the licensed 100");

	/* No expiry: never expires; a 64-bit camera count is read too. */
	ck_assert_int_eq(load("holder = \"A\";\nfeatures = [ \"archive_export\" ];\n"
	    "max_cameras = 5000000000L;\n", &l, why, sizeof(why)), 0);
	ck_assert_int_eq(l.expires_us, 0);
	ck_assert_int_eq(l.max_cameras, 5000000000LL);
	ck_assert_int_eq(licence_evaluate(&l, utc_us(9999, 1, 1, 0, 0, 0), 1, why,
	    sizeof(why)), 1);
}
END_TEST

START_TEST(test_file_without_feature)
{
	static const char *const texts[] = {
		"holder = \"A\";\nfeatures = [ \"live\" ];\nmax_cameras = 10;\n",
		"holder = \"A\";\nmax_cameras = 10;\n",
		"holder = \"A\";\nfeatures = [ ];\nmax_cameras = 10;\n",
		"holder = \"A\";\nfeatures = [ \"archive_export_lite\" ];\nmax_cameras = 10;\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct licence l;
		char why[160];

		ck_assert_int_eq(load(texts[i], &l, why, sizeof(why)), 0);
		ck_assert_int_eq(l.has_export, 0);
		ck_assert_int_eq(licence_evaluate(&l, now_us(), 1, why, sizeof(why)), 0);
		ck_assert_str_eq(why, "licence lacks the archive_export feature");
	}
}
END_TEST

/* Yesterday's date has run out, today's still holds, in the configured
 * zone; zones far east and west of UTC catch a UTC calendar. */
START_TEST(test_expiry_relative_to_today)
{
	static const char *const zones[] = {
		"UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata",
		"Europe/Berlin",
	};

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		char text[200], day[11], why[160], want[64];
		struct licence l;

		unit_set_tz(zones[z]);
		local_date(-1, day);
		snprintf(text, sizeof(text), "holder = \"A\";\nexpires = \"%s\";\n"
		    "features = [ \"archive_export\" ];\nmax_cameras = 4;\n", day);
		ck_assert_int_eq(load(text, &l, why, sizeof(why)), 0);
		ck_assert_int_eq(licence_evaluate(&l, now_us(), 1, why, sizeof(why)), 0);
		snprintf(want, sizeof(want), "licence expired on %s", day);
		ck_assert_msg(strcmp(why, want) == 0, "%s: '%s'", zones[z], why);

		local_date(0, day);
		snprintf(text, sizeof(text), "holder = \"A\";\nexpires = \"%s\";\n"
		    "features = [ \"archive_export\" ];\nmax_cameras = 4;\n", day);
		ck_assert_int_eq(load(text, &l, why, sizeof(why)), 0);
		ck_assert_msg(licence_evaluate(&l, now_us(), 1, why, sizeof(why)) == 1,
		    "%s: %s", zones[z], why);
	}
}
END_TEST

/* The last valid instant is local midnight ending that day, also on days
 * that daylight saving makes 23 or 25 hours long. */
START_TEST(test_expiry_boundaries)
{
	static const struct {
		const char *zone, *day;
		int y, mo, d, h, mi;	/* first instant no longer valid, UTC */
	} cases[] = {
		{ "UTC", "2025-06-15", 2025, 6, 16, 0, 0 },
		{ "Asia/Kolkata", "2025-06-15", 2025, 6, 15, 18, 30 },
		{ "America/New_York", "2025-06-15", 2025, 6, 16, 4, 0 },
		{ "Europe/Berlin", "2025-01-15", 2025, 1, 15, 23, 0 },
		{ "Europe/Berlin", "2025-03-30", 2025, 3, 30, 22, 0 },
		{ "Europe/Berlin", "2025-10-26", 2025, 10, 26, 23, 0 },
		{ "America/New_York", "2025-03-09", 2025, 3, 10, 4, 0 },
		{ "America/New_York", "2025-11-02", 2025, 11, 3, 5, 0 },
		{ "Europe/Berlin", "2024-12-31", 2024, 12, 31, 23, 0 },
		{ "UTC", "2024-02-29", 2024, 3, 1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t end = utc_us(cases[i].y, cases[i].mo, cases[i].d, cases[i].h,
		    cases[i].mi, 0);
		char text[200], why[160], want[64];
		struct licence l;

		unit_set_tz(cases[i].zone);
		snprintf(text, sizeof(text), "holder = \"A\";\nexpires = \"%s\";\n"
		    "features = [ \"archive_export\" ];\nmax_cameras = 4;\n", cases[i].day);
		ck_assert_int_eq(load(text, &l, why, sizeof(why)), 0);
		ck_assert_msg(l.expires_us == end, "%s %s: ends %lld, want %lld",
		    cases[i].zone, cases[i].day, (long long)l.expires_us, (long long)end);
		ck_assert_int_eq(licence_evaluate(&l, end - 1, 1, why, sizeof(why)), 1);
		ck_assert_int_eq(licence_evaluate(&l, end, 1, why, sizeof(why)), 0);
		snprintf(want, sizeof(want), "licence expired on %s", cases[i].day);
		ck_assert_str_eq(why, want);
	}
}
END_TEST

/* An expired licence says so even when it also lacks the feature. */
START_TEST(test_reason_order)
{
	struct licence l;
	char why[160];

	ck_assert_int_eq(load("holder = \"A\";\nexpires = \"2020-01-01\";\n"
	    "max_cameras = 1;\n", &l, why, sizeof(why)), 0);
	ck_assert_int_eq(licence_evaluate(&l, now_us(), 9, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "licence expired on 2020-01-01");
}
END_TEST

static const struct { const char *text, *why; } bad_files[] = {
	{ "holder = \"A\";\nmax_cameras = ;\n", "licence file is malformed (line 2)" },
	{ "this is not a licence\n", "licence file is malformed (line 1)" },
	{ "expires = \"2099-01-01\";\nmax_cameras = 4;\n", "licence file has no holder" },
	{ "holder = 5;\nmax_cameras = 4;\n", "licence file has no holder" },
	{ "holder = \"A\";\n", "licence file has no max_cameras" },
	{ "holder = \"A\";\nmax_cameras = \"10\";\n", "licence file has no max_cameras" },
	{ "holder = \"A\";\nexpires = \"2099-13-01\";\nmax_cameras = 4;\n",
	    "licence expiry date is not YYYY-MM-DD" },
	{ "holder = \"A\";\nexpires = \"2099-01-01 00:00:00\";\nmax_cameras = 4;\n",
	    "licence expiry date is not YYYY-MM-DD" },
	{ "holder = \"A\";\nexpires = \"tomorrow\";\nmax_cameras = 4;\n",
	    "licence expiry date is not YYYY-MM-DD" },
};

START_TEST(test_bad_files)
{
	struct licence l;
	char why[160];

	ck_assert_int_eq(load(bad_files[_i].text, &l, why, sizeof(why)), -1);
	ck_assert_str_eq(why, bad_files[_i].why);
}
END_TEST

START_TEST(test_missing_file)
{
	struct licence l;
	char path[PATH_MAX + 32], why[160];

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	ck_assert_int_eq(licence_load(path, &l, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "licence file cannot be read");
	/* The 402 reason never shows a path of the server. */
	ck_assert_ptr_null(strstr(why, dir));
}
END_TEST

/* licence_allows counts the cameras that are not deleted. */
START_TEST(test_check_with_database)
{
	char path[PATH_MAX + 32], lic[PATH_MAX + 32], why[160];
	struct db *db;
	int64_t id = 0;

	snprintf(path, sizeof(path), "%s/archived.db", dir);
	ck_assert_ptr_nonnull(db = db_open(path, 1));
	ck_assert_int_eq(db_migrate(db), 0);
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "Camera %d", i + 1);
		ck_assert_int_eq(camera_create(db, name, NULL, NULL, &id), 0);
	}
	/* No licence file: no check, however many cameras. */
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(camera_create(db, "More", NULL, NULL, &id), 0);
	ck_assert_int_eq(licence_allows(NULL, db, why, sizeof(why)), 1);
	ck_assert_int_eq(db_exec(db, "UPDATE cameras SET deleted_at=1 WHERE id>4"), 0);

	unit_write(dir, "lic.conf", "holder = \"A\";\nfeatures = [ \"archive_export\" ];\n"
	    "max_cameras = 4;\n", lic, sizeof(lic));
	ck_assert_int_eq(licence_allows(lic, db, why, sizeof(why)), 1);
	ck_assert_int_eq(camera_create(db, "Camera 5", "Yard", NULL, &id), 0);
	ck_assert_int_eq(licence_allows(lic, db, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "5 cameras exceed the licensed 4");
	/* Deleted cameras do not count. */
	ck_assert_int_eq(db_exec(db, "UPDATE cameras SET deleted_at=1 WHERE id=1"), 0);
	ck_assert_int_eq(licence_allows(lic, db, why, sizeof(why)), 1);
	unit_write(dir, "lic.conf", "holder = ;\n", lic, sizeof(lic));
	ck_assert_int_eq(licence_allows(lic, db, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "licence file is malformed (line 1)");
	db_close(db);
}
END_TEST

static Suite *
licence_suite(void)
{
	Suite *s = suite_create("licence");
	TCase *tc = tcase_create("licence");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_with_feature);
	tcase_add_test(tc, test_file_without_feature);
	tcase_add_test(tc, test_expiry_relative_to_today);
	tcase_add_test(tc, test_expiry_boundaries);
	tcase_add_test(tc, test_reason_order);
	tcase_add_loop_test(tc, test_bad_files, 0,
	    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_check_with_database);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(licence_suite());
}
