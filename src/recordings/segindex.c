/* The segment index: placing files in time, and the segments table. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/log.h"
#include "media/remux.h"
#include "segindex.h"
#include "lib/util.h"
#include "lib/banned.h"

/* Candidates kept per node: recordings restarted many times repeat the
 * same timestamps, and only the nearest names matter. */
#define CANDIDATES	8
/* A preceding node's weight when it is already indexed: it outvotes names. */
#define FIXED_WEIGHT	1000000
#define NO_NAME_DEV	(INT64_MAX / 4)

struct edge {
	size_t	 a, b;		/* b continues a */
	int64_t	 dev;		/* how far b's name is from where a's name puts it */
};

/* d folded into (-wrap/2, wrap/2] when timestamps wrap. */
static int64_t
fold(int64_t d, int64_t wrap)
{
	if (wrap <= 0)
		return d;
	d %= wrap;
	if (d > wrap / 2)
		d -= wrap;
	else if (d <= -wrap / 2)
		d += wrap;
	return d;
}

static int64_t
abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static int
cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static const struct seg_node *sort_nodes;

static int
cmp_by_pts(const void *x, const void *y)
{
	int64_t a = sort_nodes[*(const size_t *)x].first_pts;
	int64_t b = sort_nodes[*(const size_t *)y].first_pts;

	return a < b ? -1 : a > b;
}

