/*
 * Bitstream knowledge for copying H.264/H.265/AAC into MP4. References:
 * ITU-T H.264 7.3.2.1 (SPS) and H.265 7.3.2.2 (SPS), 7.3.3 (profile, tier
 * and level); ISO/IEC 14496-15 5.3.3.1 (avcC) and 8.3.3.1 (hvcC);
 * ISO/IEC 14496-3 1.6.2.1 (AudioSpecificConfig) and 1.A.2.2 (ADTS).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "codec.h"
#include "nal.h"
#include "lib/banned.h"

#define RBSP_MAX	1024	/* enough of an SPS for the fields we read */

/* Exp-Golomb ue(v); values past 2^31 are treated as damage. */
static uint32_t
bits_ue(struct bits *b)
{
	int zeros = 0;

	while (bits_u(b, 1) == 0) {
		if (b->bad || ++zeros > 31) {
			b->bad = 1;
			return 0;
		}
	}
	return ((1u << zeros) - 1) + bits_u(b, zeros);
}

/* bit_depth_*_minus8 + 8: 8 to 16 in every profile; more is damage. */
static int
bits_depth(struct bits *b)
{
	uint32_t v = bits_ue(b);

	if (v > 8) {
		b->bad = 1;
		return 8;
	}
	return 8 + (int)v;
}

static int32_t
bits_se(struct bits *b)
{
	uint32_t v = bits_ue(b);

	return (v & 1) ? (int32_t)((v + 1) / 2) : -(int32_t)(v / 2);
}

/* NAL payload -> RBSP: drop emulation prevention bytes (00 00 03). */
static size_t
rbsp_unescape(const uint8_t *nal, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0, zeros = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] == 0 ? zeros + 1 : 0;
		out[o++] = nal[i];
	}
	return o;
}

/* What an avcC/hvcC needs from an SPS. */
struct sps_info {
	int		 width, height;
	int		 profile;		/* H.264 profile_idc */
	int		 chroma, depth_luma, depth_chroma;
	uint8_t		 ptl[12];		/* H.265 general profile/tier/level */
	int		 sub_layers, id_nesting;	/* H.265 */
};

static void
h264_skip_scaling_list(struct bits *b, int size)
{
	int last = 8, next = 8;

	for (int j = 0; j < size && !b->bad; j++) {
		if (next != 0)
			next = (last + bits_se(b) + 256) % 256;
		last = next == 0 ? last : next;
	}
}

static int
h264_parse_sps(const uint8_t *nal, size_t n, struct sps_info *s)
{
	uint8_t rbsp[RBSP_MAX];
	struct bits b = { rbsp, 0, 8, 0 };	/* past the NAL header */
	uint32_t w, h, crop[4] = { 0 }, poc;
	int frame_mbs_only, sub_w = 2, sub_h = 2, separate = 0;

	b.n = rbsp_unescape(nal, n, rbsp, sizeof(rbsp));
	memset(s, 0, sizeof(*s));
	s->profile = (int)bits_u(&b, 8);
	bits_skip(&b, 16);		/* constraint flags, level */
	bits_ue(&b);			/* seq_parameter_set_id */
	s->chroma = 1;
	s->depth_luma = s->depth_chroma = 8;
	switch (s->profile) {
	case 100: case 110: case 122: case 244: case 44: case 83: case 86:
	case 118: case 128: case 138: case 139: case 134: case 135:
		s->chroma = (int)bits_ue(&b);
		if (s->chroma == 3)
			separate = (int)bits_u(&b, 1);
		s->depth_luma = bits_depth(&b);
		s->depth_chroma = bits_depth(&b);
		bits_skip(&b, 1);	/* qpprime_y_zero_transform_bypass */
		if (bits_u(&b, 1))	/* seq_scaling_matrix_present */
			for (int i = 0; i < (s->chroma == 3 ? 12 : 8); i++)
				if (bits_u(&b, 1))
					h264_skip_scaling_list(&b, i < 6 ? 16 : 64);
		break;
	}
	bits_ue(&b);			/* log2_max_frame_num_minus4 */
	poc = bits_ue(&b);
	if (poc == 0)
		bits_ue(&b);
	else if (poc == 1) {
		uint32_t cycle;

		bits_skip(&b, 1);
		bits_se(&b);
		bits_se(&b);
		cycle = bits_ue(&b);
		for (uint32_t i = 0; i < cycle && !b.bad; i++)
			bits_se(&b);
	}
	bits_ue(&b);			/* max_num_ref_frames */
	bits_skip(&b, 1);
	w = bits_ue(&b) + 1;
	h = bits_ue(&b) + 1;
	frame_mbs_only = (int)bits_u(&b, 1);
	if (!frame_mbs_only)
		bits_skip(&b, 1);
	bits_skip(&b, 1);		/* direct_8x8_inference */
	if (bits_u(&b, 1))
		for (int i = 0; i < 4; i++)
			crop[i] = bits_ue(&b);
	/* (a crop larger than the picture is damage, and would overflow) */
	if (b.bad || s->chroma > 3 || w > 1024 || h > 1024 ||
	    crop[0] + (uint64_t)crop[1] > 16 * 1024 || crop[2] + (uint64_t)crop[3] > 32 * 1024)
		return -1;
	if (separate || s->chroma == 0)
		sub_w = sub_h = 1;
	else if (s->chroma == 2)
		sub_h = 1;
	else if (s->chroma == 3)
		sub_w = sub_h = 1;
	sub_h *= 2 - frame_mbs_only;
	s->width = (int)(w * 16) - sub_w * (int)(crop[0] + crop[1]);
	s->height = (int)(h * 16 * (2 - (uint32_t)frame_mbs_only)) -
	    sub_h * (int)(crop[2] + crop[3]);
	return s->width > 0 && s->height > 0 ? 0 : -1;
}

