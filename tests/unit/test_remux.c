/*
 * The remux engine against real recordings made by ffmpeg
 * (tests/media/make-fixtures.sh), each output checked with ffprobe and by
 * decoding it with ffmpeg. Skipped (77) without ffmpeg.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "media/mp4w.h"
#include "media/remux.h"
#include "media/demux.h"
#include "lib/util.h"
#include "media_check.h"
#include "unit.h"
#include "lib/banned.h"

#define SEC		1000000LL
#define BASE		(1768471200LL * SEC)	/* 2026-01-15 10:00:00 UTC, the fixtures' start */
#define FRAME		40000			/* 25 fps */

static char fixtures[1024];	/* OUTDIR of make-fixtures.sh */
static char tmp[1024];
static char srcdir[1024];

struct row {
	char	 kase[32], path[1600], codec[16];
	int64_t	 start_us, end_us, bytes;
	int	 width, height, audio;
};
static struct row rows[64];
static size_t nrows;

/* The manifest, once, in main(): children of the forked tests inherit it. */
static int
manifest_read(void)
{
	char path[1100], line[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.tsv", fixtures);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && nrows < nitems(rows)) {
		struct row *r = &rows[nrows];
		char rel[512];

		if (sscanf(line, "%31s %511s %" SCNd64 " %" SCNd64 " %" SCNd64
		    " %15s %d %d %d", r->kase, rel, &r->start_us, &r->end_us,
		    &r->bytes, r->codec, &r->width, &r->height, &r->audio) != 9)
			continue;
		snprintf(r->path, sizeof(r->path), "%s/%s", fixtures, rel);
		nrows++;
	}
	fclose(f);
	/* Rows without a usable end: the segments are 4 s long. */
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].end_us <= rows[i].start_us)
			rows[i].end_us = rows[i].start_us + 4 * SEC;
	return nrows > 0 ? 0 : -1;
}

/* The case's segments (all of them: the engine skips those out of range). */
static size_t
case_segments(const char *kase, struct remux_segment *segs, size_t max, int *audio)
{
	size_t n = 0;

	for (size_t i = 0; i < nrows && n < max; i++) {
		if (strcmp(rows[i].kase, kase) != 0)
			continue;
		segs[n].path = rows[i].path;
		segs[n].start_us = rows[i].start_us;
		segs[n].end_us = rows[i].end_us;
		segs[n].bytes = rows[i].bytes;
		*audio = rows[i].audio;
		n++;
	}
	ck_assert_msg(n > 0, "no fixture rows for %s", kase);
	return n;
}

/* Top-level box types in order, as "ftyp moov free mdat". */
static void
top_boxes(const char *path, char *out, size_t len)
{
	unsigned char h[16];
	FILE *f = fopen(path, "rb");
	off_t pos = 0;

	out[0] = '\0';
	ck_assert_ptr_nonnull(f);
	while (fseeko(f, pos, SEEK_SET) == 0 && fread(h, 1, 8, f) == 8) {
		uint64_t size = (uint64_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];

		if (size == 1) {
			ck_assert_int_eq(fread(h + 8, 1, 8, f), 8);
			size = 0;
			for (int i = 8; i < 16; i++)
				size = size << 8 | h[i];
		}
		snprintf(out + strlen(out), len - strlen(out), "%s%.4s",
		    out[0] ? " " : "", (char *)h + 4);
		if (size < 8)
			break;
		pos += (off_t)size;
	}
	fclose(f);
}

struct expect {
	int64_t	 duration_us;	/* range minus gaps */
	int64_t	 lead_us;	/* from minus the keyframe before it */
	int	 audio;
	const char *tag;	/* "avc1" or "hvc1" */
};

