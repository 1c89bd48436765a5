/*
 * The index of an mp4w file: moov, built from the spilled sample tables and
 * streamed into the space reserved after ftyp. Box sizes are computed from
 * the run-length counts first (a box header precedes its content); the
 * total written is checked against them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "mp4w_int.h"
#include "codec.h"
#include "lib/banned.h"

#define BW_SIZE		(64 * 1024)
#define SHIFT_ALIGN	4096

/* Buffered writes at increasing file offsets. */
struct bw {
	int		 fd;
	uint64_t	 off;		/* file offset of buf[0] */
	uint8_t		 buf[BW_SIZE];
	size_t		 len;
	uint64_t	 total;
	int		 err;
};

static void
bw_flush(struct bw *b)
{
	if (b->len > 0 && !b->err && mp4w_pwrite(b->fd, b->buf, b->len, b->off) == -1)
		b->err = errno ? errno : EIO;
	b->off += b->len;
	b->len = 0;
}

static void
bw_put(struct bw *b, const void *p, size_t n)
{
	const uint8_t *s = p;

	b->total += n;
	while (n > 0) {
		size_t k = BW_SIZE - b->len;

		if (k == 0) {
			bw_flush(b);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(b->buf + b->len, s, k);
		b->len += k;
		s += k;
		n -= k;
	}
}

static void
bw_u8(struct bw *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	bw_put(b, &x, 1);
}

static void
bw_u16(struct bw *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	bw_put(b, x, 2);
}

static void
bw_u32(struct bw *b, uint32_t v)
{
	uint8_t x[4];

	mp4w_be32(x, v);
	bw_put(b, x, 4);
}

static void
bw_u64(struct bw *b, uint64_t v)
{
	bw_u32(b, (uint32_t)(v >> 32));
	bw_u32(b, (uint32_t)v);
}

static void
bw_zero(struct bw *b, size_t n)
{
	while (n-- > 0)
		bw_u8(b, 0);
}

static void
bw_box(struct bw *b, uint64_t size, const char *type)
{
	bw_u32(b, (uint32_t)size);
	bw_put(b, type, 4);
}

static void
bw_full(struct bw *b, uint64_t size, const char *type, int version, uint32_t flags)
{
	bw_box(b, size, type);
	bw_u32(b, (uint32_t)version << 24 | flags);
}

/* What finish derives per track before sizes can be computed. */
struct tinfo {
	int64_t		 last_dur;	/* the last sample's duration */
	uint64_t	 media_dur;	/* mdhd, in the track's timescale */
	uint64_t	 edit_ms, delay_ms;	/* elst durations, movie timescale */
	int64_t		 media_time;	/* elst media_time */
	int		 v1;		/* 64-bit mdhd/tkhd/elst */
	int		 co64;
	uint64_t	 n_stts;
};

static void
tinfo_get(const struct track *t, struct tinfo *ti, uint64_t shift)
{
	int64_t start = t->edit.start, end = t->edit.end;

	memset(ti, 0, sizeof(*ti));
	ti->last_dur = t->end_dts - t->last_dts;
	if (ti->last_dur <= 0)
		ti->last_dur = t->last_delta > 0 ? t->last_delta : 1;
	ti->n_stts = t->n == 1 ? 1 : t->n_stts + (ti->last_dur != t->stts_dur);
	ti->media_dur = (uint64_t)(t->last_dts + ti->last_dur - t->first_dts);
	if (start < t->first_dts)
		start = t->first_dts;
	if (end > t->last_dts + ti->last_dur || end <= start)
		end = t->last_dts + ti->last_dur;
	ti->media_time = start - t->first_dts;
	ti->edit_ms = (uint64_t)((end - start) * MOVIE_TS + t->timescale / 2) / t->timescale;
	ti->delay_ms = t->edit.delay_us > 0 ? (uint64_t)(t->edit.delay_us + 500) / 1000 : 0;
	ti->v1 = ti->media_dur > UINT32_MAX || ti->edit_ms + ti->delay_ms > UINT32_MAX ||
	    ti->media_time > INT32_MAX;
	ti->co64 = t->max_off + shift > UINT32_MAX;
}

static uint64_t
esds_size(const struct track *t)
{
	return 49 + t->cfg.reclen;
}

static uint64_t
stsd_size(const struct track *t)
{
	if (t->cfg.codec == CODEC_AAC)
		return 16 + 36 + esds_size(t);
	return 16 + 86 + 8 + t->cfg.reclen;
}

static uint64_t
stbl_size(const struct track *t, const struct tinfo *ti)
{
	uint64_t n = 8 + stsd_size(t) + 16 + 8 * ti->n_stts + 16 + 12 * t->n_stsc +
	    20 + 4 * t->n + 16 + (ti->co64 ? 8 : 4) * t->n_chunks;

	if (t->ctts_any)
		n += 16 + 8 * t->n_ctts;
	if (t->nkeys < t->n)
		n += 16 + 4 * t->nkeys;
	return n;
}

static const char *
handler_name(const struct track *t)
{
	return t->cfg.codec == CODEC_AAC ? "SoundHandler" : "VideoHandler";
}

static uint64_t
elst_size(const struct tinfo *ti)
{
	return 16 + (ti->delay_ms > 0 ? 2 : 1) * (ti->v1 ? 20 : 12);
}

static uint64_t
trak_size(const struct track *t, const struct tinfo *ti)
{
	uint64_t hdlr = 32 + strlen(handler_name(t)) + 1;
	uint64_t minf = 8 + (t->cfg.codec == CODEC_AAC ? 16 : 20) + 36 + stbl_size(t, ti);
	uint64_t mdia = 8 + (ti->v1 ? 44 : 32) + hdlr + minf;

	return 8 + (ti->v1 ? 104 : 92) + 8 + elst_size(ti) + mdia;
}

static const uint32_t matrix[9] = {
	0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000,
};

static void
write_tkhd(struct bw *b, const struct track *t, const struct tinfo *ti, int id)
{
	uint64_t dur = ti->delay_ms + ti->edit_ms;

	bw_full(b, ti->v1 ? 104 : 92, "tkhd", ti->v1, 3);	/* enabled, in movie */
	if (ti->v1) {
		bw_u64(b, 0);
		bw_u64(b, 0);
		bw_u32(b, (uint32_t)id);
		bw_u32(b, 0);
		bw_u64(b, dur);
	} else {
		bw_u32(b, 0);
		bw_u32(b, 0);
		bw_u32(b, (uint32_t)id);
		bw_u32(b, 0);
		bw_u32(b, (uint32_t)dur);
	}
	bw_zero(b, 8);
	bw_u16(b, 0);					/* layer */
	bw_u16(b, t->cfg.codec == CODEC_AAC ? 1 : 0);	/* alternate group */
	bw_u16(b, t->cfg.codec == CODEC_AAC ? 0x0100 : 0);	/* volume */
	bw_u16(b, 0);
	for (int i = 0; i < 9; i++)
		bw_u32(b, matrix[i]);
	bw_u32(b, t->cfg.codec == CODEC_AAC ? 0 : (uint32_t)t->cfg.width << 16);
	bw_u32(b, t->cfg.codec == CODEC_AAC ? 0 : (uint32_t)t->cfg.height << 16);
}

static void
write_elst(struct bw *b, const struct tinfo *ti)
{
	bw_box(b, 8 + elst_size(ti), "edts");
	bw_full(b, elst_size(ti), "elst", ti->v1, 0);
	bw_u32(b, ti->delay_ms > 0 ? 2 : 1);
	if (ti->delay_ms > 0) {		/* an empty edit: this track starts late */
		if (ti->v1) {
			bw_u64(b, ti->delay_ms);
			bw_u64(b, UINT64_MAX);
		} else {
			bw_u32(b, (uint32_t)ti->delay_ms);
			bw_u32(b, UINT32_MAX);
		}
		bw_u32(b, 0x00010000);
	}
	if (ti->v1) {
		bw_u64(b, ti->edit_ms);
		bw_u64(b, (uint64_t)ti->media_time);
	} else {
		bw_u32(b, (uint32_t)ti->edit_ms);
		bw_u32(b, (uint32_t)ti->media_time);
	}
	bw_u32(b, 0x00010000);		/* rate 1.0 */
}

static void
write_stsd(struct bw *b, const struct track *t)
{
	bw_full(b, stsd_size(t), "stsd", 0, 0);
	bw_u32(b, 1);
	if (t->cfg.codec == CODEC_AAC) {
		uint64_t secs = (uint64_t)t->last_dts - (uint64_t)t->first_dts;
		uint32_t bitrate = secs > 0 ? (uint32_t)(t->bytes * 8 * t->timescale / secs) : 0;
		size_t asc = t->cfg.reclen;

		bw_box(b, 36 + esds_size(t), "mp4a");
		bw_zero(b, 6);
		bw_u16(b, 1);			/* data_reference_index */
		bw_zero(b, 8);
		bw_u16(b, (unsigned)t->cfg.channels);
		bw_u16(b, 16);
		bw_u32(b, 0);
		bw_u32(b, t->cfg.sample_rate <= 0xffff ? (uint32_t)t->cfg.sample_rate << 16 : 0);
		/* 14496-1 descriptors, sizes in the 4-byte form */
		bw_full(b, esds_size(t), "esds", 0, 0);
		bw_u8(b, 3);
		bw_u32(b, 0x80808000 | (uint32_t)(32 + asc));
		bw_u16(b, 0);			/* ES_ID */
		bw_u8(b, 0);
		bw_u8(b, 4);
		bw_u32(b, 0x80808000 | (uint32_t)(18 + asc));
		bw_u8(b, 0x40);			/* Audio ISO/IEC 14496-3 */
		bw_u8(b, 0x15);			/* AudioStream, upstream 0, reserved 1 */
		bw_u8(b, t->max_size >> 16);
		bw_u16(b, t->max_size & 0xffff);
		bw_u32(b, bitrate);		/* max */
		bw_u32(b, bitrate);		/* avg */
		bw_u8(b, 5);
		bw_u32(b, 0x80808000 | (uint32_t)asc);
		bw_put(b, t->cfg.rec, asc);
		bw_u8(b, 6);
		bw_u32(b, 0x80808001);
		bw_u8(b, 2);
		return;
	}
	bw_box(b, 86 + 8 + t->cfg.reclen, t->cfg.codec == CODEC_HEVC ? "hvc1" : "avc1");
	bw_zero(b, 6);
	bw_u16(b, 1);
	bw_zero(b, 16);
	bw_u16(b, (unsigned)t->cfg.width);
	bw_u16(b, (unsigned)t->cfg.height);
	bw_u32(b, 0x00480000);		/* 72 dpi */
	bw_u32(b, 0x00480000);
	bw_u32(b, 0);
	bw_u16(b, 1);			/* frame_count */
	bw_zero(b, 32);			/* compressorname */
	bw_u16(b, 0x18);
	bw_u16(b, 0xffff);
	bw_box(b, 8 + t->cfg.reclen, t->cfg.codec == CODEC_HEVC ? "hvcC" : "avcC");
	bw_put(b, t->cfg.rec, t->cfg.reclen);
}

/* stts, ctts and stsz: one pass over the sample records each. */
static int
write_sample_tables(struct bw *b, struct track *t, const struct tinfo *ti)
{
	struct srec r, next;
	uint64_t run = 0;
	int64_t cur = 0;

	bw_full(b, 16 + 8 * ti->n_stts, "stts", 0, 0);
	bw_u32(b, (uint32_t)ti->n_stts);
	if (spill_rewind(&t->samples) == -1 || spill_read(&t->samples, &r, sizeof(r)) == -1)
		return -1;
	for (uint64_t i = 0; i < t->n; i++) {
		int64_t dur;

		if (i + 1 < t->n) {
			if (spill_read(&t->samples, &next, sizeof(next)) == -1)
				return -1;
			dur = next.delta;
		} else
			dur = ti->last_dur;
		if (run > 0 && dur != cur) {
			bw_u32(b, (uint32_t)run);
			bw_u32(b, (uint32_t)cur);
			run = 0;
		}
		cur = dur;
		run++;
	}
	bw_u32(b, (uint32_t)run);
	bw_u32(b, (uint32_t)cur);

	if (t->ctts_any) {
		int32_t c = 0;

		bw_full(b, 16 + 8 * t->n_ctts, "ctts", 0, 0);
		bw_u32(b, (uint32_t)t->n_ctts);
		run = 0;
		if (spill_rewind(&t->samples) == -1)
			return -1;
		for (uint64_t i = 0; i < t->n; i++) {
			if (spill_read(&t->samples, &r, sizeof(r)) == -1)
				return -1;
			if (run > 0 && r.cts != c) {
				bw_u32(b, (uint32_t)run);
				bw_u32(b, (uint32_t)c);
				run = 0;
			}
			c = r.cts;
			run++;
		}
		bw_u32(b, (uint32_t)run);
		bw_u32(b, (uint32_t)c);
	}
	return 0;
}

static int
write_stsz(struct bw *b, struct track *t)
{
	struct srec r;

	bw_full(b, 20 + 4 * t->n, "stsz", 0, 0);
	bw_u32(b, 0);
	bw_u32(b, (uint32_t)t->n);
	if (spill_rewind(&t->samples) == -1)
		return -1;
	for (uint64_t i = 0; i < t->n; i++) {
		if (spill_read(&t->samples, &r, sizeof(r)) == -1)
			return -1;
		bw_u32(b, r.size);
	}
	return 0;
}

static int
write_chunks(struct bw *b, struct track *t, const struct tinfo *ti, uint64_t shift)
{
	struct crec c;
	uint32_t last = 0;

	bw_full(b, 16 + 12 * t->n_stsc, "stsc", 0, 0);
	bw_u32(b, (uint32_t)t->n_stsc);
	if (spill_rewind(&t->chunks) == -1)
		return -1;
	for (uint64_t i = 0; i < t->n_chunks; i++) {
		if (spill_read(&t->chunks, &c, sizeof(c)) == -1)
			return -1;
		if (i == 0 || c.n != last) {
			bw_u32(b, (uint32_t)(i + 1));
			bw_u32(b, c.n);
			bw_u32(b, 1);
		}
		last = c.n;
	}
	if (write_stsz(b, t) == -1)
		return -1;
	bw_full(b, 16 + (ti->co64 ? 8 : 4) * t->n_chunks, ti->co64 ? "co64" : "stco", 0, 0);
	bw_u32(b, (uint32_t)t->n_chunks);
	if (spill_rewind(&t->chunks) == -1)
		return -1;
	for (uint64_t i = 0; i < t->n_chunks; i++) {
		if (spill_read(&t->chunks, &c, sizeof(c)) == -1)
			return -1;
		if (ti->co64)
			bw_u64(b, c.off + shift);
		else
			bw_u32(b, (uint32_t)(c.off + shift));
	}
	return 0;
}

static int
write_trak(struct bw *b, struct track *t, const struct tinfo *ti, int id, uint64_t shift)
{
	const char *name = handler_name(t);
	uint64_t hdlr = 32 + strlen(name) + 1;
	uint64_t minf = 8 + (t->cfg.codec == CODEC_AAC ? 16 : 20) + 36 + stbl_size(t, ti);
	uint32_t key;

	bw_box(b, trak_size(t, ti), "trak");
	write_tkhd(b, t, ti, id);
	write_elst(b, ti);
	bw_box(b, 8 + (ti->v1 ? 44 : 32) + hdlr + minf, "mdia");
	bw_full(b, ti->v1 ? 44 : 32, "mdhd", ti->v1, 0);
	if (ti->v1) {
		bw_u64(b, 0);
		bw_u64(b, 0);
		bw_u32(b, t->timescale);
		bw_u64(b, ti->media_dur);
	} else {
		bw_u32(b, 0);
		bw_u32(b, 0);
		bw_u32(b, t->timescale);
		bw_u32(b, (uint32_t)ti->media_dur);
	}
	bw_u16(b, 0x55c4);		/* "und" */
	bw_u16(b, 0);
	bw_full(b, hdlr, "hdlr", 0, 0);
	bw_u32(b, 0);
	bw_put(b, t->cfg.codec == CODEC_AAC ? "soun" : "vide", 4);
	bw_zero(b, 12);
	bw_put(b, name, strlen(name) + 1);
	bw_box(b, minf, "minf");
	if (t->cfg.codec == CODEC_AAC) {
		bw_full(b, 16, "smhd", 0, 0);
		bw_u32(b, 0);
	} else {
		bw_full(b, 20, "vmhd", 0, 1);
		bw_zero(b, 8);
	}
	bw_box(b, 36, "dinf");
	bw_full(b, 28, "dref", 0, 0);
	bw_u32(b, 1);
	bw_full(b, 12, "url ", 0, 1);	/* data in this file */
	bw_box(b, stbl_size(t, ti), "stbl");
	write_stsd(b, t);
	if (write_sample_tables(b, t, ti) == -1)
		return -1;
	if (t->nkeys < t->n) {
		bw_full(b, 16 + 4 * t->nkeys, "stss", 0, 0);
		bw_u32(b, (uint32_t)t->nkeys);
		if (spill_rewind(&t->keys) == -1)
			return -1;
		for (uint64_t i = 0; i < t->nkeys; i++) {
			if (spill_read(&t->keys, &key, sizeof(key)) == -1)
				return -1;
			bw_u32(b, key);
		}
	}
	return write_chunks(b, t, ti, shift);
}

static int
live_tracks(const struct mp4w *w, int *ids)
{
	int n = 0;

	for (int i = 0; i < 2; i++)
		ids[i] = w->t[i].used && w->t[i].n > 0 ? ++n : 0;
	return n;
}

static uint64_t
moov_size(struct mp4w *w, struct tinfo *ti, uint64_t shift)
{
	uint64_t size = 8 + 108;
	int ids[2];

	live_tracks(w, ids);
	for (int i = 0; i < 2; i++)
		if (ids[i]) {
			tinfo_get(&w->t[i], &ti[i], shift);
			size += trak_size(&w->t[i], &ti[i]);
		}
	return size;
}

uint64_t
mp4w_moov_size(struct mp4w *w)
{
	struct tinfo ti[2];

	return moov_size(w, ti, 0);
}

/* Move the sample data up by delta: the reserved space was too small. */
static int
shift_data(struct mp4w *w, uint64_t delta)
{
	uint64_t end = w->data_start + w->flushed;

	log_info("index larger than the space reserved for it: moving %llu MB "
	    "of '%s' by %llu bytes", (unsigned long long)(w->flushed >> 20), w->path,
	    (unsigned long long)delta);
	while (end > w->data_start) {
		size_t k = end - w->data_start > w->cap ? w->cap : (size_t)(end - w->data_start);
		ssize_t r;

		end -= k;
		do
			r = pread(w->fd, w->stage, k, (off_t)end);
		while (r == -1 && errno == EINTR);
		if (r != (ssize_t)k || mp4w_pwrite(w->fd, w->stage, k, end + delta) == -1)
			return error("cannot move the data of '%s': %s", w->path,
			    r == -1 ? strerror(errno) : "short read");
	}
	w->data_start += delta;
	w->reserve += delta;
	return 0;
}

int
mp4w_finish(struct mp4w *w, const int64_t end_dts[2],
    const struct mp4w_edit edit[2], uint64_t *size)
{
	struct tinfo ti[2];
	struct bw *b = NULL;
	uint64_t moov, shift = 0, mvhd_dur = 0;
	uint8_t hdr[MDAT_HDR];
	struct stat st;
	int ids[2], ret = -1;

	if (!w->begun || w->t[TRACK_VIDEO].n == 0)
		return error("no video samples to index");
	if (mp4w_audio_flush(w) == -1 || mp4w_chunk_close(&w->t[0]) == -1 ||
	    mp4w_chunk_close(&w->t[1]) == -1 || mp4w_stage_flush(w) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		w->t[i].end_dts = end_dts[i];
		w->t[i].edit = edit[i];
	}
	/* the reserve is taken by moov exactly, or by moov and a free box */
	moov = moov_size(w, ti, 0);
	if (moov != w->reserve && moov + 8 > w->reserve) {
		/* room for 64-bit chunk offsets too, which the move may need */
		uint64_t want = moov + 8 + 4 * (w->t[0].n_chunks + w->t[1].n_chunks);

		want = (want + SHIFT_ALIGN - 1) / SHIFT_ALIGN * SHIFT_ALIGN;
		shift = want - w->reserve;
		if (shift_data(w, shift) == -1)
			return -1;
		moov = moov_size(w, ti, shift);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->fd = w->fd;
	b->off = FTYP_SIZE;
	live_tracks(w, ids);
	for (int i = 0; i < 2; i++)
		if (ids[i] && ti[i].delay_ms + ti[i].edit_ms > mvhd_dur)
			mvhd_dur = ti[i].delay_ms + ti[i].edit_ms;
	bw_box(b, moov, "moov");
	bw_full(b, 108, "mvhd", 0, 0);
	bw_u32(b, 0);
	bw_u32(b, 0);
	bw_u32(b, MOVIE_TS);
	bw_u32(b, mvhd_dur > UINT32_MAX ? UINT32_MAX : (uint32_t)mvhd_dur);
	bw_u32(b, 0x00010000);		/* rate */
	bw_u16(b, 0x0100);		/* volume */
	bw_zero(b, 10);
	for (int i = 0; i < 9; i++)
		bw_u32(b, matrix[i]);
	bw_zero(b, 24);
	bw_u32(b, (uint32_t)(live_tracks(w, ids) + 1));
	for (int i = 0; i < 2; i++)
		if (ids[i] && write_trak(b, &w->t[i], &ti[i], ids[i], shift) == -1)
			goto out;
	if (b->total != moov) {
		error("internal error: index of '%s' is %llu bytes, computed %llu",
		    w->path, (unsigned long long)b->total, (unsigned long long)moov);
		goto out;
	}
	if (w->reserve - moov > UINT32_MAX) {	/* its content: a hole */
		bw_u32(b, 1);
		bw_put(b, "free", 4);
		bw_u64(b, w->reserve - moov);
	} else if (w->reserve > moov)
		bw_box(b, w->reserve - moov, "free");
	bw_flush(b);
	if (b->err) {
		error("cannot write the index of '%s': %s", w->path, strerror(b->err));
		goto out;
	}
	mp4w_be32(hdr, 1);
	memcpy(hdr + 4, "mdat", 4);
	mp4w_be32(hdr + 8, (uint32_t)((MDAT_HDR + w->flushed) >> 32));
	mp4w_be32(hdr + 12, (uint32_t)(MDAT_HDR + w->flushed));
	if (mp4w_pwrite(w->fd, hdr, sizeof(hdr), w->data_start - MDAT_HDR) == -1) {
		error("cannot write '%s': %s", w->path, strerror(errno));
		goto out;
	}
	/* a restarted lead-in can leave bytes past the end */
	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(w->fd, (off_t)(w->data_start + w->flushed)) == -1) {
		error("cannot truncate '%s': %s", w->path, strerror(errno));
		goto out;
	}
	*size = w->data_start + w->flushed;
	ret = 0;
out:
	free(b);
	return ret;
}
