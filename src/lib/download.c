#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "download.h"
#include "log.h"
#include "model.h"
#include "timefmt.h"
#include "urlsign.h"
#include "util.h"
#include "banned.h"

void
download_file_path(int64_t id, char out[64])
{
	snprintf(out, 64, "/api/admin/v1/downloads/%lld/file", (long long)id);
}

char *
download_make_name(const char *label, int64_t from, int64_t to)
{
	char f[TIME_NAME_LEN], t[7];
	struct buf b;

	time_format_name(from, f);
	time_format_hms(to, t);
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
		unsigned char ch = *p;

		if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\' ||
		    ch == '"' || ch == '\'' || ch == '`')
			ch = '_';
		buf_add(&b, &ch, 1);
	}
	if (b.len == 0)
		buf_adds(&b, "camera");
	buf_printf(&b, ", file.%s-%s.mp4", f, t);
	return buf_detach(&b);
}

static json_t *
time_or_empty(struct db_stmt *st, int col)
{
	char t[TIME_UTC_LEN];

	if (db_column_type(st, col) == DB_NULL)
		return json_string("");
	time_format_utc(db_column_int64(st, col), t);
	return json_string(t);
}

static json_t *
time_or_null(struct db_stmt *st, int col)
{
	if (db_column_type(st, col) == DB_NULL)
		return json_null();
	return time_or_empty(st, col);
}

static json_t *
local_time(int64_t us)
{
	char t[TIME_LOCAL_LEN];

	time_format_local(us, t);
	return json_string(t);
}

/* Stored as [[from_us, to_us], ...]; shown as [{"from", "to"}, ...]. */
static json_t *
coverage_json(const char *stored)
{
	json_t *in = json_loads(stored ? stored : "[]", 0, NULL), *out = json_array();
	size_t i;
	json_t *pair;

	json_array_foreach(in, i, pair) {
		json_array_append_new(out, json_pack("{s:o, s:o}",
		    "from", local_time(json_integer_value(json_array_get(pair, 0))),
		    "to", local_time(json_integer_value(json_array_get(pair, 1)))));
	}
	json_decref(in);
	return out;
}

enum {
	C_ID, C_STREAM, C_FROM, C_TO, C_NAME, C_COND, C_EXISTS, C_ACTUAL,
	C_PROGRESS, C_SIZE, C_DURATION, C_COVERAGE, C_ECODE, C_EMSG,
	C_CREATED, C_UPDATED, C_STOPPED, C_EXPIRES, C_KEY, C_BASE,
};