static int
hevc_parse_sps(const uint8_t *nal, size_t n, struct sps_info *s)
{
	uint8_t rbsp[RBSP_MAX];
	struct bits b = { rbsp, 0, 16, 0 };	/* past the 2-byte NAL header */
	uint32_t w, h, crop[4] = { 0 };
	int max_sub, sub_w = 2, sub_h = 2;
	int prof[8] = { 0 }, level[8] = { 0 };

	b.n = rbsp_unescape(nal, n, rbsp, sizeof(rbsp));
	memset(s, 0, sizeof(*s));
	bits_skip(&b, 4);		/* sps_video_parameter_set_id */
	max_sub = (int)bits_u(&b, 3);
	s->sub_layers = max_sub + 1;
	s->id_nesting = (int)bits_u(&b, 1);
	if (b.n < 15)
		return -1;
	/* general profile_space..level_idc: 12 whole bytes, as hvcC has them */
	memcpy(s->ptl, rbsp + 3, 12);
	bits_skip(&b, 96);
	for (int i = 0; i < max_sub; i++) {
		prof[i] = (int)bits_u(&b, 1);
		level[i] = (int)bits_u(&b, 1);
	}
	if (max_sub > 0)
		bits_skip(&b, (size_t)(8 - max_sub) * 2);
	for (int i = 0; i < max_sub; i++)
		bits_skip(&b, (size_t)(prof[i] ? 88 : 0) + (level[i] ? 8 : 0));
	bits_ue(&b);			/* sps_seq_parameter_set_id */
	s->chroma = (int)bits_ue(&b);
	if (s->chroma == 3 && bits_u(&b, 1))
		s->chroma = 0;		/* separate planes: cropped like 4:0:0 */
	w = bits_ue(&b);
	h = bits_ue(&b);
	if (bits_u(&b, 1))
		for (int i = 0; i < 4; i++)
			crop[i] = bits_ue(&b);
	s->depth_luma = bits_depth(&b);
	s->depth_chroma = bits_depth(&b);
	if (b.bad || s->chroma > 3 || w > 16888 || h > 16888 ||
	    crop[0] + (uint64_t)crop[1] > 16888 || crop[2] + (uint64_t)crop[3] > 16888)
		return -1;
	if (s->chroma == 0 || s->chroma == 3)
		sub_w = sub_h = 1;
	else if (s->chroma == 2)
		sub_h = 1;
	s->width = (int)w - sub_w * (int)(crop[0] + crop[1]);
	s->height = (int)h - sub_h * (int)(crop[2] + crop[3]);
	return s->width > 0 && s->height > 0 ? 0 : -1;
}

