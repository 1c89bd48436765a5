/* segindex: placing files by name and timeline, and the segments table. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/log.h"
#include "media/remux.h"
#include "recordings/segindex.h"
#include "unit.h"
#include "lib/util.h"
#include "lib/banned.h"

#define US	1000000LL
#define T0	1768471200000000LL	/* 2026-01-15 10:00:00 UTC */
#define TS0	1400000LL		/* ffmpeg's MPEG-TS starts at 1.4 s */
#define WRAP	((1LL << 33) * US / 90000)

/* A TS segment of `len` seconds of recording `rec` (timelines of different
 * recordings start at TS0 each), named `name` seconds after T0; its
 * media time starts `at` seconds into the recording. */
static struct seg_node
ts(double at, double len, double name)
{
	struct seg_node n = { 0 };

	n.has_name = 1;
	n.name_us = T0 + (int64_t)(name * US);
	n.first_pts = TS0 + (int64_t)(at * US);
	n.video_end = n.first_pts + (int64_t)(len * US);
	n.wrap = WRAP;
	return n;
}

static void
assert_at(const struct seg_node *n, size_t i, double secs, int media_wins)
{
	ck_assert_msg(n[i].placed, "node %zu not placed", i);
	ck_assert_msg(n[i].start_us == T0 + (int64_t)(secs * US),
	    "node %zu at %+.6f s, want %+.6f s", i, (n[i].start_us - T0) / 1e6, secs);
	ck_assert_msg(n[i].media_wins == media_wins, "node %zu: media_wins %d",
	    i, n[i].media_wins);
}

/* Names that agree with the timeline are kept, exactly. */
START_TEST(test_agree)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 4), ts(8, 4, 8) };

	ck_assert_int_eq(segindex_place(n, 3, SEGINDEX_TOL_US), 0);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 0);
	assert_at(n, 2, 8, 0);
	ck_assert_int_eq(n[0].prev, -1);
	ck_assert_int_eq(n[1].prev, 0);
	ck_assert_int_eq(n[2].prev, 1);
}
END_TEST

/* Second-resolution names a little late still agree; names are kept. */
START_TEST(test_jitter)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 4.6), ts(8, 4, 8.3) };

	segindex_place(n, 3, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4.6, 0);
	assert_at(n, 2, 8.3, 0);
}
END_TEST

/* A file renamed to a wrong time, wherever it sits in name order: its
 * timestamps continue its neighbour exactly, so the media wins. */
START_TEST(test_renamed)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 4), ts(8, 4, 3600), ts(12, 4, 12) };

	segindex_place(n, 4, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 0);
	assert_at(n, 2, 8, 1);
	assert_at(n, 3, 12, 0);
	ck_assert_int_eq(n[2].prev, 1);
}
END_TEST

/* The first and the last of a chain renamed. */
START_TEST(test_renamed_ends)
{
	struct seg_node n[] = { ts(0, 4, -7200), ts(4, 4, 4), ts(8, 4, 8), ts(12, 4, 99) };

	segindex_place(n, 4, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 1);
	assert_at(n, 1, 4, 0);
	assert_at(n, 2, 8, 0);
	assert_at(n, 3, 12, 1);
}
END_TEST

/* A gap: the timeline jumps with the clock; two chains, both by name. */
START_TEST(test_gap)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 4), ts(14, 4, 14), ts(18, 4, 18) };

	segindex_place(n, 4, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 0);
	assert_at(n, 2, 14, 0);
	assert_at(n, 3, 18, 0);
	ck_assert_int_eq(n[2].prev, -1);
}
END_TEST

/* The recorder restarted: every recording starts at 1.4 s again, so
 * timelines repeat; the names pick the right predecessor. */
START_TEST(test_restarts)
{
	struct seg_node n[] = {
		ts(0, 4, 0), ts(4, 4, 4), ts(8, 4, 8),
		ts(0, 4, 100), ts(4, 4, 104), ts(8, 4, 108),
		ts(0, 4, 200), ts(4, 4, 204),
	};

	segindex_place(n, 8, SEGINDEX_TOL_US);
	for (size_t i = 0; i < 8; i++)
		ck_assert_int_eq(n[i].media_wins, 0);
	ck_assert_int_eq(n[1].prev, 0);
	ck_assert_int_eq(n[2].prev, 1);
	ck_assert_int_eq(n[4].prev, 3);
	ck_assert_int_eq(n[5].prev, 4);
	ck_assert_int_eq(n[7].prev, 6);
	assert_at(n, 5, 108, 0);
}
END_TEST

/* Two files that merely chain by chance, names far apart: no majority, so
 * neither moves. */
START_TEST(test_two_disagree)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 500) };

	segindex_place(n, 2, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 500, 0);
	ck_assert_int_eq(n[1].prev, -1);
}
END_TEST

/* An indexed segment outvotes names: a new file continuing it is placed
 * after it even when its name and a second new file agree elsewhere. */
