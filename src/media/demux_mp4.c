/*
 * MP4 and fragmented MP4 reader (ISO/IEC 14496-12): the first H.264/H.265
 * video track and the first AAC track. A plain file's sample tables are
 * expanded once; a fragmented file is read one moof at a time. Samples are
 * handed out in file order. Input edit lists shift a track's times (to
 * keep audio and video aligned); samples past the end of a file cut short
 * are dropped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "demux.h"
#include "codec.h"
#include "lib/banned.h"

#define BOX_MAX		(64u << 20)	/* largest moov/moof we read */
#define AUDIO_MAX	(64 * 1024)
#define FOURCC(s)	((uint32_t)(s)[0] << 24 | (uint32_t)(s)[1] << 16 | \
			 (uint32_t)(s)[2] << 8 | (uint32_t)(s)[3])

struct msample {
	uint64_t	 off;
	int64_t		 dts;
	int32_t		 cts;
	uint32_t	 size;
	uint8_t		 track, key;
};

struct mtrack {
	int		 id;		/* track_ID, 0: none */
	uint32_t	 timescale;
	struct codec_config cfg;
	int		 oob;		/* avc1/hvc1: parameter sets in the record */
	int64_t		 shift;		/* from the edit list */
	uint32_t	 def_dur, def_size, def_flags;	/* trex */
	int64_t		 next_dts;	/* fragments without tfdt continue here */
};

struct mp4 {
	int		 fd;
	const char	*path;
	uint64_t	 size, pos;
	struct demux_sink	 sink;
	struct mtrack	 t[2];
	int		 fragmented;
	uint64_t	 scan;		/* next top-level box */
	struct msample	*s;
	size_t		 n, cap, next;
	uint8_t		*abuf;
	uint8_t		*win;		/* read ahead: [win_off, win_off + win_len) */
	uint64_t	 win_off;
	size_t		 win_len;
	int		 truncated, done;
	int		 unsupported;	/* a video track in another codec */
};

/* Samples lie in runs: a window of the file at a time, not a pread per
 * sample (250,000 an hour), halves an MP4 export. Large ones read alone. */
#define WINDOW		(1024 * 1024)

/* A view of box contents in memory. */
struct cur {
	const uint8_t	*p;
	size_t		 n;
};

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* The next child box: 1, 0 at the end, -1 if malformed. */
static int
box_next(struct cur *c, uint32_t *type, struct cur *body)
{
	uint64_t size;
	size_t hdr = 8;

	if (c->n < 8)
		return 0;
	size = rd32(c->p);
	*type = rd32(c->p + 4);
	if (size == 1) {
		if (c->n < 16)
			return -1;
		size = rd64(c->p + 8);
		hdr = 16;
	} else if (size == 0)
		size = c->n;
	if (size < hdr || size > c->n)
		return -1;
	body->p = c->p + hdr;
	body->n = (size_t)size - hdr;
	c->p += size;
	c->n -= (size_t)size;
	return 1;
}

/* The first child box of type: 1 and its body, 0 if there is none, -1
 * if the boxes before it are malformed. */
static int
box_find(struct cur c, const char *type, struct cur *body)
{
	struct cur b;
	uint32_t t;
	int r;

	while ((r = box_next(&c, &t, &b)) == 1)
		if (t == FOURCC(type)) {
			*body = b;
			return 1;
		}
	return r;
}

/* A path of nested boxes, "mdia/minf/stbl": as box_find. */
static int
box_path(struct cur c, const char *path, struct cur *body)
{
	char name[5];
	int r;

	while (*path != '\0') {
		memcpy(name, path, 4);
		name[4] = '\0';
		if ((r = box_find(c, name, &c)) != 1)
			return r;
		path += path[4] == '/' ? 5 : 4;
	}
	*body = c;
	return 1;
}

static int
add_sample(struct mp4 *m, const struct msample *s)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct msample *v = reallocarray(m->s, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		m->s = v;
		m->cap = cap;
	}
	m->s[m->n++] = *s;
	return 0;
}

