/*
 * The boxes of an mp4w file: ftyp, and the index, moov, built from the
 * spilled sample tables and streamed into the space reserved after ftyp.
 * A box's header carries its size, so each box is emitted twice by the
 * same code: a counting pass measures every box (a sample table by its
 * entry count, without reading the spill files), then the writing pass
 * puts those sizes in the headers and checks each box's bytes against its
 * measure. Box layouts from ISO/IEC 14496-12 (4.3, 8.2-8.7), 14496-14
 * (esds) and 14496-1 (its descriptors). Movie timescale 1000.
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
#define BOX_MAX		64	/* boxes a pass opens: moov has 50 at most */
#define BOX_DEPTH	16	/* open at once: 11, moov down to esds's descriptors */
#define SHIFT_ALIGN	4096

/*
 * Boxes out at increasing file offsets, through a buffer; without one
 * (the counting pass) only their bytes are counted, and each box's size
 * is kept, in the order the boxes open, for the writing pass's headers.
 */
struct bw {
	int		 fd;
	uint64_t	 off;		/* file offset of buf[0] */
	uint8_t		*buf;		/* NULL: counting */
	size_t		 cap, len;
	uint64_t	 total;		/* bytes put in this pass */
	int		 err;		/* errno of a failed write */
	int		 bad;		/* a box differs from its measure, or more
					 * boxes than planned for (a bug) */
	uint64_t	 size[BOX_MAX];	/* measured, by opening order */
	size_t		 nbox, depth;
	size_t		 open[BOX_DEPTH];	/* size[] index of each open box */
	uint64_t	 start[BOX_DEPTH];	/* total where it opened */
};

/* Start a pass: counting (buf NULL), or writing at off with the sizes
 * the last counting pass measured. */
