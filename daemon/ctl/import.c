/*
 * archivectl segments import: index a directory of recordings, once or
 * (--watch) as a recorder closes each file. Every file is probed; its time
 * comes from its name (layout.h) checked against its media (segindex.h);
 * the rows of one pass go in one transaction.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "lib/conf.h"
#include "import.h"
#include "segments.h"
#include "lib/db.h"
#include "recordings/layout.h"
#include "lib/heartbeat.h"
#include "lib/log.h"
#include "lib/model.h"
#include "recordings/segindex.h"
#include "recordings/segprobe.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/banned.h"

#define CMD		IMPORT_CMD

static void
file_release(struct import_file *f)
{
	free(f->path);
	free(f->shown);
	segindex_row_release(&f->old);
}

void
import_clear(struct import *im)
{
	for (size_t i = 0; i < im->n; i++)
		file_release(&im->files[i]);
	im->n = 0;
}

/* One line on stderr about a file, and a --json entry. */
static void
report(struct import *im, const char *shown, const char *problem, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct import *im, const char *shown, const char *problem, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "archivectl: %s: %s '%s': %s\n", CMD, problem, shown, msg);
	if (im->problems != NULL)
		json_array_append_new(im->problems, json_pack("{s:s, s:s, s:s}",
		    "path", shown, "problem", problem, "message", msg));
}

/* A candidate: a media name the layout understands (and, for
 * Frigate, of the chosen camera). */
struct import_file *
import_add(struct import *im, const char *path, const char *shown)
{
	struct import_file *f;
	struct layout_time lt;
	char real[PATH_MAX], *abs;
	int has_name;

	if (!layout_is_media_name(path))
		return NULL;
	if (realpath(path, real) == NULL)
		return NULL;	/* gone already */
	/* The name as found (absolute: Frigate's date is three directories
	 * up), else the resolved one, which the index stores: a link may
	 * carry the name, or point at it. */
	if (path[0] == '/')
		abs = xstrdup(path);
	else {
		char cwd[PATH_MAX];

		abs = path_join(getcwd(cwd, sizeof(cwd)) != NULL ? cwd : ".", path);
	}
	has_name = layout_parse(im->layout, abs, im->utc, &lt) == 1 ||
	    layout_parse(im->layout, real, im->utc, &lt) == 1;
	if (im->source != NULL && (!has_name || lt.layout != LAYOUT_FRIGATE ||
	    strlen(im->source) != lt.camera_len ||
	    strncmp(im->source, lt.camera, lt.camera_len) != 0)) {
		free(abs);
		return NULL;
	}
	xgrow(&im->files, &im->cap, im->n + 1, sizeof(*im->files));
	f = &im->files[im->n++];
	memset(f, 0, sizeof(*f));
	f->shown = xstrdup(shown);
	f->path = xstrdup(real);
	f->has_name = has_name;
	f->lt = lt;
	if (has_name && lt.layout == LAYOUT_FRIGATE)
		snprintf(f->camera, sizeof(f->camera), "%.*s", (int)lt.camera_len,
		    lt.camera);
	f->lt.camera = NULL;	/* it pointed into a path freed here */
	f->lt.camera_len = 0;
	free(abs);
	return f;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every media file under dir, in name order. */
int
import_walk(struct import *im, const char *dir, const char *shown, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (depth > IMPORT_MAX_DEPTH)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		report(im, shown, "skipped", "cannot read the directory: %s",
		    strerror(errno));
		im->bad++;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* hidden, and a recorder's temp names */
		xgrow(&names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]), *s = path_join(shown, names[i]);
		struct stat sb;

		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			import_walk(im, p, s, depth + 1);
		else if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
			import_add(im, p, s);
		free(p);
		free(s);
		free(names[i]);
	}
	free(names);
	return 0;
}

