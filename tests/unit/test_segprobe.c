/*
 * The prober: its head-and-tail probe gives exactly what reading every
 * packet gives, on every media fixture, every recorder layout and files
 * made here to stress the tail (a wrapping MPEG-TS clock, B-frames,
 * large files, MPEG-PS), while reading a bounded number of bytes.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit.h"
#include "recordings/segprobe.h"

/* The most a head-and-tail probe may read of a file of many megabytes. */
#define FAST_READ_MAX	(3 * 1024 * 1024)

static char fixtures[4096], layouts[4096], made[4096];

/* The probe of path, which must succeed. */
static void
probe_ok(const char *path, enum segprobe_mode mode, struct segprobe *p)
{
	char why[256];

	ck_assert_msg(segprobe_file(path, mode, p, why, sizeof(why)) == 0, "%s: %s",
	    path, why);
}

/* The same, of one file of make-probe-media.sh. */
static void
probe_made(const char *name, enum segprobe_mode mode, struct segprobe *p)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s", made, name);
	probe_ok(path, mode, p);
}

/* The two probes agree on everything the index stores. */
static void
compare(const char *path)
{
	struct segprobe deep, fast;
	char why_deep[256], why_fast[256];
	int rd = segprobe_file(path, SEGPROBE_DEEP, &deep, why_deep, sizeof(why_deep));
	int rf = segprobe_file(path, SEGPROBE_FAST, &fast, why_fast, sizeof(why_fast));

	if (rd == -1) {
		ck_assert_msg(rf == -1, "%s: the deep probe fails (%s), the fast one not",
		    path, why_deep);
		return;
	}
	ck_assert_msg(rf == 0, "%s: the fast probe fails: %s", path, why_fast);
	ck_assert_msg(fast.first_pts == deep.first_pts, "%s: first_pts %lld, deep %lld",
	    path, (long long)fast.first_pts, (long long)deep.first_pts);
	ck_assert_msg(fast.video_end == deep.video_end, "%s: video_end %lld, deep %lld",
	    path, (long long)fast.video_end, (long long)deep.video_end);
	ck_assert_msg(fast.duration == deep.duration, "%s: duration %lld, deep %lld",
	    path, (long long)fast.duration, (long long)deep.duration);
	ck_assert_int_eq(fast.wrap, deep.wrap);
	ck_assert_int_eq(fast.creation, deep.creation);
	ck_assert_int_eq(fast.bytes, deep.bytes);
	ck_assert_str_eq(fast.codec, deep.codec);
	ck_assert_str_eq(fast.container, deep.container);
	ck_assert_int_eq(fast.width, deep.width);
	ck_assert_int_eq(fast.height, deep.height);
	ck_assert_int_eq(fast.has_audio, deep.has_audio);
	if (fast.bytes > 6 * FAST_READ_MAX)
		ck_assert_msg(fast.read_bytes <= FAST_READ_MAX, "%s: the fast probe read"
		    " %lld of %lld bytes", path, (long long)fast.read_bytes,
		    (long long)fast.bytes);
}

static int
is_media(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && (strcmp(dot, ".ts") == 0 || strcmp(dot, ".mp4") == 0 ||
	    strcmp(dot, ".m4s") == 0 || strcmp(dot, ".mpg") == 0);
}

/* Every media file under dir; how many. */
static int
compare_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat sb;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode))
			n += compare_tree(path);
		else if (S_ISREG(sb.st_mode) && is_media(e->d_name)) {
			compare(path);
			n++;
		}
	}
	closedir(d);
	return n;
}

START_TEST(test_fixtures)
{
	ck_assert_int_ge(compare_tree(fixtures), 30);
}
END_TEST

START_TEST(test_layouts)
{
	ck_assert_int_ge(compare_tree(layouts), 20);
}
END_TEST

START_TEST(test_made)
{
	ck_assert_int_ge(compare_tree(made), 8);
}
END_TEST

/* A 33-bit clock that wraps in the middle of a file: both probes unwrap it,
 * so the file lasts its 12 s, not a day. */
START_TEST(test_wrap)
{
	struct segprobe p;

	probe_made("wrap_mid.ts", SEGPROBE_FAST, &p);
	ck_assert_int_gt(p.wrap, 0);
	ck_assert_int_lt(p.duration, 13000000);
	ck_assert_int_gt(p.duration, 11000000);
	ck_assert_int_gt(p.video_end - p.first_pts, 11000000);
}
END_TEST

/* A large file: the fast probe reads a bounded part of it. */
START_TEST(test_bounded)
{
	struct segprobe p;

	probe_made("long_bframes.ts", SEGPROBE_FAST, &p);
	ck_assert_int_gt(p.bytes, 6 * FAST_READ_MAX);
	ck_assert_int_le(p.read_bytes, FAST_READ_MAX);
	ck_assert_int_lt(p.packets, 200);
}
END_TEST

/* Deep probes every packet, so it counts them all. */
START_TEST(test_deep_reads_all)
{
	struct segprobe p;

	probe_made("long_bframes.ts", SEGPROBE_DEEP, &p);
	ck_assert_int_eq(p.packets, 90 * 25);
	ck_assert_int_ge(p.read_bytes, p.bytes);
}
END_TEST

