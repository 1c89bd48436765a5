/*
 * archivectl check: every indexed segment and every active archive is on
 * disk with the size recorded (a segment still being written, larger and
 * written to within a minute, is left to segments import --watch). --deep: every segment is also read whole,
 * every packet, and its length compared with the index's (import reads a
 * file's head and tail only). --repair: a segment row whose file is gone
 * is deleted, one whose file changed size or length is probed again; an active
 * archive whose file is gone or changed is expired through the expiry
 * code (the archive_expired event goes out with the state change).
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl.h"
#include "lib/conf.h"
#include "segments.h"
#include "lib/db.h"
#include "lib/expiry.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "recordings/segindex.h"
#include "recordings/segprobe.h"
#include "lib/util.h"
#include "lib/banned.h"

#define CMD	"check"

enum problem { P_MISSING, P_SIZE, P_LENGTH };

struct finding {
	int64_t		 id;
	int64_t		 stream_id;
	enum problem	 problem;
	char		*path;
	int64_t		 recorded, actual;
};

struct findings {
	struct finding	*v;
	size_t		 n, cap;
	int		 checked;
};

struct check {
	struct ctl	*ctl;
	struct db		*db;
	int		 repair, deep;
	struct findings	 segs, archives;
	int		 deleted, updated, expired, unrepaired;
};

static void
finding_add(struct findings *f, int64_t id, int64_t stream, enum problem p,
    const char *path, int64_t recorded, int64_t actual)
{
	xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = (struct finding){ id, stream, p, xstrdup(path), recorded, actual };
}

static void
findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
}

/* Compare one file with its row; a difference is a finding. */
static void
check_file(struct findings *f, int64_t id, int64_t stream, const char *path,
    int64_t recorded)
{
	struct stat sb;

	f->checked++;
	if (stat(path, &sb) == -1)
		finding_add(f, id, stream, P_MISSING, path, recorded, 0);
	else if (sb.st_size != recorded)
		finding_add(f, id, stream, P_SIZE, path, recorded, sb.st_size);
}

/* --deep: the file read whole lasts what the index says. */
static void
check_length(struct findings *f, const struct seg_row *row)
{
	struct segprobe pr;
	char why[256];
	int64_t length = row->end_us - row->start_us;

	if (segprobe_file(row->path, SEGPROBE_DEEP, &pr, why, sizeof(why)) == -1)
		fprintf(stderr, "archivectl: %s: segment %lld of stream %lld: '%s'"
		    " cannot be read whole: %s\n", CMD, (long long)row->id,
		    (long long)row->stream_id, row->path, why);
	else if (pr.duration != length)
		finding_add(f, row->id, row->stream_id, P_LENGTH, row->path, length,
		    pr.duration);
}

/* A file a recorder is writing (larger than indexed, written to within
 * this long): segments import --watch follows it; not a problem. */
#define WRITING_S	60

static int
being_written(const struct seg_row *row)
{
	struct stat sb;

	return stat(row->path, &sb) == 0 && sb.st_size > row->bytes &&
	    time(NULL) - sb.st_mtime < WRITING_S;
}

static int
check_segment(void *arg, const struct seg_row *row)
{
	struct check *c = arg;
	size_t before = c->segs.n;

	if (being_written(row)) {
		c->segs.checked++;
		return 0;
	}
	check_file(&c->segs, row->id, row->stream_id, row->path, row->bytes);
	if (c->deep && c->segs.n == before)
		check_length(&c->segs, row);
	return 0;
}

static int
check_archives(struct check *c, int64_t stream)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT id, stream_id, path, size"
	    " FROM downloads WHERE condition='active' AND path IS NOT NULL"
	    " AND (?1 = 0 OR stream_id=?1) ORDER BY id");
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, stream);
	while ((rc = db_step(st)) == DB_ROW) {
		char *path = path_join(c->ctl->conf->downloads_dir,
		    db_column_text(st, 2));

		check_file(&c->archives, db_column_int64(st, 0),
		    db_column_int64(st, 1), path, db_column_int64(st, 3));
		free(path);
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : error("database: cannot list downloads: %s",
	    db_errmsg(c->db));
}