/* The descriptor with tag inside an esds payload (14496-1 7.2.2): 1 and
 * its body, 0 if there is none, -1 if a length overruns the payload. */
static int
esds_find(const uint8_t *p, size_t n, int tag, struct cur *out)
{
	size_t pos = 0;

	while (pos + 2 <= n) {
		int t = p[pos++];
		size_t len = 0;

		for (int i = 0; i < 4 && pos < n; i++) {
			len = len << 7 | (p[pos] & 0x7f);
			if (!(p[pos++] & 0x80))
				break;
		}
		if (len > n - pos)
			return -1;
		if (t == tag) {
			out->p = p + pos;
			out->n = len;
			return 1;
		}
		if (t == 3 && len < 3)	/* shorter than its fixed fields */
			return -1;
		if (t == 3)		/* ES_Descriptor: id, flags, optional fields */
			pos += 3 + ((p[pos + 2] & 0x80) ? 2 : 0) + ((p[pos + 2] & 0x20) ?
			    1 + (pos + 3 < n ? p[pos + 3] : 0) : 0) + ((p[pos + 2] & 0x40) ? 2 : 0);
		else if (t == 4)	/* DecoderConfigDescriptor's fixed part */
			pos += 13;
		else
			pos += len;
	}
	return 0;
}

/* The sample description: codec, configuration. -1: not one we copy. */
static int
parse_stsd(struct mtrack *t, struct cur stsd, int video)
{
	struct cur entry, cfg, c;
	uint32_t type;

	if (stsd.n < 8)
		return -1;
	c.p = stsd.p + 8;
	c.n = stsd.n - 8;
	if (box_next(&c, &type, &entry) != 1)
		return -1;
	if (video) {
		enum codec_id codec;

		if (type == FOURCC("avc1") || type == FOURCC("avc3"))
			codec = CODEC_H264;
		else if (type == FOURCC("hvc1") || type == FOURCC("hev1"))
			codec = CODEC_HEVC;
		else
			return -1;
		if (entry.n < 78)
			return -1;
		c.p = entry.p + 78;
		c.n = entry.n - 78;
		if (box_find(c, codec == CODEC_H264 ? "avcC" : "hvcC", &cfg) != 1 ||
		    codec_config_from_record(&t->cfg, codec, cfg.p, cfg.n) == -1)
			return -1;
		t->oob = type == FOURCC("avc1") || type == FOURCC("hvc1");
		return 0;
	}
	if (type != FOURCC("mp4a") || entry.n < 28)
		return -1;
	c.p = entry.p + 28;
	c.n = entry.n - 28;
	if (box_find(c, "esds", &cfg) != 1 || cfg.n < 4 ||
	    esds_find(cfg.p + 4, cfg.n - 4, 5, &c) != 1 ||
	    codec_config_from_asc(&t->cfg, c.p, c.n) == -1)
		return -1;
	return t->cfg.aot == 2 || t->cfg.aot == 5 || t->cfg.aot == 29 ? 0 : -1;
}

/* Times move by the edit list: leading empty edits delay, media_time trims. */
static void
parse_edits(struct mtrack *t, struct cur trak, uint32_t movie_ts)
{
	struct cur elst;
	__int128 empty = 0, shift;	/* a crafted duration times the timescale overflows 64 bits */
	int v1;
	size_t esz, cnt;

	if (box_path(trak, "edts/elst", &elst) != 1 || elst.n < 8 || movie_ts == 0)
		return;
	v1 = elst.p[0] == 1;
	esz = v1 ? 20 : 12;
	cnt = rd32(elst.p + 4);
	for (size_t i = 0; i < cnt && 8 + (i + 1) * esz <= elst.n; i++) {
		const uint8_t *e = elst.p + 8 + i * esz;
		int64_t dur = v1 ? (int64_t)rd64(e) : rd32(e);
		int64_t mt = v1 ? (int64_t)rd64(e + 8) : (int32_t)rd32(e + 4);

		if (mt == -1) {
			empty += dur;
			continue;
		}
		/* More than 2^61 ticks is damage, not an edit: none. */
		shift = empty * t->timescale / movie_ts - mt;
		if (shift >= -(INT64_MAX / 4) && shift <= INT64_MAX / 4)
			t->shift = (int64_t)shift;
		return;
	}
}

