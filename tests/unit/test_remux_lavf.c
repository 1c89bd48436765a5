/*
 * The libavformat fallback reader, through the whole engine: recordings in
 * containers the fast readers do not take (Matroska, FLV, 192-byte M2TS,
 * MPEG-TS with LATM sound, MP4 with 2-byte NAL lengths), made here with the
 * ffmpeg CLI, exported across two segments and checked with ffprobe and by
 * decoding. Skipped (77) without ffmpeg.
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "media/remux.h"
#include "media/demux.h"
#include "lib/util.h"
#include "media_check.h"
#include "unit.h"
#include "lib/banned.h"

#define SEC		1000000LL
#define BASE		(1768471200LL * SEC)	/* 2026-01-15 10:00:00 UTC */
#define FRAME		40000			/* 25 fps */
#define NSEG		3			/* 4 s segments */

static char tmp[1024];

/* One input kind: how ffmpeg -f segment writes it. */
static const struct kind {
	const char	*name, *ext, *video, *mux;
	const char	*tag;
} kinds[] = {
	/* veryfast: B-frames, so Matroska's missing dts must be made up */
	{ "mkv_h264", "mkv", "-c:v libx264 -preset veryfast", "-segment_format matroska",
	    "avc1" },
	/* parameter sets only in the hvcC record, not in the pictures */
	{ "mkv_h265", "mkv", "-c:v libx265 -preset ultrafast -x265-params "
	    "log-level=error:keyint=50:min-keyint=50:scenecut=0:open-gop=0",
	    "-segment_format matroska", "hvc1" },
	{ "flv_h264", "flv", "-c:v libx264 -preset ultrafast", "-segment_format flv",
	    "avc1" },
	{ "ts_latm", "ts", "-c:v libx264 -preset ultrafast", "-segment_format mpegts "
	    "-segment_format_options mpegts_flags=latm", "avc1" },
	{ "m2ts", "m2ts", "-c:v libx264 -preset ultrafast", "-segment_format mpegts "
	    "-segment_format_options mpegts_m2ts_mode=1", "avc1" },
	/* access unit delimiters: each sample has two NAL units or more,
	 * whose saved length bytes become a filler NAL unit (nal2_patch) */
	{ "mp4_nal2", "mp4", "-c:v libx264 -preset ultrafast -x264-params aud=1",
	    "-segment_format mp4", "avc1" },
	{ "ts_h264", "ts", "-c:v libx264 -preset ultrafast", "-segment_format mpegts",
	    "avc1" },
};