/* First index in order[] whose node's first_pts is >= v. */
static size_t
lower_bound(const struct seg_node *nodes, const size_t *order, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nodes[order[mid]].first_pts < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Keep the CANDIDATES lowest-dev edges of one node in best[]. */
static void
keep_best(struct edge *best, size_t *nbest, struct edge e)
{
	size_t worst = 0;

	if (*nbest < CANDIDATES) {
		best[(*nbest)++] = e;
		return;
	}
	for (size_t i = 1; i < *nbest; i++)
		if (best[i].dev > best[worst].dev)
			worst = i;
	if (e.dev < best[worst].dev)
		best[worst] = e;
}

/* The edges: b's first picture is where a's video ends. */
static struct edge *
find_edges(const struct seg_node *nodes, size_t n, size_t *nedges)
{
	size_t *order = xcalloc(n ? n : 1, sizeof(*order));
	struct edge *edges = NULL, best[CANDIDATES];
	size_t cap = 0;

	*nedges = 0;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_nodes = nodes;
	qsort(order, n, sizeof(*order), cmp_by_pts);
	for (size_t a = 0; a < n; a++) {
		const struct seg_node *na = &nodes[a];
		int64_t shifts[3] = { 0, na->wrap, -na->wrap };
		size_t nbest = 0;

		for (size_t s = 0; s < (na->wrap > 0 ? 3u : 1u); s++) {
			int64_t target = na->video_end + shifts[s];
			int64_t slack = na->fixed ? SEGINDEX_JOIN_FIXED_US : SEGINDEX_JOIN_US;
			size_t k = lower_bound(nodes, order, n, target - slack);

			for (; k < n && nodes[order[k]].first_pts <= target + slack; k++) {
				size_t b = order[k];
				const struct seg_node *nb = &nodes[b];
				struct edge e = { a, b, NO_NAME_DEV };

				if (b == a || (na->fixed && nb->fixed))
					continue;
				if (na->has_name && nb->has_name)
					e.dev = abs64(nb->name_us - (na->name_us +
					    fold(nb->first_pts - na->first_pts, na->wrap)));
				keep_best(best, &nbest, e);
			}
		}
		if (nbest == 0)
			continue;
		xgrow(&edges, &cap, *nedges + nbest, sizeof(*edges));
		memcpy(edges + *nedges, best, nbest * sizeof(*best));
		*nedges += nbest;
	}
	free(order);
	return edges;
}

static size_t
uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

struct member {
	size_t	 node;
	int64_t	 u;		/* media time along the chain, unwrapped */
	int64_t	 off;		/* name - u, when named */
	int	 agrees;
};

static int
cmp_off(const void *x, const void *y)
{
	const struct member *a = *(struct member *const *)x;
	const struct member *b = *(struct member *const *)y;

	return a->off < b->off ? -1 : a->off > b->off;
}

static int
weight(const struct seg_node *n)
{
	return n->fixed ? FIXED_WEIGHT : 1;
}

/* The heaviest window of width tol over offsets sorted ascending: its
 * weight, and its bounds in [*lo, *hi). */
static long
best_window(const struct seg_node *nodes, struct member **v, size_t n, int64_t tol,
    size_t *blo, size_t *bhi)
{
	size_t hi = 0;
	long best = 0, w = 0;

	*blo = *bhi = 0;
	for (size_t lo = 0; lo < n; lo++) {
		while (hi < n && v[hi]->off - v[lo]->off <= tol)
			w += weight(&nodes[v[hi++]->node]);
		if (w > best) {
			best = w;
			*blo = lo;
			*bhi = hi;
		}
		w -= weight(&nodes[v[lo]->node]);
	}
	return best;
}

/*
 * The offset most of the chain's names agree on: the heaviest window of
 * width tol over the sorted offsets. 1 and *consensus when that weight
 * beats every group of names outside it, else 0.
 */
static int
chain_consensus(const struct seg_node *nodes, struct member *m, size_t n,
    int64_t tol, int64_t *consensus)
{
	struct member **named = xcalloc(n, sizeof(*named));
	struct member **others = xcalloc(n, sizeof(*others));
	size_t nn = 0, no = 0, lo, hi;
	long best, rest;
	int ok = 0;

	for (size_t i = 0; i < n; i++)
		if (nodes[m[i].node].has_name)
			named[nn++] = &m[i];
	qsort(named, nn, sizeof(*named), cmp_off);
	if ((best = best_window(nodes, named, nn, tol, &lo, &hi)) == 0)
		goto out;
	/* An indexed member's offset, else the window's median. */
	*consensus = named[lo + (hi - lo) / 2]->off;
	for (size_t i = lo; i < hi; i++)
		if (nodes[named[i]->node].fixed)
			*consensus = named[i]->off;
	for (size_t i = 0; i < nn; i++)
		if (abs64(named[i]->off - *consensus) > tol)
			others[no++] = named[i];
	rest = best_window(nodes, others, no, tol, &lo, &hi);
	ok = best > rest;
out:
	free(others);
	free(named);
	return ok;
}

/* Place one chain, head first along succ[]. */
static void
place_chain(struct seg_node *nodes, const ssize_t *succ, size_t head, int64_t tol)
{
	struct member *m = NULL;
	size_t n = 0, cap = 0, *near;
	int64_t consensus = 0;

	for (ssize_t k = (ssize_t)head; k != -1; k = succ[k]) {
		xgrow(&m, &cap, n + 1, sizeof(*m));
		m[n].node = (size_t)k;
		m[n].u = n == 0 ? nodes[k].first_pts : m[n - 1].u +
		    fold(nodes[k].first_pts - nodes[m[n - 1].node].first_pts,
		    nodes[k].wrap);
		m[n].off = nodes[k].name_us - m[n].u;
		m[n].agrees = 0;
		n++;
	}
	if (!chain_consensus(nodes, m, n, tol, &consensus)) {
		/* No majority: the links may be chance; every name stands alone. */
		for (size_t i = 0; i < n; i++) {
			struct seg_node *s = &nodes[m[i].node];

			s->prev = -1;
			if (s->has_name) {
				s->start_us = s->name_us;
				s->placed = 1;
			}
		}
		free(m);
		return;
	}
	for (size_t i = 0; i < n; i++)
		m[i].agrees = nodes[m[i].node].has_name &&
		    abs64(m[i].off - consensus) <= tol;
	/* Each link's nearest agreeing link, in two sweeps: a node placed by
	 * its media takes that one's offset (clocks drift over a long chain). */
	near = xcalloc(n, sizeof(*near));
	for (size_t i = 0, last = SIZE_MAX; i < n; i++) {
		if (m[i].agrees)
			last = i;
		near[i] = last;
	}
	for (size_t i = n, last = SIZE_MAX; i-- > 0;) {
		if (m[i].agrees)
			last = i;
		if (last != SIZE_MAX && (near[i] == SIZE_MAX || last - i < i - near[i]))
			near[i] = last;
	}
	for (size_t i = 0; i < n; i++) {
		struct seg_node *s = &nodes[m[i].node];

		s->prev = i > 0 ? (ssize_t)m[i - 1].node : -1;
		s->placed = 1;
		if (m[i].agrees) {
			s->start_us = s->name_us;
			continue;
		}
		s->start_us = m[i].u + (near[i] != SIZE_MAX ? m[near[i]].off : consensus);
		s->media_wins = s->has_name;
	}
	free(near);
	free(m);
}

int
segindex_place(struct seg_node *nodes, size_t n, int64_t tol_us)
{
	ssize_t *pred, *succ;
	size_t *parent, nedges;
	struct edge *edges;

	if (n == 0)
		return 0;
	pred = xcalloc(n, sizeof(*pred));
	succ = xcalloc(n, sizeof(*succ));
	parent = xcalloc(n, sizeof(*parent));
	for (size_t i = 0; i < n; i++) {
		pred[i] = succ[i] = -1;
		parent[i] = i;
		nodes[i].placed = nodes[i].media_wins = 0;
		nodes[i].prev = -1;
	}
	edges = find_edges(nodes, n, &nedges);
	if (nedges > 0)
		qsort(edges, nedges, sizeof(*edges), cmp_edge);
	/* Greedy, best-agreeing links first; union-find keeps chains acyclic. */
	for (size_t i = 0; i < nedges; i++) {
		size_t a = edges[i].a, b = edges[i].b, ra, rb;

		if (succ[a] != -1 || pred[b] != -1)
			continue;
		if ((ra = uf_find(parent, a)) == (rb = uf_find(parent, b)))
			continue;
		parent[ra] = rb;
		succ[a] = (ssize_t)b;
		pred[b] = (ssize_t)a;
	}
	for (size_t i = 0; i < n; i++) {
		if (pred[i] != -1)
			continue;
		if (succ[i] != -1)
			place_chain(nodes, succ, i, tol_us);
		else if (nodes[i].has_name) {
			nodes[i].start_us = nodes[i].name_us;
			nodes[i].placed = 1;
		}
	}
	free(edges);
	free(parent);
	free(succ);
	free(pred);
	return 0;
}

/* ---- the segments table ---- */

#define ROW_COLUMNS "id, stream_id, path, start_us, end_us, bytes, codec," \
	" coalesce(width, 0), coalesce(height, 0), has_audio"

void
segindex_row_release(struct seg_row *row)
{
	free(row->path);
	row->path = NULL;
}

static void
row_read(struct db_stmt *st, struct seg_row *row)
{
	row->id = db_column_int64(st, 0);
	row->stream_id = db_column_int64(st, 1);
	row->path = xstrdup(db_column_text(st, 2));
	row->start_us = db_column_int64(st, 3);
	row->end_us = db_column_int64(st, 4);
	row->bytes = db_column_int64(st, 5);
	snprintf(row->codec, sizeof(row->codec), "%s",
	    db_column_text(st, 6));
	row->width = db_column_int(st, 7);
	row->height = db_column_int(st, 8);
	row->has_audio = db_column_int(st, 9);
}

/* Step a one-row query into row: 1, 0 none, -1 error. */
static int
one_row(struct db *db, struct db_stmt *st, struct seg_row *row)
{
	int rc = db_step(st), ret;

	if (rc == DB_ROW) {
		row_read(st, row);
		ret = 1;
	} else if (rc == DB_DONE)
		ret = 0;
	else
		ret = error("database: cannot read segments: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

int
segindex_lookup(struct db *db, const char *path, struct seg_row *row)
{
	struct db_stmt *st = db_prepare(db, "SELECT " ROW_COLUMNS
	    " FROM segments WHERE path=?");

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, path);
	return one_row(db, st, row);
}

int
segindex_before(struct db *db, int64_t stream_id, int64_t t, struct seg_row *row)
{
	struct db_stmt *st = db_prepare(db, "SELECT " ROW_COLUMNS " FROM segments"
	    " WHERE stream_id=? AND start_us<=? ORDER BY start_us DESC, id DESC LIMIT 1");

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, t);
	return one_row(db, st, row);
}

int
segindex_store(struct db *db, struct seg_row *row)
{
	struct db_stmt *st;
	int ret;

	if (row->id == 0)
		st = db_prepare(db, "INSERT INTO segments(stream_id, path, start_us,"
		    " end_us, bytes, codec, width, height, has_audio, created_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id");
	else
		st = db_prepare(db, "UPDATE segments SET stream_id=?1, path=?2,"
		    " start_us=?3, end_us=?4, bytes=?5, codec=?6, width=?7, height=?8,"
		    " has_audio=?9 WHERE id=?11 RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, row->stream_id);
	db_bind_text(st, 2, row->path);
	db_bind_int64(st, 3, row->start_us);
	db_bind_int64(st, 4, row->end_us);
	db_bind_int64(st, 5, row->bytes);
	db_bind_text(st, 6, row->codec);
	db_bind_int(st, 7, row->width);
	db_bind_int(st, 8, row->height);
	db_bind_int(st, 9, row->has_audio);
	if (row->id == 0)
		db_bind_int64(st, 10, now_us());
	else
		db_bind_int64(st, 11, row->id);
	if (db_step(st) == DB_ROW) {
		row->id = db_column_int64(st, 0);
		ret = 0;
	} else
		ret = error("database: cannot store segment '%s': %s", row->path,
		    db_errmsg(db));
	db_finalize(st);
	return ret;
}

int
segindex_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM segments WHERE id=?");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

int
segindex_foreach(struct db *db, int64_t stream_id, int64_t from, int64_t to,
    int (*cb)(void *arg, const struct seg_row *row), void *arg)
{
	struct db_stmt *st = db_prepare(db, "SELECT " ROW_COLUMNS " FROM segments"
	    " WHERE (?1 = 0 OR stream_id=?1) AND end_us>?2 AND start_us<?3"
	    " ORDER BY stream_id, start_us, id");
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, to);
	while ((rc = db_step(st)) == DB_ROW) {
		struct seg_row row;

		row_read(st, &row);
		ret = cb(arg, &row);
		segindex_row_release(&row);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != DB_DONE)
		ret = error("database: cannot list segments: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

struct remux_segment *
segindex_load_range(struct db *db, int64_t stream_id, int64_t from, int64_t to,
    size_t *n)
{
	/* The worker's query (daemon/archived.c, load_segments), so that an
	 * export and a download of one range are the same file. */
	struct db_stmt *st = db_prepare(db, "SELECT path, start_us, end_us, bytes"
	    " FROM segments WHERE stream_id=? AND end_us>? AND start_us<?"
	    " ORDER BY start_us, id");
	struct remux_segment *segs = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, to);
	while ((rc = db_step(st)) == DB_ROW) {
		xgrow(&segs, &cap, *n + 1, sizeof(*segs));
		segs[*n].path = xstrdup(db_column_text(st, 0));
		segs[*n].start_us = db_column_int64(st, 1);
		segs[*n].end_us = db_column_int64(st, 2);
		segs[*n].bytes = db_column_int64(st, 3);
		(*n)++;
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		error("database: cannot load segments: %s", db_errmsg(db));
		segindex_free_range(segs, *n);
		*n = 0;
		return NULL;
	}
	if (segs == NULL)
		segs = xcalloc(1, sizeof(*segs));	/* none: not an error */
	return segs;
}

void
segindex_free_range(struct remux_segment *segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)segs[i].path);
	free(segs);
}