/* Append to the record; -1 once it would not fit. */
static int
rec_put(struct codec_config *c, const void *p, size_t n)
{
	if (n > sizeof(c->rec) - c->reclen)
		return -1;
	memcpy(c->rec + c->reclen, p, n);
	c->reclen += n;
	return 0;
}

static int
rec_put8(struct codec_config *c, unsigned v)
{
	uint8_t b = (uint8_t)v;

	return rec_put(c, &b, 1);
}

static int
rec_put16(struct codec_config *c, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return rec_put(c, b, 2);
}

/* Parameter sets of one kind, length-prefixed as records store them. */
static int
rec_put_nals(struct codec_config *c, enum codec_id codec, int kind,
    const uint8_t *const *nals, const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nal_param_kind(codec, nal_type(codec, nals[i])) == kind &&
		    (lens[i] > 0xffff || rec_put16(c, (unsigned)lens[i]) == -1 ||
		    rec_put(c, nals[i], lens[i]) == -1))
			return -1;
	return 0;
}

static size_t
count_kind(enum codec_id codec, int kind, const uint8_t *const *nals, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (nal_param_kind(codec, nal_type(codec, nals[i])) == kind)
			k++;
	return k;
}

static int
avcc_build(struct codec_config *c, const struct sps_info *s, const uint8_t *sps,
    const uint8_t *const *nals, const size_t *lens, size_t n)
{
	size_t nsps = count_kind(CODEC_H264, 1, nals, n), npps = count_kind(CODEC_H264, 2, nals, n);

	if (nsps > 31 || npps > 255 || npps == 0)
		return -1;
	if (rec_put8(c, 1) == -1 || rec_put(c, sps + 1, 3) == -1 ||
	    rec_put8(c, 0xff) == -1 || rec_put8(c, 0xe0 | (unsigned)nsps) == -1 ||
	    rec_put_nals(c, CODEC_H264, 1, nals, lens, n) == -1 ||
	    rec_put8(c, (unsigned)npps) == -1 ||
	    rec_put_nals(c, CODEC_H264, 2, nals, lens, n) == -1)
		return -1;
	/* 14496-15 5.3.3.1.2: the high profiles carry chroma and bit depth */
	if (s->profile == 100 || s->profile == 110 || s->profile == 122 ||
	    s->profile == 144) {
		if (rec_put8(c, 0xfc | (unsigned)s->chroma) == -1 ||
		    rec_put8(c, 0xf8 | (unsigned)(s->depth_luma - 8)) == -1 ||
		    rec_put8(c, 0xf8 | (unsigned)(s->depth_chroma - 8)) == -1 ||
		    rec_put8(c, 0) == -1)
			return -1;
	}
	return 0;
}

static int
hvcc_build(struct codec_config *c, const struct sps_info *s,
    const uint8_t *const *nals, const size_t *lens, size_t n)
{
	static const int order[] = { 3, 1, 2 };	/* VPS, SPS, PPS */
	static const int types[] = { 32, 33, 34 };
	unsigned narrays = 0;

	for (int k = 0; k < 3; k++)
		if (count_kind(CODEC_HEVC, order[k], nals, n) > 0)
			narrays++;
	if (count_kind(CODEC_HEVC, 2, nals, n) == 0 || count_kind(CODEC_HEVC, 3, nals, n) == 0)
		return -1;
	if (rec_put8(c, 1) == -1 || rec_put(c, s->ptl, 12) == -1 ||
	    rec_put16(c, 0xf000) == -1 ||	/* min_spatial_segmentation_idc unknown */
	    rec_put8(c, 0xfc) == -1 ||		/* parallelismType unknown */
	    rec_put8(c, 0xfc | (unsigned)s->chroma) == -1 ||
	    rec_put8(c, 0xf8 | (unsigned)(s->depth_luma - 8)) == -1 ||
	    rec_put8(c, 0xf8 | (unsigned)(s->depth_chroma - 8)) == -1 ||
	    rec_put16(c, 0) == -1 ||		/* avgFrameRate unknown */
	    rec_put8(c, (unsigned)(s->sub_layers & 7) << 3 |
	    (unsigned)s->id_nesting << 2 | 3) == -1 ||
	    rec_put8(c, narrays) == -1)
		return -1;
	for (int k = 0; k < 3; k++) {
		size_t cnt = count_kind(CODEC_HEVC, order[k], nals, n);

		if (cnt == 0)
			continue;
		/* array_completeness: hvc1 keeps every parameter set here */
		if (rec_put8(c, 0x80 | (unsigned)types[k]) == -1 ||
		    rec_put16(c, (unsigned)cnt) == -1 ||
		    rec_put_nals(c, CODEC_HEVC, order[k], nals, lens, n) == -1)
			return -1;
	}
	return 0;
}