static void
seg_path(char *out, size_t len, const char *kind, int i, const char *ext)
{
	snprintf(out, len, "%s/%s/seg%03d.%s", tmp, kind, i, ext);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The body of the first box of type under [p, p + n); NULL if none. */
static uint8_t *
box(uint8_t *p, size_t n, const char *type, size_t *len)
{
	while (n >= 8) {
		size_t sz = rd32(p);

		if (sz < 8 || sz > n)
			return NULL;
		if (memcmp(p + 4, type, 4) == 0) {
			*len = sz - 8;
			return p + 8;
		}
		p += sz;
		n -= sz;
	}
	return NULL;
}

static uint8_t *
box_path(uint8_t *p, size_t n, const char *path, size_t *len)
{
	char t[5] = { 0 };

	for (*len = n; p != NULL && *path != '\0'; path += path[4] == '/' ? 5 : 4) {
		memcpy(t, path, 4);
		p = box(p, *len, t, len);
	}
	return p;
}

/*
 * Rewrite an ffmpeg MP4's video samples from 4-byte to 2-byte NAL lengths
 * in place: the 2k bytes a k-unit sample saves become a filler NAL unit
 * (type 12) at its end, so no size or offset changes. Returns 0 or -1.
 */
static int
nal2_patch(const char *path)
{
	FILE *f = fopen(path, "r+b");
	uint8_t *m = NULL, *moov, *trak, *stbl, *stsz, *stco, *stsc, *avcc;
	size_t n, len, tlen, blen, zl, cl, sl, si = 0, ci = 0;
	long fsz;
	int ret = -1;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (fsz = ftell(f)) <= 0 ||
	    (m = malloc((size_t)fsz)) == NULL || fseek(f, 0, SEEK_SET) != 0 ||
	    fread(m, 1, (size_t)fsz, f) != (size_t)fsz)
		goto out;
	n = (size_t)fsz;
	if ((moov = box(m, n, "moov", &len)) == NULL)
		goto out;
	for (trak = moov; (trak = box(trak, len - (size_t)(trak - moov), "trak", &tlen)) != NULL;
	    trak += tlen) {
		uint8_t *hdlr = box_path(trak, tlen, "mdia/hdlr", &blen);

		if (hdlr != NULL && memcmp(hdlr + 8, "vide", 4) == 0)
			break;
	}
	if (trak == NULL || (stbl = box_path(trak, tlen, "mdia/minf/stbl", &blen)) == NULL ||
	    (stsz = box(stbl, blen, "stsz", &zl)) == NULL ||
	    (stco = box(stbl, blen, "stco", &cl)) == NULL ||
	    (stsc = box(stbl, blen, "stsc", &sl)) == NULL ||
	    (avcc = box(stbl + 16 + 8 + 78, blen - 16 - 8 - 78, "avcC", &len)) == NULL)
		goto out;
	avcc[4] = 0xfd;		/* lengthSizeMinusOne = 1 */
	for (size_t chunk = 0; chunk < rd32(stco + 4); chunk++) {
		size_t off = rd32(stco + 8 + 4 * chunk), per;

		while (ci + 1 < rd32(stsc + 4) && rd32(stsc + 8 + 12 * (ci + 1)) <= chunk + 1)
			ci++;
		per = rd32(stsc + 8 + 12 * ci + 4);
		for (size_t k = 0; k < per && si < rd32(stsz + 8); k++, si++) {
			size_t size = rd32(stsz + 12 + 4 * si), pos = 0, d = 0, nals = 0, fill;
			uint8_t *s = m + off;

			while (pos + 4 <= size) {	/* shift left, 2 bytes a unit */
				size_t l = rd32(s + pos);

				if (l > 0xffff || pos + 4 + l > size)
					goto out;
				s[d] = (uint8_t)(l >> 8);
				s[d + 1] = (uint8_t)l;
				memmove(s + d + 2, s + pos + 4, l);
				d += 2 + l;
				pos += 4 + l;
				nals++;
			}
			if (nals < 2)
				goto out;
			fill = 2 * nals - 2;	/* the filler unit's bytes after its length */
			s[d] = (uint8_t)(fill >> 8);
			s[d + 1] = (uint8_t)fill;
			s[d + 2] = 12;
			memset(s + d + 3, 0xff, fill - 2);
			s[d + 2 + fill - 1] = 0x80;	/* rbsp_trailing_bits */
			off += size;
		}
	}
	if (fseek(f, 0, SEEK_SET) == 0 && fwrite(m, 1, n, f) == n)
		ret = 0;
out:
	if (f != NULL)
		fclose(f);
	free(m);
	return ret;
}

/* NSEG segments of 4 s of one kind (12 s of test picture and a tone). */
static int
make_kind(const struct kind *k)
{
	char cmd[4096], p[1200];
	int rc;

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s' && ffmpeg -nostdin -v error -y "
	    "-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i "
	    "sine=frequency=440:sample_rate=48000 -t %d -map 0:v -map 1:a %s "
	    "-pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 -c:a aac -ar 48000 "
	    "-ac 1 -b:a 64k -f segment -segment_time 4 -reset_timestamps 0 %s "
	    "'%s/%s/seg%%03d.%s' >&2", tmp, k->name, 4 * NSEG, k->video, k->mux, tmp,
	    k->name, k->ext);
	rc = system(cmd);
	if (rc != 0)
		return -1;
	if (strcmp(k->name, "mp4_nal2") == 0)
		for (int i = 0; i < NSEG; i++) {
			seg_path(p, sizeof(p), k->name, i, k->ext);
			if (nal2_patch(p) == -1)
				return -1;
		}
	return 0;
}

struct expect {
	const char	*tag;
	int		 audio;
	int64_t		 duration_us, lead_us;
};

