/*
 * The export engine's readers on one damaged or crafted segment: the body
 * of fuzz_ts, fuzz_mp4 and fuzz_fmp4, which differ in their seed corpus
 * and in which inputs they keep (FUZZ_MEDIA_TS: those that start like a
 * transport stream; else those that do not).
 *
 * Each input is written to a file (the readers pread() files) and
 *  1. read through demux_open()/demux_read() to the end, every sample
 *     checked and every byte of it touched;
 *  2. if a reader took it, exported by remux_run() as a one-segment job,
 *     the way the worker runs it;
 *  3. the MP4 it wrote, if any, read back through demux_open().
 *  4. (not MPEG-TS) searched for its fragmented-MP4 head and tail, as the
 *     prober does (recordings/fragtail.h): the ranges it gives lie in the
 *     file, in order, without overlap.
 * A segment must never crash, hang (run.sh gives -timeout=5) or leak.
 *
 * libavformat is not under test: demux_lavf.c is not linked and the
 * fallback below answers "not a stream we read", as when it is absent.
 */
#ifndef ARCHIVED_FUZZ_MEDIA_H
#define ARCHIVED_FUZZ_MEDIA_H

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "media/demux.h"
#include "media/nal.h"
#include "media/remux.h"
#include "recordings/fragtail.h"
#include "fuzz.h"

#define SEC		1000000LL
#define SEG_START	(1768471200LL * SEC)	/* the fixtures' base, 2026-01-15 10:00 UTC */

void	*demux_lavf_open(const char *path, struct demux_sink sink,
	    int (*cancelled)(void *), void *arg, const struct demux_ops **ops,
	    int *unsupported);

void *
demux_lavf_open(const char *path, struct demux_sink sink, int (*cancelled)(void *),
    void *arg, const struct demux_ops **ops, int *unsupported)
{
	(void)path;
	(void)sink;
	(void)cancelled;
	(void)arg;
	(void)ops;
	*unsupported = 0;
	return NULL;
}

static char seg_path[4200], out_path[4200];
static int print_samples;	/* FUZZ_PRINT=1: list what is read */

/* A growable sink for the video samples, as the writer's staging buffer. */
struct room {
	uint8_t	*p;
	size_t	 cap;
};

static uint8_t *
room_get(void *ctx, size_t used, size_t need)
{
	struct room *r = ctx;
	uint8_t *p;

	FUZZ_CHECK(used <= r->cap || r->p == NULL);
	if (need <= r->cap)
		return r->p;
	if ((p = realloc(r->p, need)) == NULL)
		return NULL;
	r->p = p;
	r->cap = need;
	return p;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_tmpdir();

	(void)argc;
	(void)argv;
	print_samples = getenv("FUZZ_PRINT") != NULL;
	log_set_level(print_samples ? LOG_LVL_WARN : LOG_LVL_ERROR);
	snprintf(seg_path, sizeof(seg_path), "%s/segment", dir);
	snprintf(out_path, sizeof(out_path), "%s/export.mp4", dir);
	return 0;
}

/* Read a file to its end through the demux API, checking each sample.
 * Returns the number of video samples, -1 if it did not open. */
static long
read_all(const char *path)
{
	struct room room = { NULL, 0 };
	struct demux_sink sink = { room_get, &room };
	struct demux_sample s;
	struct nal_list nals = { 0 };
	struct demux *in;
	long nvideo = 0;
	unsigned sum = 0;
	int unsupported = -1, r;

	if ((in = demux_open(path, sink, &unsupported)) == NULL) {
		FUZZ_CHECK(unsupported == 0 || unsupported == 1);
		free(room.p);
		return -1;
	}
	while ((r = demux_read(in, &s)) == 1) {
		FUZZ_CHECK(s.track == TRACK_VIDEO || s.track == TRACK_AUDIO);
		FUZZ_CHECK(demux_timescale(in, s.track) != 0);
		FUZZ_CHECK(s.data != NULL && s.size > 0);
		FUZZ_CHECK(s.cfg != NULL && s.cfg->reclen <= CODEC_CONFIG_MAX);
		/* Every byte handed out must be readable (ASan checks). */
		for (size_t i = 0; i < s.size; i++)
			sum += s.data[i];
		if (s.track == TRACK_VIDEO) {
			FUZZ_CHECK(s.cfg->codec == CODEC_H264 || s.cfg->codec == CODEC_HEVC);
			/* Readers promise length-prefixed NAL units. */
			FUZZ_CHECK(nal_split_lp(s.data, s.size, &nals) == 0);
			nvideo++;
		} else
			FUZZ_CHECK(s.cfg->codec == CODEC_AAC && s.cfg->sample_rate > 0);
		FUZZ_CHECK(demux_pos(in) <= demux_size(in));
		if (print_samples)
			fprintf(stderr, "%s: %s dts %lld pts %lld key %d size %zu\n", path,
			    s.track == TRACK_VIDEO ? "video" : "audio", (long long)s.dts,
			    (long long)s.pts, s.key, s.size);
	}
	FUZZ_CHECK(r == 0 || r == -1);
	demux_close(in);
	nal_list_release(&nals);
	free(room.p);
	/* Keep the sum alive. */
	if (sum == 0xdeadbeef)
		fprintf(stderr, "%u\n", sum);
	return nvideo;
}

