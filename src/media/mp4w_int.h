/* Internals shared by mp4w.c (samples) and mp4w_moov.c (the boxes). */
#ifndef ARCHIVED_MP4W_INT_H
#define ARCHIVED_MP4W_INT_H

#include "spill.h"
#include "mp4w.h"

#define STAGE_SIZE	(1024 * 1024)	/* staging buffer, grows for huge samples */
#define FLUSH_AT	(128 * 1024)	/* write out once this much is committed */
#define AUDIO_CHUNK	(256 * 1024)	/* an audio chunk's most bytes */
#define AUDIO_QUEUE	4096		/* and most samples */
#define MOVIE_TS	1000
#define MDAT_HDR	16		/* 64-bit size: files pass 4 GB */
#define TAIL_KEYS	16		/* the last sync samples, kept in memory */

struct srec {			/* one sample, spilled */
	uint32_t	 size;
	uint32_t	 delta;		/* dts minus the previous sample's */
	int32_t		 cts;		/* pts minus dts */
};

struct crec {			/* one chunk, spilled */
	uint64_t	 off;
	uint32_t	 n, pad;
};

struct track {
	int		 used;
	struct codec_config cfg;
	uint32_t	 timescale;
	struct spill	 samples, keys, chunks;
	uint64_t	 n, nkeys, bytes;
	uint32_t	 max_size;
	int64_t		 first_dts, last_dts, last_delta;
	uint64_t	 n_stts, n_ctts, n_chunks, n_stsc;
	int64_t		 stts_dur;	/* duration of the current stts run */
	int32_t		 ctts_last;
	int		 ctts_any;
	uint32_t	 stsc_last;
	uint64_t	 chunk_off, max_off;
	uint32_t	 chunk_n;	/* samples in the open chunk */
	int64_t		 end_dts;	/* set by finish */
	struct mp4w_edit edit;
	int64_t		 tail_dts[TAIL_KEYS];	/* the last sync samples' dts, */
	unsigned	 ntail;			/* a ring: nkeys % TAIL_KEYS next */
};

struct aq {
	uint32_t	 size;
	int64_t		 dts;
};

struct mp4w {
	int		 fd;
	char		*path, *tmp_dir;
	int		 begun;
	uint64_t	 moov_at;	/* file offset of moov: ftyp's size */
	uint64_t	 reserve;	/* bytes after ftyp for moov (+ free) */
	uint64_t	 data_start;	/* file offset of the first sample byte */
	uint64_t	 flushed;	/* sample bytes written to the file */
	uint8_t		*stage;
	size_t		 cap, committed;
	struct track	 t[2];
	uint8_t		*abuf;		/* audio samples waiting for their chunk */
	size_t		 alen;
	struct aq	*aq;
	size_t		 an;
	int		 open;		/* a video sample is being built in stage */
	int		 dropped;	/* audio dropped while the video stalled */
};

int	 mp4w_pwrite(int fd, const void *p, size_t n, uint64_t off);
void	 mp4w_be32(uint8_t *p, uint32_t v);
int	 mp4w_stage_flush(struct mp4w *w);
int	 mp4w_chunk_close(struct track *t);
int	 mp4w_audio_flush(struct mp4w *w);
/* How many of the track's sync samples stss lists when the movie lasts
 * movie_ms: not those whose decode time in the media reaches it. */
uint64_t mp4w_keys_listed(const struct track *t, uint64_t movie_ms);
/* Write ftyp at the start of the file, *size its bytes; -1 with errno set. */
int	 mp4w_ftyp(int fd, uint64_t *size);

#endif