/* Segments old enough, and whether a running download pins each. */
#define PRUNE_WHERE \
	" FROM segments s WHERE (?1 = 0 OR s.stream_id=?1) AND s.end_us<=?2"
#define PINNED \
	" EXISTS (SELECT 1 FROM downloads d WHERE d.stream_id=s.stream_id" \
	" AND d.condition IN ('pending', 'processing')" \
	" AND d.from_us<s.end_us AND d.to_us>s.start_us)"

int
segindex_prune(struct db *db, int64_t stream_id, int64_t before, int dry_run,
    struct segindex_prune_stats *stats)
{
	struct db_stmt *st = NULL;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int64_t pinned = 0;
	int rc, ret = -1;

	memset(stats, 0, sizeof(*stats));
	if (db_begin(db) == -1)
		return -1;
	if ((st = db_prepare(db, "SELECT count(*)" PRUNE_WHERE " AND" PINNED)) == NULL)
		goto out;
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, before);
	if (db_step(st) == DB_ROW)
		pinned = db_column_int64(st, 0);
	db_finalize(st);
	st = db_prepare(db, dry_run ?
	    "SELECT s.path, s.bytes" PRUNE_WHERE " AND NOT" PINNED :
	    "DELETE FROM segments WHERE id IN (SELECT s.id" PRUNE_WHERE
	    " AND NOT" PINNED ") RETURNING path, bytes");
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, before);
	while ((rc = db_step(st)) == DB_ROW) {
		xgrow(&paths, &cap, n + 1, sizeof(*paths));
		paths[n++] = xstrdup(db_column_text(st, 0));
		stats->bytes += db_column_int64(st, 1);
	}
	if (rc != DB_DONE) {
		error("database: cannot prune segments: %s", db_errmsg(db));
		goto out;
	}
	db_finalize(st);
	st = NULL;
	if (dry_run) {
		db_rollback(db);
		ret = 0;
	} else if (db_commit(db) == 0)
		ret = 0;
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(st);
	if (ret == 0) {
		stats->deleted = (int)n;
		stats->pinned = (int)pinned;
	}
	/* The rows are gone: no job can start on these files any more. */
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && !dry_run && unlink(paths[i]) == -1 && errno != ENOENT) {
			log_warn("cannot remove segment '%s'", paths[i]);
			stats->errors++;
		}
		free(paths[i]);
	}
	free(paths);
	return ret;
}
