/*
 * Probing one recorded segment with libavformat: what the index stores
 * about it and what placing it in time needs. Input is restricted to the
 * file protocol. The only module besides the remux engine that reads media.
 *
 * The usual probe reads a file's head and tail only, so it costs the same
 * whatever the file's size: the streams and the first pictures from the
 * head; then the last pictures, from the last bytes (MPEG-TS, MPEG-PS:
 * libavformat resynchronises on a byte position) or from the last keyframe
 * of the container's index (MP4; fragmented MP4: the last fragment's).
 * The deep probe reads every packet and must agree with it; `archivectl
 * check --deep` uses it.
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
				   any stream; 0 with SEGPROBE_HEAD */
	int64_t	 wrap;		/* the timestamps' wrap period (MPEG-TS), or 0 */
	int64_t	 creation;	/* creation_time tag, UTC microseconds, or 0 */
	char	 codec[8];	/* "h264" or "hevc" */
	char	 container[16];	/* libavformat's name: "mpegts", "mov,mp4,..." cut */
	int	 width, height;
	int	 has_audio;
	int	 packets;	/* video packets read */
	int64_t	 read_bytes;	/* bytes read from the file */
};

enum segprobe_mode {
	SEGPROBE_HEAD,	/* the first picture only: enough to compare timelines
			   with an indexed segment; duration 0 */
	SEGPROBE_FAST,	/* head and tail */
	SEGPROBE_DEEP,	/* every packet */
	SEGPROBE_GROWING, /* head and tail of a file still being written: up
			   to its last keyframe (MPEG-TS, MPEG-PS: the
			   pictures before it in decode order are whole) or
			   its last whole fragment (fragmented MP4); a plain
			   MP4 cannot be read before it is closed */
};

/*
 * Probe path. Returns 0, or -1 with one
 * line in err saying why the file cannot be indexed (unreadable, no video,
 * a codec other than H.264/H.265, no timestamps). Never prints.
 */
int	 segprobe_file(const char *path, enum segprobe_mode mode, struct segprobe *out,
	    char *err, size_t errlen);

#endif