/* Expand a plain file's sample tables. */
static int
parse_stbl(struct mp4 *m, int idx, struct cur stbl)
{
	struct mtrack *t = &m->t[idx];
	struct cur stts, ctts, stss, stsz, stsc, stco;
	int co64 = 0, have_ctts, have_stss;
	size_t nsamples, nchunks, si = 0, tsi = 0, ci = 0, ssi = 0;
	uint32_t tleft = 0, tdelta = 0, cleft = 0, coff = 0, next_sync = 0;
	int64_t dts = 0;

	if (box_find(stbl, "stts", &stts) != 1 || box_find(stbl, "stsz", &stsz) != 1 ||
	    box_find(stbl, "stsc", &stsc) != 1)
		return -1;
	if (box_find(stbl, "stco", &stco) != 1) {
		if (box_find(stbl, "co64", &stco) != 1)
			return -1;
		co64 = 1;
	}
	have_ctts = box_find(stbl, "ctts", &ctts) == 1 && ctts.n >= 8;
	have_stss = box_find(stbl, "stss", &stss) == 1 && stss.n >= 8;
	if (stts.n < 8 || stsz.n < 12 || stsc.n < 8 || stco.n < 8)
		return -1;
	nsamples = rd32(stsz.p + 8);
	nchunks = rd32(stco.p + 4);
	if ((rd32(stsz.p + 4) == 0 && stsz.n < 12 + 4 * nsamples) ||
	    stco.n < 8 + (co64 ? 8 : 4) * nchunks || stsc.n < 8 + 12 * (size_t)rd32(stsc.p + 4))
		return -1;
	if (have_stss && rd32(stss.p + 4) > 0 && stss.n >= 12)
		next_sync = rd32(stss.p + 8);
	for (size_t chunk = 0; chunk < nchunks && si < nsamples; chunk++) {
		uint64_t off = co64 ? rd64(stco.p + 8 + 8 * chunk) : rd32(stco.p + 8 + 4 * chunk);
		size_t nst = rd32(stsc.p + 4);
		uint32_t per;

		/* samples per chunk: the last stsc entry whose first_chunk <= this */
		while (ci + 1 < nst && rd32(stsc.p + 8 + 12 * (ci + 1)) <= chunk + 1)
			ci++;
		per = rd32(stsc.p + 8 + 12 * ci + 4);
		for (uint32_t k = 0; k < per && si < nsamples; k++, si++) {
			struct msample s = { 0 };

			while (tleft == 0) {
				if (8 + 8 * (tsi + 1) > stts.n)
					return -1;
				tleft = rd32(stts.p + 8 + 8 * tsi);
				tdelta = rd32(stts.p + 12 + 8 * tsi);
				tsi++;
			}
			if (have_ctts) {
				while (cleft == 0 && 8 + 8 * (coff + 1) <= ctts.n) {
					cleft = rd32(ctts.p + 8 + 8 * coff);
					coff++;
				}
				if (cleft > 0) {
					s.cts = (int32_t)rd32(ctts.p + 8 + 8 * (coff - 1) + 4);
					cleft--;
				}
			}
			s.size = rd32(stsz.p + 4) ? rd32(stsz.p + 4) : rd32(stsz.p + 12 + 4 * si);
			s.off = off;
			s.dts = dts + t->shift;
			s.track = (uint8_t)idx;
			s.key = !have_stss || si + 1 == next_sync;
			if (have_stss && si + 1 == next_sync && ++ssi < rd32(stss.p + 4) &&
			    stss.n >= 12 + 4 * ssi)
				next_sync = rd32(stss.p + 8 + 4 * ssi);
			if (add_sample(m, &s) == -1)
				return -1;
			/* Past the end of the file: so is the rest (mp4_read stops
			 * at the first such sample). A crafted count, not bounded
			 * by any table when the size is constant, ends here. */
			if (s.off + s.size > m->size)
				return 0;
			off += s.size;
			dts += tdelta;
			tleft--;
		}
	}
	return 0;
}

