/* Probing a segment with the remux engine's own readers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "probe.h"
#include "remux_in.h"
#include "banned.h"

struct scratch {
	uint8_t		*p;
	size_t		 cap;
};

static uint8_t *
scratch_room(void *ctx, size_t used, size_t need)
{
	struct scratch *sc = ctx;
	uint8_t *p;

	(void)used;
	if (need <= sc->cap)
		return sc->p;
	if ((p = realloc(sc->p, need)) == NULL)
		return NULL;
	sc->p = p;
	sc->cap = need;
	return p;
}

int
probe_segment(const char *path, struct probe_info *pi)
{
	struct scratch sc = { NULL, 0 };
	struct rx_sink sink = { scratch_room, &sc };
	struct rx_input *in;
	struct rx_sample smp;
	int64_t lo = INT64_MAX, hi = INT64_MIN, last_dts = INT64_MIN, dur = 0;
	uint32_t vts;
	int unsupported, r, ret = -1;

	memset(pi, 0, sizeof(*pi));
	if ((in = rx_input_open(path, sink, &unsupported)) == NULL)
		return -1;
	vts = rx_input_timescale(in, RX_VIDEO);
	while ((r = rx_input_read(in, &smp)) == 1) {
		if (smp.track == RX_AUDIO) {
			pi->has_audio = 1;
			continue;
		}
		if (pi->frames++ == 0) {
			snprintf(pi->codec, sizeof(pi->codec), "%s",
			    smp.cfg->codec == RX_HEVC ? "hevc" : "h264");
			pi->width = smp.cfg->width;
			pi->height = smp.cfg->height;
		}
		if (last_dts != INT64_MIN && smp.dts > last_dts)
			dur = smp.dts - last_dts;
		last_dts = smp.dts;
		if (smp.pts < lo)
			lo = smp.pts;
		if (smp.pts > hi)
			hi = smp.pts;
	}
	if (pi->frames == 0 || vts == 0) {
		log_warnx("segment '%s' has no video frames", path);
		goto out;
	}
	pi->start_us = (int64_t)((__int128)lo * 1000000 / vts);
	pi->duration_us = (int64_t)((__int128)(hi + dur - lo) * 1000000 / vts);
	pi->bytes = (int64_t)rx_input_size(in);
	pi->truncated = rx_input_truncated(in);
	ret = 0;
out:
	rx_input_close(in);
	free(sc.p);
	return ret;
}