static void
bw_pass(struct bw *b, int fd, uint64_t off, uint8_t *buf, size_t cap)
{
	b->fd = fd;
	b->off = off;
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->total = 0;
	b->err = b->bad = 0;
	b->nbox = b->depth = 0;
}

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
	if (b->buf == NULL)
		return;
	while (n > 0) {
		size_t k = b->cap - b->len;

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

/*
 * A table of n entries of size bytes each, after its header: the counting
 * pass adds their bytes; 1 when this pass is to write them. The counts are
 * the run lengths kept as samples came in, so counting reads nothing.
 */
static int
bw_entries(struct bw *b, uint64_t n, size_t size)
{
	if (b->buf != NULL)
		return 1;
	b->total += n * size;
	return 0;
}

/* A box or descriptor begins here: its measured size (0 while counting). */
static uint64_t
bw_begin(struct bw *b)
{
	uint64_t size = 0;

	if (b->bad || b->nbox == BOX_MAX || b->depth == BOX_DEPTH) {
		b->bad = 1;
		return 0;
	}
	if (b->buf != NULL)
		size = b->size[b->nbox];
	b->open[b->depth] = b->nbox++;
	b->start[b->depth++] = b->total;
	return size;
}

/* The box or descriptor begun last ends here: measure it, or check it. */
static void
bw_end(struct bw *b)
{
	uint64_t n;
	size_t i;

	if (b->bad || b->depth == 0) {
		b->bad = 1;
		return;
	}
	b->depth--;
	i = b->open[b->depth];
	n = b->total - b->start[b->depth];
	if (b->buf == NULL)
		b->size[i] = n;
	else if (n != b->size[i])
		b->bad = 1;
}

static void
bw_box(struct bw *b, const char *type)
{
	bw_u32(b, (uint32_t)bw_begin(b));
	bw_put(b, type, 4);
}

static void
bw_full(struct bw *b, const char *type, int version, uint32_t flags)
{
	bw_box(b, type);
	bw_u32(b, (uint32_t)version << 24 | flags);
}

/* A 14496-1 descriptor: its tag, then the bytes after the 5-byte header,
 * in the 4-byte form of the length (7 bits a byte). */
static void
bw_desc(struct bw *b, unsigned tag)
{
	uint64_t size = bw_begin(b);
	uint32_t len = size > 5 ? (uint32_t)(size - 5) : 0;

	bw_u8(b, tag);
	bw_u8(b, 0x80 | (len >> 21 & 0x7f));
	bw_u8(b, 0x80 | (len >> 14 & 0x7f));
	bw_u8(b, 0x80 | (len >> 7 & 0x7f));
	bw_u8(b, len & 0x7f);
}

static void
emit_ftyp(struct bw *b)
{
	bw_box(b, "ftyp");
	bw_put(b, "isom", 4);			/* major brand */
	bw_u32(b, 0x200);			/* its version */
	bw_put(b, "isomiso2avc1mp41", 16);	/* compatible brands */
	bw_end(b);
}

int
mp4w_ftyp(int fd, uint64_t *size)
{
	uint8_t buf[64];
	struct bw b;

	bw_pass(&b, -1, 0, NULL, 0);
	emit_ftyp(&b);
	bw_pass(&b, fd, 0, buf, sizeof(buf));
	emit_ftyp(&b);
	bw_flush(&b);
	if (b.bad || b.err) {
		errno = b.bad ? EINVAL : b.err;
		return -1;
	}
	*size = b.total;
	return 0;
}

/* What finish derives per track before moov can be emitted. */
struct tinfo {
	int64_t		 last_dur;	/* the last sample's duration */
	uint64_t	 media_dur;	/* mdhd, in the track's timescale */
	uint64_t	 edit_ms, delay_ms;	/* elst durations, movie timescale */
	int64_t		 media_time;	/* elst media_time */
	int		 v1;		/* 64-bit mdhd/tkhd/elst */
	int		 co64;
	uint64_t	 shift;		/* added to the chunk offsets */
	uint64_t	 n_stts;
	uint64_t	 nkeys;		/* sync samples listed in stss */
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
	ti->shift = shift;
	ti->co64 = t->max_off + shift > UINT32_MAX;
}

static const uint32_t matrix[9] = {
	0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000,
};

static void
emit_tkhd(struct bw *b, const struct track *t, const struct tinfo *ti, int id)
{
	uint64_t dur = ti->delay_ms + ti->edit_ms;

	bw_full(b, "tkhd", ti->v1, 3);	/* enabled, in movie */
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
	bw_end(b);
}

static void
emit_edts(struct bw *b, const struct tinfo *ti)
{
	bw_box(b, "edts");
	bw_full(b, "elst", ti->v1, 0);
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
	bw_end(b);
	bw_end(b);
}

static void
emit_mdhd(struct bw *b, const struct track *t, const struct tinfo *ti)
{
	bw_full(b, "mdhd", ti->v1, 0);
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
	bw_end(b);
}

static void
emit_hdlr(struct bw *b, const struct track *t)
{
	const char *name = t->cfg.codec == CODEC_AAC ? "SoundHandler" : "VideoHandler";

	bw_full(b, "hdlr", 0, 0);
	bw_u32(b, 0);
	bw_put(b, t->cfg.codec == CODEC_AAC ? "soun" : "vide", 4);
	bw_zero(b, 12);
	bw_put(b, name, strlen(name) + 1);
	bw_end(b);
}

/* The media header and the data reference: the data is in this file. */
static void
emit_minf_head(struct bw *b, const struct track *t)
{
	if (t->cfg.codec == CODEC_AAC) {
		bw_full(b, "smhd", 0, 0);
		bw_u32(b, 0);
	} else {
		bw_full(b, "vmhd", 0, 1);
		bw_zero(b, 8);
	}
	bw_end(b);
	bw_box(b, "dinf");
	bw_full(b, "dref", 0, 0);
	bw_u32(b, 1);
	bw_full(b, "url ", 0, 1);	/* data in this file */
	bw_end(b);			/* url */
	bw_end(b);			/* dref */
	bw_end(b);			/* dinf */
}

static void
emit_mp4a(struct bw *b, const struct track *t)
{
	uint64_t secs = (uint64_t)t->last_dts - (uint64_t)t->first_dts;
	uint32_t bitrate = secs > 0 ? (uint32_t)(t->bytes * 8 * t->timescale / secs) : 0;

	bw_box(b, "mp4a");
	bw_zero(b, 6);
	bw_u16(b, 1);			/* data_reference_index */
	bw_zero(b, 8);
	bw_u16(b, (unsigned)t->cfg.channels);
	bw_u16(b, 16);
	bw_u32(b, 0);
	bw_u32(b, t->cfg.sample_rate <= 0xffff ? (uint32_t)t->cfg.sample_rate << 16 : 0);
	bw_full(b, "esds", 0, 0);
	bw_desc(b, 3);			/* ES_Descriptor */
	bw_u16(b, 0);			/* ES_ID */
	bw_u8(b, 0);
	bw_desc(b, 4);			/* DecoderConfigDescriptor */
	bw_u8(b, 0x40);			/* Audio ISO/IEC 14496-3 */
	bw_u8(b, 0x15);			/* AudioStream, upstream 0, reserved 1 */
	bw_u8(b, t->max_size >> 16);
	bw_u16(b, t->max_size & 0xffff);
	bw_u32(b, bitrate);		/* max */
	bw_u32(b, bitrate);		/* avg */
	bw_desc(b, 5);			/* DecoderSpecificInfo */
	bw_put(b, t->cfg.rec, t->cfg.reclen);
	bw_end(b);			/* DecoderSpecificInfo */
	bw_end(b);			/* DecoderConfigDescriptor */
	bw_desc(b, 6);			/* SLConfigDescriptor */
	bw_u8(b, 2);			/* predefined: MP4 */
	bw_end(b);			/* SLConfigDescriptor */
	bw_end(b);			/* ES_Descriptor */
	bw_end(b);			/* esds */
	bw_end(b);			/* mp4a */
}

static void
emit_stsd(struct bw *b, const struct track *t)
{
	bw_full(b, "stsd", 0, 0);
	bw_u32(b, 1);
	if (t->cfg.codec == CODEC_AAC)
		emit_mp4a(b, t);
	else {
		bw_box(b, t->cfg.codec == CODEC_HEVC ? "hvc1" : "avc1");
		bw_zero(b, 6);
		bw_u16(b, 1);			/* data_reference_index */
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
		bw_box(b, t->cfg.codec == CODEC_HEVC ? "hvcC" : "avcC");
		bw_put(b, t->cfg.rec, t->cfg.reclen);
		bw_end(b);
		bw_end(b);
	}
	bw_end(b);
}

/* stts runs: a sample lasts until the next one's dts, the last last_dur. */
static int
stts_entries(struct bw *b, struct track *t, const struct tinfo *ti)
{
	struct srec r, next;
	uint64_t run = 0;
	int64_t cur = 0;

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
	return 0;
}

static int
ctts_entries(struct bw *b, struct track *t)
{
	struct srec r;
	uint64_t run = 0;
	int32_t c = 0;

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
	return 0;
}

static int
stss_entries(struct bw *b, struct track *t, const struct tinfo *ti)
{
	uint32_t key;

	if (spill_rewind(&t->keys) == -1)
		return -1;
	for (uint64_t i = 0; i < ti->nkeys; i++) {
		if (spill_read(&t->keys, &key, sizeof(key)) == -1)
			return -1;
		bw_u32(b, key);
	}
	return 0;
}

/* stsc runs: first chunk, samples per chunk, sample description 1. */
static int
stsc_entries(struct bw *b, struct track *t)
{
	struct crec c;
	uint32_t last = 0;

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
	return 0;
}

static int
stsz_entries(struct bw *b, struct track *t)
{
	struct srec r;

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
stco_entries(struct bw *b, struct track *t, const struct tinfo *ti)
{
	struct crec c;

	if (spill_rewind(&t->chunks) == -1)
		return -1;
	for (uint64_t i = 0; i < t->n_chunks; i++) {
		if (spill_read(&t->chunks, &c, sizeof(c)) == -1)
			return -1;
		if (ti->co64)
			bw_u64(b, c.off + ti->shift);
		else
			bw_u32(b, (uint32_t)(c.off + ti->shift));
	}
	return 0;
}

static int
emit_stbl(struct bw *b, struct track *t, const struct tinfo *ti)
{
	bw_box(b, "stbl");
	emit_stsd(b, t);
	bw_full(b, "stts", 0, 0);
	bw_u32(b, (uint32_t)ti->n_stts);
	if (bw_entries(b, ti->n_stts, 8) && stts_entries(b, t, ti) == -1)
		return -1;
	bw_end(b);
	if (t->ctts_any) {
		bw_full(b, "ctts", 0, 0);
		bw_u32(b, (uint32_t)t->n_ctts);
		if (bw_entries(b, t->n_ctts, 8) && ctts_entries(b, t) == -1)
			return -1;
		bw_end(b);
	}
	if (t->nkeys < t->n) {	/* without stss every sample is a sync sample */
		bw_full(b, "stss", 0, 0);
		bw_u32(b, (uint32_t)ti->nkeys);
		if (bw_entries(b, ti->nkeys, 4) && stss_entries(b, t, ti) == -1)
			return -1;
		bw_end(b);
	}
	bw_full(b, "stsc", 0, 0);
	bw_u32(b, (uint32_t)t->n_stsc);
	if (bw_entries(b, t->n_stsc, 12) && stsc_entries(b, t) == -1)
		return -1;
	bw_end(b);
	bw_full(b, "stsz", 0, 0);
	bw_u32(b, 0);			/* sizes differ: a table */
	bw_u32(b, (uint32_t)t->n);
	if (bw_entries(b, t->n, 4) && stsz_entries(b, t) == -1)
		return -1;
	bw_end(b);
	bw_full(b, ti->co64 ? "co64" : "stco", 0, 0);
	bw_u32(b, (uint32_t)t->n_chunks);
	if (bw_entries(b, t->n_chunks, ti->co64 ? 8 : 4) && stco_entries(b, t, ti) == -1)
		return -1;
	bw_end(b);
	bw_end(b);
	return 0;
}

static int
emit_trak(struct bw *b, struct track *t, const struct tinfo *ti, int id)
{
	bw_box(b, "trak");
	emit_tkhd(b, t, ti, id);
	emit_edts(b, ti);
	bw_box(b, "mdia");
	emit_mdhd(b, t, ti);
	emit_hdlr(b, t);
	bw_box(b, "minf");
	emit_minf_head(b, t);
	if (emit_stbl(b, t, ti) == -1)
		return -1;
	bw_end(b);	/* minf */
	bw_end(b);	/* mdia */
	bw_end(b);	/* trak */
	return 0;
}

static int
live_tracks(const struct mp4w *w, int *ids)
{
	int n = 0;

	for (int i = 0; i < 2; i++)
		ids[i] = w->t[i].used && w->t[i].n > 0 ? ++n : 0;
	return n;
}

/* The movie's duration (mvhd): its longest track, delay included. */
static uint64_t
movie_ms(const struct tinfo *ti, const int *ids)
{
	uint64_t dur = 0;

	for (int i = 0; i < 2; i++)
		if (ids[i] && ti[i].delay_ms + ti[i].edit_ms > dur)
			dur = ti[i].delay_ms + ti[i].edit_ms;
	return dur;
}

static int
emit_moov(struct bw *b, struct mp4w *w, const struct tinfo *ti)
{
	int ids[2], n = live_tracks(w, ids);
	uint64_t dur = movie_ms(ti, ids);

	bw_box(b, "moov");
	bw_full(b, "mvhd", 0, 0);
	bw_u32(b, 0);
	bw_u32(b, 0);
	bw_u32(b, MOVIE_TS);
	bw_u32(b, dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur);
	bw_u32(b, 0x00010000);		/* rate */
	bw_u16(b, 0x0100);		/* volume */
	bw_zero(b, 10);
	for (int i = 0; i < 9; i++)
		bw_u32(b, matrix[i]);
	bw_zero(b, 24);
	bw_u32(b, (uint32_t)(n + 1));	/* next_track_ID */
	bw_end(b);
	for (int i = 0; i < 2; i++)
		if (ids[i] && emit_trak(b, &w->t[i], &ti[i], ids[i]) == -1)
			return -1;
	bw_end(b);
	return 0;
}

/* The counting pass over moov with the data moved up by shift: its size,
 * 0 if the boxes do not fit struct bw (a bug). Reads no spill file. */
static uint64_t
moov_measure(struct mp4w *w, struct tinfo *ti, uint64_t shift, struct bw *b)
{
	int ids[2];

	live_tracks(w, ids);
	for (int i = 0; i < 2; i++)
		if (ids[i])
			tinfo_get(&w->t[i], &ti[i], shift);
	for (int i = 0; i < 2; i++)
		if (ids[i])
			ti[i].nkeys = mp4w_keys_listed(&w->t[i], movie_ms(ti, ids));
	bw_pass(b, -1, 0, NULL, 0);
	if (emit_moov(b, w, ti) == -1 || b->bad)
		return 0;
	return b->total;
}

uint64_t
mp4w_moov_size(struct mp4w *w)
{
	struct tinfo ti[2];
	struct bw b;

	return moov_measure(w, ti, 0, &b);
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

/*
 * Measure moov (*moov) for the space reserved after ftyp, which it must
 * take exactly or with room for a free box: if it does not fit, the data
 * moves up once, by enough for 64-bit chunk offsets too.
 */
static int
moov_place(struct mp4w *w, struct tinfo *ti, struct bw *b, uint64_t *moov)
{
	uint64_t want, shift;

	if ((*moov = moov_measure(w, ti, 0, b)) == 0)
		goto bug;
	if (*moov == w->reserve || *moov + 8 <= w->reserve)
		return 0;
	/* as if the data moved past 4 GB: every chunk offset 64-bit */
	if ((want = moov_measure(w, ti, (uint64_t)UINT32_MAX + 1, b)) == 0)
		goto bug;
	want = (want + 8 + SHIFT_ALIGN - 1) / SHIFT_ALIGN * SHIFT_ALIGN;
	shift = want - w->reserve;
	if (shift_data(w, shift) == -1)
		return -1;
	if ((*moov = moov_measure(w, ti, shift, b)) == 0)
		goto bug;
	return 0;
bug:
	return error("internal error: cannot measure the index of '%s'", w->path);
}

int
mp4w_finish(struct mp4w *w, const int64_t end_dts[2],
    const struct mp4w_edit edit[2], uint64_t *size)
{
	struct tinfo ti[2];
	struct bw b;
	uint8_t *buf = NULL;
	uint64_t moov;
	uint8_t hdr[MDAT_HDR];
	struct stat st;
	int ret = -1;

	if (!w->begun || w->t[TRACK_VIDEO].n == 0)
		return error("no video samples to index");
	if (mp4w_audio_flush(w) == -1 || mp4w_chunk_close(&w->t[0]) == -1 ||
	    mp4w_chunk_close(&w->t[1]) == -1 || mp4w_stage_flush(w) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		w->t[i].end_dts = end_dts[i];
		w->t[i].edit = edit[i];
	}
	if (moov_place(w, ti, &b, &moov) == -1)
		return -1;
	if ((buf = malloc(BW_SIZE)) == NULL)
		return -1;
	bw_pass(&b, w->fd, w->moov_at, buf, BW_SIZE);
	if (emit_moov(&b, w, ti) == -1)
		goto out;
	if (b.bad) {
		error("internal error: the index of '%s' differs from its measure",
		    w->path);
		goto out;
	}
	if (w->reserve - moov > UINT32_MAX) {	/* its content: a hole */
		bw_u32(&b, 1);
		bw_put(&b, "free", 4);
		bw_u64(&b, w->reserve - moov);
	} else if (w->reserve > moov) {
		bw_u32(&b, (uint32_t)(w->reserve - moov));
		bw_put(&b, "free", 4);
	}
	bw_flush(&b);
	if (b.err) {
		error("cannot write the index of '%s': %s", w->path, strerror(b.err));
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
	free(buf);
	return ret;
}
