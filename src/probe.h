/* What a recorded segment file holds, read from the media itself (for
 * "archivectl segments import"): codec, picture size, audio, and when its
 * video starts and how long it lasts on the file's own clock. */
#ifndef ARCHIVED_PROBE_H
#define ARCHIVED_PROBE_H

#include <stdint.h>

struct probe_info {
	char		 codec[8];	/* "h264" or "hevc" */
	int		 width, height;
	int		 has_audio;	/* AAC we can copy */
	int64_t		 start_us;	/* media time of the first video frame */
	int64_t		 duration_us;	/* from it to the end of the last frame */
	int64_t		 frames;	/* video frames that decode */
	int64_t		 bytes;		/* file size */
	int		 truncated;	/* the file ends inside a frame */
};

/*
 * Read the whole file (MPEG-TS, MP4 or fragmented MP4). 0 on success; -1
 * if it is missing, unreadable, holds no video we can export (logged).
 * start_us is the media clock, not wall time: the importer maps it, e.g.
 * by the difference to the previous segment of a continuous recording.
 */
int	 probe_segment(const char *path, struct probe_info *pi);

#endif