json_t *
download_to_json(struct db *db, const struct conf *c, int64_t id)
{
	struct db_stmt *st = db_stmt(db, "SELECT id, stream_id, from_us, to_us,"
	    " name, condition, is_file_exists, is_actual, progress, size,"
	    " duration_us, coverage, error_code, error_message, created_at,"
	    " updated_at, stopped_at, expires_at, link_key,"
	    " (SELECT url FROM nodes WHERE name=downloads.node)"
	    " FROM downloads WHERE id=?");
	json_t *o = NULL, *stream;
	char *url = NULL;
	int exists;

	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, id);
	if (db_step(st) != DB_ROW)
		goto out;
	exists = db_column_int(st, C_EXISTS);
	if (exists && strcmp(db_column_text(st, C_COND), "active") == 0 &&
	    db_column_type(st, C_EXPIRES) != DB_NULL) {
		char path[64];

		download_file_path(id, path);
		url = url_sign(c, db_column_text(st, C_BASE), path,
		    db_column_text(st, C_KEY),
		    db_column_int64(st, C_EXPIRES) / USEC_PER_SEC);
	}
	stream = stream_to_json(db, db_column_int64(st, C_STREAM));
	o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "name", json_string(db_column_text(st, C_NAME)));
	json_object_set_new(o, "type", json_string("mp4"));
	json_object_set_new(o, "url", json_string(url ? url : ""));
	json_object_set_new(o, "from", local_time(db_column_int64(st, C_FROM)));
	json_object_set_new(o, "to", local_time(db_column_int64(st, C_TO)));
	json_object_set_new(o, "created_at", time_or_empty(st, C_CREATED));
	json_object_set_new(o, "updated_at", time_or_empty(st, C_UPDATED));
	json_object_set_new(o, "is_file_exists", json_boolean(exists));
	json_object_set_new(o, "stream", stream ? stream : json_null());
	json_object_set_new(o, "is_actual", json_boolean(db_column_int(st, C_ACTUAL)));
	json_object_set_new(o, "condition", json_string(db_column_text(st, C_COND)));
	json_object_set_new(o, "stopped_at", time_or_empty(st, C_STOPPED));
	json_object_set_new(o, "progress", json_integer(db_column_int(st, C_PROGRESS)));
	json_object_set_new(o, "size", json_integer(db_column_int64(st, C_SIZE)));
	json_object_set_new(o, "duration",
	    json_real((double)(db_column_int64(st, C_DURATION) / 1000) / 1000.0));
	json_object_set_new(o, "coverage",
	    coverage_json(db_column_text(st, C_COVERAGE)));
	json_object_set_new(o, "expires_at", time_or_null(st, C_EXPIRES));
	if (db_column_type(st, C_ECODE) == DB_NULL)
		json_object_set_new(o, "error", json_null());
	else
		json_object_set_new(o, "error", json_pack("{s:s, s:s}",
		    "code", db_column_text(st, C_ECODE),
		    "message", db_column_type(st, C_EMSG) == DB_NULL ? "" :
		    db_column_text(st, C_EMSG)));
out:
	free(url);
	db_stmt_done(st);
	return o;
}

int
download_visible(struct db *db, const struct principal *p, int64_t id, int app)
{
	struct db_stmt *st = db_stmt(db, "SELECT 1 FROM downloads WHERE id=?"
	    " AND (user_id=? OR ?<>0) AND (hidden_at IS NULL OR ?=0)");
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, p->user_id);
	db_bind_int(st, 3, p->is_admin);
	db_bind_int(st, 4, app);
	rc = db_step(st);
	db_stmt_done(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : -1;
}

char *
download_link(struct db *db, const struct conf *c, int64_t id, int64_t expires)
{
	struct db_stmt *st = db_prepare(db, "SELECT link_key,"
	    " (SELECT url FROM nodes WHERE name=downloads.node)"
	    " FROM downloads WHERE id=?");
	char path[64], *url = NULL;

	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		download_file_path(id, path);
		url = url_sign(c, db_column_text(st, 1), path,
		    db_column_text(st, 0), expires);
	}
	db_finalize(st);
	return url;
}

int
download_key_matches(struct db *db, int64_t id, const char *key)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(link_key, '')"
	    " FROM downloads WHERE id=?");
	int ret = -1, rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW) {
		const char *want = db_column_text(st, 0);
		size_t n = strlen(want);

		ret = strlen(key) == n && ct_equal(want, key, n);
	} else if (rc == DB_DONE)
		ret = 0;
	db_finalize(st);
	return ret;
}

json_t *
download_to_client_json(struct db *db, const struct conf *c, int64_t id)
{
	json_t *d = download_to_json(db, c, id), *stream, *user;
	struct db_stmt *st;
	int64_t uid = 0;

	if (d == NULL || (st = db_stmt(db, "SELECT d.user_id, u.login, u.name"
	    " FROM downloads d JOIN users u ON u.id = d.user_id WHERE d.id=?")) == NULL) {
		json_decref(d);
		return NULL;
	}
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		uid = db_column_int64(st, 0);
		user = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)uid,
		    "login", db_column_text(st, 1),
		    "name", db_column_text(st, 2));
	} else
		user = json_null();
	db_stmt_done(st);
	stream = stream_short_json(db, json_integer_value(json_object_get(
	    json_object_get(d, "stream"), "id")));
	json_object_set_new(d, "user_id", uid ? json_integer(uid) : json_null());
	json_object_set_new(d, "user", user);
	json_object_set_new(d, "attributes", json_array());
	json_object_set_new(d, "status", json_copy(json_object_get(d, "condition")));
	json_object_set_new(d, "stream", stream ? stream : json_null());
	return d;
}

