/*
 * fuzz_layout: the recorder segment-name parsers (layout_parse) over
 * arbitrary paths, for every layout, local and --utc, and the media-name
 * filter the importer walks directories with.
 *
 * Input: one byte of options, then the path. Options: bits 0-1 the layout
 * (auto, ffmpeg, mediamtx, frigate), bit 2 --utc, bit 3 the time zone
 * (Europe/Berlin or UTC).
 *
 * Invariants: a match names a real layout (the one asked for, unless
 * auto), its time formats (the importer prints it) into a terminated
 * string; a Frigate camera lies inside the path.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/timefmt.h"
#include "lib/util.h"
#include "recordings/layout.h"
#include "fuzz.h"

static int zone = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum layout all[] = { LAYOUT_AUTO, LAYOUT_FFMPEG,
	    LAYOUT_MEDIAMTX, LAYOUT_FRIGATE };
	struct layout_time t;
	enum layout want, named;
	char utc[TIME_UTC_LEN], local[TIME_LOCAL_LEN];
	char *path;
	int rc, z;

	if (size < 1 || size > 1024)
		return -1;
	want = all[data[0] & 3];
	z = (data[0] >> 3) & 1;
	if (z != zone) {
		setenv("TZ", z ? "UTC" : "Europe/Berlin", 1);
		tzset();
		zone = z;
	}
	FUZZ_CHECK(layout_from_name(layout_name(want), &named) == 0 && named == want);
	path = fuzz_strndup(data + 1, size - 1);
	(void)layout_is_media_name(path);
	rc = layout_parse(want, path, (data[0] >> 2) & 1, &t);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc == 1) {
		FUZZ_CHECK(t.layout != LAYOUT_AUTO);
		FUZZ_CHECK(want == LAYOUT_AUTO || t.layout == want);
		FUZZ_CHECK(t.precision_us == 1 || t.precision_us == USEC_PER_SEC);
		if (t.layout == LAYOUT_FRIGATE) {
			FUZZ_CHECK(t.camera != NULL && t.camera_len > 0);
			FUZZ_CHECK(t.camera >= path &&
			    t.camera + t.camera_len <= path + strlen(path));
		} else
			FUZZ_CHECK(t.camera == NULL && t.camera_len == 0);
		memset(utc, 'x', sizeof(utc));
		memset(local, 'x', sizeof(local));
		time_format_utc(t.us, utc);
		time_format_local(t.us, local);
		FUZZ_CHECK(memchr(utc, '\0', sizeof(utc)) != NULL);
		FUZZ_CHECK(memchr(local, '\0', sizeof(local)) != NULL);
	}
	free(path);
	return 0;
}
