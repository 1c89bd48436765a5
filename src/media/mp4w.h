/*
 * A streaming MP4 writer for long recordings in bounded memory.
 *
 * The file is ftyp, then space reserved for moov (a free box fills what
 * moov leaves), then one mdat. Sample data goes out as it comes, through
 * one staging buffer; the per-sample index (sizes, times, sync samples,
 * chunk offsets) is kept compact and spilled to unlinked temporary files,
 * and moov is written into the reserved space at the end. If it does not
 * fit, the sample data is moved up once (a second pass, logged).
 *
 * One video track (index 0) and optionally one audio track (index 1).
 * Video samples are built in place in the staging buffer (mp4w_room),
 * audio samples are copied and interleaved in chunks of about half a
 * second. Not thread-safe.
 */
#ifndef ARCHIVED_MP4W_H
#define ARCHIVED_MP4W_H

#include <stddef.h>
#include <stdint.h>

#include "codec_config.h"

struct mp4w;

/* Create (truncate) path; spill files go to tmp_dir. NULL on failure (logged). */
struct mp4w	*mp4w_open(const char *path, const char *tmp_dir);
/* Free everything; the file stays as it is (the caller removes it on failure). */
void		 mp4w_free(struct mp4w *w);

/* Write ftyp and reserve moov_reserve bytes for moov: call once, first. */
int		 mp4w_begin(struct mp4w *w, uint64_t moov_reserve);
/* Set a track's sample description (copied) and timescale, before its first sample. */
int		 mp4w_track(struct mp4w *w, int track, const struct codec_config *cfg,
		    uint32_t timescale);

/*
 * The open video sample: room for `need` bytes at its start, keeping the
 * first `used` bytes already written. The pointer is valid until the next
 * call on w. NULL on allocation failure.
 */
uint8_t		*mp4w_room(struct mp4w *w, size_t used, size_t need);
/* Commit the open sample's first `size` bytes as the next video sample. */
int		 mp4w_put_video(struct mp4w *w, size_t size, int64_t dts, int64_t pts,
		    int key);
/* Forget the open sample. */
void		 mp4w_drop(struct mp4w *w);
/* Append one audio sample; dts in the audio timescale. */
int		 mp4w_put_audio(struct mp4w *w, const uint8_t *p, size_t n, int64_t dts);
/* Forget every sample written, keeping the open one's first `keep` bytes
 * (a later keyframe restarts the lead-in). */
int		 mp4w_reset(struct mp4w *w, size_t keep);

/* Samples written so far to a track. */
uint64_t	 mp4w_count(const struct mp4w *w, int track);

/* Where a track's presentation starts and ends, in its media times (the
 * dts/pts given above), and how long after the movie start it begins. */
struct mp4w_edit {
	int64_t		 start, end;
	int64_t		 delay_us;
};

/*
 * Close the index (end_dts: where each track's last sample ends), write
 * moov and the mdat size, truncate the file there. *size gets the file
 * size. The caller fsyncs.
 */
int		 mp4w_finish(struct mp4w *w, const int64_t end_dts[2],
		    const struct mp4w_edit edit[2], uint64_t *size);

/* The bytes of moov the index would take now (to check an estimate),
 * measured by the code that writes it; 0 on an internal error. */
uint64_t	 mp4w_moov_size(struct mp4w *w);

#endif