int
codec_config_from_params(struct codec_config *c, enum codec_id codec,
    const uint8_t *const *nals, const size_t *lens, size_t n)
{
	struct sps_info s;
	const uint8_t *sps = NULL;
	size_t spslen = 0;

	memset(c, 0, sizeof(*c));
	c->codec = codec;
	for (size_t i = 0; i < n && sps == NULL; i++)
		if (nal_param_kind(codec, nal_type(codec, nals[i])) == 1) {
			sps = nals[i];
			spslen = lens[i];
		}
	if (sps == NULL || spslen < 4)
		return -1;
	if (codec == CODEC_H264) {
		if (h264_parse_sps(sps, spslen, &s) == -1 ||
		    avcc_build(c, &s, sps, nals, lens, n) == -1)
			return -1;
	} else if (hevc_parse_sps(sps, spslen, &s) == -1 ||
	    hvcc_build(c, &s, nals, lens, n) == -1)
		return -1;
	c->width = s.width;
	c->height = s.height;
	return 0;
}

/* Walk a stored record's parameter sets; fn(nal, len, arg) for each. */
static int
record_each(enum codec_id codec, const uint8_t *rec, size_t len,
    int (*fn)(const uint8_t *, size_t, void *), void *arg)
{
	size_t pos, narrays;

	if (codec == CODEC_H264) {
		if (len < 7 || rec[0] != 1)
			return -1;
		pos = 5;
		for (int pass = 0; pass < 2; pass++) {
			size_t cnt = pass == 0 ? rec[pos] & 0x1f : rec[pos];

			pos++;
			for (size_t i = 0; i < cnt; i++) {
				size_t l;

				if (pos + 2 > len)
					return -1;
				l = (size_t)rec[pos] << 8 | rec[pos + 1];
				if (l == 0 || pos + 2 + l > len || fn(rec + pos + 2, l, arg) == -1)
					return -1;
				pos += 2 + l;
			}
			if (pass == 0 && pos >= len)
				return -1;
		}
		return 0;
	}
	if (len < 23 || rec[0] != 1)
		return -1;
	narrays = rec[22];
	pos = 23;
	for (size_t a = 0; a < narrays; a++) {
		size_t cnt;

		if (pos + 3 > len)
			return -1;
		cnt = (size_t)rec[pos + 1] << 8 | rec[pos + 2];
		pos += 3;
		for (size_t i = 0; i < cnt; i++) {
			size_t l;

			if (pos + 2 > len)
				return -1;
			l = (size_t)rec[pos] << 8 | rec[pos + 1];
			if (l == 0 || pos + 2 + l > len || fn(rec + pos + 2, l, arg) == -1)
				return -1;
			pos += 2 + l;
		}
	}
	return 0;
}

struct sps_find {
	enum codec_id	 codec;
	struct sps_info	 s;
	int		 found;
};

static int
record_sps(const uint8_t *nal, size_t len, void *arg)
{
	struct sps_find *f = arg;
	int r;

	if (f->found || nal_param_kind(f->codec, nal_type(f->codec, nal)) != 1)
		return 0;
	r = f->codec == CODEC_H264 ? h264_parse_sps(nal, len, &f->s) :
	    hevc_parse_sps(nal, len, &f->s);
	if (r == 0)
		f->found = 1;
	return r;
}

