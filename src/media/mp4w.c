/*
 * Streaming MP4 writer: the samples and their index records; see mp4w.h.
 * The boxes are written by mp4w_moov.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "mp4w_int.h"
#include "codec.h"
#include "lib/util.h"
#include "lib/banned.h"

int
mp4w_pwrite(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static void
track_init(struct track *t, const char *dir)
{
	memset(t, 0, sizeof(*t));
	spill_init(&t->samples, dir);
	spill_init(&t->keys, dir);
	spill_init(&t->chunks, dir);
}

static void
track_release(struct track *t)
{
	spill_release(&t->samples);
	spill_release(&t->keys);
	spill_release(&t->chunks);
}

struct mp4w *
mp4w_open(const char *path, const char *tmp_dir)
{
	struct mp4w *w;
	char *slash;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = -1;
	if ((w->path = strdup(path)) == NULL)
		goto fail;
	if (tmp_dir != NULL)
		w->tmp_dir = strdup(tmp_dir);
	else if ((slash = strrchr(path, '/')) != NULL)
		w->tmp_dir = strndup(path, (size_t)(slash - path) + (slash == path));
	else
		w->tmp_dir = strdup(".");
	if (w->tmp_dir == NULL)
		goto fail;
	for (int i = 0; i < 2; i++)
		track_init(&w->t[i], w->tmp_dir);
	w->cap = STAGE_SIZE;
	if ((w->stage = malloc(w->cap)) == NULL ||
	    (w->abuf = malloc(AUDIO_CHUNK)) == NULL ||
	    (w->aq = calloc(AUDIO_QUEUE, sizeof(*w->aq))) == NULL)
		goto fail;
	/* read and write: a moov larger than its space moves the data up */
	if ((w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
		log_warn("cannot create '%s'", path);
		goto fail;
	}
	return w;
fail:
	mp4w_free(w);
	return NULL;
}

void
mp4w_free(struct mp4w *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	for (int i = 0; i < 2; i++)
		track_release(&w->t[i]);
	free(w->stage);
	free(w->abuf);
	free(w->aq);
	free(w->path);
	free(w->tmp_dir);
	free(w);
}

void
mp4w_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
mp4w_begin(struct mp4w *w, uint64_t moov_reserve)
{
	if (moov_reserve < 8)
		moov_reserve = 8;
	if (mp4w_ftyp(w->fd, &w->moov_at) == -1)
		return error("cannot write '%s': %s", w->path, strerror(errno));
	w->reserve = moov_reserve;
	w->data_start = w->moov_at + moov_reserve + MDAT_HDR;
	w->begun = 1;
	return 0;
}

int
mp4w_track(struct mp4w *w, int track, const struct codec_config *cfg, uint32_t timescale)
{
	struct track *t = &w->t[track];

	if (t->n > 0 || timescale == 0)
		return -1;
	t->cfg = *cfg;
	t->timescale = timescale;
	t->used = 1;
	return 0;
}

uint64_t
mp4w_count(const struct mp4w *w, int track)
{
	return w->t[track].n;
}

/* Write the committed part of the staging buffer. */
int
mp4w_stage_flush(struct mp4w *w)
{
	if (w->committed == 0)
		return 0;
	if (mp4w_pwrite(w->fd, w->stage, w->committed, w->data_start + w->flushed) == -1)
		return error("cannot write '%s': %s", w->path, strerror(errno));
	w->flushed += w->committed;
	w->committed = 0;
	return 0;
}

uint8_t *
mp4w_room(struct mp4w *w, size_t used, size_t need)
{
	w->open = 1;
	if (w->committed + need <= w->cap)
		return w->stage + w->committed;
	if (w->committed > 0) {
		size_t c = w->committed;

		if (mp4w_stage_flush(w) == -1)
			return NULL;
		memmove(w->stage, w->stage + c, used);
	}
	if (need > w->cap) {
		size_t cap = need + need / 4;
		uint8_t *p = realloc(w->stage, cap);

		if (p == NULL)
			return NULL;
		w->stage = p;
		w->cap = cap;
	}
	return w->stage;
}

void
mp4w_drop(struct mp4w *w)
{
	w->open = 0;	/* its bytes are simply not committed */
}

int
mp4w_chunk_close(struct track *t)
{
	struct crec c = { t->chunk_off, t->chunk_n, 0 };

	if (t->chunk_n == 0)
		return 0;
	if (spill_add(&t->chunks, &c, sizeof(c)) == -1)
		return -1;
	if (t->n_chunks == 0 || t->chunk_n != t->stsc_last)
		t->n_stsc++;
	t->stsc_last = t->chunk_n;
	t->n_chunks++;
	t->max_off = t->chunk_off;
	t->chunk_n = 0;
	return 0;
}

/* Index one sample at file offset off. */
static int
sample_add(struct track *t, uint64_t off, uint32_t size, int64_t dts, int64_t pts,
    int key)
{
	struct srec r;
	int64_t delta = t->n == 0 ? 0 : dts - t->last_dts;
	int32_t cts;

	if (t->n > 0 && (delta <= 0 || delta > UINT32_MAX))
		return error("sample times out of order (%lld after %lld)",
		    (long long)dts, (long long)t->last_dts);
	cts = pts > dts ? (pts - dts > INT32_MAX ? INT32_MAX : (int32_t)(pts - dts)) : 0;
	r.size = size;
	r.delta = (uint32_t)delta;
	r.cts = cts;
	if (spill_add(&t->samples, &r, sizeof(r)) == -1)
		return -1;
	if (key) {
		uint32_t num = (uint32_t)(t->n + 1);

		if (spill_add(&t->keys, &num, sizeof(num)) == -1)
			return -1;
		t->tail_dts[t->nkeys % TAIL_KEYS] = dts;
		t->nkeys++;
	}
	/* run lengths: moov's counting pass sizes its tables by them */
	if (t->n == 0)
		t->first_dts = dts;
	else if (t->n == 1 || delta != t->stts_dur) {
		t->n_stts++;
		t->stts_dur = delta;
	}
	if (t->n == 0 || cts != t->ctts_last)
		t->n_ctts++;
	t->ctts_last = cts;
	t->ctts_any |= cts != 0;
	if (t->chunk_n == 0)
		t->chunk_off = off;
	t->chunk_n++;
	t->last_delta = t->n == 0 ? 0 : delta;
	t->last_dts = dts;
	t->n++;
	t->bytes += size;
	if (size > t->max_size)
		t->max_size = size;
	return 0;
}

