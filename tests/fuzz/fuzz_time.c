/*
 * fuzz_time: the date parser (time_parse) and what is done with what it
 * accepts: the formatters the API and the file names use, and
 * time_local_to_utc across daylight-saving changes.
 *
 * Input: one byte of options, then the text. Options: bit 0 allow_date,
 * bits 1-2 the configured time zone (UTC, Berlin, New York, Lord Howe
 * with its 30-minute DST), bit 3: no text, but 8 bytes of an instant
 * (microseconds, little-endian) for the formatters alone, as a value
 * read back from the database would come.
 *
 * Invariants: an accepted time is not before 1970; every formatted string
 * is NUL-terminated inside its buffer and parses back: the UTC form to
 * the same instant, the local form to one at most an hour earlier.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/timefmt.h"
#include "lib/util.h"
#include "fuzz.h"

static const char *const zones[] = {
	"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
};
static int zone = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
set_zone(int z)
{
	if (z == zone)
		return;
	setenv("TZ", zones[z], 1);
	tzset();
	zone = z;
}

/* A formatter's output: terminated inside its buffer. */
static void
check_terminated(const char *buf, size_t len)
{
	FUZZ_CHECK(memchr(buf, '\0', len) != NULL);
}

/* Every formatter, into buffers filled with junk first so that an
 * unterminated result shows. */
static void
format_all(int64_t us, char utc[TIME_UTC_LEN], char local[TIME_LOCAL_LEN],
    char name[TIME_NAME_LEN], char hms[7])
{
	memset(utc, 'x', TIME_UTC_LEN);
	memset(local, 'x', TIME_LOCAL_LEN);
	memset(name, 'x', TIME_NAME_LEN);
	memset(hms, 'x', 7);
	time_format_utc(us, utc);
	time_format_local(us, local);
	time_format_name(us, name);
	time_format_hms(us, hms);
	check_terminated(utc, TIME_UTC_LEN);
	check_terminated(local, TIME_LOCAL_LEN);
	check_terminated(name, TIME_NAME_LEN);
	check_terminated(hms, 7);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char utc[TIME_UTC_LEN], local[TIME_LOCAL_LEN], name[TIME_NAME_LEN], hms[7];
	enum time_err e;
	int64_t us, back;
	int allow_date;
	char *s;

	if (size < 1 || size > 256)
		return -1;
	allow_date = data[0] & 1;
	set_zone((data[0] >> 1) & 3);
	if (data[0] & 8) {
		uint64_t v = 0;

		for (size_t i = 0; i < 8 && i + 1 < size; i++)
			v |= (uint64_t)data[i + 1] << (8 * i);
		us = (int64_t)v;
		format_all(us, utc, local, name, hms);
		/* What formats as a time reads back as that time. */
		if (utc[0] != '.' && time_parse(utc, 0, &back) == TIME_OK)
			FUZZ_CHECK(back == us);
		return 0;
	}
	s = fuzz_strndup(data + 1, size - 1);
	e = time_parse(s, allow_date, &us);
	FUZZ_CHECK(e >= TIME_OK && e <= TIME_OUT_OF_RANGE);
	FUZZ_CHECK(time_strerror(e) != NULL);
	if (e != TIME_OK) {
		free(s);
		return 0;
	}
	FUZZ_CHECK(us >= 0);
	format_all(us, utc, local, name, hms);
	/* The UTC form is exact: the same instant. */
	FUZZ_CHECK(time_parse(utc, 0, &back) == TIME_OK && back == us);
	/* The local form is the canonical input form: accepted (but for the
	 * first hours of 1970 west of Greenwich, which show as 1969), within
	 * the hour of the instant whatever DST did (a fold takes the earlier
	 * instant; whole seconds only). */
	e = time_parse(local, 0, &back);
	if (strncmp(local, "1969-", 5) == 0)
		FUZZ_CHECK(e == TIME_OUT_OF_RANGE);
	else {
		FUZZ_CHECK(e == TIME_OK);
		FUZZ_CHECK(back <= us && us - back < 3600 * USEC_PER_SEC + USEC_PER_SEC);
	}
	free(s);
	return 0;
}