/* A user's list names user_id alone, so that SQLite walks the
 * downloads_user index rather than every user's rows ("user_id=?1 OR ?2"
 * made it scan the table: 17 ms a page at 60,000 rows). */
#define LIST_FROM_USER " FROM downloads WHERE user_id=?1"
#define LIST_FROM_ALL " FROM downloads WHERE 1=1"
#define LIST_WHERE \
	" AND (CAST(?3 AS BIGINT) IS NULL OR stream_id=?3)" \
	" AND (CAST(?4 AS BIGINT) IS NULL" \
	"   OR stream_id IN (SELECT id FROM streams WHERE camera_id=?4))" \
	" AND (CAST(?5 AS TEXT) IS NULL OR condition=?5)" \
	" AND (CAST(?6 AS BIGINT) IS NULL OR created_at>=?6)" \
	" AND (CAST(?7 AS BIGINT) IS NULL OR created_at<=?7)" \
	" AND (hidden_at IS NULL OR ?10=0)"

static void
bind_filter(struct db_stmt *st, const struct download_filter *f)
{
	if (!f->is_admin)
		db_bind_int64(st, 1, f->user_id);
	if (f->stream_id)
		db_bind_int64(st, 3, f->stream_id);
	if (f->camera_id)
		db_bind_int64(st, 4, f->camera_id);
	if (f->condition)
		db_bind_text(st, 5, f->condition);
	if (f->from)
		db_bind_int64(st, 6, f->from);
	if (f->to)
		db_bind_int64(st, 7, f->to);
	db_bind_int(st, 10, f->app);
}