/* Move the queued audio into the staging buffer as one chunk. */
int
mp4w_audio_flush(struct mp4w *w)
{
	struct track *a = &w->t[TRACK_AUDIO];
	size_t pos = 0;

	if (w->an == 0)
		return 0;
	if (mp4w_chunk_close(&w->t[TRACK_VIDEO]) == -1)
		return -1;
	if (w->committed + w->alen > w->cap && mp4w_stage_flush(w) == -1)
		return -1;
	memcpy(w->stage + w->committed, w->abuf, w->alen);
	for (size_t i = 0; i < w->an; i++) {
		uint64_t off = w->data_start + w->flushed + w->committed + pos;

		if (sample_add(a, off, w->aq[i].size, w->aq[i].dts, w->aq[i].dts, 1) == -1)
			return -1;
		pos += w->aq[i].size;
	}
	w->committed += w->alen;
	w->alen = 0;
	w->an = 0;
	return mp4w_chunk_close(a);
}

int
mp4w_put_video(struct mp4w *w, size_t size, int64_t dts, int64_t pts, int key)
{
	struct track *v = &w->t[TRACK_VIDEO], *a = &w->t[TRACK_AUDIO];
	uint64_t off = w->data_start + w->flushed + w->committed;

	if (!w->begun || !v->used || size > UINT32_MAX)
		return -1;
	/* a chunk per GOP at most: keeps chunks of silent video small */
	if (key && mp4w_chunk_close(v) == -1)
		return -1;
	if (sample_add(v, off, (uint32_t)size, dts, pts, key) == -1)
		return -1;
	w->committed += size;
	w->open = 0;
	/* interleave: about half a second of audio per chunk */
	if (w->an > 0 && (w->aq[w->an - 1].dts - w->aq[0].dts >= (int64_t)a->timescale / 2))
		if (mp4w_audio_flush(w) == -1)
			return -1;
	if (w->committed >= FLUSH_AT)
		return mp4w_stage_flush(w);
	return 0;
}

int
mp4w_put_audio(struct mp4w *w, const uint8_t *p, size_t n, int64_t dts)
{
	struct track *a = &w->t[TRACK_AUDIO];
	int64_t last = w->an > 0 ? w->aq[w->an - 1].dts : a->n > 0 ? a->last_dts : INT64_MIN;

	if (!w->begun || !a->used || n == 0 || n > AUDIO_CHUNK)
		return -1;
	if (dts <= last)
		return error("audio sample times out of order");
	/* Full queue: the video stalled. Its open sample sits where the chunk
	 * would go; without one, the audio goes out alone. */
	if (w->an == AUDIO_QUEUE || w->alen + n > AUDIO_CHUNK) {
		if (w->open) {
			if (!w->dropped++)
				log_warnx("video stalled: dropping audio until it resumes");
			return 0;
		}
		if (mp4w_audio_flush(w) == -1)
			return -1;
	}
	memcpy(w->abuf + w->alen, p, n);
	w->alen += n;
	w->aq[w->an].size = (uint32_t)n;
	w->aq[w->an].dts = dts;
	w->an++;
	return 0;
}

/*
 * GStreamer's qtdemux (1.22) ends a track at the first sync sample whose
 * decode time, in media time, reaches the movie's duration: with a lead-in
 * of L before the edit, the last L of frames would be lost in it, although
 * they are inside the edit. Those sync samples stay decodable; leaving
 * them out of stss only makes a seek start at the keyframe before. Only
 * the last TAIL_KEYS are looked at (a lead-in is under one GOP), and the
 * first sync sample is always listed.
 */
uint64_t
mp4w_keys_listed(const struct track *t, uint64_t movie_ms)
{
	int64_t end = (int64_t)(movie_ms * t->timescale / MOVIE_TS);
	uint64_t n = t->nkeys;

	while (n > 1 && t->nkeys - n < TAIL_KEYS &&
	    t->tail_dts[(n - 1) % TAIL_KEYS] - t->first_dts >= end)
		n--;
	return n;
}

int
mp4w_reset(struct mp4w *w, size_t keep)
{
	memmove(w->stage, w->stage + w->committed, keep);
	w->committed = 0;
	w->flushed = 0;
	w->alen = 0;
	w->an = 0;
	w->open = keep > 0;
	for (int i = 0; i < 2; i++) {
		struct track *t = &w->t[i];
		struct track save = *t;

		if (spill_reset(&t->samples) == -1 || spill_reset(&t->keys) == -1 ||
		    spill_reset(&t->chunks) == -1)
			return -1;
		save.samples = t->samples;
		save.keys = t->keys;
		save.chunks = t->chunks;
		memset(t, 0, sizeof(*t));
		t->used = save.used;
		t->cfg = save.cfg;
		t->timescale = save.timescale;
		t->samples = save.samples;
		t->keys = save.keys;
		t->chunks = save.chunks;
	}
	return 0;
}