START_TEST(test_fixed_anchor)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 60), ts(8, 4, 64) };

	n[0].fixed = 1;
	segindex_place(n, 3, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 1);
	assert_at(n, 2, 8, 1);
}
END_TEST

/* A file without a time in its name is placed by a named neighbour; one
 * alone is not placed at all. */
START_TEST(test_unnamed)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 0), ts(100, 4, 0) };

	n[1].has_name = 0;
	n[2].has_name = 0;
	segindex_place(n, 3, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 0);
	ck_assert(!n[2].placed);
}
END_TEST

/* MPEG-TS clocks wrap after 26.5 h; the chain goes on across the wrap. */
START_TEST(test_wrap)
{
	struct seg_node n[] = { ts(0, 4, 0), ts(4, 4, 4), ts(8, 4, 8) };

	n[0].first_pts = WRAP - 4 * US;
	n[0].video_end = WRAP;
	n[1].first_pts = 0;
	n[1].video_end = 4 * US;
	n[2].first_pts = 4 * US;
	n[2].video_end = 8 * US;
	n[2].name_us += 3600 * US;	/* and one renamed */
	segindex_place(n, 3, SEGINDEX_TOL_US);
	assert_at(n, 0, 0, 0);
	assert_at(n, 1, 4, 0);
	assert_at(n, 2, 8, 1);
}
END_TEST

/* Segments whose timestamps restart at 0 (Frigate, MediaMTX fMP4) never
 * chain; every name stands. */
START_TEST(test_reset_timestamps)
{
	struct seg_node n[4];

	for (size_t i = 0; i < 4; i++) {
		memset(&n[i], 0, sizeof(n[i]));
		n[i].has_name = 1;
		n[i].name_us = T0 + (int64_t)i * 10 * US;
		n[i].first_pts = 0;
		n[i].video_end = 10 * US;
	}
	segindex_place(n, 4, SEGINDEX_TOL_US);
	for (size_t i = 0; i < 4; i++) {
		assert_at(n, i, 10.0 * (double)i, 0);
		ck_assert_int_eq(n[i].prev, -1);
	}
}
END_TEST

/* ---- the table, on a real SQLite file ---- */

static char dir[256];
static struct db *db;

static void
db_setup(void)
{
	char *path;

	log_init("test_segindex", 0);
	log_set_level(LOG_LVL_ERROR);
	unit_tmpdir(dir, sizeof(dir));
	path = path_join(dir, "t.db");
	db = db_open(path, 1);
	free(path);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_exec(db,
	    "INSERT INTO users(id, login, created_at, updated_at) VALUES (1, 'u', 0, 0);"
	    "INSERT INTO cameras(id, name, created_at, updated_at) VALUES (1, 'c', 0, 0);"
	    "INSERT INTO streams(id, camera_id, type, url, uuid, created_at, updated_at)"
	    " VALUES (1, 1, 'high', 'rtsp://x/1', 'a', 0, 0),"
	    " (2, 1, 'low', 'rtsp://x/2', 'b', 0, 0);"), 0);
}

static void
db_teardown(void)
{
	db_close(db);
	unit_rmtree(dir);
}

/* A segment file of 10 bytes at [start, start + 4 s), indexed. */
static int64_t
add_segment(int64_t stream, const char *name, int64_t start)
{
	struct seg_row row = { 0 };
	char path[512];

	unit_write(dir, name, "0123456789", path, sizeof(path));
	row.stream_id = stream;
	row.path = path;
	row.start_us = start;
	row.end_us = start + 4 * US;
	row.bytes = 10;
	snprintf(row.codec, sizeof(row.codec), "h264");
	row.width = 320;
	row.height = 240;
	ck_assert_int_eq(segindex_store(db, &row), 0);
	ck_assert_int_gt(row.id, 0);
	return row.id;
}

static int
count_segments(void)
{
	int64_t n;

	ck_assert_int_eq(db_query_int(db, "SELECT count(*) FROM segments", &n), 0);
	return (int)n;
}