/* The first `bytes` of a made file, as a recorder has written it so far;
 * its path in out. */
static void
cut_copy(const char *name, long bytes, char *out, size_t len)
{
	char src[8192], buf[65536];
	FILE *in, *o;
	long left = bytes;

	snprintf(src, sizeof(src), "%s/%s", made, name);
	snprintf(out, len, "%s/%s.part", made, name);	/* not walked by test_made */
	ck_assert_ptr_nonnull(in = fopen(src, "rb"));
	ck_assert_ptr_nonnull(o = fopen(out, "wb"));
	while (left > 0) {
		size_t n = fread(buf, 1, left < (long)sizeof(buf) ? (size_t)left :
		    sizeof(buf), in);

		ck_assert_uint_gt(n, 0);
		ck_assert_uint_eq(fwrite(buf, 1, n, o), n);
		left -= (long)n;
	}
	fclose(in);
	ck_assert_int_eq(fclose(o), 0);
}

/* MPEG-TS being written: known up to its last keyframe's decode time,
 * where a GOP starts (keyframes every 2 s from 1.48 s, 80 ms of B-frame
 * delay), short of where its last, perhaps cut, picture ends. */
START_TEST(test_growing_ts)
{
	struct segprobe g, f;
	char path[8192], why[256];

	cut_copy("long_bframes.ts", 10000000, path, sizeof(path));
	probe_ok(path, SEGPROBE_GROWING, &g);
	probe_ok(path, SEGPROBE_FAST, &f);
	ck_assert_int_eq(g.first_pts, f.first_pts);
	ck_assert_int_eq((g.video_end - 1400000) % 2000000, 0);
	ck_assert_int_lt(g.video_end, f.video_end);
	ck_assert_int_gt(g.video_end, f.video_end - 2200000);
	ck_assert_int_eq(g.duration, g.video_end - g.first_pts);
	unlink(path);
	/* Less than one whole GOP: nothing yet. */
	cut_copy("long_bframes.ts", 300000, path, sizeof(path));
	ck_assert_int_eq(segprobe_file(path, SEGPROBE_GROWING, &g, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no whole group of pictures yet");
	unlink(path);
}
END_TEST

/* Fragmented MP4 being written: its whole fragments (a GOP each). */
START_TEST(test_growing_fmp4)
{
	struct segprobe g, d;
	char path[8192];

	cut_copy("long_frag.mp4", 10000000, path, sizeof(path));
	probe_ok(path, SEGPROBE_GROWING, &g);
	ck_assert_int_eq(g.first_pts, 80000);
	ck_assert_int_eq((g.video_end - 80000) % 2000000, 0);
	/* the whole read takes the cut fragment's first pictures too */
	probe_ok(path, SEGPROBE_DEEP, &d);
	ck_assert_int_lt(g.video_end, d.video_end);
	unlink(path);
}
END_TEST

/* A plain MP4 being written has no moov yet: said so. */
START_TEST(test_growing_mp4)
{
	struct segprobe g;
	char path[8192], why[256];

	cut_copy("long.mp4", 10000000, path, sizeof(path));
	ck_assert_int_eq(segprobe_file(path, SEGPROBE_GROWING, &g, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "moov") != NULL, "%s", why);
	unlink(path);
}
END_TEST

static Suite *
segprobe_suite(void)
{
	Suite *s = suite_create("segprobe");
	TCase *tc = tcase_create("fast equals deep");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_layouts);
	tcase_add_test(tc, test_made);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_deep_reads_all);
	suite_add_tcase(s, tc);
	tc = tcase_create("growing");
	tcase_add_test(tc, test_growing_ts);
	tcase_add_test(tc, test_growing_fmp4);
	tcase_add_test(tc, test_growing_mp4);
	suite_add_tcase(s, tc);
	return s;
}

/* Run a shell command; its exit status, -1 if it did not run. */
static int
run(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

int
main(void)
{
	const char *src = getenv("top_srcdir"), *bld = getenv("top_builddir");
	char cmd[16384];
	int rc;

	if (src == NULL)
		src = TOP_SRCDIR;
	if (bld == NULL)
		bld = TOP_BUILDDIR;
	snprintf(fixtures, sizeof(fixtures), "%s/tests/media/fixtures", bld);
	snprintf(layouts, sizeof(layouts), "%s/tests/media/layouts", bld);
	snprintf(made, sizeof(made), "%s/tests/media/probe", bld);
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/media/make-layouts.sh' '%s' '%s' >&2",
	    src, fixtures, layouts);
	if ((rc = run(cmd)) == 77 || rc == -1) {
		fprintf(stderr, "test_segprobe: no media fixtures (ffmpeg missing?), skipping\n");
		return 77;
	}
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/media/make-probe-media.sh' '%s' >&2",
	    src, made);
	if (rc != 0 || run(cmd) != 0) {
		fprintf(stderr, "test_segprobe: making the media failed\n");
		return 1;
	}
	rc = unit_run(segprobe_suite());
	return rc;
}
