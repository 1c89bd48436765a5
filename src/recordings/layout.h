/*
 * Recording layouts: the wall-clock time a recorder wrote into a segment's
 * path. Pure string work (local times go through the process's TZ, which
 * conf_apply_timezone sets); nothing here opens a file.
 *
 *   ffmpeg    -f segment -strftime 1: a date and time anywhere in the file
 *             name ("cam-2026-01-15_11-00-04.ts", "20260115T110004.mp4",
 *             "%s" epoch seconds), or split as "<date>/<time>" by
 *             -strftime_mkdir. Local time unless the name carries %z.
 *   mediamtx  the default recordPath "%path/%Y-%m-%d_%H-%M-%S-%f" plus
 *             ".mp4" (fMP4) or ".ts"; local time, %f in microseconds.
 *   frigate   "<root>/YYYY-MM-DD/HH/<camera>/MM.SS.mp4" (also the older
 *             "YYYY-MM/DD/HH/<camera>/MM.SS.mp4"), always UTC.
 */
#ifndef ARCHIVED_LAYOUT_H
#define ARCHIVED_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

enum layout { LAYOUT_AUTO, LAYOUT_FFMPEG, LAYOUT_MEDIAMTX, LAYOUT_FRIGATE };

/* "auto", "ffmpeg", "mediamtx", "frigate": 0 and *out, or -1 if unknown. */
int	 layout_from_name(const char *name, enum layout *out);
const char *layout_name(enum layout l);
/* The accepted names, for usage messages: "auto|ffmpeg|mediamtx|frigate". */
const char *layout_names(void);

struct layout_time {
	enum layout	 layout;	/* the layout that matched (never AUTO) */
	int64_t		 us;		/* UTC microseconds since the epoch */
	int64_t		 precision_us;	/* what the name can say: 1 s or 1 us */
	const char	*camera;	/* frigate: the camera directory, borrowed */
	size_t		 camera_len;	/*   from path; NULL/0 for the others */
};

/*
 * The time in path (a file's path, absolute or with at least the parts the
 * layout names). utc: names the layout writes in local time are UTC
 * instead (--utc). Returns 1 with *out filled, 0 when the name carries no
 * time the layout knows (or not a real date).
 */
int	 layout_parse(enum layout want, const char *path, int utc,
	    struct layout_time *out);

/* Does the name end like a recording (.ts, .mp4, .m4v, .mov, .mkv,
 * .m2ts, .mts, .flv), and is it not hidden or a temporary name? */
int	 layout_is_media_name(const char *name);

#endif
