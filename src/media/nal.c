/*
 * NAL unit framing: Annex B start codes (MPEG-TS) and 4-byte lengths (MP4),
 * and the unit types an export needs (keyframes, parameter sets).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nal.h"
#include "lib/banned.h"

void
nal_list_release(struct nal_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
nal_list_add(struct nal_list *l, size_t off, size_t len)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nal_span *v = reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].off = off;
	l->v[l->n].len = len;
	l->n++;
	return 0;
}

/* Index of the next 00 00 01 at or after i, or n: memchr finds the 0x01s. */
static size_t
find_start_code_c(const uint8_t *p, size_t n, size_t i)
{
	while (i + 3 <= n) {
		const uint8_t *q = memchr(p + i + 2, 1, n - i - 2);
		size_t k;

		if (q == NULL)
			return n;
		k = (size_t)(q - p);
		if (p[k - 1] == 0 && p[k - 2] == 0)
			return k - 2;
		i = k - 1;
	}
	return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/*
 * Slice data holds a 0x01 every 256 bytes or so, but two zero bytes in a
 * row only at start codes and emulation prevention (00 00 03): look for
 * those pairs, 16 or 32 bytes at a time.
 */
static size_t
find_start_code_sse2(const uint8_t *p, size_t n, size_t i)
{
	const __m128i z = _mm_setzero_si128();

	for (; i + 18 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), z));

		for (; m != 0; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctz(m);

			if (p[k + 2] == 1)
				return k;
		}
	}
	return find_start_code_c(p, n, i);
}

__attribute__((target("avx2")))
static size_t
find_start_code_avx2(const uint8_t *p, size_t n, size_t i)
{
	const __m256i z = _mm256_setzero_si256();

	for (; i + 34 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 1));
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_or_si256(a, b), z));

		for (; m != 0; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctz(m);

			if (p[k + 2] == 1)
				return k;
		}
	}
	return find_start_code_sse2(p, n, i);
}

static size_t
find_start_code(const uint8_t *p, size_t n, size_t i)
{
	static int avx2 = -1;

	if (avx2 == -1)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return avx2 ? find_start_code_avx2(p, n, i) : find_start_code_sse2(p, n, i);
}
#else
#define find_start_code	find_start_code_c
#endif

int
nal_split_annexb(const uint8_t *p, size_t n, struct nal_list *l)
{
	size_t pos = find_start_code(p, n, 0);

	l->n = 0;
	while (pos < n) {
		size_t start = pos + 3, end = find_start_code(p, n, start);
		size_t next = end;

		/* zero bytes before a start code belong to the byte stream */
		while (end > start && p[end - 1] == 0)
			end--;
		if (end > start && nal_list_add(l, start, end - start) == -1)
			return -1;
		pos = next;
	}
	return 0;
}

int
nal_split_lp(const uint8_t *p, size_t n, struct nal_list *l)
{
	size_t pos = 0;

	l->n = 0;
	while (pos + 4 <= n) {
		size_t len = (size_t)p[pos] << 24 | (size_t)p[pos + 1] << 16 |
		    (size_t)p[pos + 2] << 8 | p[pos + 3];

		if (len == 0 || len > n - pos - 4)
			return -1;
		if (nal_list_add(l, pos + 4, len) == -1)
			return -1;
		pos += 4 + len;
	}
	return pos == n ? 0 : -1;
}

size_t
nal_lp_size(const struct nal_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += 4 + l->v[i].len;
	return n;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
nal_annexb_to_lp(uint8_t *p, size_t n, const struct nal_list *l,
    uint8_t **scratch, size_t *scratch_cap)
{
	size_t d = 0;
	int grow = 0, shrink = 0;

	/* Each unit moves by (its new offset + 4) - (its old offset). With
	 * 4-byte start codes that is 0: the length just overwrites the code. */
	for (size_t i = 0; i < l->n; i++) {
		if (d + 4 > l->v[i].off)
			grow = 1;
		else if (d + 4 < l->v[i].off)
			shrink = 1;
		d += 4 + l->v[i].len;
	}
	if (grow && shrink) {
		if (*scratch_cap < n) {
			uint8_t *s = realloc(*scratch, n);

			if (s == NULL)
				return -1;
			*scratch = s;
			*scratch_cap = n;
		}
		memcpy(*scratch, p, n);
		d = 0;
		for (size_t i = 0; i < l->n; i++) {
			put_be32(p + d, (uint32_t)l->v[i].len);
			memcpy(p + d + 4, *scratch + l->v[i].off, l->v[i].len);
			d += 4 + l->v[i].len;
		}
		return 0;
	}
	if (grow) {	/* move right: last unit first */
		for (size_t i = l->n; i-- > 0;) {
			d -= 4 + l->v[i].len;
			memmove(p + d + 4, p + l->v[i].off, l->v[i].len);
			put_be32(p + d, (uint32_t)l->v[i].len);
		}
		return 0;
	}
	d = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (d + 4 != l->v[i].off)
			memmove(p + d + 4, p + l->v[i].off, l->v[i].len);
		put_be32(p + d, (uint32_t)l->v[i].len);
		d += 4 + l->v[i].len;
	}
	return 0;
}

int
nal_type(enum codec_id codec, const uint8_t *nal)
{
	return codec == CODEC_HEVC ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
}

int
nal_is_vcl(enum codec_id codec, int type)
{
	return codec == CODEC_HEVC ? type < 32 : type >= 1 && type <= 5;
}

int
nal_is_key(enum codec_id codec, int type)
{
	return codec == CODEC_HEVC ? type >= 16 && type <= 21 : type == 5;
}

int
nal_param_kind(enum codec_id codec, int type)
{
	if (codec == CODEC_HEVC)
		return type == 33 ? 1 : type == 34 ? 2 : type == 32 ? 3 : 0;
	return type == 7 ? 1 : type == 8 ? 2 : 0;
}

