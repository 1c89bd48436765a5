/* Archive expiry and the housekeeping of downloads_dir and the outbox. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "download.h"
#include "events.h"
#include "expiry.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#define ID_BATCH	512

/* Up to ID_BATCH ids of a one-parameter query; returns how many, or -1. */
static int
select_ids(struct db *db, const char *sql, int64_t param, int64_t *ids)
{
	struct db_stmt *st = db_prepare(db, sql);
	int n = 0, rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, param);
	db_bind_int(st, 2, ID_BATCH);
	while (n < ID_BATCH && (rc = db_step(st)) == DB_ROW)
		ids[n++] = db_column_int64(st, 0);
	if (n < ID_BATCH && rc != DB_DONE)
		n = error("cannot list downloads: %s", db_errmsg(db));
	db_finalize(st);
	return n;
}

/* Step 1: mark the row and write its event in one transaction. 1 if this
 * call expired it, 0 if it was not (or no longer) due, -1 on error. */
static int
mark_expired(struct db *db, const struct conf *c, int64_t id, int64_t now)
{
	struct db_stmt *st = NULL;
	int ret = -1;

	if (db_begin(db) == -1)
		return -1;
	st = db_prepare(db, "UPDATE downloads SET condition='expired', is_actual=0,"
	    " updated_at=?1 WHERE id=?2 AND condition='active' AND expires_at<=?1");
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	if (db_step_done(st) == -1)
		goto out;
	if (db_changes(db) == 0) {
		/* Another sweep, a cancel or a repeat got there first. */
		ret = 0;
		goto out;
	}
	if (event_insert(db, c, id, EV_EXPIRED, 1) == -1)
		goto out;
	if (db_commit(db) == 0)
		ret = 1;
out:
	if (ret != 1)
		db_rollback(db);
	db_finalize(st);
	return ret;
}

int
expiry_run(struct db *db, const struct conf *c, int64_t now, struct expiry_stats *st)
{
	int64_t ids[ID_BATCH];
	int n;

	do {
		n = select_ids(db, "SELECT id FROM downloads WHERE condition='active'"
		    " AND expires_at<=?1 ORDER BY expires_at LIMIT ?2", now, ids);
		if (n == -1)
			return -1;
		for (int i = 0; i < n; i++) {
			switch (mark_expired(db, c, ids[i], now)) {
			case 1:
				break;
			case 0:
				continue;
			default:
				/* Still active: the next run tries again. */
				st->errors++;
				return -1;
			}
			st->expired++;
			log_debug("download=%lld: expired", (long long)ids[i]);
			/* Steps 2 and 3; if they fail, expiry_repair retries. */
			if (download_remove_file(db, c, ids[i]) == -1)
				st->errors++;
		}
	} while (n == ID_BATCH);
	return 0;
}

int
expiry_repair(struct db *db, const struct conf *c, struct expiry_stats *st)
{
	int64_t ids[ID_BATCH], after = 0;
	int n;

	do {
		n = select_ids(db, "SELECT id FROM downloads WHERE id>?1 AND"
		    " condition IN ('expired', 'cancelled') AND"
		    " (is_file_exists<>0 OR path IS NOT NULL) ORDER BY id LIMIT ?2",
		    after, ids);
		if (n == -1)
			return -1;
		for (int i = 0; i < n; i++) {
			after = ids[i];
			switch (download_remove_file(db, c, ids[i])) {
			case -1:
				st->errors++;
				continue;
			case 1:		/* another node's */
				continue;
			}
			st->repaired++;
			log_info("download=%lld: finished removing its archive",
			    (long long)ids[i]);
		}
	} while (n == ID_BATCH);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name the worker could have made: "<random>.mp4" or a ".tmp*" file. */
static int
archive_name(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, ".tmp", 4) == 0 ||
	    (n > 4 && name[0] != '.' && strcmp(name + n - 4, ".mp4") == 0);
}

struct names {
	char	**v;
	size_t	 n, cap;
};

static void
names_add(struct names *s, const char *name)
{
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(name);
}

static void
names_release(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Candidate orphans: archive names in dir older than the grace. */
static int
list_old_files(const char *dir, int64_t before_s, struct names *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return errno == ENOENT ? 0 : error("cannot open directory '%s': %s",
		    dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat sb;

		if (!archive_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode) || sb.st_mtime >= before_s)
			continue;
		names_add(out, de->d_name);
	}
	closedir(d);
	return 0;
}