int
import_check_cameras(struct import *im)
{
	char **cams = NULL;
	size_t n = 0;
	struct buf list;
	int ret = 0;

	if (im->source != NULL)
		return 0;
	for (size_t i = 0; i < im->n; i++) {
		const char *cam = im->files[i].camera;
		size_t k;

		if (cam[0] == '\0')
			continue;
		for (k = 0; k < n && strcmp(cams[k], cam) != 0; k++)
			;
		if (k < n)
			continue;
		cams = xreallocarray(cams, n + 1, sizeof(*cams));
		cams[n++] = xstrdup(cam);
	}
	if (n > 1) {
		qsort(cams, n, sizeof(*cams), cmp_str);
		buf_init(&list);
		for (size_t k = 0; k < n; k++)
			buf_printf(&list, "%s%s", k ? ", " : "", cams[k]);
		ret = ctl_usage_error("%s: DIR holds the Frigate recordings of several"
		    " cameras (%s); choose one with --source NAME", CMD, list.data);
		buf_release(&list);
	} else if (n == 1) {
		/* The one camera; files of others that appear later are not it. */
		snprintf(im->source_buf, sizeof(im->source_buf), "%s", cams[0]);
		im->source = im->source_buf;
	}
	for (size_t k = 0; k < n; k++)
		free(cams[k]);
	free(cams);
	return ret;
}

/* What the index already knows, then probe what it does not. */
static void
probe_files(struct import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		struct import_file *f = &im->files[i];
		struct stat sb;
		int rc;

		rc = segindex_lookup(im->db, f->path, &f->old);
		if (rc == 1 && f->old.stream_id != im->stream) {
			f->state = F_OTHER_STREAM;
			continue;
		}
		if (rc == 1 && !f->force && stat(f->path, &sb) == 0 &&
		    sb.st_size == f->old.bytes) {
			f->state = F_KNOWN;
			continue;
		}
		f->state = rc == 1 ? F_GROWN : F_NEW;
		if (segprobe_file(f->path, f->growing ? SEGPROBE_GROWING : SEGPROBE_FAST,
		    &f->pr, f->why, sizeof(f->why)) == -1)
			f->state = f->growing ? F_WAIT : F_BAD;
	}
}

/* creation_time is the media's own wall clock: it beats the name. */
static void
apply_creation_time(struct import *im, struct import_file *f)
{
	char said[TIME_LOCAL_LEN], media[TIME_LOCAL_LEN];

	if (f->pr.creation == 0)
		return;
	if (f->has_name && llabs(f->pr.creation - f->lt.us) > SEGINDEX_TOL_US) {
		time_format_local(f->lt.us, said);
		time_format_local(f->pr.creation, media);
		report(im, f->shown, "warning", "its name says %s but its"
		    " creation_time says %s; using the media's time", said, media);
		im->warned++;
	}
	f->lt.us = f->pr.creation;
	f->has_name = 1;
}

/* An indexed segment the new files may continue, as a fixed node. */
static int
anchor_node(const struct seg_row *row, struct seg_node *node)
{
	struct segprobe pr;
	char why[256];

	if (segprobe_file(row->path, SEGPROBE_HEAD, &pr, why, sizeof(why)) == -1)
		return -1;
	memset(node, 0, sizeof(*node));
	node->fixed = 1;
	node->has_name = 1;
	node->name_us = row->start_us;
	node->first_pts = pr.first_pts;
	node->video_end = pr.first_pts + (row->end_us - row->start_us);
	node->wrap = pr.wrap;
	return 0;
}

/* Indexed segments the new files may continue, as fixed nodes after the
 * n new ones: for each new file the segment before it by its name, and
 * the stream's latest. Returns how many; their rows go in *rows. */
static size_t
add_anchors(struct import *im, struct seg_node **nodes, size_t n, size_t *cap,
    struct seg_row **rows)
{
	size_t nrows = 0, rcap = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i <= im->n; i++) {
		struct seg_row row = { 0 };
		int64_t t = INT64_MAX;	/* the last round: the latest segment */
		size_t k;

		if (i < im->n) {
			if (im->files[i].state != F_NEW || !im->files[i].has_name)
				continue;
			t = im->files[i].lt.us + SEGINDEX_TOL_US;
		}
		if (segindex_before(im->db, im->stream, t, &row) != 1)
			continue;
		for (k = 0; k < nrows && (*rows)[k].id != row.id; k++)
			;
		if (k < nrows) {
			segindex_row_release(&row);
			continue;
		}
		xgrow(nodes, cap, n + nrows + 1, sizeof(**nodes));
		xgrow(rows, &rcap, nrows + 1, sizeof(**rows));
		/* A segment whose file is gone or unreadable anchors nothing. */
		if (anchor_node(&row, &(*nodes)[n + nrows]) == -1) {
			segindex_row_release(&row);
			continue;
		}
		(*rows)[nrows++] = row;
	}
	return nrows;
}

