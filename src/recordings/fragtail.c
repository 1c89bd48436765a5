/* A fragmented MP4's head and tail, as byte ranges. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fragtail.h"
#include "lib/util.h"
#include "lib/banned.h"

#define FOURCC(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define T_FTYP	FOURCC('f', 't', 'y', 'p')
#define T_MOOV	FOURCC('m', 'o', 'o', 'v')
#define T_MOOF	FOURCC('m', 'o', 'o', 'f')
#define T_MFHD	FOURCC('m', 'f', 'h', 'd')
#define T_MDAT	FOURCC('m', 'd', 'a', 't')

/* Top-level boxes before the first fragment: ftyp, moov, sidx, free... */
#define HEAD_BOXES	64
/* Boxes after the last fragment's moof: its mdat, an mfra, a box being
 * written. */
#define TAIL_BOXES	8
/* The backward search reads this much at a time. */
#define CHUNK		(256 * 1024)

enum { BOX_BAD, BOX_OK, BOX_PARTIAL };

struct box {
	int64_t		 off, size;	/* size: the whole box, header included */
	uint32_t	 type;
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* pread_full, counting what it read. */
static ssize_t
read_at(int fd, void *buf, size_t len, int64_t off, int64_t *counted)
{
	ssize_t got = pread_full(fd, buf, len, (uint64_t)off);

	if (got > 0)
		*counted += got;
	return got;
}

/* The box at off: BOX_OK, BOX_PARTIAL (it runs past the end of the file:
 * still being written), BOX_BAD (not a box), or -1 on a read error. */
static int
box_at(int fd, int64_t off, int64_t size, struct box *b, int64_t *counted)
{
	uint8_t h[16];
	ssize_t n;
	uint64_t sz;
	int hdr = 8;

	if (size - off < 8)
		return size == off ? BOX_BAD : BOX_PARTIAL;
	if ((n = read_at(fd, h, sizeof(h), off, counted)) == -1)
		return -1;
	sz = be32(h);
	b->off = off;
	b->type = be32(h + 4);
	if (sz == 1) {
		if (n < 16)
			return BOX_PARTIAL;
		sz = (uint64_t)be32(h + 8) << 32 | be32(h + 12);
		hdr = 16;
	} else if (sz == 0)
		sz = (uint64_t)(size - off);	/* to the end of the file */
	if (sz < (uint64_t)hdr || sz > (uint64_t)INT64_MAX)
		return BOX_BAD;
	b->size = (int64_t)sz;
	return b->size > size - off ? BOX_PARTIAL : BOX_OK;
}

static void
add_range(struct fragtail *ft, int64_t off, int64_t len)
{
	ft->r[ft->n].off = off;
	ft->r[ft->n].len = len;
	ft->n++;
}

/*
 * The fragment whose moof is at off: a whole moof (with its mfhd first),
 * then a whole mdat, then boxes that run exactly to the end of the file or
 * into one still being written. Its length (moof and mdat) or 0; -1 on a
 * read error.
 */
static int64_t
fragment_at(int fd, int64_t off, int64_t size, int last, int64_t *counted)
{
	struct box moof, mdat, b;
	uint8_t h[8];
	int64_t at;
	int rc;

	if ((rc = box_at(fd, off, size, &moof, counted)) != BOX_OK)
		return rc == -1 ? -1 : 0;
	if (moof.type != T_MOOF || moof.size < 24)
		return 0;
	if (read_at(fd, h, sizeof(h), off + 8, counted) != (ssize_t)sizeof(h))
		return -1;
	if (be32(h + 4) != T_MFHD || be32(h) < 16 || be32(h) > (uint32_t)moof.size - 8)
		return 0;
	if ((rc = box_at(fd, off + moof.size, size, &mdat, counted)) != BOX_OK)
		return rc == -1 ? -1 : 0;
	if (mdat.type != T_MDAT)
		return 0;
	at = mdat.off + mdat.size;
	for (int i = 0; last && at < size; i++) {
		if (i == TAIL_BOXES)
			return 0;
		if ((rc = box_at(fd, at, size, &b, counted)) == -1)
			return -1;
		if (rc == BOX_PARTIAL)
			break;
		if (rc == BOX_BAD)
			return 0;
		at += b.size;
	}
	return mdat.off + mdat.size - off;
}

/* The last complete fragment after `from`, searching back from the end. */
static int
find_last(int fd, int64_t from, int64_t size, int64_t *off, int64_t *len,
    int64_t *counted)
{
	uint8_t *buf = malloc(CHUNK + 4);
	int64_t end = size;
	int ret = 0;

	if (buf == NULL)
		return -1;
	while (end > from && ret == 0) {
		int64_t start = end - CHUNK > from ? end - CHUNK : from;
		/* 4 bytes more, so a type split across chunks is found */
		size_t want = (size_t)(end - start) + (end < size ? 4 : 0);
		ssize_t n = read_at(fd, buf, want, start, counted);

		if (n == -1) {
			ret = -1;
			break;
		}
		for (ssize_t i = n - 4; i >= 4 && ret == 0; i--) {
			int64_t l;

			if (memcmp(buf + i, "moof", 4) != 0)
				continue;
			if ((l = fragment_at(fd, start + i - 4, size, 1, counted)) == -1)
				ret = -1;
			else if (l > 0) {
				*off = start + i - 4;
				*len = l;
				ret = 1;
			}
		}
		end = start;
	}
	free(buf);
	return ret;
}

int
fragtail_find(int fd, int64_t size, struct fragtail *ft)
{
	struct box b;
	int64_t at = 0, first_len, last_off, last_len;
	int have_moov = 0, rc;

	memset(ft, 0, sizeof(*ft));
	for (int i = 0;; i++) {
		if (i == HEAD_BOXES)
			return 0;
		if ((rc = box_at(fd, at, size, &b, &ft->read_bytes)) != BOX_OK)
			return rc == -1 ? -1 : 0;
		if (b.type == T_MOOF)
			break;
		if (b.type == T_MDAT)
			return 0;	/* samples before any fragment: plain MP4 */
		if (b.type == T_FTYP || b.type == T_MOOV) {
			if (ft->n == FRAGTAIL_RANGES - 2)
				return 0;
			add_range(ft, b.off, b.size);
			have_moov |= b.type == T_MOOV;
		}
		at += b.size;
	}
	if (!have_moov)
		return 0;
	if ((first_len = fragment_at(fd, at, size, 0, &ft->read_bytes)) <= 0)
		return first_len == -1 ? -1 : 0;
	add_range(ft, at, first_len);
	rc = find_last(fd, at + first_len, size, &last_off, &last_len, &ft->read_bytes);
	if (rc == 1) {
		add_range(ft, last_off, last_len);
		return 1;
	}
	if (rc == -1)
		return -1;
	/* No later fragment: the first is the last, or the tail is not
	 * understood. */
	rc = fragment_at(fd, at, size, 1, &ft->read_bytes) > 0;
	return rc;
}
