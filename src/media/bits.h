/* An MSB-first bit reader over a byte buffer, for the codec headers the
 * remux engine reads (SPS, AudioSpecificConfig, LATM). Reading past the end sets bad and gives 0,
 * so a parser checks once at the end instead of after every field. */
#ifndef ARCHIVED_BITS_H
#define ARCHIVED_BITS_H

#include <stddef.h>
#include <stdint.h>

struct bits {
	const uint8_t	*p;
	size_t		 n, pos;	/* bytes, bit position */
	int		 bad;
};

static inline uint32_t
bits_u(struct bits *b, int n)
{
	uint32_t v = 0;

	while (n-- > 0) {
		if (b->pos >= b->n * 8) {
			b->bad = 1;
			return 0;
		}
		v = v << 1 | ((b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1);
		b->pos++;
	}
	return v;
}

static inline void
bits_skip(struct bits *b, size_t n)
{
	b->pos += n;
	if (b->pos > b->n * 8)
		b->bad = 1;
}

#endif