/* Decide each new file's start. */
static void
place_files(struct import *im)
{
	struct seg_node *nodes = xcalloc(im->n + 1, sizeof(*nodes));
	struct seg_row *anchors = NULL;
	size_t *idx = xcalloc(im->n + 1, sizeof(*idx)), n = 0, cap = im->n + 1, na;

	for (size_t i = 0; i < im->n; i++) {
		struct import_file *f = &im->files[i];

		if (f->state != F_NEW)
			continue;
		apply_creation_time(im, f);
		nodes[n].has_name = f->has_name;
		nodes[n].name_us = f->lt.us;
		nodes[n].first_pts = f->pr.first_pts;
		nodes[n].video_end = f->pr.video_end;
		nodes[n].wrap = f->pr.wrap;
		idx[n++] = i;
	}
	na = add_anchors(im, &nodes, n, &cap, &anchors);
	segindex_place(nodes, n + na, SEGINDEX_TOL_US);
	for (size_t k = 0; k < n; k++) {
		struct import_file *f = &im->files[idx[k]];
		ssize_t prev = nodes[k].prev;

		if (!nodes[k].placed) {
			f->state = F_BAD;
			snprintf(f->why, sizeof(f->why), "no time in its name (layout %s)"
			    " and none in its media", layout_name(im->layout));
			continue;
		}
		f->start_us = nodes[k].start_us;
		f->media_wins = nodes[k].media_wins;
		if (prev >= 0)
			f->follows = (size_t)prev < n ? im->files[idx[prev]].shown :
			    anchors[(size_t)prev - n].path;
		if (f->media_wins) {
			char said[TIME_LOCAL_LEN], at[TIME_LOCAL_LEN];

			time_format_local(f->lt.us, said);
			time_format_local(f->start_us, at);
			report(im, f->shown, "warning", "its name says %s but its"
			    " timestamps continue '%s'; indexed at %s (the media wins)",
			    said, f->follows ? f->follows : "?", at);
			im->warned++;
		}
	}
	for (size_t k = 0; k < na; k++)
		segindex_row_release(&anchors[k]);
	free(anchors);
	free(idx);
	free(nodes);
}

static void
fill_row(const struct import *im, const struct import_file *f, struct seg_row *row)
{
	memset(row, 0, sizeof(*row));
	row->stream_id = im->stream;
	row->path = f->path;
	row->start_us = f->start_us;
	row->end_us = f->start_us + f->pr.duration;
	row->bytes = f->pr.bytes;
	snprintf(row->codec, sizeof(row->codec), "%s", f->pr.codec);
	row->width = f->pr.width;
	row->height = f->pr.height;
	row->has_audio = f->pr.has_audio;
}

/* One transaction for the batch: every new or grown file, or none. */
static int
store_files(struct import *im)
{
	int added = 0, updated = 0;

	if (db_begin(im->db) == -1)
		return -1;
	for (size_t i = 0; i < im->n; i++) {
		struct import_file *f = &im->files[i];
		struct seg_row row;

		if (f->state != F_NEW && f->state != F_GROWN)
			continue;
		if (f->state == F_GROWN)
			f->start_us = f->old.start_us;	/* it grew; it did not move */
		fill_row(im, f, &row);
		row.id = f->state == F_GROWN ? f->old.id : 0;
		if (segindex_store(im->db, &row) == -1) {
			db_rollback(im->db);
			return -1;
		}
		if (f->state == F_NEW)
			added++;
		else
			updated++;
	}
	if (db_commit(im->db) == -1) {
		db_rollback(im->db);
		return -1;
	}
	im->added += added;
	im->updated += updated;
	return 0;
}