/* Everything a player relies on, checked on the file with ffmpeg's tools. */
static void
check_output(const char *out, const struct expect *e, int64_t tolerance)
{
	struct buf b;
	char cmd[2048], v[64], boxes[256];
	const char *line;
	int64_t last_dts[2] = { INT64_MIN, INT64_MIN };
	int first[2] = { 1, 1 }, nstreams = 0, saw_audio = 0;
	double vdur = -1;

	buf_init(&b);
	top_boxes(out, boxes, sizeof(boxes));
	ck_assert_msg(strncmp(boxes, "ftyp moov", 9) == 0, "boxes: %s", boxes);

	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -i '%s' -f null - 2>&1", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	ck_assert_msg(b.len == 0, "ffmpeg decoding %s says: %s", out, b.data);

	snprintf(cmd, sizeof(cmd), "ffprobe -v error -show_entries "
	    "stream=index,codec_type,codec_tag_string,start_time,duration "
	    "-of compact=p=0 '%s'", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	for (line = b.data; line != NULL && *line; line = strchr(line, '\n'),
	    line = line ? line + 1 : NULL) {
		if (unit_field(line, "codec_type", v, sizeof(v))[0] == '\0')
			continue;
		nstreams++;
		if (strcmp(v, "audio") == 0) {
			saw_audio = 1;
			continue;
		}
		ck_assert_str_eq(unit_field(line, "codec_tag_string", v, sizeof(v)), e->tag);
		ck_assert_msg(fabs(strtod(unit_field(line, "start_time", v, sizeof(v)),
		    NULL)) < 0.001, "video start_time %s", v);
		vdur = strtod(unit_field(line, "duration", v, sizeof(v)), NULL);
	}
	ck_assert_int_eq(saw_audio, e->audio);
	ck_assert_int_eq(nstreams, 1 + e->audio);
	ck_assert_msg(fabs(vdur * SEC - (double)e->duration_us) <= (double)tolerance,
	    "video lasts %.3f s, want %.3f s", vdur, (double)e->duration_us / SEC);

	snprintf(cmd, sizeof(cmd), "ffprobe -v error -show_entries "
	    "packet=stream_index,pts_time,dts,flags -of compact=p=0 '%s'", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	for (line = b.data; line != NULL && *line; line = strchr(line, '\n'),
	    line = line ? line + 1 : NULL) {
		int64_t dts;
		int s;

		if (unit_field(line, "stream_index", v, sizeof(v))[0] == '\0')
			continue;	/* side data */
		s = (int)strtol(v, NULL, 10);
		dts = strtoll(unit_field(line, "dts", v, sizeof(v)), NULL, 10);
		ck_assert(s == 0 || s == 1);
		if (first[s] && s == 0) {
			double pts = strtod(unit_field(line, "pts_time", v, sizeof(v)), NULL);

			ck_assert_msg(strchr(unit_field(line, "flags", v, sizeof(v)), 'K') != NULL,
			    "first video packet is not a keyframe");
			/* the lead-in before from: negative, hidden by the edit list */
			ck_assert_msg(fabs(pts * SEC + (double)e->lead_us) < 1000,
			    "first video pts %.3f, want %.3f", pts, -(double)e->lead_us / SEC);
		}
		first[s] = 0;
		ck_assert_msg(dts > last_dts[s], "stream %d dts %" PRId64 " after %" PRId64,
		    s, dts, last_dts[s]);
		last_dts[s] = dts;
	}
	ck_assert_int_eq(first[0], 0);
	buf_release(&b);
}

static int
export(const char *kase, int64_t from, int64_t to, struct remux_result *res,
    int *audio)
{
	struct remux_segment segs[16];
	struct remux_job job = { 0 };
	char out[1100];
	int a = 0;

	job.nsegs = case_segments(kase, segs, nitems(segs), &a);
	job.segs = segs;
	job.from_us = from;
	job.to_us = to;
	snprintf(out, sizeof(out), "%s/%s.mp4", tmp, kase);
	job.out_path = out;
	job.tmp_dir = tmp;
	if (audio != NULL)
		*audio = a;
	return remux_run(&job, res);
}

static int64_t
coverage_total(const struct remux_result *res)
{
	int64_t t = 0;

	for (size_t i = 0; i < res->ncoverage; i++)
		t += res->coverage[i][1] - res->coverage[i][0];
	return t;
}

/* One row per fixture case: the range asked and what must come out. */
static const struct {
	const char	*kase;
	int64_t		 from, to;	/* seconds after BASE */
	const char	*code;
	int64_t		 duration_us;	/* 0: the coverage decides (truncated) */
	size_t		 ncoverage;
	int64_t		 lead_us;
	const char	*tag;
	int		 slack;		/* extra frames allowed at the end */
} cases[] = {
	{ "h264_aac_ts", 1, 11, "", 10 * SEC, 1, 1 * SEC, "avc1", 0 },
	{ "h264_bframes_ts", 1, 11, "", 10 * SEC, 1, 1 * SEC, "avc1", 0 },
	{ "h264_fmp4", 1, 11, "", 10 * SEC, 1, 1 * SEC, "avc1", 0 },
	{ "h264_mp4", 1, 11, "", 10 * SEC, 1, 1 * SEC, "avc1", 0 },
	{ "h265_ts", 1, 11, "", 10 * SEC, 1, 1 * SEC, "hvc1", 0 },
	{ "silent_ts", 1, 11, "", 10 * SEC, 1, 1 * SEC, "avc1", 0 },
	/* from on a keyframe: no lead-in */
	{ "h264_aac_ts", 2, 12, "", 10 * SEC, 1, 0, "avc1", 0 },
	/* [1, 17) across the 8..14 gap */
	{ "gap_ts", 1, 17, "", 10 * SEC, 2, 1 * SEC, "avc1", 0 },
	/* starting inside the gap: the first keyframe after it */
	{ "gap_ts", 9, 17, "", 3 * SEC, 1, 0, "avc1", 0 },
	{ "reschange_ts", 1, 15, "stream_changed", 7 * SEC, 1, 1 * SEC, "avc1", 0 },
	{ "truncated_ts", 1, 11, "", 0, 2, 1 * SEC, "avc1", 0 },
	{ "missing_ts", 1, 11, "", 6 * SEC, 2, 1 * SEC, "avc1", 0 },
};

START_TEST(test_case)
{
	struct remux_result res;
	struct expect e;
	char out[1100];
	int audio, rc;

	rc = export(cases[_i].kase, BASE + cases[_i].from * SEC,
	    BASE + cases[_i].to * SEC, &res, &audio);
	ck_assert_msg(rc == 0, "%s: %s: %s", cases[_i].kase, res.code, res.message);
	ck_assert_str_eq(res.code, cases[_i].code);
	ck_assert_uint_eq(res.ncoverage, cases[_i].ncoverage);
	e.duration_us = cases[_i].duration_us ? cases[_i].duration_us :
	    coverage_total(&res);
	if (cases[_i].duration_us == 0)	/* half of a 4 s segment survived */
		ck_assert(e.duration_us > 5 * SEC && e.duration_us < 9 * SEC);
	ck_assert_msg(llabs(res.duration_us - e.duration_us) <= FRAME,
	    "duration %" PRId64 " want %" PRId64, res.duration_us, e.duration_us);
	ck_assert_msg(llabs(coverage_total(&res) - e.duration_us) <= FRAME,
	    "coverage %" PRId64 " want %" PRId64, coverage_total(&res), e.duration_us);
	ck_assert_int_eq(res.coverage[0][0], BASE + (cases[_i].from == 9 ? 14 :
	    cases[_i].from) * SEC);
	e.lead_us = cases[_i].lead_us;
	e.audio = audio;
	e.tag = cases[_i].tag;
	snprintf(out, sizeof(out), "%s/%s.mp4", tmp, cases[_i].kase);
	check_output(out, &e, FRAME * (1 + cases[_i].slack));
	remux_result_release(&res);
}
END_TEST

START_TEST(test_no_footage)
{
	struct remux_result res;
	char out[1100];

	snprintf(out, sizeof(out), "%s/gap_ts.mp4", tmp);
	unlink(out);
	/* before the recording, and entirely inside gap_ts's gap */
	ck_assert_int_eq(export("h264_aac_ts", BASE - 60 * SEC, BASE - 10 * SEC,
	    &res, NULL), -1);
	ck_assert_str_eq(res.code, "no_footage");
	ck_assert_int_eq(export("gap_ts", BASE + 8500000, BASE + 13 * SEC, &res,
	    NULL), -1);
	ck_assert_str_eq(res.code, "no_footage");
	ck_assert_ptr_null(res.coverage);
	snprintf(out, sizeof(out), "%s/gap_ts.mp4", tmp);
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_nothing_readable)
{
	struct remux_segment seg = { "/nonexistent/seg.ts", BASE, BASE + 4 * SEC, 0 };
	struct remux_job job = { 0 };
	struct remux_result res;
	char out[1100];

	snprintf(out, sizeof(out), "%s/none.mp4", tmp);
	job.segs = &seg;
	job.nsegs = 1;
	job.from_us = BASE;
	job.to_us = BASE + 4 * SEC;
	job.out_path = out;
	ck_assert_int_eq(remux_run(&job, &res), -1);
	ck_assert_str_eq(res.code, "no_footage");
	ck_assert_int_eq(access(out, F_OK), -1);
	job.nsegs = 0;
	ck_assert_int_eq(remux_run(&job, &res), -1);
	ck_assert_str_eq(res.code, "no_footage");
	job.to_us = job.from_us;
	ck_assert_int_eq(remux_run(&job, &res), -1);
	ck_assert_str_eq(res.code, "input_error");
}
END_TEST

struct watch {
	int64_t	 cancel_at;	/* mono_us when cancelled() starts saying yes */
	int64_t	 last_done, total;
	int	 calls, backwards;
};

static int
watch_cancelled(void *arg)
{
	struct watch *w = arg;

	return w->cancel_at != 0 && mono_us() >= w->cancel_at;
}

static int
watch_progress(void *arg, int64_t done, int64_t total)
{
	struct watch *w = arg;

	if (done < w->last_done)
		w->backwards = 1;
	w->last_done = done;
	w->total = total;
	w->calls++;
	return 0;
}

/* Many copies of one case's segments, one after the other in time. */
static size_t
long_job(struct remux_segment *segs, size_t copies)
{
	struct remux_segment one[4];
	int audio;
	size_t n = case_segments("h264_aac_ts", one, nitems(one), &audio);

	for (size_t c = 0; c < copies; c++)
		for (size_t i = 0; i < n; i++) {
			segs[c * n + i] = one[i];
			segs[c * n + i].start_us += (int64_t)c * 12 * SEC;
			segs[c * n + i].end_us += (int64_t)c * 12 * SEC;
		}
	return copies * n;
}

START_TEST(test_cancel)
{
	static struct remux_segment segs[3 * 2000];
	struct remux_job job = { 0 };
	struct remux_result res;
	struct watch w = { 0 };
	char out[1100];
	int64_t t;

	job.nsegs = long_job(segs, 2000);
	job.segs = segs;
	job.from_us = BASE;
	job.to_us = BASE + 2000 * 12 * SEC;
	snprintf(out, sizeof(out), "%s/cancel.mp4", tmp);
	job.out_path = out;
	job.cancelled = watch_cancelled;
	job.progress = watch_progress;
	job.arg = &w;
	w.cancel_at = mono_us() + 300000;
	ck_assert_int_eq(remux_run(&job, &res), -1);
	t = mono_us();
	ck_assert_str_eq(res.code, "cancelled");
	ck_assert_msg(t - w.cancel_at < SEC, "took %" PRId64 " us to stop",
	    t - w.cancel_at);
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(w.backwards, 0);
}
END_TEST

START_TEST(test_progress)
{
	static struct remux_segment segs[3 * 20];
	struct remux_job job = { 0 };
	struct remux_result res;
	struct watch w = { 0 };
	char out[1100];

	job.nsegs = long_job(segs, 20);
	job.segs = segs;
	job.from_us = BASE + 5 * SEC;
	job.to_us = BASE + 200 * SEC;
	snprintf(out, sizeof(out), "%s/progress.mp4", tmp);
	job.out_path = out;
	job.progress = watch_progress;
	job.arg = &w;
	ck_assert_int_eq(remux_run(&job, &res), 0);
	ck_assert_int_gt(w.calls, 0);
	ck_assert_int_eq(w.backwards, 0);
	ck_assert_int_eq(w.last_done, w.total);
	ck_assert_int_gt(w.total, 0);
	ck_assert_uint_eq(res.ncoverage, 1);
	ck_assert_int_le(llabs(res.duration_us - 195 * SEC), FRAME);
	remux_result_release(&res);
}
END_TEST

static uint8_t *
writer_room(void *ctx, size_t used, size_t need)
{
	return mp4w_room(ctx, used, need);
}

/*
 * Copy one TS segment straight through the writer with `reserve` bytes
 * for moov; the number of video samples written.
 */
static uint64_t
write_direct(const char *seg, const char *out, uint64_t reserve)
{
	struct mp4w *w = mp4w_open(out, tmp);
	struct demux_sink sink = { writer_room, w };
	struct demux *in;
	struct demux_sample smp;
	struct mp4w_edit edit[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	int64_t end[2] = { 0, 0 }, vfirst = INT64_MIN, afirst = INT64_MIN;
	int unsupported, vtrack = 0, atrack = 0;
	uint64_t size, n;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(in = demux_open(seg, sink, &unsupported));
	ck_assert_int_eq(demux_timescale(in, TRACK_VIDEO), 90000);
	ck_assert_int_eq(mp4w_begin(w, reserve), 0);
	while (demux_read(in, &smp) == 1) {
		if (smp.track == TRACK_VIDEO) {
			if (!vtrack++)
				ck_assert_int_eq(mp4w_track(w, TRACK_VIDEO, smp.cfg, 90000), 0);
			if (vfirst == INT64_MIN)
				vfirst = smp.pts;
			ck_assert_int_eq(mp4w_put_video(w, smp.size, smp.dts, smp.pts,
			    smp.key), 0);
			end[0] = smp.dts + 3600;
		} else {
			int64_t t = smp.dts * 48000 / 90000;

			if (!atrack++)
				ck_assert_int_eq(mp4w_track(w, TRACK_AUDIO, smp.cfg, 48000), 0);
			if (afirst == INT64_MIN)
				afirst = t;
			ck_assert_int_eq(mp4w_put_audio(w, smp.data, smp.size, t), 0);
			end[1] = t + 1024;
		}
	}
	demux_close(in);
	edit[0].start = vfirst;
	edit[0].end = end[0];
	edit[1].start = afirst;
	edit[1].end = end[1];
	n = mp4w_count(w, TRACK_VIDEO);
	ck_assert_int_eq(mp4w_finish(w, end, edit, &size), 0);
	mp4w_free(w);
	return n;
}

static int64_t
count_packets(const char *out)
{
	struct buf b;
	char cmd[2048];
	int64_t n;

	buf_init(&b);
	snprintf(cmd, sizeof(cmd), "ffprobe -v error -select_streams v -count_packets "
	    "-show_entries stream=nb_read_packets -of csv=p=0 '%s'", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	n = strtoll(b.data, NULL, 10);
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -i '%s' -f null - 2>&1", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	ck_assert_msg(b.len == 0, "ffmpeg decoding %s says: %s", out, b.data);
	buf_release(&b);
	return n;
}

/* moov larger than the space reserved: the data moves up, once. */
START_TEST(test_index_shift)
{
	struct remux_segment segs[4];
	char out[1100], boxes[256];
	int audio;
	uint64_t n;

	case_segments("h264_aac_ts", segs, nitems(segs), &audio);
	snprintf(out, sizeof(out), "%s/shift.mp4", tmp);
	n = write_direct(segs[0].path, out, 8);
	top_boxes(out, boxes, sizeof(boxes));
	ck_assert_msg(strncmp(boxes, "ftyp moov", 9) == 0, "boxes: %s", boxes);
	ck_assert_int_eq(count_packets(out), (int64_t)n);
}
END_TEST

/* Chunk offsets past 4 GB (co64) and a free box that needs 64 bits: the
 * reserve is a hole, so the file is sparse and small on disk. */
START_TEST(test_large_offsets)
{
	struct remux_segment segs[4];
	char out[1100], boxes[256], cmd[1200];
	struct buf b;
	int audio;
	uint64_t n;

	case_segments("h264_aac_ts", segs, nitems(segs), &audio);
	snprintf(out, sizeof(out), "%s/large.mp4", tmp);
	n = write_direct(segs[0].path, out, 4400000000ULL);
	top_boxes(out, boxes, sizeof(boxes));
	ck_assert_str_eq(boxes, "ftyp moov free mdat");
	ck_assert_int_eq(count_packets(out), (int64_t)n);
	buf_init(&b);
	snprintf(cmd, sizeof(cmd), "head -c 65536 '%s' | grep -c co64", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	buf_release(&b);
	unlink(out);
}
END_TEST

/* MPEG-TS timestamps are 33 bits: a recording running for 26.5 h wraps.
 * The segment is copied with its times moved so the wrap falls inside. */
START_TEST(test_pts_wrap)
{
	struct remux_segment segs[4], seg;
	struct remux_job job = { 0 };
	struct remux_result res;
	struct expect e = { 3 * SEC, 0, 1, "avc1" };
	char wrapped[1100], out[1100], cmd[2600];
	struct buf b;
	int audio;

	case_segments("h264_aac_ts", segs, nitems(segs), &audio);
	snprintf(wrapped, sizeof(wrapped), "%s/wrap.ts", tmp);
	snprintf(out, sizeof(out), "%s/wrap.mp4", tmp);
	/* first pts ~1.4 s + 95441 s: the 2^33 / 90 kHz = 95443.7 s wrap at +1.3 s */
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -y -i '%s' -map 0 -c copy "
	    "-output_ts_offset 95441 -f mpegts '%s' 2>&1", segs[0].path, wrapped);
	buf_init(&b);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	buf_release(&b);
	seg = segs[0];
	seg.path = wrapped;
	seg.bytes = 0;
	job.segs = &seg;
	job.nsegs = 1;
	job.from_us = BASE;
	job.to_us = BASE + 3 * SEC;
	job.out_path = out;
	ck_assert_int_eq(remux_run(&job, &res), 0);
	ck_assert_int_le(llabs(res.duration_us - 3 * SEC), FRAME);
	ck_assert_uint_eq(res.ncoverage, 1);
	check_output(out, &e, FRAME);
	remux_result_release(&res);
}
END_TEST

/* The index lists a segment twice, or segments that overlap: no footage twice. */
START_TEST(test_overlap)
{
	struct remux_segment one[4], segs[5];
	struct remux_job job = { 0 };
	struct remux_result res;
	struct expect e = { 10 * SEC, 1 * SEC, 1, "avc1" };
	char out[1100];
	int audio;

	case_segments("h264_aac_ts", one, nitems(one), &audio);
	segs[0] = one[0];
	segs[1] = one[1];
	segs[2] = one[1];
	segs[3] = one[2];
	job.segs = segs;
	job.nsegs = 4;
	job.from_us = BASE + 1 * SEC;
	job.to_us = BASE + 11 * SEC;
	snprintf(out, sizeof(out), "%s/overlap.mp4", tmp);
	job.out_path = out;
	ck_assert_int_eq(remux_run(&job, &res), 0);
	ck_assert_uint_eq(res.ncoverage, 1);
	ck_assert_int_le(llabs(res.duration_us - 10 * SEC), FRAME);
	check_output(out, &e, FRAME);
	remux_result_release(&res);
}
END_TEST

/* Segments that crashed or hung the engine under the fuzz targets
 * (tests/fuzz), kept in their seed corpus: each must come back with an
 * answer, quickly, and leave no file behind when it is a failure. */
static const char *const damaged[] = {
	"fuzz_ts/regress-late-program-map.ts",	/* video found after the open */
	"fuzz_ts/regress-audio-pid-change.ts",	/* a new audio PID mid-frame */
	"fuzz_ts/regress-picture-without-time.ts",	/* the first one, no PTS */
	"fuzz_mp4/regress-sample-count.mp4",	/* 2^32 samples of one byte */
	"fuzz_mp4/regress-tkhd-v1-short.mp4",	/* read past the moov */
	"fuzz_mp4/regress-track-id-0.mp4",	/* samples of no track */
	"fuzz_mp4/regress-edit-list-overflow.mp4",	/* 2^32 x 2^32 ticks */
	"fuzz_fmp4/regress-no-samples.mp4",
	"fuzz_fmp4/regress-empty-samples-count.mp4",	/* 2^32 empty samples */
	"fuzz_fmp4/regress-sps-crop.mp4",	/* crop overflowing the width */
	"fuzz_fmp4/regress-sps-bit-depth.mp4",
	"fuzz_fmp4/regress-decode-time-overflow.mp4",	/* tfdt near 2^63 */
	"fuzz_fmp4/regress-window-offset-wrap.mp4",	/* a sample offset near 2^64 */
};

static uint8_t *
damaged_room(void *ctx, size_t used, size_t need)
{
	struct { uint8_t *p; size_t cap; } *r = ctx;
	uint8_t *p;

	(void)used;
	if (need <= r->cap)
		return r->p;
	if ((p = realloc(r->p, need)) == NULL)
		return NULL;
	r->p = p;
	r->cap = need;
	return p;
}

START_TEST(test_damaged)
{
	char path[1200], out[1100];
	struct remux_segment seg = { path, BASE, BASE + 4 * SEC, 0 };
	struct remux_job job = { 0 };
	struct remux_result res;
	struct { uint8_t *p; size_t cap; } room = { NULL, 0 };
	struct demux_sink sink = { damaged_room, &room };
	struct demux_sample smp;
	struct demux *in;
	struct stat st;
	int unsupported;

	/* (a tree without the fuzz corpus, as a dist tarball may be) */
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus", srcdir);
	if (access(path, F_OK) == -1)
		return;
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", srcdir, damaged[_i]);
	ck_assert_msg(access(path, R_OK) == 0, "%s: missing", path);
	/* Every sample belongs to a track the reader announced. */
	if ((in = demux_open(path, sink, &unsupported)) != NULL) {
		while (demux_read(in, &smp) == 1)
			ck_assert_uint_ne(demux_timescale(in, smp.track), 0);
		demux_close(in);
	}
	free(room.p);
	snprintf(out, sizeof(out), "%s/damaged.mp4", tmp);
	job.segs = &seg;
	job.nsegs = 1;
	job.from_us = BASE + 20000;
	job.to_us = BASE + 10 * SEC;
	job.out_path = out;
	if (remux_run(&job, &res) == 0) {
		ck_assert_int_eq(stat(out, &st), 0);
		ck_assert_int_eq(st.st_size, res.size);
		ck_assert_int_eq(unlink(out), 0);
	} else {
		ck_assert_str_ne(res.code, "");
		ck_assert_int_eq(access(out, F_OK), -1);
	}
	remux_result_release(&res);
}
END_TEST

static Suite *
remux_suite(void)
{
	Suite *s = suite_create("remux");
	TCase *tc = tcase_create("fixtures");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_case, 0, nitems(cases));
	tcase_add_test(tc, test_no_footage);
	tcase_add_test(tc, test_nothing_readable);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_index_shift);
	tcase_add_test(tc, test_large_offsets);
	tcase_add_test(tc, test_pts_wrap);
	tcase_add_test(tc, test_overlap);
	suite_add_tcase(s, tc);
	tc = tcase_create("damaged");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_damaged, 0, nitems(damaged));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *src = getenv("top_srcdir"), *bld = getenv("top_builddir");
	char cmd[4096];
	int rc;

	log_init("test_remux", 0);
	log_set_level(LOG_LVL_ERROR);
	if (src == NULL)
		src = TOP_SRCDIR;
	if (bld == NULL)
		bld = TOP_BUILDDIR;
	snprintf(srcdir, sizeof(srcdir), "%s", src);
	/* One cached copy under the build directory, shared by test runs. */
	snprintf(fixtures, sizeof(fixtures), "%s/tests/media/fixtures", bld);
	snprintf(cmd, sizeof(cmd), "'%s/tests/media/make-fixtures.sh' '%s' >&2",
	    src, fixtures);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) == 77) {
		fprintf(stderr, "test_remux: no media fixtures (ffmpeg missing?), skipping\n");
		return 77;
	}
	if (WEXITSTATUS(rc) != 0 || manifest_read() == -1) {
		fprintf(stderr, "test_remux: make-fixtures.sh failed\n");
		return 1;
	}
	/* not unit_tmpdir(): Check's assertions only work inside a test */
	snprintf(tmp, sizeof(tmp), "%s/tests/media/remux.XXXXXX", bld);
	if (mkdtemp(tmp) == NULL) {
		perror(tmp);
		return 1;
	}
	rc = unit_run(remux_suite());
	unit_rmtree(tmp);
	return rc;
}
