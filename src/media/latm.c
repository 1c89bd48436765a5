/*
 * LATM: AudioMuxElement, StreamMuxConfig and PayloadLengthInfo of
 * ISO/IEC 14496-3 1.7.3, AudioSpecificConfig of 1.6.2.1 and
 * GASpecificConfig of 4.4.1. Unlike ADTS, the payload and the
 * configuration start at any bit, so both are copied bit by bit.
 */
#include "config.h"

#include <string.h>

#include "latm.h"
#include "bits.h"
#include "lib/banned.h"

#define LOAS_SYNC	0x2b7		/* 11 bits */

/* LatmGetValue(): 1 to 4 bytes, their count first. */
static uint32_t
lb_value(struct bits *b)
{
	int bytes = (int)bits_u(b, 2) + 1;

	return bits_u(b, 8 * bytes);
}

static uint32_t
lb_aot(struct bits *b)
{
	uint32_t aot = bits_u(b, 5);

	return aot == 31 ? 32 + bits_u(b, 6) : aot;
}

static void
lb_rate(struct bits *b)
{
	if (bits_u(b, 4) == 15)
		bits_u(b, 24);		/* explicit samplingFrequency */
}

/*
 * Walk an AudioSpecificConfig to find where it ends (LATM version 0 gives
 * no length). Only AAC LC, possibly under SBR/PS signalling, with 1024
 * samples a frame and a channel configuration: what MP4 players take and
 * the engine times (AAC_FRAME); -1 for anything else.
 */
static int
asc_walk(struct bits *b)
{
	uint32_t aot, ch, ext;

	aot = lb_aot(b);
	lb_rate(b);
	ch = bits_u(b, 4);
	if (aot == 5 || aot == 29) {	/* explicit SBR (and PS): the core follows */
		lb_rate(b);
		aot = lb_aot(b);
	}
	if (aot != 2 || ch == 0)	/* ch 0: a program_config_element */
		return -1;
	if (bits_u(b, 1))		/* frameLengthFlag: 960-sample frames */
		return -1;
	if (bits_u(b, 1))		/* dependsOnCoreCoder */
		bits_u(b, 14);
	ext = bits_u(b, 1);
	if (ext)
		bits_u(b, 1);		/* extensionFlag3 */
	return b->bad ? -1 : 0;
}

/* Bits [from, from + nbits) of b as bytes, the last one zero-padded. */
static size_t
bits_to_bytes(const struct bits *b, size_t from, size_t nbits, uint8_t *out, size_t cap)
{
	struct bits c = { b->p, b->n, from, 0 };
	size_t nbytes = (nbits + 7) / 8;

	if (nbytes > cap)
		return 0;
	memset(out, 0, nbytes);
	for (size_t i = 0; i < nbits; i++)
		out[i / 8] |= (uint8_t)(bits_u(&c, 1) << (7 - i % 8));
	return c.bad ? 0 : nbytes;
}

/* StreamMuxConfig(): one program, one layer, frameLengthType 0. */
static int
mux_config(struct latm *l, struct bits *b)
{
	uint8_t asc[64];
	uint32_t version, asclen = 0;
	size_t start, end, n;

	version = bits_u(b, 1);
	if (version == 1) {
		if (bits_u(b, 1))	/* audioMuxVersionA: reserved */
			return -1;
		lb_value(b);		/* taraBufferFullness */
	}
	if (bits_u(b, 1) != 1 ||	/* allStreamsSameTimeFraming */
	    bits_u(b, 6) != 0 ||	/* numSubFrames */
	    bits_u(b, 4) != 0 ||	/* numProgram */
	    bits_u(b, 3) != 0)		/* numLayer */
		return -1;
	if (version == 1)
		asclen = lb_value(b);
	start = b->pos;
	if (asc_walk(b) == -1)
		return -1;
	end = b->pos;
	if (version == 1) {		/* the length covers any extension */
		if (asclen < end - start)
			return -1;
		b->pos = end = start + asclen;
	}
	if (bits_u(b, 3) != 0)		/* frameLengthType: only byte lengths */
		return -1;
	bits_u(b, 8);			/* latmBufferFullness */
	if (bits_u(b, 1)) {		/* otherDataPresent: its length */
		if (version == 1)
			lb_value(b);
		else {
			uint32_t esc;

			do {		/* otherDataLenEsc, otherDataLenTmp */
				esc = bits_u(b, 1);
				bits_u(b, 8);
			} while (esc && !b->bad);
		}
	}
	if (bits_u(b, 1))		/* crcCheckPresent */
		bits_u(b, 8);
	if (b->bad || (n = bits_to_bytes(b, start, end - start, asc, sizeof(asc))) == 0 ||
	    codec_config_from_asc(&l->cfg, asc, n) == -1 || l->cfg.channels == 0)
		return -1;
	l->have_cfg = 1;
	return 0;
}

size_t
latm_loas_size(const uint8_t *p, size_t n)
{
	size_t len;

	if (n < 3 || ((unsigned)p[0] << 3 | p[1] >> 5) != LOAS_SYNC)
		return 0;
	len = 3 + ((size_t)(p[1] & 0x1f) << 8 | p[2]);
	return len <= n ? len : 0;
}

enum latm_rc
latm_element(struct latm *l, const uint8_t *p, size_t n, uint8_t *out, size_t cap,
    size_t *len)
{
	struct bits b = { p, n, 0, 0 };
	size_t plen = 0, at, sh;
	uint32_t t;

	if (bits_u(&b, 1) == 0) {	/* useSameStreamMux */
		if (mux_config(l, &b) == -1) {
			l->have_cfg = 0;
			return LATM_BAD;
		}
	} else if (!l->have_cfg)
		return LATM_NO_CONFIG;
	do {				/* PayloadLengthInfo(): MuxSlotLengthBytes */
		t = bits_u(&b, 8);
		plen += t;
	} while (t == 255 && !b.bad);
	if (b.bad || plen == 0 || plen > cap || plen > (n * 8 - b.pos) / 8)
		return LATM_BAD;
	/* PayloadMux(): plen bytes from any bit; the byte after the last one
	 * read exists whenever the start is not byte-aligned (checked above) */
	at = b.pos / 8;
	sh = b.pos % 8;
	if (sh == 0)
		memcpy(out, p + at, plen);
	else
		for (size_t i = 0; i < plen; i++)
			out[i] = (uint8_t)(p[at + i] << sh | p[at + i + 1] >> (8 - sh));
	*len = plen;
	return LATM_FRAME;
}