/* What a player relies on, checked with ffmpeg's tools as test_remux does. */
static void
check_output(const char *out, const struct expect *e)
{
	struct buf b;
	char cmd[2048], v[64];
	const char *line;
	int64_t last[2] = { INT64_MIN, INT64_MIN };
	int first = 1, audio = 0, video = 0;
	FILE *f;
	uint8_t h[16];

	ck_assert_ptr_nonnull(f = fopen(out, "rb"));
	ck_assert_int_eq(fread(h, 1, 16, f), 16);
	fclose(f);
	ck_assert_msg(memcmp(h + 4, "ftyp", 4) == 0, "no ftyp first");
	buf_init(&b);
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -i '%s' -f null - 2>&1", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	ck_assert_msg(b.len == 0, "ffmpeg decoding %s says: %s", out, b.data);
	snprintf(cmd, sizeof(cmd), "ffprobe -v error -show_entries stream=codec_type,"
	    "codec_tag_string,start_time,duration -of compact=p=0 '%s'", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	for (line = b.data; *line != '\0'; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		if (strcmp(unit_field(line, "codec_type", v, sizeof(v)), "audio") == 0) {
			audio++;
			continue;
		}
		video++;
		ck_assert_str_eq(unit_field(line, "codec_tag_string", v, sizeof(v)), e->tag);
		ck_assert_msg(fabs(strtod(unit_field(line, "start_time", v, sizeof(v)), NULL)) < 0.001,
		    "video start_time %s", v);
		ck_assert_msg(fabs(strtod(unit_field(line, "duration", v, sizeof(v)), NULL) * SEC -
		    (double)e->duration_us) <= FRAME, "video lasts %s s, want %.3f", v,
		    (double)e->duration_us / SEC);
	}
	ck_assert_int_eq(video, 1);
	ck_assert_int_eq(audio, e->audio);
	snprintf(cmd, sizeof(cmd), "ffprobe -v error -show_entries packet=stream_index,"
	    "pts_time,dts,flags -of compact=p=0 '%s'", out);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	for (line = b.data; *line != '\0'; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		int s = (int)strtol(unit_field(line, "stream_index", v, sizeof(v)), NULL, 10);
		int64_t dts = strtoll(unit_field(line, "dts", v, sizeof(v)), NULL, 10);

		if (v[0] == '\0' || s < 0 || s > 1)
			continue;
		if (s == 0 && first) {
			/* a keyframe at or before from, the lead-in hidden by the edit list */
			ck_assert_msg(strchr(unit_field(line, "flags", v, sizeof(v)), 'K') != NULL,
			    "first video packet is not a keyframe");
			ck_assert_msg(fabs(strtod(unit_field(line, "pts_time", v, sizeof(v)), NULL) *
			    SEC + (double)e->lead_us) < 1000, "first video pts %s", v);
			first = 0;
		}
		ck_assert_msg(dts > last[s], "stream %d dts %" PRId64 " after %" PRId64, s,
		    dts, last[s]);
		last[s] = dts;
	}
	ck_assert_int_eq(first, 0);
	buf_release(&b);
}

/* Export [from, to) seconds after BASE of the listed segment files. */
static int
export(char paths[][1200], size_t n, int64_t from, int64_t to, const char *out,
    struct remux_result *res)
{
	struct remux_segment segs[NSEG];
	struct remux_job job = { 0 };

	for (size_t i = 0; i < n; i++) {
		segs[i].path = paths[i];
		segs[i].start_us = BASE + (int64_t)i * 4 * SEC;
		segs[i].end_us = segs[i].start_us + 4 * SEC;
		segs[i].bytes = 0;
	}
	job.segs = segs;
	job.nsegs = n;
	job.from_us = BASE + from * SEC;
	job.to_us = BASE + to * SEC;
	job.out_path = out;
	job.tmp_dir = tmp;
	return remux_run(&job, res);
}

/* Each kind: [1 s, 7 s) across its first two segments. */
START_TEST(test_kind)
{
	const struct kind *k = &kinds[_i];
	char paths[NSEG][1200], out[1100];
	struct remux_result res;
	struct expect e = { k->tag, 1, 6 * SEC, 1 * SEC };

	for (int i = 0; i < NSEG; i++)
		seg_path(paths[i], sizeof(paths[i]), k->name, i, k->ext);
	snprintf(out, sizeof(out), "%s/%s.mp4", tmp, k->name);
	ck_assert_msg(export(paths, NSEG, 1, 7, out, &res) == 0, "%s: %s: %s", k->name,
	    res.code, res.message);
	ck_assert_str_eq(res.code, "");
	ck_assert_uint_eq(res.ncoverage, 1);
	ck_assert_int_eq(res.coverage[0][0], BASE + 1 * SEC);
	ck_assert_int_eq(res.coverage[0][1], BASE + 7 * SEC);
	ck_assert_msg(llabs(res.duration_us - 6 * SEC) <= FRAME, "%s: duration %" PRId64,
	    k->name, res.duration_us);
	check_output(out, &e);
	remux_result_release(&res);
}
END_TEST

/* The packet hashes of stream s of the files, one a line. */
static void
hashes(struct buf *b, const char *files, int s)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "for f in %s; do ffmpeg -nostdin -v error -i \"$f\" "
	    "-map 0:%d -c copy -f framemd5 - | grep -v '^#' | awk -F', *' "
	    "'{ print $6 }'; done", files, s);
	ck_assert_int_eq(unit_popen(b, cmd), 0);
}

