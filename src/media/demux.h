/* Reading recorded segments (MPEG-TS, MP4, fragmented MP4; anything else
 * libavformat demuxes) as MP4-ready samples: video length-prefixed with
 * its keyframe flag, AAC raw frames. Internal to the media library. */
#ifndef ARCHIVED_DEMUX_H
#define ARCHIVED_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "codec_config.h"

/* Where video sample bytes are built: room(ctx, used, need) returns space
 * for `need` bytes keeping the first `used`; NULL on failure. */
struct demux_sink {
	uint8_t		*(*room)(void *ctx, size_t used, size_t need);
	void		*ctx;
};

struct demux_sample {
	int		 track;		/* TRACK_VIDEO or TRACK_AUDIO */
	int64_t		 dts, pts;	/* in the track's timescale */
	int		 key;
	uint8_t		*data;		/* video: in the sink; audio: the reader's */
	size_t		 size;
	/* The track's configuration for this sample; valid until the next read. */
	const struct codec_config *cfg;
	/* The stream's parameter sets are only in cfg, not in the samples. */
	int		 params_out_of_band;
};

struct demux;

/* Open a segment; NULL if it is missing or not a stream we read (logged);
 * *unsupported then says whether it held video in a codec we cannot copy. */
struct demux	*demux_open(const char *path, struct demux_sink sink, int *unsupported);
/* The same, for a job: a reader that can block (libavformat) polls
 * cancelled(arg) and gives up once it says yes; cancelled may be NULL. */
struct demux	*demux_open_job(const char *path, struct demux_sink sink,
		    int (*cancelled)(void *), void *arg, int *unsupported);
void		 demux_close(struct demux *in);
/* 1: a sample; 0: end of file; -1: damaged beyond repair here (logged). */
int		 demux_read(struct demux *in, struct demux_sample *s);
/* The track's timescale, 0 if the file has no such track we can copy. */
uint32_t	 demux_timescale(const struct demux *in, int track);
/* Bytes of the file read so far, and its size. */
uint64_t	 demux_pos(const struct demux *in);
uint64_t	 demux_size(const struct demux *in);
/* The file ended inside a sample (cut short): that sample was dropped. */
int		 demux_truncated(const struct demux *in);
/* The codec of sound the file holds but the reader does not give out (an
 * MP4 export carries AAC only), or NULL. */
const char	*demux_sound_left_out(const struct demux *in);

/* The container readers behind struct demux (demux_ts.c, demux_mp4.c,
 * demux_lavf.c). */
struct demux_ops {
	int		(*read)(void *r, struct demux_sample *s);
	void		(*close)(void *r);
	uint32_t	(*timescale)(const void *r, int track);
	uint64_t	(*pos)(const void *r);
	int		(*truncated)(const void *r);
	const char	*(*sound_left_out)(const void *r);	/* may be NULL */
};

void		*demux_ts_open(int fd, uint64_t size, const char *path, struct demux_sink sink,
		    const struct demux_ops **ops, int *unsupported);
void		*demux_mp4_open(int fd, uint64_t size, const char *path, struct demux_sink sink,
		    const struct demux_ops **ops, int *unsupported);
/* The fallback: libavformat, loaded on first use (avlib.c). */
void		*demux_lavf_open(const char *path, struct demux_sink sink,
		    int (*cancelled)(void *), void *arg,
		    const struct demux_ops **ops, int *unsupported);

#endif