int
download_list(struct db *db, const struct download_filter *f, int64_t offset,
    int64_t limit, int64_t **ids, size_t *n, int64_t *total)
{
	struct db_stmt *count = db_prepare(db, f->is_admin ?
	    "SELECT count(*)" LIST_FROM_ALL LIST_WHERE :
	    "SELECT count(*)" LIST_FROM_USER LIST_WHERE);
	struct db_stmt *st = db_prepare(db, f->is_admin ?
	    "SELECT id" LIST_FROM_ALL LIST_WHERE " ORDER BY id DESC LIMIT ?8 OFFSET ?9" :
	    "SELECT id" LIST_FROM_USER LIST_WHERE " ORDER BY id DESC LIMIT ?8 OFFSET ?9");
	size_t cap = 0;
	int rc, ret = -1;

	*ids = NULL;
	*n = 0;
	if (count == NULL || st == NULL)
		goto out;
	bind_filter(count, f);
	if (db_step(count) != DB_ROW)
		goto out;
	*total = db_column_int64(count, 0);
	bind_filter(st, f);
	db_bind_int64(st, 8, limit);
	db_bind_int64(st, 9, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		xgrow(ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	if (rc == DB_DONE)
		ret = 0;
out:
	if (ret == -1)
		error("cannot list downloads: %s", db_errmsg(db));
	db_finalize(count);
	db_finalize(st);
	return ret;
}

static int
count_unfinished(struct db *db, int64_t user_id, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM downloads"
	    " WHERE user_id=? AND condition IN ('pending', 'processing')");
	int ret = -1;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	if (db_step(st) == DB_ROW) {
		*n = db_column_int64(st, 0);
		ret = 0;
	}
	db_finalize(st);
	return ret;
}

static int
insert_one(struct db *db, const struct principal *p, int64_t stream_id,
    int64_t from, int64_t to, int64_t now, int64_t *id)
{
	struct db_stmt *st;
	char *label, *name, key[URL_KEY_LEN + 1];
	int ret = -1;

	if (url_new_key(key) == -1 || (label = stream_label(db, stream_id)) == NULL)
		return -1;
	name = download_make_name(label, from, to);
	st = db_prepare(db, "INSERT INTO downloads(user_id, token_id, stream_id,"
	    " from_us, to_us, name, created_at, updated_at, link_key)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st != NULL) {
		db_bind_int64(st, 1, p->user_id);
		if (p->token_id > 0)
			db_bind_int64(st, 2, p->token_id);
		db_bind_int64(st, 3, stream_id);
		db_bind_int64(st, 4, from);
		db_bind_int64(st, 5, to);
		db_bind_text(st, 6, name);
		db_bind_int64(st, 7, now);
		db_bind_int64(st, 8, now);
		db_bind_text(st, 9, key);
		if (db_step(st) == DB_ROW) {
			*id = db_column_int64(st, 0);
			ret = 0;
		} else
			error("cannot insert download: %s", db_errmsg(db));
	}
	db_finalize(st);
	free(label);
	free(name);
	return ret;
}

enum dl_create
download_create(struct db *db, const struct conf *c, const struct principal *p,
    const int64_t *streams, size_t n, int64_t from, int64_t to, int64_t *ids)
{
	int64_t now = now_us(), unfinished;

	if (db_begin(db) == -1)
		return DL_ERROR;
	if (count_unfinished(db, p->user_id, &unfinished) == -1)
		goto fail;
	if (unfinished + (int64_t)n > c->max_pending) {
		db_rollback(db);
		return DL_TOO_MANY;
	}
	for (size_t i = 0; i < n; i++)
		if (insert_one(db, p, streams[i], from, to, now, &ids[i]) == -1)
			goto fail;
	if (db_commit(db) == 0)
		return DL_CREATED;
fail:
	db_rollback(db);
	return DL_ERROR;
}

/* The file name of a download's archive, or NULL; *held: whether this
 * node holds it. Caller frees. */
static char *
file_of(struct db *db, const struct conf *c, int64_t id, int *held)
{
	struct db_stmt *st = db_prepare(db, "SELECT path, node FROM downloads"
	    " WHERE id=?");
	char *path = NULL;

	*held = 1;
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		if (db_column_type(st, 0) != DB_NULL)
			path = xstrdup(db_column_text(st, 0));
		*held = conf_holds(c, db_column_text(st, 1));
	}
	db_finalize(st);
	return path;
}

static int
unlink_archive(const struct conf *c, const char *name)
{
	char *full;
	int ret = 0;

	if (name == NULL || strchr(name, '/') != NULL)
		return 0;
	full = path_join(c->downloads_dir, name);
	if (unlink(full) == -1 && errno != ENOENT) {
		log_warn("cannot remove archive '%s'", full);
		ret = -1;
	} else
		(void)fsync_parent(full);
	free(full);
	return ret;
}

