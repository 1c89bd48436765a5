/* Reading recorded segments (MPEG-TS, MP4, fragmented MP4; anything else
 * libavformat demuxes) as MP4-ready samples: video length-prefixed with
 * its keyframe flag, AAC raw frames. Internal to the media library. */
#ifndef ARCHIVED_REMUX_IN_H
#define ARCHIVED_REMUX_IN_H

#include <stddef.h>
#include <stdint.h>

#include "remux_codec.h"

#define RX_VIDEO	0
#define RX_AUDIO	1

/* Where video sample bytes are built: room(ctx, used, need) returns space
 * for `need` bytes keeping the first `used`; NULL on failure. */
struct rx_sink {
	uint8_t		*(*room)(void *ctx, size_t used, size_t need);
	void		*ctx;
};

struct rx_sample {
	int		 track;		/* RX_VIDEO or RX_AUDIO */
	int64_t		 dts, pts;	/* in the track's timescale */
	int		 key;
	uint8_t		*data;		/* video: in the sink; audio: the reader's */
	size_t		 size;
	/* The track's configuration for this sample; valid until the next read. */
	const struct rx_config *cfg;
	/* The stream's parameter sets are only in cfg, not in the samples. */
	int		 params_out_of_band;
};

struct rx_input;

/* Open a segment; NULL if it is missing or not a stream we read (logged);
 * *unsupported then says whether it held video in a codec we cannot copy. */
struct rx_input	*rx_input_open(const char *path, struct rx_sink sink, int *unsupported);
/* The same, for a job: a reader that can block (libavformat) polls
 * cancelled(arg) and gives up once it says yes; cancelled may be NULL. */
struct rx_input	*rx_input_open_job(const char *path, struct rx_sink sink,
		    int (*cancelled)(void *), void *arg, int *unsupported);
void		 rx_input_close(struct rx_input *in);
/* 1: a sample; 0: end of file; -1: damaged beyond repair here (logged). */
int		 rx_input_read(struct rx_input *in, struct rx_sample *s);
/* The track's timescale, 0 if the file has no such track we can copy. */
uint32_t	 rx_input_timescale(const struct rx_input *in, int track);
/* Bytes of the file read so far, and its size. */
uint64_t	 rx_input_pos(const struct rx_input *in);
uint64_t	 rx_input_size(const struct rx_input *in);
/* The file ended inside a sample (cut short): that sample was dropped. */
int		 rx_input_truncated(const struct rx_input *in);

/* The container readers behind rx_input. */
struct rx_reader_ops {
	int		(*read)(void *r, struct rx_sample *s);
	void		(*close)(void *r);
	uint32_t	(*timescale)(const void *r, int track);
	uint64_t	(*pos)(const void *r);
	int		(*truncated)(const void *r);
};

void		*rx_ts_open(int fd, uint64_t size, const char *path, struct rx_sink sink,
		    const struct rx_reader_ops **ops, int *unsupported);
void		*rx_mp4_open(int fd, uint64_t size, const char *path, struct rx_sink sink,
		    const struct rx_reader_ops **ops, int *unsupported);
/* The fallback: libavformat, loaded on first use (remux_lavf.c). */
void		*rx_lavf_open(const char *path, struct rx_sink sink,
		    int (*cancelled)(void *), void *arg,
		    const struct rx_reader_ops **ops, int *unsupported);

#endif