int
codec_config_from_record(struct codec_config *c, enum codec_id codec,
    const uint8_t *rec, size_t len)
{
	struct sps_find f = { codec, { 0 }, 0 };

	memset(c, 0, sizeof(*c));
	c->codec = codec;
	if (len > sizeof(c->rec) || record_each(codec, rec, len, record_sps, &f) == -1 ||
	    !f.found)
		return -1;
	/* lengthSizeMinusOne: we copy samples with 4-byte lengths only */
	if ((codec == CODEC_H264 ? rec[4] & 3 : rec[21] & 3) != 3)
		return -1;
	memcpy(c->rec, rec, len);
	c->reclen = len;
	c->width = f.s.width;
	c->height = f.s.height;
	return 0;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct lp_out {
	uint8_t		*p;
	size_t		 cap, len;
};

static int
record_lp(const uint8_t *nal, size_t len, void *arg)
{
	struct lp_out *o = arg;

	if (4 + len > o->cap - o->len)
		return -1;
	put_be32(o->p + o->len, (uint32_t)len);
	memcpy(o->p + o->len + 4, nal, len);
	o->len += 4 + len;
	return 0;
}

size_t
codec_config_params_lp(const struct codec_config *c, uint8_t *out, size_t cap)
{
	struct lp_out o = { out, cap, 0 };

	if (record_each(c->codec, c->rec, c->reclen, record_lp, &o) == -1)
		return 0;
	return o.len;
}

int
codec_config_compatible(const struct codec_config *a, const struct codec_config *b,
    char *why, size_t len)
{
	static const char *names[] = { "none", "H.264", "H.265", "AAC" };

	if (a->codec != b->codec) {
		snprintf(why, len, "codec changed from %s to %s", names[a->codec],
		    names[b->codec]);
		return 0;
	}
	if (a->codec == CODEC_AAC) {
		if (a->sample_rate != b->sample_rate || a->channels != b->channels ||
		    a->aot != b->aot) {
			snprintf(why, len, "audio changed from %d Hz %d ch to %d Hz %d ch",
			    a->sample_rate, a->channels, b->sample_rate, b->channels);
			return 0;
		}
		return 1;
	}
	if (a->width != b->width || a->height != b->height) {
		snprintf(why, len, "resolution changed from %dx%d to %dx%d",
		    a->width, a->height, b->width, b->height);
		return 0;
	}
	return 1;
}

static const int aac_rates[13] = {
	96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
	11025, 8000, 7350,
};

int
codec_adts_header(const uint8_t *p, size_t n, struct adts *a)
{
	if (n < 7 || p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
		return 0;
	a->header = (p[1] & 1) ? 7 : 9;
	a->aot = (p[2] >> 6) + 1;
	a->sr_index = (p[2] >> 2) & 0xf;
	a->channels = (p[2] & 1) << 2 | p[3] >> 6;
	a->frame = (size_t)(p[3] & 3) << 11 | (size_t)p[4] << 3 | p[5] >> 5;
	/* several raw blocks per frame, or channels only in a PCE: not as samples */
	if (a->frame <= a->header || a->sr_index >= 13 || (p[6] & 3) != 0 ||
	    a->channels == 0)
		return 0;
	return 1;
}

int
codec_config_from_adts(struct codec_config *c, const struct adts *a)
{
	memset(c, 0, sizeof(*c));
	c->codec = CODEC_AAC;
	c->aot = a->aot;
	c->sample_rate = aac_rates[a->sr_index];
	c->channels = a->channels == 7 ? 8 : a->channels;
	c->rec[0] = (uint8_t)(a->aot << 3 | a->sr_index >> 1);
	c->rec[1] = (uint8_t)((a->sr_index & 1) << 7 | a->channels << 3);
	c->reclen = 2;
	return 0;
}

int
codec_config_from_asc(struct codec_config *c, const uint8_t *asc, size_t len)
{
	struct bits b = { asc, len, 0, 0 };
	uint32_t sri, ch;

	memset(c, 0, sizeof(*c));
	c->codec = CODEC_AAC;
	c->aot = (int)bits_u(&b, 5);
	if (c->aot == 31)
		c->aot = 32 + (int)bits_u(&b, 6);
	sri = bits_u(&b, 4);
	c->sample_rate = sri == 15 ? (int)bits_u(&b, 24) : sri < 13 ? aac_rates[sri] : 0;
	ch = bits_u(&b, 4);
	c->channels = ch == 7 ? 8 : (int)ch;
	if (b.bad || c->sample_rate == 0 || len > sizeof(c->rec))
		return -1;
	memcpy(c->rec, asc, len);
	c->reclen = len;
	return 0;
}
