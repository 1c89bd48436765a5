/*
 * The segment index: placing recorded files in wall-clock time, and the
 * rows of the segments table (import, list, prune, check).
 *
 * Placing: a name gives a wall-clock time (layout.h), the media gives a
 * timeline. Within one recording consecutive segments continue each
 * other's timestamps exactly, so files chain: B follows A when B's first
 * picture is where A's last picture ends. Along a chain, wall clock minus
 * media time is one offset; the names of most links agree on it. A file
 * whose name disagrees with its chain (renamed, wrong zone) is placed by
 * its media instead ("media wins"); an indexed segment in the chain is
 * never moved and outvotes every name.
 */
#ifndef ARCHIVED_SEGINDEX_H
#define ARCHIVED_SEGINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct db;

struct remux_segment;

/* Names within this of their chain's offset agree with it. */
#define SEGINDEX_TOL_US		2000000
/* B continues A when B's first picture is within this of A's video end. */
#define SEGINDEX_JOIN_US	100000
/* ...or of an indexed A's end, which may include an audio frame more. */
#define SEGINDEX_JOIN_FIXED_US	200000

/* One file to place, or an indexed segment (fixed) it may continue. */
struct seg_node {
	/* in */
	int64_t	 name_us;	/* the wall clock its name (or creation_time) says */
	int	 has_name;
	int	 fixed;		/* indexed already: name_us is its start; kept */
	int64_t	 first_pts;	/* media time of its first picture, us */
	int64_t	 video_end;	/* media time where its last picture ends */
	int64_t	 wrap;		/* timestamp wrap period, or 0 */
	/* out */
	int64_t	 start_us;	/* wall clock of its first picture */
	int	 placed;	/* start_us is set */
	int	 media_wins;	/* its name disagrees with its chain; placed by media */
	ssize_t	 prev;		/* the node whose timeline it continues, or -1 */
};

/* Place nodes (see above). Pure; returns 0 (memory exhaustion aborts). */
int	 segindex_place(struct seg_node *nodes, size_t n, int64_t tol_us);

/* A row of the segments table. path is owned (segindex_row_release). */
struct seg_row {
	int64_t	 id;
	int64_t	 stream_id;
	char	*path;
	int64_t	 start_us, end_us;
	int64_t	 bytes;
	char	 codec[8];
	int	 width, height;
	int	 has_audio;
};

void	 segindex_row_release(struct seg_row *row);

/* The row indexing path: 1 found, 0 none, -1 error. */
int	 segindex_lookup(struct db *db, const char *path, struct seg_row *row);
/* The stream's segment that starts last at or before t (t = INT64_MAX:
 * the latest): 1 found, 0 none, -1 error. */
int	 segindex_before(struct db *db, int64_t stream_id, int64_t t,
	    struct seg_row *row);
/* Insert (row->id = 0) or update (by id) a row; inside the caller's
 * transaction. */
int	 segindex_store(struct db *db, struct seg_row *row);
int	 segindex_delete(struct db *db, int64_t id);

/* Call cb for each segment of the stream overlapping [from, to), in time
 * order (stream_id 0: every stream); a nonzero cb return stops with it. */
int	 segindex_foreach(struct db *db, int64_t stream_id, int64_t from, int64_t to,
	    int (*cb)(void *arg, const struct seg_row *row), void *arg);

/* The segments a job of [from, to) remuxes, in time order: the worker and
 * archivectl export both load them here. Caller frees with
 * segindex_free_range (NULL is fine). NULL on error; none is an empty,
 * non-NULL array. */
struct remux_segment *segindex_load_range(struct db *db, int64_t stream_id,
	    int64_t from, int64_t to, size_t *n);
void	 segindex_free_range(struct remux_segment *segs, size_t n);

struct segindex_prune_stats {
	int	 deleted;	/* rows deleted (and files unlinked) */
	int	 pinned;	/* kept: a pending or processing download needs them */
	int	 errors;	/* files that could not be unlinked (logged) */
	int64_t	 bytes;		/* bytes of the deleted segments */
};

/*
 * Delete the segments that ended at or before `before` (stream_id 0:
 * every stream), except those a download in condition pending or
 * processing of the same stream overlaps. The rows go in one transaction
 * first, the files after: a job claimed later never sees a deleted file.
 * dry_run: count only. 0, or -1 on a database error.
 */
int	 segindex_prune(struct db *db, int64_t stream_id, int64_t before,
	    int dry_run, struct segindex_prune_stats *st);

#endif
