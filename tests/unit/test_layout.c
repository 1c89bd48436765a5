/* layout_parse: recorder names -> wall clock, per layout, zone and --utc. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recordings/layout.h"
#include "unit.h"
#include "lib/banned.h"

#define US 1000000LL

/* UTC microseconds of a UTC calendar time, without the code under test. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
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

struct name_case {
	const char	*zone;		/* the configured time zone */
	enum layout	 want;
	const char	*path;
	int		 utc;		/* --utc */
	int		 rc;		/* 1 matched, 0 no time */
	enum layout	 got;
	int		 y, mo, d, h, mi, s;	/* expected instant, UTC */
	long		 usec;
	const char	*camera;	/* frigate */
};

static const struct name_case cases[] = {
	/* ffmpeg -f segment -strftime 1, local time (Berlin is UTC+1 in January). */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "/rec/cam1-2026-01-15_11-00-04.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "Europe/Berlin", LAYOUT_FFMPEG, "20260115110004.mp4", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "Europe/Berlin", LAYOUT_FFMPEG, "rec/20260115T110004.mp4", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "Europe/Berlin", LAYOUT_FFMPEG, "rec/cam_2026-01-15 11:00:04.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "Europe/Berlin", LAYOUT_FFMPEG, "/r/2026.01.15-11.00.04.mkv.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* Summer: UTC+2. */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "cam-2025-07-01_12-30-00.ts", 0, 1,
	    LAYOUT_FFMPEG, 2025, 7, 1, 10, 30, 0, 0, NULL },
	{ "America/New_York", LAYOUT_FFMPEG, "cam-2026-01-15_05-00-04.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* --utc: the recorder host ran in UTC. */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "cam-2026-01-15_10-00-04.ts", 1, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* %z in the name wins over the zone (Frigate's cache names too). */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "cam@20260115100004+0000.mp4", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-2026-01-15T13:00:04+03:00.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-2026-01-15T10:00:04Z.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* %s: epoch seconds, UTC by definition. */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "cam-1768471204.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* -strftime_mkdir: the date in the directory. */
	{ "Europe/Berlin", LAYOUT_FFMPEG, "/rec/2026-01-15/11-00-04.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* A digit in the camera's name is no date; the date after it is. */
	{ "UTC", LAYOUT_FFMPEG, "cam1234-20260115-100004.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	/* No time, or no real one. */
	{ "UTC", LAYOUT_FFMPEG, "seg000.ts", 0, 0, LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-2026-13-15_10-00-04.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-2026-02-30_10-00-04.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-2026-01-15_24-00-04.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FFMPEG, "cam-20260115100004123.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },

	/* MediaMTX: %path/%Y-%m-%d_%H-%M-%S-%f, local, %f in microseconds. */
	{ "Europe/Berlin", LAYOUT_MEDIAMTX, "/rec/cam1/2026-01-15_11-00-04-250000.mp4", 0, 1,
	    LAYOUT_MEDIAMTX, 2026, 1, 15, 10, 0, 4, 250000, NULL },
	{ "Europe/Berlin", LAYOUT_MEDIAMTX, "2026-01-15_11-00-04-000123.ts", 0, 1,
	    LAYOUT_MEDIAMTX, 2026, 1, 15, 10, 0, 4, 123, NULL },
	{ "Europe/Berlin", LAYOUT_MEDIAMTX, "2026-01-15_10-00-04-000123.ts", 1, 1,
	    LAYOUT_MEDIAMTX, 2026, 1, 15, 10, 0, 4, 123, NULL },
	{ "Europe/Berlin", LAYOUT_MEDIAMTX, "2026-01-15_10-00-04-000123Z.ts", 0, 1,
	    LAYOUT_MEDIAMTX, 2026, 1, 15, 10, 0, 4, 123, NULL },
	{ "UTC", LAYOUT_MEDIAMTX, "2026-01-15_10-00-04.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_MEDIAMTX, "2026-01-15_10-00-04-000123.mkv", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_MEDIAMTX, "x2026-01-15_10-00-04-000123.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },

	/* Frigate: YYYY-MM-DD/HH/<camera>/MM.SS.mp4, UTC whatever the zone. */
	{ "Europe/Berlin", LAYOUT_FRIGATE, "/media/frigate/recordings/2026-01-15/09/front_door/59.52.mp4",
	    0, 1, LAYOUT_FRIGATE, 2026, 1, 15, 9, 59, 52, 0, "front_door" },
	{ "America/New_York", LAYOUT_FRIGATE, "2026-01-15/10/cam/00.04.mp4",
	    0, 1, LAYOUT_FRIGATE, 2026, 1, 15, 10, 0, 4, 0, "cam" },
	/* Frigate before 0.11: YYYY-MM/DD/HH/<camera>/MM.SS.mp4 */
	{ "UTC", LAYOUT_FRIGATE, "/rec/2026-01/15/10/cam/00.04.mp4",
	    0, 1, LAYOUT_FRIGATE, 2026, 1, 15, 10, 0, 4, 0, "cam" },
	{ "UTC", LAYOUT_FRIGATE, "10/cam/00.04.mp4", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FRIGATE, "2026-01-15/10/cam/00.04.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "UTC", LAYOUT_FRIGATE, "2026-01-15/25/cam/00.04.mp4", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },

	/* auto: Frigate first (UTC), then MediaMTX (keeps %f), then ffmpeg. */
	{ "Europe/Berlin", LAYOUT_AUTO, "/r/2026-01-15/10/cam/00.04.mp4", 0, 1,
	    LAYOUT_FRIGATE, 2026, 1, 15, 10, 0, 4, 0, "cam" },
	{ "Europe/Berlin", LAYOUT_AUTO, "/r/cam/2026-01-15_11-00-04-500000.mp4", 0, 1,
	    LAYOUT_MEDIAMTX, 2026, 1, 15, 10, 0, 4, 500000, NULL },
	{ "Europe/Berlin", LAYOUT_AUTO, "/r/cam-2026-01-15_11-00-04.ts", 0, 1,
	    LAYOUT_FFMPEG, 2026, 1, 15, 10, 0, 4, 0, NULL },
	{ "Europe/Berlin", LAYOUT_AUTO, "/r/seg001.ts", 0, 0,
	    LAYOUT_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL },
};

START_TEST(test_names)
{
	const struct name_case *c = &cases[_i];
	struct layout_time lt;
	int rc;

	unit_set_tz(c->zone);
	rc = layout_parse(c->want, c->path, c->utc, &lt);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->path, rc, c->rc);
	if (rc != 1)
		return;
	ck_assert_msg(lt.layout == c->got, "%s: layout %s, want %s", c->path,
	    layout_name(lt.layout), layout_name(c->got));
	ck_assert_msg(lt.us == utc(c->y, c->mo, c->d, c->h, c->mi, c->s) + c->usec,
	    "%s: %lld, want %lld", c->path, (long long)lt.us,
	    (long long)(utc(c->y, c->mo, c->d, c->h, c->mi, c->s) + c->usec));
	ck_assert_int_eq(lt.precision_us, c->got == LAYOUT_MEDIAMTX ? 1 : US);
	if (c->camera != NULL) {
		ck_assert_uint_eq(lt.camera_len, strlen(c->camera));
		ck_assert_int_eq(strncmp(lt.camera, c->camera, lt.camera_len), 0);
	} else
		ck_assert_ptr_null(lt.camera);
}
END_TEST

/* In the hour a DST change repeats, a local name is ambiguous: the earlier
 * instant (the media then corrects the later ones, see test_segindex). */
START_TEST(test_fold)
{
	struct layout_time lt;

	unit_set_tz("Europe/Berlin");
	ck_assert_int_eq(layout_parse(LAYOUT_FFMPEG, "c-2025-10-26_02-30-00.ts", 0, &lt), 1);
	ck_assert_int_eq(lt.us, utc(2025, 10, 26, 0, 30, 0));
	/* In the gap of spring: forward by the gap. */
	ck_assert_int_eq(layout_parse(LAYOUT_FFMPEG, "c-2025-03-30_02-30-00.ts", 0, &lt), 1);
	ck_assert_int_eq(lt.us, utc(2025, 3, 30, 1, 30, 0));
}
END_TEST

START_TEST(test_names_table)
{
	enum layout l;

	ck_assert_int_eq(layout_from_name("ffmpeg", &l), 0);
	ck_assert_int_eq(l, LAYOUT_FFMPEG);
	ck_assert_int_eq(layout_from_name("frigate", &l), 0);
	ck_assert_int_eq(l, LAYOUT_FRIGATE);
	ck_assert_int_eq(layout_from_name("mediamtx", &l), 0);
	ck_assert_int_eq(layout_from_name("auto", &l), 0);
	ck_assert_int_eq(l, LAYOUT_AUTO);
	ck_assert_int_eq(layout_from_name("MediaMTX", &l), -1);
	ck_assert_int_eq(layout_from_name("", &l), -1);
	ck_assert_str_eq(layout_name(LAYOUT_MEDIAMTX), "mediamtx");
}
END_TEST

START_TEST(test_media_names)
{
	static const struct {
		const char	*name;
		int		 media;
	} t[] = {
		{ "a.ts", 1 }, { "dir/a.mp4", 1 }, { "A.MP4", 1 }, { "x.m4v", 1 },
		{ "x.mov", 1 }, { "x.mkv", 1 }, { "x.m2ts", 1 }, { "x.mpg", 1 }, { "x.PS", 1 }, { ".a.ts", 0 }, { "dir/.tmp.mp4", 0 }, { "a.ts.part", 0 },
		{ "a.jpg", 0 }, { "noext", 0 }, { ".ts", 0 }, { "a.mp4.tmp", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(layout_is_media_name(t[i].name) == t[i].media, "%s", t[i].name);
}
END_TEST

static Suite *
layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("layout");

	tcase_add_loop_test(tc, test_names, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_names_table);
	tcase_add_test(tc, test_media_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(layout_suite());
}