static int
cmp_file_path(const void *a, const void *b)
{
	return strcmp(((const struct import_file *)a)->path,
	    ((const struct import_file *)b)->path);
}

/* One entry per resolved path: a link and its target, a file closed twice
 * in one burst, or seen by an event and a rescan, are one segment. */
static void
dedupe(struct import *im)
{
	size_t k = 0;

	if (im->n < 2)
		return;
	qsort(im->files, im->n, sizeof(*im->files), cmp_file_path);
	for (size_t i = 0; i < im->n; i++) {
		if (k > 0 && strcmp(im->files[k - 1].path, im->files[i].path) == 0) {
			struct import_file *a = &im->files[k - 1], *b = &im->files[i];

			/* Closed in the same pass: final. */
			a->growing = b->growing = a->growing && b->growing;
			a->force = b->force = a->force || b->force;
			a->announce = b->announce = a->announce || b->announce;
			/* Keep the one whose name carries a time. */
			if (!im->files[k - 1].has_name && im->files[i].has_name) {
				file_release(&im->files[k - 1]);
				im->files[k - 1] = im->files[i];
			} else
				file_release(&im->files[i]);
			continue;
		}
		im->files[k++] = im->files[i];
	}
	im->n = k;
}

/* The batch in im->files: probe, place, store, report. */
int
import_batch(struct import *im)
{
	int64_t t0 = mono_us();
	char stats[96];
	int rc;

	if (im->started_us == 0)
		im->started_us = now_us();
	dedupe(im);
	probe_files(im);
	place_files(im);
	for (size_t i = 0; i < im->n; i++) {
		struct import_file *f = &im->files[i];

		if (f->state == F_KNOWN)
			im->known++;
		else if (f->state == F_BAD) {
			report(im, f->shown, "skipped", "%s", f->why);
			im->bad++;
		} else if (f->state == F_WAIT && f->announce)
			fprintf(stderr, "archivectl: %s: waiting for '%s': %s\n", CMD,
			    f->shown, f->why);
		else if (f->state == F_OTHER_STREAM) {
			report(im, f->shown, "skipped", "already indexed for stream %lld",
			    (long long)f->old.stream_id);
			im->bad++;
		}
	}
	if ((rc = store_files(im)) == -1)
		return ctl_fail("%s: cannot store the segments of '%s'; nothing"
		    " of this pass was indexed", CMD, im->dir);
	/* What /metrics shows of indexing (heartbeat.h). */
	im->busy_us += mono_us() - t0;
	snprintf(stats, sizeof(stats), "{\"indexed\":%d,\"seconds\":%.6f}",
	    im->added + im->updated, (double)im->busy_us / USEC_PER_SEC);
	(void)heartbeat_beat(im->db, "importer", im->ctl->conf->node,
	    im->started_us, stats);
	for (size_t i = 0; i < im->n; i++) {
		struct import_file *f = &im->files[i];
		char at[TIME_LOCAL_LEN];

		if ((f->state != F_NEW && f->state != F_GROWN) || !im->verbose)
			continue;
		if (f->state == F_GROWN && f->growing)
			continue;	/* every second while it is written: quiet */
		time_format_local(f->start_us, at);
		fprintf(stderr, "archivectl: %s: %s '%s': %s, %.3f s%s, %s %dx%d%s\n",
		    CMD, f->state == F_NEW ? "indexed" : "updated", f->shown, at,
		    f->pr.duration / 1e6, f->growing ? " so far (being written)" : "",
		    f->pr.codec, f->pr.width, f->pr.height,
		    f->pr.has_audio ? ", audio" : "");
	}
	return 0;
}