/* The video and sound of a Matroska export are the recording's, byte for
 * byte: the packets hash the same as a stream copy of the input's. */
START_TEST(test_bit_exact)
{
	char paths[NSEG][1200], out[1100], files[3000];
	struct remux_result res;
	struct buf in, got;
	size_t n = 0, found = 0;

	for (int i = 0; i < NSEG; i++)
		seg_path(paths[i], sizeof(paths[i]), "mkv_h264", i, "mkv");
	snprintf(out, sizeof(out), "%s/exact.mp4", tmp);
	/* whole segments: from the first keyframe to the end of the second */
	ck_assert_int_eq(export(paths, 2, 0, 8, out, &res), 0);
	remux_result_release(&res);
	buf_init(&in);
	buf_init(&got);
	snprintf(files, sizeof(files), "'%s' '%s'", paths[0], paths[1]);
	hashes(&in, files, 0);
	snprintf(files, sizeof(files), "'%s'", out);
	hashes(&got, files, 0);
	ck_assert_int_gt(got.len, 1000);
	ck_assert_str_eq(got.data, in.data);
	/* sound: every frame is one of the recording's (the joins may drop one) */
	snprintf(files, sizeof(files), "'%s' '%s'", paths[0], paths[1]);
	hashes(&in, files, 1);
	snprintf(files, sizeof(files), "'%s'", out);
	hashes(&got, files, 1);
	for (char *line = got.data, *nl; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		n++;
		found += strstr(in.data, line) != NULL;
	}
	ck_assert_uint_gt(n, 300);	/* 8 s of 21.3 ms frames */
	ck_assert_uint_eq(found, n);
	buf_release(&in);
	buf_release(&got);
}
END_TEST

/* A TS segment, then the next one of the same recording as Matroska. */
START_TEST(test_mixed)
{
	char paths[NSEG][1200], out[1100], cmd[3000];
	struct remux_result res;
	struct expect e = { "avc1", 1, 6 * SEC, 1 * SEC };
	struct buf b;

	seg_path(paths[0], sizeof(paths[0]), "ts_h264", 0, "ts");
	seg_path(paths[1], sizeof(paths[1]), "ts_h264", 1, "mkv");
	seg_path(paths[2], sizeof(paths[2]), "ts_h264", 2, "ts");
	buf_init(&b);
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -y -i '%s/ts_h264/seg001.ts' "
	    "-map 0 -c copy '%s' 2>&1", tmp, paths[1]);
	ck_assert_int_eq(unit_popen(&b, cmd), 0);
	buf_release(&b);
	snprintf(out, sizeof(out), "%s/mixed.mp4", tmp);
	ck_assert_msg(export(paths, NSEG, 1, 11, out, &res) == 0, "%s: %s", res.code,
	    res.message);
	ck_assert_uint_eq(res.ncoverage, 1);
	ck_assert_msg(llabs(res.duration_us - 10 * SEC) <= FRAME, "duration %" PRId64,
	    res.duration_us);
	e.duration_us = 10 * SEC;
	check_output(out, &e);
	remux_result_release(&res);
}
END_TEST

