#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"
#include "util.h"
#include "banned.h"

static int	 split(int64_t us, int local, struct tm *tm);

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
civil_seconds(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static long
offset_at(int64_t utc)
{
	time_t t = (time_t)utc;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

int64_t
time_local_to_utc(int year, int mon, int day, int hour, int min, int sec)
{
	int64_t wall = civil_seconds(year, mon, day, hour, min, sec);
	long before = offset_at(wall - 86400), after = offset_at(wall + 86400);
	int ok_before = offset_at(wall - before) == before;
	int ok_after = offset_at(wall - after) == after;

	if (ok_before && ok_after)	/* a fold, or no transition: earlier */
		return wall - (before > after ? before : after);
	if (ok_before)
		return wall - before;
	if (ok_after)
		return wall - after;
	return wall - before;		/* a gap: forward by its length */
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

enum time_err
time_parse(const char *s, int allow_date, int64_t *out_us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0, local = 1;
	size_t len = strlen(s);
	const char *p;
	struct tm tm;

	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return TIME_BAD_FORMAT;
	p = s + 10;
	if (*p == '\0') {
		if (!allow_date)
			return TIME_BAD_FORMAT;
	} else {
		int iso = *p == 'T';

		if ((*p != ' ' && *p != 'T') || digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi) || p[6] != ':' || digits(p + 7, 2, &sec))
			return TIME_BAD_FORMAT;
		p += 9;
		if (iso && *p == '.') {
			int n = 0;

			for (p++; *p >= '0' && *p <= '9'; p++, n++)
				if (n < 6)
					frac = frac * 10 + (*p - '0');
			if (n == 0)
				return TIME_BAD_FORMAT;
			for (; n < 6; n++)
				frac *= 10;
		}
		if (iso && *p == 'Z') {
			local = 0;
			p++;
		} else if (iso && (*p == '+' || *p == '-')) {
			int oh, om, sign = *p == '-' ? -1 : 1;

			if (digits(p + 1, 2, &oh))
				return TIME_BAD_FORMAT;
			p += 3;
			if (*p == ':')
				p++;
			if (digits(p, 2, &om))
				return TIME_BAD_FORMAT;
			p += 2;
			if (oh > 23 || om > 59)
				return TIME_BAD_DATE;
			off = sign * (oh * 3600 + om * 60);
			local = 0;
		}
		if (*p != '\0')
			return TIME_BAD_FORMAT;
	}
	if (y < 1970 || y > 9999)
		return TIME_OUT_OF_RANGE;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return TIME_BAD_DATE;
	if (local)
		*out_us = time_local_to_utc(y, mo, d, h, mi, sec) * USEC_PER_SEC;
	else
		*out_us = (civil_seconds(y, mo, d, h, mi, sec) - off) * USEC_PER_SEC;
	*out_us += frac;
	if (*out_us < 0)
		return TIME_OUT_OF_RANGE;
	/* An offset or the zone can carry 9999-12-31 into year 10000, which
	 * the formatters' four-digit years cannot show. */
	if (!split(*out_us, 0, &tm) || tm.tm_year > 9999 - 1900 ||
	    !split(*out_us, 1, &tm) || tm.tm_year > 9999 - 1900)
		return TIME_OUT_OF_RANGE;
	return TIME_OK;
}

const char *
time_strerror(enum time_err e)
{
	switch (e) {
	case TIME_OK:
		return "is valid";
	case TIME_BAD_FORMAT:
		return "does not match the format Y-m-d H:i:s (or ISO 8601 with an offset)";
	case TIME_BAD_DATE:
		return "is not a valid date";
	case TIME_OUT_OF_RANGE:
		return "must be between 1970 and 9999";
	}
	return "is invalid";
}

/* The calendar time of us; 0 if there is none (time_t overflow). */
static int
split(int64_t us, int local, struct tm *tm)
{
	/* Rounded down, without overflow at the bottom of the range. */
	time_t t = (time_t)(us / USEC_PER_SEC - (us % USEC_PER_SEC < 0));

	return (local ? localtime_r(&t, tm) : gmtime_r(&t, tm)) != NULL;
}

/* Each formatter writes "" when the time has no calendar date or does
 * not fit (strftime then leaves the buffer unterminated). */
void
time_format_local(int64_t us, char out[TIME_LOCAL_LEN])
{
	struct tm tm;

	if (!split(us, 1, &tm) ||
	    strftime(out, TIME_LOCAL_LEN, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		out[0] = '\0';
}

void
time_format_utc(int64_t us, char out[TIME_UTC_LEN])
{
	struct tm tm;
	char base[20];
	long frac = (long)(((us % USEC_PER_SEC) + USEC_PER_SEC) % USEC_PER_SEC);

	if (!split(us, 0, &tm) || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(out, TIME_UTC_LEN, "%s.%06ldZ", base, frac);
}

void
time_format_name(int64_t us, char out[TIME_NAME_LEN])
{
	struct tm tm;

	if (!split(us, 1, &tm) || strftime(out, TIME_NAME_LEN, "%Y%m%d-%H%M%S", &tm) == 0)
		out[0] = '\0';
}

void
time_format_hms(int64_t us, char out[7])
{
	struct tm tm;

	if (!split(us, 1, &tm) || strftime(out, 7, "%H%M%S", &tm) == 0)
		out[0] = '\0';
}