void
import_summary(struct import *im)
{
	if (im->ctl->json)
		ctl_json_print(json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:O}",
		    "stream_id", (json_int_t)im->stream, "new", im->added,
		    "known", im->known, "updated", im->updated, "skipped", im->bad,
		    "warnings", im->warned, "problems", im->problems), JSON_COMPACT);
	fprintf(stderr, "archivectl: %s: %d new, %d already indexed, %d updated,"
	    " %d skipped, %d placed by their media\n", CMD, im->added, im->known,
	    im->updated, im->bad, im->warned);
}

/* A stream's recordings are indexed by the node that holds them: the
 * paths are that node's. 0, or 1 after saying which node to run on. */
static int
stream_here(struct ctl *ctl, struct db *db, int64_t stream)
{
	struct db_stmt *st = db_prepare(db, "SELECT node FROM streams WHERE id=?");
	char *node = NULL;
	int ret = 1;

	if (st == NULL)
		return ctl_fail("%s: cannot read stream %lld", CMD, (long long)stream);
	db_bind_int64(st, 1, stream);
	if (db_step(st) == DB_ROW)
		node = xstrdup(db_column_text(st, 0));
	db_finalize(st);
	if (node == NULL)
		return ctl_fail("%s: cannot read stream %lld", CMD, (long long)stream);
	if (conf_holds(ctl->conf, node))
		ret = 0;
	else
		ctl_fail("%s: --stream: stream %lld is on node '%s' and this is node"
		    " '%s': index its recordings there (or set shared_storage)", CMD,
		    (long long)stream, node, ctl->conf->node);
	free(node);
	return ret;
}

static int
import_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct import im = {
		.ctl = ctl,
		.db = db,
		.stream = ctl_num(args, "stream"),
		.layout = LAYOUT_AUTO,
		.utc = ctl_has(args, "utc"),
		.verbose = ctl_has(args, "verbose"),
		.source = ctl_str(args, "source"),
		.dir = args->argv[0],
	};
	const char *layout = ctl_str(args, "layout");
	int ret;
	struct stat sb;

	if (layout != NULL && layout_from_name(layout, &im.layout) == -1)
		return ctl_usage_error("%s: --layout: '%s' is not one of %s", CMD,
		    layout, layout_names());
	if (stat(im.dir, &sb) == -1)
		return ctl_usage_error("%s: DIR: cannot read '%s': %s", CMD, im.dir,
		    strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return ctl_usage_error("%s: DIR: '%s' is not a directory", CMD, im.dir);
	if (im.source != NULL && im.layout != LAYOUT_FRIGATE && im.layout != LAYOUT_AUTO)
		return ctl_usage_error("%s: --source names a Frigate camera; it goes"
		    " with --layout frigate", CMD);
	if (ctl_stream_check(db, CMD, im.stream) != 0 || stream_here(ctl, db, im.stream) != 0)
		return 1;
	if (ctl->json)
		im.problems = json_array();
	if (ctl_has(args, "watch"))
		ret = import_watch(&im);
	else {
		import_walk(&im, im.dir, im.dir, 0);
		if ((ret = import_check_cameras(&im)) == 0 &&
		    (ret = import_batch(&im)) == 0)
			import_summary(&im);
	}
	import_clear(&im);
	free(im.files);
	json_decref(im.problems);
	if (ret != 0)
		return ret;
	/* Some files could not be indexed; the others were. */
	return im.bad > 0 ? CTL_EXIT_PARTIAL : 0;
}

const struct ctl_cmd ctl_cmd_segments_import = {
	.name = "segments import",
	.usage = "--stream ID DIR [--layout auto|ffmpeg|mediamtx|frigate]"
	    " [--source CAMERA] [--utc] [--watch] [--verbose]",
	.help = "index the recordings under DIR (times from the names, checked"
	    " against the media); exit 3 when some files were skipped",
	.opts = (const struct ctl_opt[]){
		{ .name = "stream", .type = CTL_ID, .required = 1 },
		{ .name = "layout", .type = CTL_STRING },
		{ .name = "source", .type = CTL_STRING },
		{ .name = "utc" },
		{ .name = "watch" },
		{ .name = "verbose" },
		{ .name = NULL },
	},
	.args = { "DIR", 1, 1 },
	.needs_db = 1,
	.run = import_run,
};
