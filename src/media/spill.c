#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "spill.h"
#include "lib/banned.h"

#define SPILL_BUF	(64 * 1024)

void
spill_init(struct spill *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->fd = -1;
}

void
spill_release(struct spill *s)
{
	if (s->fd != -1)
		close(s->fd);
	free(s->buf);
	spill_init(s, s->dir);
}

/* An unlinked file in dir: O_TMPFILE where the filesystem has it. */
static int
spill_create(struct spill *s)
{
	char path[4096];
	int fd;

#ifdef O_TMPFILE
	if ((fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return s->fd = fd;
#endif
	if (snprintf(path, sizeof(path), "%s/.remux-index.XXXXXX", s->dir) >=
	    (int)sizeof(path))
		return error("spill directory path too long");
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		log_warn("cannot create a temporary file in '%s'", s->dir);
		return -1;
	}
	unlink(path);
	return s->fd = fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("cannot write a temporary index file");
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int
spill_flush(struct spill *s)
{
	if (s->len == 0)
		return 0;
	if (s->fd == -1 && spill_create(s) == -1)
		return -1;
	if (write_all(s->fd, s->buf, s->len, s->filed) == -1)
		return -1;
	s->filed += s->len;
	s->len = 0;
	return 0;
}

int
spill_add(struct spill *s, const void *p, size_t n)
{
	if (s->buf == NULL && (s->buf = malloc(SPILL_BUF)) == NULL)
		return -1;
	while (n > 0) {
		size_t k = SPILL_BUF - s->len;

		if (k == 0) {
			if (spill_flush(s) == -1)
				return -1;
			continue;
		}
		if (k > n)
			k = n;
		memcpy(s->buf + s->len, p, k);
		s->len += k;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return 0;
}

uint64_t
spill_size(const struct spill *s)
{
	return s->reading ? s->filed + (s->fd == -1 ? s->len : 0) : s->filed + s->len;
}

int
spill_rewind(struct spill *s)
{
	/* once on file, all of it goes there, so reading has one source */
	if (!s->reading && s->fd != -1 && spill_flush(s) == -1)
		return -1;
	s->reading = 1;
	s->rpos = 0;
	s->roff = 0;
	if (s->fd != -1)
		s->len = 0;
	return 0;
}

int
spill_read(struct spill *s, void *p, size_t n)
{
	uint8_t *out = p;

	while (n > 0) {
		size_t k;

		if (s->rpos == s->len) {
			ssize_t r;

			if (s->fd == -1 || s->roff >= s->filed)
				return -1;
			do
				r = pread(s->fd, s->buf, SPILL_BUF, (off_t)s->roff);
			while (r == -1 && errno == EINTR);
			if (r <= 0) {
				log_warn("cannot read a temporary index file");
				return -1;
			}
			s->roff += (uint64_t)r;
			s->len = (size_t)r;
			s->rpos = 0;
		}
		k = s->len - s->rpos;
		if (k > n)
			k = n;
		memcpy(out, s->buf + s->rpos, k);
		s->rpos += k;
		out += k;
		n -= k;
	}
	return 0;
}

int
spill_reset(struct spill *s)
{
	s->len = s->rpos = 0;
	s->filed = s->roff = 0;
	s->reading = 0;
	if (s->fd != -1 && ftruncate(s->fd, 0) == -1)
		return error("cannot truncate a temporary index file");
	return 0;
}
