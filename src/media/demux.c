/* Opening a segment: MPEG-TS or (fragmented) MP4, told apart by content,
 * with libavformat for what those two readers do not take. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "demux.h"
#include "codec.h"
#include "lib/banned.h"

struct demux {
	int		 fd;
	char		*path;
	uint64_t	 size;
	void		*r;
	const struct demux_ops *ops;
};

/* Top-level box types a recording can start with. */
static int
looks_mp4(const uint8_t *h, size_t n)
{
	static const char *types[] = { "ftyp", "styp", "moov", "moof", "free", "skip",
	    "mdat", "sidx", "wide", "uuid" };

	if (n < 8)
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (memcmp(h + 4, types[i], 4) == 0)
			return 1;
	return 0;
}

/* Whether the first program map of a TS lists LATM AAC (stream_type
 * 0x11), which the TS reader does not read; any PID: no PAT needed. */
static int
ts_lists_latm(int fd)
{
	uint8_t b[64 * 188];
	ssize_t n;

	do
		n = pread(fd, b, sizeof(b), 0);
	while (n == -1 && errno == EINTR);
	for (ssize_t off = 0; off + 188 <= n; off += 188) {
		const uint8_t *p = b + off;
		size_t o = 4, end, pos;

		if (p[0] != 0x47 || !(p[1] & 0x40) || !(p[3] & 0x10))
			continue;
		if (p[3] & 0x20)
			o = 5 + (size_t)p[4];
		if (o >= 188 || (o += 1 + (size_t)p[o]) + 12 > 188 || p[o] != 0x02)
			continue;	/* not a PMT section */
		end = o + 3 + ((size_t)(p[o + 1] & 0x0f) << 8 | p[o + 2]) - 4;
		if (end > 188)
			end = 188;
		for (pos = o + 12 + ((size_t)(p[o + 10] & 0x0f) << 8 | p[o + 11]);
		    pos + 5 <= end; pos += 5 + ((size_t)(p[pos + 3] & 0x0f) << 8 | p[pos + 4]))
			if (p[pos] == 0x11)
				return 1;
		return 0;
	}
	return 0;
}

struct demux *
demux_open(const char *path, struct demux_sink sink, int *unsupported)
{
	return demux_open_job(path, sink, NULL, NULL, unsupported);
}

struct demux *
demux_open_job(const char *path, struct demux_sink sink, int (*cancelled)(void *),
    void *arg, int *unsupported)
{
	const struct demux_ops *ops;
	struct demux *in;
	struct stat st;
	uint8_t h[189];
	ssize_t n;
	int is_ts = 0, known = 1;
	void *r;

	*unsupported = 0;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("cannot open segment '%s'", path);
		goto fail;
	}
	if ((in->path = strdup(path)) == NULL)
		goto fail;
	if (fstat(in->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("segment '%s' is not a regular file", path);
		goto fail;
	}
	in->size = (uint64_t)st.st_size;
	(void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	do
		n = pread(in->fd, h, sizeof(h), 0);
	while (n == -1 && errno == EINTR);
	if (n > 0 && h[0] == 0x47 && (n < 189 || h[188] == 0x47)) {
		is_ts = 1;
		in->r = demux_ts_open(in->fd, in->size, in->path, sink, &in->ops,
		    unsupported);
	} else if (n > 0 && looks_mp4(h, (size_t)n))
		in->r = demux_mp4_open(in->fd, in->size, in->path, sink, &in->ops,
		    unsupported);
	else
		known = 0;
	/* What the fast readers do not take, libavformat may: a codec setup
	 * they refuse, another container, or (TS) sound they would leave out. */
	if ((in->r == NULL && (!known || *unsupported)) || (in->r != NULL &&
	    is_ts && in->ops->timescale(in->r, TRACK_AUDIO) == 0 &&
	    ts_lists_latm(in->fd))) {
		int unsup = 0;

		if ((r = demux_lavf_open(in->path, sink, cancelled, arg, &ops, &unsup)) != NULL) {
			if (in->r != NULL)
				in->ops->close(in->r);
			in->r = r;
			in->ops = ops;
			*unsupported = 0;
		} else
			*unsupported |= unsup;
	}
	if (in->r == NULL)
		goto fail;
	return in;
fail:
	if (in->fd != -1)
		close(in->fd);
	free(in->path);
	free(in);
	return NULL;
}

void
demux_close(struct demux *in)
{
	if (in == NULL)
		return;
	in->ops->close(in->r);
	close(in->fd);
	free(in->path);
	free(in);
}

int
demux_read(struct demux *in, struct demux_sample *s)
{
	return in->ops->read(in->r, s);
}

uint32_t
demux_timescale(const struct demux *in, int track)
{
	return in->ops->timescale(in->r, track);
}

uint64_t
demux_pos(const struct demux *in)
{
	return in->ops->pos(in->r);
}

uint64_t
demux_size(const struct demux *in)
{
	return in->size;
}

int
demux_truncated(const struct demux *in)
{
	return in->ops->truncated(in->r);
}

const char *
demux_sound_left_out(const struct demux *in)
{
	return in->ops->sound_left_out != NULL ? in->ops->sound_left_out(in->r) : NULL;
}