static void
say(const char *what, const struct finding *f)
{
	if (f->problem == P_MISSING)
		fprintf(stderr, "archivectl: %s: %s %lld of stream %lld: '%s' is missing\n",
		    CMD, what, (long long)f->id, (long long)f->stream_id, f->path);
	else if (f->problem == P_LENGTH)
		fprintf(stderr, "archivectl: %s: %s %lld of stream %lld: '%s' lasts"
		    " %.6f s read whole, the index says %.6f s\n", CMD, what,
		    (long long)f->id, (long long)f->stream_id, f->path, f->actual / 1e6,
		    f->recorded / 1e6);
	else
		fprintf(stderr, "archivectl: %s: %s %lld of stream %lld: '%s' has %lld"
		    " bytes, the index says %lld\n", CMD, what, (long long)f->id,
		    (long long)f->stream_id, f->path, (long long)f->actual,
		    (long long)f->recorded);
}

/* A changed segment file: probe it again (whole after --deep) and keep its
 * start. */
static int
reprobe(struct check *c, const struct finding *f)
{
	struct seg_row row = { 0 };
	struct segprobe pr;
	char why[256];
	int ret = -1;

	if (segindex_lookup(c->db, f->path, &row) != 1)
		return -1;
	if (segprobe_file(f->path, c->deep ? SEGPROBE_DEEP : SEGPROBE_FAST, &pr, why,
	    sizeof(why)) == -1) {
		fprintf(stderr, "archivectl: %s: cannot repair segment %lld: '%s': %s\n",
		    CMD, (long long)f->id, f->path, why);
		goto out;
	}
	row.end_us = row.start_us + pr.duration;
	row.bytes = pr.bytes;
	snprintf(row.codec, sizeof(row.codec), "%s", pr.codec);
	row.width = pr.width;
	row.height = pr.height;
	row.has_audio = pr.has_audio;
	ret = segindex_store(c->db, &row);
out:
	segindex_row_release(&row);
	return ret;
}

/* Segment rows, all in one transaction. */
static int
repair_segments(struct check *c)
{
	int deleted = 0, updated = 0, failed = 0;

	if (c->segs.n == 0)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	for (size_t i = 0; i < c->segs.n; i++) {
		const struct finding *f = &c->segs.v[i];
		struct stat sb;

		if (f->problem == P_MISSING && stat(f->path, &sb) == -1 && errno == ENOENT) {
			if (segindex_delete(c->db, f->id) == -1)
				goto fail;
			deleted++;
		} else if ((f->problem == P_SIZE || f->problem == P_LENGTH) &&
		    reprobe(c, f) == 0)
			updated++;
		else
			failed++;
	}
	if (db_commit(c->db) == -1)
		goto fail;
	c->deleted += deleted;
	c->updated += updated;
	c->unrepaired += failed;
	return 0;
fail:
	db_rollback(c->db);
	return -1;
}

/* Archives: due now, then the expiry code's own sweep takes them. */
static int
repair_archives(struct check *c)
{
	struct expiry_stats st = { 0 };
	struct db_stmt *up;
	int64_t now = now_us();
	int due = 0;

	if (c->archives.n == 0)
		return 0;
	if ((up = db_prepare(c->db, "UPDATE downloads SET expires_at=?1"
	    " WHERE id=?2 AND condition='active'")) == NULL)
		return -1;
	for (size_t i = 0; i < c->archives.n; i++) {
		db_reset(up);
		db_bind_int64(up, 1, now);
		db_bind_int64(up, 2, c->archives.v[i].id);
		if (db_step_done(up) == 0 && db_changes(c->db) > 0)
			due++;
	}
	db_finalize(up);
	if (expiry_run(c->db, c->ctl->conf, now, &st) == -1)
		return -1;
	if (st.expired > 0)
		kick_wake(c->db, c->ctl->conf->run_dir, KICK_PUSHD);
	c->expired += st.expired;
	c->unrepaired += due - st.expired > 0 ? due - st.expired : 0;
	return st.errors > 0 ? -1 : 0;
}