/* The worker's view: one segment indexed as 4 s long, exported from 20 ms
 * after its start (the first keyframe becomes an edit-list lead-in) to
 * past its end. */
static void
export_one(void)
{
	struct remux_segment seg = { seg_path, SEG_START, SEG_START + 4 * SEC, 0 };
	struct remux_job job = { &seg, 1, SEG_START + 20000, SEG_START + 10 * SEC,
	    out_path, NULL, NULL, NULL, NULL };
	struct remux_result res;
	struct stat st;
	int rc;

	rc = remux_run(&job, &res);
	if (print_samples)
		fprintf(stderr, "export: %d %s %s (%lld bytes, %lld us)\n", rc, res.code,
		    res.message, (long long)res.size, (long long)res.duration_us);
	if (rc == 0) {
		FUZZ_CHECK(res.code[0] == '\0' || strcmp(res.code, REMUX_STREAM_CHANGED) == 0 ||
		    strcmp(res.code, REMUX_SOUND_LEFT_OUT) == 0);
		FUZZ_CHECK(stat(out_path, &st) == 0 && st.st_size == res.size);
		FUZZ_CHECK(res.duration_us >= 0);
		for (size_t i = 0; i < res.ncoverage; i++)
			FUZZ_CHECK(res.coverage[i][0] < res.coverage[i][1]);
		/* What we wrote, we read back. */
		FUZZ_CHECK(read_all(out_path) > 0);
	} else {
		FUZZ_CHECK(res.code[0] != '\0');
		/* A failed export leaves no file behind. */
		FUZZ_CHECK(stat(out_path, &st) == -1);
	}
	remux_result_release(&res);
	unlink(out_path);
}

/* The prober's search for a fragmented MP4's moov, first and last
 * fragments. */
static void
find_fragments(const char *path, int64_t size)
{
	struct fragtail ft;
	int fd = open(path, O_RDONLY);
	int rc;

	FUZZ_CHECK(fd != -1);
	rc = fragtail_find(fd, size, &ft);
	close(fd);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc != 1)
		return;
	FUZZ_CHECK(ft.n >= 2 && ft.n <= FRAGTAIL_RANGES);
	for (size_t i = 0; i < ft.n; i++) {
		FUZZ_CHECK(ft.r[i].off >= 0 && ft.r[i].len > 0);
		FUZZ_CHECK(ft.r[i].off + ft.r[i].len <= size);
		if (i > 0)
			FUZZ_CHECK(ft.r[i].off >= ft.r[i - 1].off + ft.r[i - 1].len);
	}
	if (print_samples)
		fprintf(stderr, "fragtail: %zu ranges, last at %lld\n", ft.n,
		    (long long)ft.r[ft.n - 1].off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ts = size > 0 && data[0] == 0x47;

#ifdef FUZZ_MEDIA_TS
	if (!ts)
		return -1;	/* not added to this target's corpus */
#else
	if (ts)
		return -1;
#endif
	fuzz_write_file(seg_path, data, size);
	if (!ts)
		find_fragments(seg_path, (int64_t)size);
	/* The export only of what a reader takes: for the rest remux_run
	 * does nothing more than fail to open it, which small inputs still
	 * show, and the engine's buffers (over a megabyte) would halve the
	 * rate. */
	if (read_all(seg_path) >= 0 || size < 1024)
		export_one();
	return 0;
}

#endif
