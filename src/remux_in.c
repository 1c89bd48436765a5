/* Opening a segment: MPEG-TS or (fragmented) MP4, told apart by content. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "remux_in.h"
#include "banned.h"

struct rx_input {
	int		 fd;
	char		*path;
	uint64_t	 size;
	void		*r;
	const struct rx_reader_ops *ops;
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

struct rx_input *
rx_input_open(const char *path, struct rx_sink sink, int *unsupported)
{
	struct rx_input *in;
	struct stat st;
	uint8_t h[189];
	ssize_t n;

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
	if (n > 0 && h[0] == 0x47 && (n < 189 || h[188] == 0x47))
		in->r = rx_ts_open(in->fd, in->size, in->path, sink, &in->ops,
		    unsupported);
	else if (n > 0 && looks_mp4(h, (size_t)n))
		in->r = rx_mp4_open(in->fd, in->size, in->path, sink, &in->ops,
		    unsupported);
	else
		log_warnx("segment '%s' is neither MPEG-TS nor MP4", path);
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
rx_input_close(struct rx_input *in)
{
	if (in == NULL)
		return;
	in->ops->close(in->r);
	close(in->fd);
	free(in->path);
	free(in);
}

int
rx_input_read(struct rx_input *in, struct rx_sample *s)
{
	return in->ops->read(in->r, s);
}

uint32_t
rx_input_timescale(const struct rx_input *in, int track)
{
	return in->ops->timescale(in->r, track);
}

uint64_t
rx_input_pos(const struct rx_input *in)
{
	return in->ops->pos(in->r);
}

uint64_t
rx_input_size(const struct rx_input *in)
{
	return in->size;
}

int
rx_input_truncated(const struct rx_input *in)
{
	return in->ops->truncated(in->r);
}