static int
parse_trak(struct mp4 *m, struct cur trak, uint32_t movie_ts, struct cur *mvex)
{
	struct cur hdlr, mdhd, stbl, tkhd, trex, c;
	struct mtrack tmp = { 0 };
	uint32_t type;
	int video, idx;

	if (box_path(trak, "mdia/hdlr", &hdlr) != 1 || hdlr.n < 12 ||
	    box_path(trak, "mdia/mdhd", &mdhd) != 1 || mdhd.n < 24 ||
	    box_path(trak, "mdia/minf/stbl", &stbl) != 1 ||
	    box_find(trak, "tkhd", &tkhd) != 1 || tkhd.n < 20 ||
	    (tkhd.p[0] == 1 && tkhd.n < 24))	/* version 1: 64-bit times first */
		return 0;
	video = rd32(hdlr.p + 8) == FOURCC("vide");
	if (!video && rd32(hdlr.p + 8) != FOURCC("soun"))
		return 0;
	idx = video ? TRACK_VIDEO : TRACK_AUDIO;
	if (m->t[idx].id != 0)
		return 0;		/* the first of each kind */
	tmp.id = (int)rd32(tkhd.p + (tkhd.p[0] == 1 ? 20 : 12));
	if (tmp.id == 0)
		return 0;	/* no track has id 0: an id of 0 here means "none" */
	tmp.timescale = rd32(mdhd.p + (mdhd.p[0] == 1 ? 20 : 12));
	if (tmp.timescale == 0 || box_find(stbl, "stsd", &c) != 1 ||
	    parse_stsd(&tmp, c, video) == -1) {
		log_warnx("segment '%s': %s track not in a form we copy", m->path,
		    video ? "video" : "audio");
		m->unsupported |= video;
		return 0;
	}
	parse_edits(&tmp, trak, movie_ts);
	c = *mvex;
	while (box_next(&c, &type, &trex) == 1)
		if (type == FOURCC("trex") && trex.n >= 24 && (int)rd32(trex.p + 4) == tmp.id) {
			tmp.def_dur = rd32(trex.p + 12);
			tmp.def_size = rd32(trex.p + 16);
			tmp.def_flags = rd32(trex.p + 20);
		}
	m->t[idx] = tmp;
	if (!m->fragmented && parse_stbl(m, idx, stbl) == -1) {
		log_warnx("segment '%s': bad sample tables", m->path);
		m->t[idx].id = 0;
		return -1;
	}
	return 0;
}