static json_t *
findings_json(const struct findings *f, enum problem p)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].problem == p)
			json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:I, s:I}",
			    "id", (json_int_t)f->v[i].id,
			    "stream_id", (json_int_t)f->v[i].stream_id,
			    "path", f->v[i].path, "recorded", (json_int_t)f->v[i].recorded,
			    "actual", (json_int_t)f->v[i].actual));
	return arr;
}

static int
check_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct check c = { .ctl = ctl, .db = db, .repair = ctl_has(args, "repair"),
	    .deep = ctl_has(args, "deep") };
	long long stream = ctl_num(args, "stream");
	int ret = 0;
	size_t problems;

	if (stream != 0 && ctl_stream_check(db, CMD, stream) != 0)
		return 1;
	if (segindex_foreach(db, stream, INT64_MIN, INT64_MAX, check_segment, &c) != 0 ||
	    check_archives(&c, stream) == -1) {
		ret = ctl_fail("%s: cannot read the index", CMD);
		goto out;
	}
	for (size_t i = 0; i < c.segs.n; i++)
		say("segment", &c.segs.v[i]);
	for (size_t i = 0; i < c.archives.n; i++)
		say("archive of download", &c.archives.v[i]);
	problems = c.segs.n + c.archives.n;
	if (c.repair && (repair_segments(&c) == -1 || repair_archives(&c) == -1))
		ret = ctl_fail("%s: --repair: some repairs failed (see above); run it"
		    " again", CMD);
	if (ctl->json)
		ctl_json_print(json_pack("{s:{s:i, s:o, s:o, s:o, s:i, s:i},"
		    " s:{s:i, s:o, s:o, s:i}, s:b}",
		    "segments", "checked", c.segs.checked,
		    "missing", findings_json(&c.segs, P_MISSING),
		    "size_mismatch", findings_json(&c.segs, P_SIZE),
		    "length_mismatch", findings_json(&c.segs, P_LENGTH),
		    "deleted", c.deleted, "updated", c.updated,
		    "archives", "checked", c.archives.checked,
		    "missing", findings_json(&c.archives, P_MISSING),
		    "size_mismatch", findings_json(&c.archives, P_SIZE),
		    "expired", c.expired,
		    "ok", problems == 0 || (c.repair && ret == 0 && c.unrepaired == 0)),
		    JSON_COMPACT);
	fprintf(stderr, "archivectl: %s: %d segments and %d active archives checked;"
	    " %zu segment%s and %zu archive%s do not match their files", CMD,
	    c.segs.checked, c.archives.checked, c.segs.n, c.segs.n == 1 ? "" : "s",
	    c.archives.n, c.archives.n == 1 ? "" : "s");
	if (c.repair)
		fprintf(stderr, "; repaired: %d segment rows deleted, %d updated,"
		    " %d archives expired\n", c.deleted, c.updated, c.expired);
	else
		fprintf(stderr, "%s\n", problems ? "; --repair fixes the rows" : "");
	if (ret == 0 && problems > 0 && (!c.repair || c.unrepaired > 0))
		ret = 1;
out:
	findings_release(&c.segs);
	findings_release(&c.archives);
	return ret;
}

const struct ctl_cmd ctl_cmd_check = {
	.name = "check",
	.usage = "[--deep] [--repair] [--stream ID]",
	.help = "verify that every indexed segment and active archive is on disk"
	    " with its size (--deep: and that each segment read whole lasts what"
	    " the index says); exit 1 if not (--repair: fix the rows)",
	.opts = (const struct ctl_opt[]){
		{ .name = "deep" },
		{ .name = "repair" },
		{ .name = "stream", .type = CTL_ID },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = check_run,
};