/* Every file name a row owns, as a name inside dir, sorted. */
static int
list_owned(struct db *db, const char *dir, struct names *out)
{
	struct db_stmt *st = db_prepare(db, "SELECT path FROM downloads"
	    " WHERE path IS NOT NULL");
	size_t dlen = strlen(dir);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *p = db_column_text(st, 0);

		/* Stored relative to downloads_dir, or absolute inside it. */
		if (p[0] == '/') {
			if (strncmp(p, dir, dlen) != 0 || p[dlen] != '/')
				continue;
			p += dlen + 1;
		}
		names_add(out, p);
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return error("cannot list archive files: %s", db_errmsg(db));
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* Does the download an archive's name ("<id>-<key>.mp4") gives have a
 * row? 1 yes, 0 no (or no id in the name), -1 error. */
static int
row_exists(struct db *db, const char *name)
{
	char digits[24];
	size_t n = strspn(name, "0123456789");
	int64_t id;
	int64_t found = 0;
	char sql[96];

	if (n == 0 || n >= sizeof(digits) || name[n] != '-')
		return 0;
	memcpy(digits, name, n);
	digits[n] = '\0';
	if (parse_i64(digits, &id) == -1)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM downloads WHERE id=%lld",
	    (long long)id);
	if (db_query_int(db, sql, &found) == -1)
		return -1;
	return found > 0;
}

int
expiry_orphans(struct db *db, const struct conf *c, int64_t now,
    struct expiry_stats *st)
{
	int64_t grace = 2 * (int64_t)c->lease_seconds;
	struct names files = { 0 }, owned = { 0 };
	int ret = -1;

	if (grace < EXPIRY_ORPHAN_GRACE_MIN)
		grace = EXPIRY_ORPHAN_GRACE_MIN;
	if (db_files_ok(db) != 1)
		return -1;
	/* The directory first, the rows after: a file renamed into place and
	 * committed in between is then seen as owned. */
	if (list_old_files(c->downloads_dir, now / USEC_PER_SEC - grace, &files) == -1 ||
	    list_owned(db, c->downloads_dir, &owned) == -1)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char *full;

		if (owned.n > 0 && bsearch(&files.v[i], owned.v, owned.n,
		    sizeof(*owned.v), cmp_str) != NULL)
			continue;
		full = path_join(c->downloads_dir, files.v[i]);
		/* An archive whose row is gone altogether vanished without a
		 * recorded transition (a restored database, a lost WAL): it is
		 * evidence, never deleted on that ground. */
		if (files.v[i][0] != '.' && row_exists(db, files.v[i]) != 1) {
			log_warnx("kept '%s': it names a download the database does not"
			    " know (was the database restored, or its WAL lost?)", full);
			free(full);
			continue;
		}
		if (unlink(full) == -1 && errno != ENOENT) {
			log_warn("cannot remove orphan file '%s'", full);
			st->errors++;
		} else {
			log_info("removed '%s': no download owns it", full);
			st->orphans++;
		}
		free(full);
	}
	ret = 0;
out:
	names_release(&files);
	names_release(&owned);
	return ret;
}

int
expiry_prune_events(struct db *db, const struct conf *c, int64_t now,
    struct expiry_stats *st)
{
	struct db_stmt *s = db_prepare(db, "DELETE FROM events WHERE created_at<?");
	int ret;

	if (s == NULL)
		return -1;
	db_bind_int64(s, 1, now - c->pusher.event_retention * USEC_PER_SEC);
	ret = db_step_done(s);
	if (ret == 0)
		st->events += db_changes(db);
	db_finalize(s);
	return ret;
}

int
expiry_sweep(struct db *db, const struct conf *c, int64_t now,
    struct expiry_stats *st)
{
	int ret = 0;

	if (expiry_run(db, c, now, st) == -1)
		ret = -1;
	if (expiry_repair(db, c, st) == -1)
		ret = -1;
	if (expiry_orphans(db, c, now, st) == -1)
		ret = -1;
	if (expiry_prune_events(db, c, now, st) == -1)
		ret = -1;
	return ret;
}

int
expiry_next(struct db *db, int64_t *at)
{
	struct db_stmt *st = db_prepare(db, "SELECT min(expires_at) FROM downloads"
	    " WHERE condition='active' AND expires_at IS NOT NULL");
	int ret = -1;

	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW) {
		if (db_column_type(st, 0) == DB_NULL)
			ret = 0;
		else {
			*at = db_column_int64(st, 0);
			ret = 1;
		}
	} else
		error("database: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}