enum dl_create
download_repeat(struct db *db, const struct conf *c, const struct principal *p,
    int64_t id)
{
	struct db_stmt *st = NULL;
	char *old = NULL, key[URL_KEY_LEN + 1];
	enum dl_create ret = DL_ERROR;
	int64_t unfinished;
	int held;

	if (db_begin(db) == -1)
		return DL_ERROR;
	/* The old archive goes; another node's sweep removes one of its own
	 * (no row owns it any more). */
	old = file_of(db, c, id, &held);
	if (!held) {
		free(old);
		old = NULL;
	}
	st = db_prepare(db, "UPDATE downloads SET condition='pending', path=NULL,"
	    " is_file_exists=0, is_actual=1, progress=0, size=0, duration_us=0,"
	    " coverage='[]', error_code=NULL, error_message=NULL, attempts=0,"
	    " lease_owner=NULL, lease_until=NULL, stopped_at=NULL, expires_at=NULL,"
	    " token_id=coalesce(?, token_id), updated_at=?, link_key=?"
	    " WHERE id=? AND condition NOT IN ('pending', 'processing')");
	/* A new archive: old links to the old one stop working. */
	if (st == NULL || url_new_key(key) == -1)
		goto out;
	if (p->token_id > 0)
		db_bind_int64(st, 1, p->token_id);
	db_bind_int64(st, 2, now_us());
	db_bind_text(st, 3, key);
	db_bind_int64(st, 4, id);
	if (db_step_done(st) == -1)
		goto out;
	if (db_changes(db) == 0) {
		/* Already queued: nothing to do, and its file (if any) stays. */
		free(old);
		old = NULL;
	} else {
		/* The owner's count, this download now included. */
		if (count_unfinished(db, p->user_id, &unfinished) == -1)
			goto out;
		if (unfinished > c->max_pending) {
			ret = DL_TOO_MANY;
			goto out;
		}
	}
	if (db_commit(db) == 0)
		ret = DL_CREATED;
out:
	if (ret != DL_CREATED) {
		db_rollback(db);
	} else if (old != NULL)
		(void)unlink_archive(c, old);
	db_finalize(st);
	free(old);
	return ret;
}

int
download_remove_file(struct db *db, const struct conf *c, int64_t id)
{
	struct db_stmt *st;
	int held, ret;
	char *name = file_of(db, c, id, &held);

	if (!held) {	/* another node's disk: its own sweep removes it */
		free(name);
		return 1;
	}
	if (unlink_archive(c, name) == -1) {
		free(name);
		return -1;
	}
	free(name);
	st = db_prepare(db, "UPDATE downloads SET is_file_exists=0, path=NULL,"
	    " updated_at=? WHERE id=? AND condition IN ('cancelled', 'expired')");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_us());
	db_bind_int64(st, 2, id);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

static int
cancel(struct db *db, const struct conf *c, int64_t id, int hide)
{
	struct db_stmt *st;
	int64_t now = now_us();
	int ret;

	/* Mark first, in one statement: the worker sees 'cancelled' and stops;
	 * a finished or expired one keeps its condition and only leaves the
	 * apps' history. */
	st = db_prepare(db, "UPDATE downloads SET"
	    " stopped_at=CASE WHEN condition IN ('pending', 'processing')"
	    "   THEN ?1 ELSE stopped_at END,"
	    " condition=CASE WHEN condition IN ('cancelled', 'expired')"
	    "   THEN condition ELSE 'cancelled' END,"
	    " is_actual=0, lease_owner=NULL, lease_until=NULL,"
	    " hidden_at=CASE WHEN ?3<>0 THEN coalesce(hidden_at, ?1) ELSE hidden_at END,"
	    " updated_at=?1 WHERE id=?2"
	    " AND (condition NOT IN ('cancelled', 'expired') OR ?3<>0)");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	db_bind_int(st, 3, hide);
	ret = db_step_done(st);
	/* The disk is full and the row cannot be marked: deleting is what
	 * frees space, so the file goes first, then the mark is tried again.
	 * A crash in between leaves an active row without its file, which
	 * /file answers 410 and "archivectl check --repair" settles. */
	if (ret == -1 && db_disk_full(db)) {
		int held;
		char *name = file_of(db, c, id, &held);

		log_warnx("download=%lld: the disk is full; removing its archive"
		    " before recording the deletion", (long long)id);
		if (name != NULL && held && unlink_archive(c, name) == 0) {
			db_reset(st);
			ret = db_step_done(st);
		}
		free(name);
	}
	db_finalize(st);
	if (ret == -1)
		return -1;
	return download_remove_file(db, c, id);
}

int
download_cancel(struct db *db, const struct conf *c, int64_t id)
{
	return cancel(db, c, id, 0);
}

int
download_cancel_hide(struct db *db, const struct conf *c, int64_t id)
{
	return cancel(db, c, id, 1);
}
