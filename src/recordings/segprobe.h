/*
 * Probing one recorded segment with libavformat: what the index stores
 * about it and what placing it in time needs. Input is restricted to the
 * file protocol. The only module besides the remux engine that reads media.
 */
#ifndef ARCHIVED_SEGPROBE_H
#define ARCHIVED_SEGPROBE_H

#include <stddef.h>
#include <stdint.h>

struct segprobe {
	int64_t	 bytes;		/* file size */
	/* Media time (the file's own clock, not wall clock), microseconds. */
	int64_t	 first_pts;	/* the first picture: the lowest video pts */
	int64_t	 video_end;	/* where the last picture ends */
	int64_t	 duration;	/* first picture to the end of the last packet of
				   any stream; 0 with head_only */
	int64_t	 wrap;		/* the timestamps' wrap period (MPEG-TS), or 0 */
	int64_t	 creation;	/* creation_time tag, UTC microseconds, or 0 */
	char	 codec[8];	/* "h264" or "hevc" */
	char	 container[16];	/* libavformat's name: "mpegts", "mov,mp4,..." cut */
	int	 width, height;
	int	 has_audio;
	int	 packets;	/* video packets read */
};

/*
 * Probe path. head_only: stop once the first picture is known (enough to
 * compare timelines with an indexed segment). Returns 0, or -1 with one
 * line in err saying why the file cannot be indexed (unreadable, no video,
 * a codec other than H.264/H.265, no timestamps). Never prints.
 */
int	 segprobe_file(const char *path, int head_only, struct segprobe *out,
	    char *err, size_t errlen);

#endif