static int
sample_cmp(const void *a, const void *b)
{
	const struct msample *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Read a whole box's body at off into a new buffer. */
static uint8_t *
read_box(struct mp4 *m, uint64_t off, uint64_t size)
{
	uint8_t *p;

	if (size > BOX_MAX || off + size > m->size || (p = malloc(size ? size : 1)) == NULL)
		return NULL;
	if (pread_full(m->fd, p, size, off) != (ssize_t)size) {
		free(p);
		return NULL;
	}
	return p;
}

/* The top-level box at off: 1 and its type, size and header bytes; 0 past
 * the end; -1 if its header cannot be read or is malformed. */
static int
top_box(struct mp4 *m, uint64_t off, uint32_t *type, uint64_t *size, size_t *hdr)
{
	uint8_t h[16];
	ssize_t r;

	if (off + 8 > m->size)
		return 0;
	if ((r = pread_full(m->fd, h, 16, off)) < 8)
		return -1;
	*type = rd32(h + 4);
	*size = rd32(h);
	*hdr = 8;
	if (*size == 1) {
		if (r < 16)
			return -1;
		*size = rd64(h + 8);
		*hdr = 16;
	} else if (*size == 0)
		*size = m->size - off;
	if (*size < *hdr)
		return -1;
	return 1;
}

/* One moof: its samples become the current batch. */
static int
parse_moof(struct mp4 *m, uint64_t moof_off, struct cur moof)
{
	struct cur traf, c, b;
	uint32_t type;
	uint64_t prev_end = moof_off;

	m->n = m->next = 0;
	c = moof;
	while (box_next(&c, &type, &traf) == 1) {
		struct cur tfhd, tfdt;
		struct mtrack *t = NULL;
		uint32_t fl, dur, size, flags;
		uint64_t base, data;
		size_t pos;
		int idx = -1;
		int64_t dts;

		if (type != FOURCC("traf") || box_find(traf, "tfhd", &tfhd) != 1 || tfhd.n < 8)
			continue;
		for (int i = 0; i < 2; i++)
			if (m->t[i].id != 0 && (uint32_t)m->t[i].id == rd32(tfhd.p + 4))
				idx = i;
		if (idx == -1)
			continue;
		t = &m->t[idx];
		fl = rd32(tfhd.p) & 0xffffff;
		pos = 8;
		base = (fl & 0x020000) ? moof_off : prev_end;
		if ((fl & 0x01) && tfhd.n >= pos + 8) {
			base = rd64(tfhd.p + pos);
			pos += 8;
		}
		pos += (fl & 0x02) ? 4 : 0;
		dur = t->def_dur;
		size = t->def_size;
		flags = t->def_flags;
		if ((fl & 0x08) && tfhd.n >= pos + 4) {
			dur = rd32(tfhd.p + pos);
			pos += 4;
		}
		if ((fl & 0x10) && tfhd.n >= pos + 4) {
			size = rd32(tfhd.p + pos);
			pos += 4;
		}
		if ((fl & 0x20) && tfhd.n >= pos + 4)
			flags = rd32(tfhd.p + pos);
		dts = t->next_dts;
		/* (a decode time past 2^61 ticks is damage: go on from the last) */
		if (box_find(traf, "tfdt", &tfdt) == 1 && tfdt.n >= 8 &&
		    (tfdt.p[0] != 1 || tfdt.n < 12 || rd64(tfdt.p + 4) <= INT64_MAX / 4))
			dts = (tfdt.p[0] == 1 && tfdt.n >= 12 ? (int64_t)rd64(tfdt.p + 4) :
			    (int64_t)rd32(tfdt.p + 4)) + t->shift;
		data = base;
		b = traf;
		while (box_next(&b, &type, &tfdt) == 1) {
			struct cur tr = tfdt;
			uint32_t tf, count, first_flags = 0;
			size_t p = 8, per;

			if (type != FOURCC("trun") || tr.n < 8)
				continue;
			tf = rd32(tr.p) & 0xffffff;
			count = rd32(tr.p + 4);
			if ((tf & 0x01) && tr.n >= p + 4) {
				data = base + (uint64_t)(int64_t)(int32_t)rd32(tr.p + p);
				p += 4;
			}
			if ((tf & 0x04) && tr.n >= p + 4) {
				first_flags = rd32(tr.p + p);
				p += 4;
			}
			per = 4 * (size_t)(!!(tf & 0x100) + !!(tf & 0x200) + !!(tf & 0x400) +
			    !!(tf & 0x800));
			for (uint32_t i = 0; i < count && tr.n >= p + per; i++) {
				struct msample s = { 0 };
				uint32_t d = dur, f = (i == 0 && (tf & 0x04)) ? first_flags : flags;

				s.size = size;
				if (tf & 0x100)
					d = rd32(tr.p + p), p += 4;
				if (tf & 0x200)
					s.size = rd32(tr.p + p), p += 4;
				if (tf & 0x400) {
					if (!(i == 0 && (tf & 0x04)))
						f = rd32(tr.p + p);
					p += 4;
				}
				if (tf & 0x800)
					s.cts = (int32_t)rd32(tr.p + p), p += 4;
				s.off = data;
				s.dts = dts;
				s.track = (uint8_t)idx;
				s.key = !(f & 0x10000);		/* sample_is_non_sync_sample */
				/* (an empty sample is nothing to read) */
				if (s.size > 0 && add_sample(m, &s) == -1)
					return -1;
				data += s.size;
				dts += d;
				/* The count is the muxer's word, not bounded by any
				 * bytes: stop at the end of the file (the rest of the
				 * run is past it too, and mp4_read stops at the first
				 * such sample), and at samples that take no bytes at
				 * all, of which every further one would be another. */
				if (data > m->size || (per == 0 && s.size == 0))
					break;
			}
		}
		t->next_dts = dts;
		prev_end = data;
	}
	if (m->n > 0)
		qsort(m->s, m->n, sizeof(*m->s), sample_cmp);
	return 0;
}

/* Find the next moof from m->scan; 0 when there is none. */
static int
next_fragment(struct mp4 *m)
{
	uint32_t type;
	uint64_t size;
	size_t hdr;

	while (top_box(m, m->scan, &type, &size, &hdr) == 1) {
		uint64_t off = m->scan;
		uint8_t *body;
		int r;

		if (off + size > m->size) {
			m->truncated = 1;
			log_warnx("segment '%s' ends inside a fragment (cut short)", m->path);
			return 0;
		}
		m->scan = off + size;
		if (type != FOURCC("moof"))
			continue;
		if ((body = read_box(m, off + hdr, size - hdr)) == NULL)
			return -1;
		r = parse_moof(m, off, (struct cur){ body, size - hdr });
		free(body);
		if (r == -1)
			return -1;
		if (m->n > 0)
			return 1;
	}
	return 0;
}

/* Length-prefixed NAL units that fill the sample exactly. */
static int
lp_valid(const uint8_t *p, size_t n)
{
	size_t pos = 0;

	while (pos + 4 <= n) {
		size_t len = rd32(p + pos);

		if (len == 0 || len > n - pos - 4)
			return 0;
		pos += 4 + len;
	}
	return pos == n;
}

/* size bytes at off into dst, through the window; bytes read or -1. */
static ssize_t
read_sample(struct mp4 *m, uint64_t off, size_t size, uint8_t *dst)
{
	ssize_t got;

	if (size > UINT64_MAX - off)
		return -1;	/* a crafted offset near 2^64 */
	if (size > WINDOW / 2 || (m->win == NULL && (m->win = malloc(WINDOW)) == NULL))
		return pread_full(m->fd, dst, size, off);
	/* Inside the window, without sums that could wrap. */
	if (off < m->win_off || off - m->win_off > m->win_len ||
	    size > m->win_len - (off - m->win_off)) {
		m->win_len = 0;
		got = pread_full(m->fd, m->win, m->size - off < WINDOW ?
		    (size_t)(m->size - off) : WINDOW, off);
		if (got < (ssize_t)size)
			return got < 0 ? -1 : got;
		m->win_off = off;
		m->win_len = (size_t)got;
	}
	memcpy(dst, m->win + (off - m->win_off), size);
	return (ssize_t)size;
}

static int
mp4_read(void *r, struct demux_sample *out)
{
	struct mp4 *m = r;

	for (;;) {
		struct msample *s;
		struct mtrack *t;
		uint8_t *dst;

		if (m->next == m->n) {
			int f;

			if (!m->fragmented || m->done)
				return 0;
			if ((f = next_fragment(m)) <= 0) {
				m->done = 1;
				return f;
			}
		}
		s = &m->s[m->next++];
		t = &m->t[s->track];
		if (s->off + s->size > m->size) {
			log_warnx("segment '%s' ends inside a sample (cut short); dropped "
			    "the rest", m->path);
			m->truncated = 1;
			m->done = 1;
			m->next = m->n;
			continue;
		}
		if (s->size == 0 || (s->track == TRACK_AUDIO && s->size > AUDIO_MAX))
			continue;
		dst = s->track == TRACK_AUDIO ? m->abuf : m->sink.room(m->sink.ctx, 0, s->size);
		if (dst == NULL)
			return -1;
		if (read_sample(m, s->off, s->size, dst) != (ssize_t)s->size) {
			log_warn("cannot read segment '%s'", m->path);
			return -1;
		}
		if (s->off + s->size > m->pos)
			m->pos = s->off + s->size;
		if (s->track == TRACK_VIDEO && !lp_valid(dst, s->size)) {
			log_warnx("segment '%s': damaged picture at byte %llu, skipped",
			    m->path, (unsigned long long)s->off);
			continue;
		}
		*out = (struct demux_sample){ .track = s->track, .dts = s->dts,
		    .pts = s->dts + s->cts, .key = s->key, .data = dst, .size = s->size,
		    .cfg = &t->cfg, .params_out_of_band = t->oob };
		return 1;
	}
}

static void
mp4_close(void *r)
{
	struct mp4 *m = r;

	if (m == NULL)
		return;
	free(m->s);
	free(m->abuf);
	free(m->win);
	free(m);
}

static uint32_t
mp4_timescale(const void *r, int track)
{
	const struct mp4 *m = r;

	return m->t[track].id != 0 ? m->t[track].timescale : 0;
}

static uint64_t
mp4_pos(const void *r)
{
	return ((const struct mp4 *)r)->pos;
}

static int
mp4_truncated(const void *r)
{
	return ((const struct mp4 *)r)->truncated;
}

static const struct demux_ops mp4_ops = {
	mp4_read, mp4_close, mp4_timescale, mp4_pos, mp4_truncated, NULL,
};

static int
parse_moov(struct mp4 *m, struct cur moov)
{
	struct cur mvhd, mvex = { NULL, 0 }, c = moov, trak;
	uint32_t type, movie_ts = 0;

	if (box_find(moov, "mvhd", &mvhd) == 1 && mvhd.n >= 24)
		movie_ts = rd32(mvhd.p + (mvhd.p[0] == 1 ? 20 : 12));
	m->fragmented = box_find(moov, "mvex", &mvex) == 1;
	while (box_next(&c, &type, &trak) == 1)
		if (type == FOURCC("trak") && parse_trak(m, trak, movie_ts, &mvex) == -1)
			return -1;
	return 0;
}

void *
demux_mp4_open(int fd, uint64_t size, const char *path, struct demux_sink sink,
    const struct demux_ops **ops, int *unsupported)
{
	struct mp4 *m;
	uint32_t type;
	uint64_t bsize, off = 0;
	size_t hdr;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->fd = fd;
	m->path = path;
	m->size = size;
	m->sink = sink;
	if ((m->abuf = malloc(AUDIO_MAX)) == NULL)
		goto fail;
	while (top_box(m, off, &type, &bsize, &hdr) == 1) {
		if (type == FOURCC("moov")) {
			uint8_t *body = read_box(m, off + hdr, bsize - hdr);
			int r;

			if (body == NULL)
				break;
			r = parse_moov(m, (struct cur){ body, bsize - hdr });
			free(body);
			if (r == -1)
				goto fail;
			m->scan = off + bsize;
			m->pos = m->scan;
			break;
		}
		off += bsize;
	}
	if (m->t[TRACK_VIDEO].id == 0) {
		*unsupported = m->unsupported;
		if (!m->unsupported)
			log_warnx("segment '%s' has no readable index or no video", path);
		goto fail;
	}
	if (!m->fragmented && m->n > 0)
		qsort(m->s, m->n, sizeof(*m->s), sample_cmp);
	*ops = &mp4_ops;
	return m;
fail:
	mp4_close(m);
	return NULL;
}