/* A file no reader takes is a gap, and the log says which. */
START_TEST(test_garbage)
{
	char paths[NSEG][1200], out[1100], logf[1100], line[2048];
	struct remux_result res;
	struct expect e = { "avc1", 1, 6 * SEC, 1 * SEC };
	FILE *f;
	int saved, warned = 0;

	seg_path(paths[0], sizeof(paths[0]), "mkv_h264", 0, "mkv");
	snprintf(paths[1], sizeof(paths[1]), "%s/garbage.mkv", tmp);
	seg_path(paths[2], sizeof(paths[2]), "mkv_h264", 2, "mkv");
	ck_assert_ptr_nonnull(f = fopen(paths[1], "wb"));
	for (uint32_t i = 0, x = 12345; i < 300000; i++) {
		x = x * 1103515245 + 12345;
		fputc((int)(x >> 16), f);
	}
	fclose(f);
	/* the log goes to stderr: into a file for the length of the export */
	snprintf(logf, sizeof(logf), "%s/garbage.log", tmp);
	fflush(stderr);
	saved = dup(2);
	ck_assert_ptr_nonnull(freopen(logf, "w", stderr));
	log_set_level(LOG_LVL_WARN);
	snprintf(out, sizeof(out), "%s/garbage.mp4", tmp);
	ck_assert_int_eq(export(paths, NSEG, 1, 11, out, &res), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_str_eq(res.code, "");
	ck_assert_uint_eq(res.ncoverage, 2);
	ck_assert_int_eq(res.coverage[0][1], BASE + 4 * SEC);
	ck_assert_int_eq(res.coverage[1][0], BASE + 8 * SEC);
	check_output(out, &e);
	remux_result_release(&res);
	ck_assert_ptr_nonnull(f = fopen(logf, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		warned |= strstr(line, "garbage.mkv") != NULL;
	fclose(f);
	ck_assert_msg(warned, "no warning names the garbage file");
}
END_TEST

static int
yes(void *arg)
{
	(void)arg;
	return 1;
}

static int
after(void *arg)
{
	return mono_us() >= *(int64_t *)arg;
}

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
	ck_assert_ptr_nonnull(p = realloc(sc->p, need));
	sc->p = p;
	sc->cap = need;
	return p;
}

/* libavformat gives up as soon as the job is cancelled, even in the open. */
START_TEST(test_cancel_reader)
{
	struct scratch sc = { NULL, 0 };
	struct demux_sink sink = { scratch_room, &sc };
	struct demux *in;
	struct demux_sample smp;
	char path[1200];
	int unsupported;

	seg_path(path, sizeof(path), "mkv_h264", 0, "mkv");
	ck_assert_ptr_null(demux_open_job(path, sink, yes, NULL, &unsupported));
	ck_assert_int_eq(unsupported, 0);
	ck_assert_ptr_nonnull(in = demux_open(path, sink, &unsupported));
	ck_assert_int_eq(demux_read(in, &smp), 1);
	demux_close(in);
	free(sc.p);
}
END_TEST

/* A long export of Matroska segments, cancelled while it runs. */
START_TEST(test_cancel)
{
	static struct remux_segment segs[2000];
	static char paths[NSEG][1200];
	struct remux_job job = { 0 };
	struct remux_result res;
	char out[1100];
	int64_t at, t;

	for (int i = 0; i < NSEG; i++)
		seg_path(paths[i], sizeof(paths[i]), "mkv_h264", i, "mkv");
	for (size_t i = 0; i < nitems(segs); i++) {
		segs[i].path = paths[i % NSEG];
		segs[i].start_us = BASE + (int64_t)i * 4 * SEC;
		segs[i].end_us = segs[i].start_us + 4 * SEC;
	}
	job.segs = segs;
	job.nsegs = nitems(segs);
	job.from_us = BASE;
	job.to_us = BASE + (int64_t)nitems(segs) * 4 * SEC;
	snprintf(out, sizeof(out), "%s/cancel.mp4", tmp);
	job.out_path = out;
	job.cancelled = after;
	job.arg = &at;
	at = mono_us() + 500000;
	ck_assert_int_eq(remux_run(&job, &res), -1);
	t = mono_us();
	ck_assert_str_eq(res.code, "cancelled");
	ck_assert_msg(t - at < SEC, "took %" PRId64 " us to stop", t - at);
	ck_assert_int_eq(access(out, F_OK), -1);
}
END_TEST

static Suite *
lavf_suite(void)
{
	Suite *s = suite_create("remux_lavf");
	TCase *tc = tcase_create("ffmpeg");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_kind, 0, nitems(kinds));
	tcase_add_test(tc, test_bit_exact);
	tcase_add_test(tc, test_mixed);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_cancel_reader);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *bld = getenv("top_builddir");
	int rc;

	log_init("test_remux_lavf", 0);
	log_set_level(LOG_LVL_ERROR);
	if (bld == NULL)
		bld = TOP_BUILDDIR;
	if (system("command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && "
	    "ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx265") != 0) {
		fprintf(stderr, "test_remux_lavf: no ffmpeg with libx264/libx265, skipping\n");
		return 77;
	}
	/* not unit_tmpdir(): Check's assertions only work inside a test */
	snprintf(tmp, sizeof(tmp), "%s/tests/media", bld);
	mkdir(tmp, 0755);
	snprintf(tmp, sizeof(tmp), "%s/tests/media/lavf.XXXXXX", bld);
	if (mkdtemp(tmp) == NULL) {
		perror(tmp);
		return 1;
	}
	for (size_t i = 0; i < nitems(kinds); i++)
		if (make_kind(&kinds[i]) == -1) {
			fprintf(stderr, "test_remux_lavf: cannot make the %s segments\n",
			    kinds[i].name);
			unit_rmtree(tmp);
			return 1;
		}
	rc = unit_run(lavf_suite());
	if (getenv("KEEP") == NULL)
		unit_rmtree(tmp);
	return rc;
}