START_TEST(test_rows)
{
	struct seg_row row;
	struct remux_segment *segs;
	char path[512];
	size_t n;

	add_segment(1, "a.ts", T0);
	add_segment(1, "b.ts", T0 + 4 * US);
	add_segment(2, "c.ts", T0);
	snprintf(path, sizeof(path), "%s/b.ts", dir);
	ck_assert_int_eq(segindex_lookup(db, path, &row), 1);
	ck_assert_int_eq(row.start_us, T0 + 4 * US);
	ck_assert_str_eq(row.codec, "h264");
	ck_assert_int_eq(row.width, 320);
	/* Update in place: same id, new end. */
	row.end_us += US;
	ck_assert_int_eq(segindex_store(db, &row), 0);
	segindex_row_release(&row);
	ck_assert_int_eq(segindex_lookup(db, path, &row), 1);
	ck_assert_int_eq(row.end_us, T0 + 9 * US);
	segindex_row_release(&row);
	ck_assert_int_eq(segindex_lookup(db, "/nonexistent", &row), 0);
	/* The one before a time, and the latest. */
	ck_assert_int_eq(segindex_before(db, 1, T0 + 2 * US, &row), 1);
	ck_assert_int_eq(row.start_us, T0);
	segindex_row_release(&row);
	ck_assert_int_eq(segindex_before(db, 1, INT64_MAX, &row), 1);
	ck_assert_int_eq(row.start_us, T0 + 4 * US);
	segindex_row_release(&row);
	ck_assert_int_eq(segindex_before(db, 1, T0 - 1, &row), 0);
	/* The worker's range query: overlapping, in order, this stream only. */
	segs = segindex_load_range(db, 1, T0 + 3 * US, T0 + 5 * US, &n);
	ck_assert_ptr_nonnull(segs);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(segs[0].start_us, T0);
	segindex_free_range(segs, n);
	segs = segindex_load_range(db, 1, T0 + 100 * US, T0 + 200 * US, &n);
	ck_assert_ptr_nonnull(segs);
	ck_assert_uint_eq(n, 0);
	segindex_free_range(segs, n);
	/* path is UNIQUE: a second insert of it fails. */
	row = (struct seg_row){ 0 };
	row.stream_id = 1;
	row.path = path;
	row.start_us = T0;
	row.end_us = T0 + US;
	snprintf(row.codec, sizeof(row.codec), "h264");
	ck_assert_int_eq(segindex_store(db, &row), -1);
}
END_TEST

static void
add_download(int64_t stream, const char *cond, int64_t from, int64_t to)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO downloads(user_id, stream_id, from_us,"
	    " to_us, name, condition, created_at, updated_at) VALUES (1, %lld, %lld,"
	    " %lld, 'n', '%s', 0, 0)", (long long)stream, (long long)from,
	    (long long)to, cond);
	ck_assert_int_eq(db_exec(db, sql), 0);
}

/* Old segments go, rows and files, except those a running job needs. */
START_TEST(test_prune)
{
	struct segindex_prune_stats st;
	char path[512];

	add_segment(1, "p0.ts", T0);
	add_segment(1, "p1.ts", T0 + 4 * US);
	add_segment(1, "p2.ts", T0 + 8 * US);
	add_segment(1, "p3.ts", T0 + 100 * US);	/* too young */
	add_segment(2, "q0.ts", T0);		/* the other stream */
	/* Pins p1 (overlaps [4, 8)); a finished one and another stream's don't. */
	add_download(1, "pending", T0 + 6 * US, T0 + 7 * US);
	add_download(1, "active", T0, T0 + 12 * US);
	add_download(2, "processing", T0 + 8 * US, T0 + 20 * US);
	ck_assert_int_eq(segindex_prune(db, 1, T0 + 50 * US, 1, &st), 0);
	ck_assert_int_eq(st.deleted, 2);
	ck_assert_int_eq(st.pinned, 1);
	ck_assert_int_eq(count_segments(), 5);	/* a dry run deletes nothing */
	ck_assert_int_eq(segindex_prune(db, 1, T0 + 50 * US, 0, &st), 0);
	ck_assert_int_eq(st.deleted, 2);
	ck_assert_int_eq(st.pinned, 1);
	ck_assert_int_eq(st.bytes, 20);
	ck_assert_int_eq(st.errors, 0);
	ck_assert_int_eq(count_segments(), 3);
	snprintf(path, sizeof(path), "%s/p0.ts", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/p1.ts", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* Every stream: q0 goes too; p1 stays pinned. */
	ck_assert_int_eq(segindex_prune(db, 0, T0 + 50 * US, 0, &st), 0);
	ck_assert_int_eq(st.deleted, 1);
	ck_assert_int_eq(count_segments(), 2);
	/* The job finished: p1 may go. */
	ck_assert_int_eq(db_exec(db, "UPDATE downloads SET condition='active'"), 0);
	ck_assert_int_eq(segindex_prune(db, 0, T0 + 50 * US, 0, &st), 0);
	ck_assert_int_eq(st.deleted, 1);
	ck_assert_int_eq(st.pinned, 0);
	ck_assert_int_eq(count_segments(), 1);
}
END_TEST

static Suite *
segindex_suite(void)
{
	Suite *s = suite_create("segindex");
	TCase *place = tcase_create("place"), *table = tcase_create("table");

	tcase_add_test(place, test_agree);
	tcase_add_test(place, test_jitter);
	tcase_add_test(place, test_renamed);
	tcase_add_test(place, test_renamed_ends);
	tcase_add_test(place, test_gap);
	tcase_add_test(place, test_restarts);
	tcase_add_test(place, test_two_disagree);
	tcase_add_test(place, test_fixed_anchor);
	tcase_add_test(place, test_unnamed);
	tcase_add_test(place, test_wrap);
	tcase_add_test(place, test_reset_timestamps);
	suite_add_tcase(s, place);
	tcase_add_checked_fixture(table, db_setup, db_teardown);
	tcase_add_test(table, test_rows);
	tcase_add_test(table, test_prune);
	suite_add_tcase(s, table);
	return s;
}

int
main(void)
{
	return unit_run(segindex_suite());
}
