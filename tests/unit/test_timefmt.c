/* time_parse and the formatters: zones, ISO offsets, DST gaps and folds. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/timefmt.h"
#include "unit.h"
#include "lib/banned.h"

#define US 1000000LL

/* UTC seconds from a UTC calendar time, computed without the code under test. */
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
	return (int64_t)timegm(&tm);
}

/* Zones a process might have had before the configured one was applied. */
static const char *const prior_zones[] = {
	NULL, "UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Chatham",
	"Europe/Berlin", "Asia/Kolkata",
};

struct parse_case {
	const char	*zone;
	const char	*in;
	int		 allow_date;
	enum time_err	 err;
	int		 y, mo, d, h, mi, s;	/* expected instant, UTC */
	long		 frac;			/* expected microseconds */
};

static const struct parse_case parse_cases[] = {
	/* Local "YYYY-MM-DD HH:MM:SS" in the configured zone. */
	{ "Europe/Berlin", "2019-09-20 19:00:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "Europe/Berlin", "2019-01-15 12:00:00", 0, TIME_OK, 2019, 1, 15, 11, 0, 0, 0 },
	{ "Europe/Berlin", "2019-09-20T19:00:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "America/New_York", "2019-09-20 13:00:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "America/New_York", "2019-12-01 07:00:00", 0, TIME_OK, 2019, 12, 1, 12, 0, 0, 0 },
	{ "UTC", "2019-09-20 17:00:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "UTC", "1970-01-01 00:00:00", 0, TIME_OK, 1970, 1, 1, 0, 0, 0, 0 },
	{ "UTC", "2000-02-29 23:59:59", 0, TIME_OK, 2000, 2, 29, 23, 59, 59, 0 },
	{ "UTC", "9999-12-31 23:59:59", 0, TIME_OK, 9999, 12, 31, 23, 59, 59, 0 },
	{ "Asia/Kolkata", "2019-09-20 22:30:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "Asia/Kolkata", "1970-01-01 05:30:00", 0, TIME_OK, 1970, 1, 1, 0, 0, 0, 0 },

	/* DST gap: forward by the gap's length. Fold: the earlier instant. */
	{ "Europe/Berlin", "2025-03-30 01:59:59", 0, TIME_OK, 2025, 3, 30, 0, 59, 59, 0 },
	{ "Europe/Berlin", "2025-03-30 02:00:00", 0, TIME_OK, 2025, 3, 30, 1, 0, 0, 0 },
	{ "Europe/Berlin", "2025-03-30 02:30:00", 0, TIME_OK, 2025, 3, 30, 1, 30, 0, 0 },
	{ "Europe/Berlin", "2025-03-30 03:00:00", 0, TIME_OK, 2025, 3, 30, 1, 0, 0, 0 },
	{ "Europe/Berlin", "2025-10-26 01:59:59", 0, TIME_OK, 2025, 10, 25, 23, 59, 59, 0 },
	{ "Europe/Berlin", "2025-10-26 02:00:00", 0, TIME_OK, 2025, 10, 26, 0, 0, 0, 0 },
	{ "Europe/Berlin", "2025-10-26 02:30:00", 0, TIME_OK, 2025, 10, 26, 0, 30, 0, 0 },
	{ "Europe/Berlin", "2025-10-26 03:00:00", 0, TIME_OK, 2025, 10, 26, 2, 0, 0, 0 },
	{ "America/New_York", "2025-03-09 02:30:00", 0, TIME_OK, 2025, 3, 9, 7, 30, 0, 0 },
	{ "America/New_York", "2025-11-02 01:30:00", 0, TIME_OK, 2025, 11, 2, 5, 30, 0, 0 },

	/* Date only, when allowed: local midnight. */
	{ "Europe/Berlin", "2019-09-20", 1, TIME_OK, 2019, 9, 19, 22, 0, 0, 0 },
	{ "Asia/Kolkata", "2019-09-20", 1, TIME_OK, 2019, 9, 19, 18, 30, 0, 0 },
	{ "UTC", "2019-09-20", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },

	/* ISO 8601 with an offset: the zone does not matter. */
	{ "Europe/Berlin", "2019-09-20T17:00:00Z", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "Europe/Berlin", "2019-09-20T19:00:00+02:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "Europe/Berlin", "2019-09-20T12:00:00-0500", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "Asia/Kolkata", "2019-09-20T12:00:00-05:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "America/New_York", "2019-09-20T22:30:00+0530", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 0 },
	{ "America/New_York", "2019-09-20T17:00:00.5Z", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 500000 },
	{ "UTC", "2019-09-20T17:00:00.123456Z", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 123456 },
	{ "UTC", "2019-09-20T17:00:00.1234567Z", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 123456 },
	{ "UTC", "2019-09-20T19:00:00.000001+02:00", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 1 },
	{ "Europe/Berlin", "2019-09-20T19:00:00.25", 0, TIME_OK, 2019, 9, 20, 17, 0, 0, 250000 },
	{ "UTC", "1970-01-01T01:00:00+01:00", 0, TIME_OK, 1970, 1, 1, 0, 0, 0, 0 },

	/* No such date or time. */
	{ "UTC", "2019-02-30 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-02-29 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2100-02-29", 1, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-13-01 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-00-10 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-00 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-04-31 00:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 24:00:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 23:60:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 23:59:60", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00+24:00", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00+01:60", 0, TIME_BAD_DATE, 0, 0, 0, 0, 0, 0, 0 },

	/* Not one of the forms. */
	{ "UTC", "", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "garbage", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "yesterday at noon", 1, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 00:00:00x", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 00:00:00 ", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00Zjunk", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00+01:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01x", 1, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-1-01 00:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 0:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019/01/01 00:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "+2019-01-01 00:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "10000-01-01 00:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00+2", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00.", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01T00:00:00.Z", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01 00:00:00.5", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "2019-01-01\n00:00:00", 0, TIME_BAD_FORMAT, 0, 0, 0, 0, 0, 0, 0 },

	/* Before 1970, in any form. */
	{ "UTC", "1969-12-31 23:59:59", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "1969-12-31", 1, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "1969-07-20T20:17:40Z", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "Asia/Kolkata", "1970-01-01 05:29:59", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "1970-01-01T00:00:00+00:01", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },

	/* After 9999 once the zone or the offset is applied: neither the UTC
	 * nor the local form could be written with four digits (fuzz_time). */
	{ "America/New_York", "9999-12-31 23:59:59", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "UTC", "9999-12-31T23:59:59-00:01", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "Europe/Berlin", "9999-12-31T23:30:00Z", 0, TIME_OUT_OF_RANGE, 0, 0, 0, 0, 0, 0, 0 },
	{ "Europe/Berlin", "9999-12-31T22:59:59Z", 0, TIME_OK, 9999, 12, 31, 22, 59, 59, 0 },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];

	/* The same answer whatever zone the process had before. */
	for (size_t z = 0; z < sizeof(prior_zones) / sizeof(prior_zones[0]); z++) {
		int64_t got = -42, want;
		enum time_err e;

		unit_set_tz(prior_zones[z]);
		(void)time_parse("2020-06-01 12:00:00", 0, &got);
		unit_set_tz(c->zone);
		got = -42;
		e = time_parse(c->in, c->allow_date, &got);
		ck_assert_msg(e == c->err, "'%s' in %s (before: %s): error %d, want %d",
		    c->in, c->zone, prior_zones[z] ? prior_zones[z] : "unset", e, c->err);
		if (c->err != TIME_OK)
			continue;
		want = utc(c->y, c->mo, c->d, c->h, c->mi, c->s) * US + c->frac;
		ck_assert_msg(got == want, "'%s' in %s (before: %s): got %lld, want %lld",
		    c->in, c->zone, prior_zones[z] ? prior_zones[z] : "unset",
		    (long long)got, (long long)want);
	}
}
END_TEST

/* time_local_to_utc agrees with time_parse, gap and fold included. */
START_TEST(test_local_to_utc)
{
	unit_set_tz("Europe/Berlin");
	ck_assert_int_eq(time_local_to_utc(2025, 3, 30, 2, 30, 0), utc(2025, 3, 30, 1, 30, 0));
	ck_assert_int_eq(time_local_to_utc(2025, 10, 26, 2, 30, 0), utc(2025, 10, 26, 0, 30, 0));
	ck_assert_int_eq(time_local_to_utc(2025, 7, 1, 12, 0, 0), utc(2025, 7, 1, 10, 0, 0));
	unit_set_tz("America/New_York");
	ck_assert_int_eq(time_local_to_utc(2025, 11, 2, 1, 0, 0), utc(2025, 11, 2, 5, 0, 0));
	ck_assert_int_eq(time_local_to_utc(2025, 11, 2, 2, 0, 0), utc(2025, 11, 2, 7, 0, 0));
}
END_TEST

/* Every quarter hour across both Berlin transitions survives format+parse,
 * except the second pass through the fold, which parses to the first. */
START_TEST(test_round_trip)
{
	static const int days[][3] = { { 2025, 3, 29 }, { 2025, 10, 25 } };

	unit_set_tz("Europe/Berlin");
	for (size_t i = 0; i < 2; i++) {
		int64_t start = utc(days[i][0], days[i][1], days[i][2], 12, 0, 0);
		int64_t fold_lo = utc(2025, 10, 26, 1, 0, 0), fold_hi = utc(2025, 10, 26, 2, 0, 0);

		for (int64_t t = start; t < start + 2 * 86400; t += 900) {
			char s[TIME_LOCAL_LEN];
			int64_t got;

			time_format_local(t * US, s);
			ck_assert_int_eq(time_parse(s, 0, &got), TIME_OK);
			if (t >= fold_lo && t < fold_hi)
				ck_assert_msg(got == (t - 3600) * US, "%s", s);
			else
				ck_assert_msg(got == t * US, "%s: got %lld want %lld", s,
				    (long long)got, (long long)(t * US));
		}
	}
}
END_TEST

struct fmt_case {
	const char	*zone;
	int64_t		 us;
	const char	*local, *utc, *name, *hms;
};

static const struct fmt_case fmt_cases[] = {
	{ "UTC", 0, "1970-01-01 00:00:00", "1970-01-01T00:00:00.000000Z",
	    "19700101-000000", "000000" },
	{ "UTC", 1568998800LL * US, "2019-09-20 17:00:00",
	    "2019-09-20T17:00:00.000000Z", "20190920-170000", "170000" },
	{ "Europe/Berlin", 1568998800LL * US, "2019-09-20 19:00:00",
	    "2019-09-20T17:00:00.000000Z", "20190920-190000", "190000" },
	{ "America/New_York", 1568998800LL * US + 123456, "2019-09-20 13:00:00",
	    "2019-09-20T17:00:00.123456Z", "20190920-130000", "130000" },
	{ "Asia/Kolkata", 1568998800LL * US + 999999, "2019-09-20 22:30:00",
	    "2019-09-20T17:00:00.999999Z", "20190920-223000", "223000" },
	/* The product's example name: 13:03:16 to 13:12:13 local. */
	{ "Europe/Berlin", 1569322996LL * US, "2019-09-24 13:03:16",
	    "2019-09-24T11:03:16.000000Z", "20190924-130316", "130316" },
	/* Fractions never round a second up. */
	{ "Europe/Berlin", 1569322996LL * US + 999999, "2019-09-24 13:03:16",
	    "2019-09-24T11:03:16.999999Z", "20190924-130316", "130316" },
	/* Negative microseconds floor towards the earlier second. */
	{ "UTC", -1, "1969-12-31 23:59:59", "1969-12-31T23:59:59.999999Z",
	    "19691231-235959", "235959" },
	{ "UTC", -US, "1969-12-31 23:59:59", "1969-12-31T23:59:59.000000Z",
	    "19691231-235959", "235959" },
	{ "UTC", -US - 500000, "1969-12-31 23:59:58", "1969-12-31T23:59:58.500000Z",
	    "19691231-235958", "235958" },
	{ "UTC", 253402300799LL * US + 999999, "9999-12-31 23:59:59",
	    "9999-12-31T23:59:59.999999Z", "99991231-235959", "235959" },
	/* Berlin's fold: both instants show the same wall clock. */
	{ "Europe/Berlin", 1761438600LL * US, "2025-10-26 02:30:00",
	    "2025-10-26T00:30:00.000000Z", "20251026-023000", "023000" },
	{ "Europe/Berlin", (1761438600LL + 3600) * US, "2025-10-26 02:30:00",
	    "2025-10-26T01:30:00.000000Z", "20251026-023000", "023000" },
};

START_TEST(test_format_table)
{
	const struct fmt_case *c = &fmt_cases[_i];
	char local[TIME_LOCAL_LEN], u[TIME_UTC_LEN], name[TIME_NAME_LEN], hms[7];

	unit_set_tz("Pacific/Chatham");
	time_format_local(0, local);
	unit_set_tz(c->zone);
	memset(u, 'x', sizeof(u));
	time_format_local(c->us, local);
	time_format_utc(c->us, u);
	time_format_name(c->us, name);
	time_format_hms(c->us, hms);
	ck_assert_str_eq(local, c->local);
	ck_assert_str_eq(u, c->utc);
	ck_assert_int_eq(strlen(u), TIME_UTC_LEN - 1);
	ck_assert_str_eq(name, c->name);
	ck_assert_str_eq(hms, c->hms);
}
END_TEST

/* Instants no four-digit year shows (from a damaged row, say): the
 * formatters write an empty time, never an unterminated buffer. */
START_TEST(test_format_out_of_range)
{
	const int64_t bad[] = { INT64_MIN, INT64_MAX, 253402300800LL * US,
	    -62135596801LL * US };
	char local[TIME_LOCAL_LEN], u[TIME_UTC_LEN], name[TIME_NAME_LEN], hms[7];

	unit_set_tz("Europe/Berlin");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(local, 'x', sizeof(local));
		memset(u, 'x', sizeof(u));
		memset(name, 'x', sizeof(name));
		memset(hms, 'x', sizeof(hms));
		time_format_local(bad[i], local);
		time_format_utc(bad[i], u);
		time_format_name(bad[i], name);
		time_format_hms(bad[i], hms);
		ck_assert_ptr_nonnull(memchr(local, '\0', sizeof(local)));
		ck_assert_ptr_nonnull(memchr(u, '\0', sizeof(u)));
		ck_assert_ptr_nonnull(memchr(name, '\0', sizeof(name)));
		ck_assert_ptr_nonnull(memchr(hms, '\0', sizeof(hms)));
	}
	/* 10000-01-01T00:00:00Z: no date part at all rather than a wrong one. */
	time_format_local(253402300800LL * US, local);
	ck_assert_str_eq(local, "");
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(time_strerror(TIME_BAD_DATE), "is not a valid date");
	ck_assert_ptr_nonnull(strstr(time_strerror(TIME_BAD_FORMAT), "Y-m-d H:i:s"));
	ck_assert_ptr_nonnull(strstr(time_strerror(TIME_OUT_OF_RANGE), "1970"));
	ck_assert_str_ne(time_strerror(TIME_BAD_FORMAT), time_strerror(TIME_BAD_DATE));
}
END_TEST

static Suite *
timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_local_to_utc);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format_table, 0,
	    (int)(sizeof(fmt_cases) / sizeof(fmt_cases[0])));
	tcase_add_test(tc, test_format_out_of_range);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(timefmt_suite());
}
