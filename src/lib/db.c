#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "db_impl.h"
#include "log.h"
#include "util.h"
#include "schema.sql.h"
#include "schema_pg.sql.h"
#include "banned.h"

_Static_assert(sizeof(schema_migrations) / sizeof(schema_migrations[0]) ==
    DB_SCHEMA_VERSION, "one migration per schema version");

int
db_is_url(const char *database)
{
	return strncmp(database, "postgresql://", 13) == 0 ||
	    strncmp(database, "postgres://", 11) == 0;
}

char *
db_shown(const char *database)
{
	const char *host, *at, *slash;
	struct buf b;

	if (!db_is_url(database))
		return xstrdup(database);
	host = strstr(database, "://") + 3;
	slash = strchr(host, '/');
	if ((at = strchr(host, '@')) != NULL && (slash == NULL || at < slash))
		host = at + 1;
	buf_init(&b);
	buf_add(&b, database, (size_t)(strstr(database, "://") + 3 - database));
	buf_add(&b, host, strcspn(host, "?"));	/* the query may hold a password */
	return buf_detach(&b);
}

struct db *
db_open(const char *database, int create)
{
	if (db_is_url(database))
		return db_pg_open(database);
	return db_sqlite_open(database, create);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < DB_STMT_CACHE; i++)
		if (db->cache[i].st != NULL) {
			db->ops->finalize(db->cache[i].st);
			free(db->cache[i].sql);
		}
	db->ops->close(db);
}

enum db_engine
db_engine(const struct db *db)
{
	return db->engine;
}

const char *
db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

int
db_disk_full(struct db *db)
{
	return db->ops->disk_full(db);
}

int
db_files_ok(struct db *db)
{
	return db->ops->files_ok(db);
}

int
db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int
db_begin(struct db *db)
{
	return db->ops->begin(db);
}

int
db_begin_rows(struct db *db)
{
	return db->ops->begin_rows(db);
}

int
db_commit(struct db *db)
{
	if (db->ops->commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
db_rollback(struct db *db)
{
	if (db->ops->in_transaction(db))
		(void)db->ops->exec(db, "ROLLBACK");
}

int
db_in_transaction(struct db *db)
{
	return db->ops->in_transaction(db);
}

int64_t
db_changes(struct db *db)
{
	return db->ops->changes(db);
}

static int
channel_ok(const char *channel)
{
	size_t n = strlen(channel);

	return n > 0 && n < 64 &&
	    strspn(channel, "abcdefghijklmnopqrstuvwxyz_") == n;
}

int
db_notify(struct db *db, const char *channel)
{
	if (!channel_ok(channel))
		return error("database: bad notification channel '%s'", channel);
	return db->ops->notify(db, channel);
}

int
db_listen(struct db *db, const char *channel)
{
	if (!channel_ok(channel))
		return error("database: bad notification channel '%s'", channel);
	return db->ops->listen(db, channel);
}

int
db_notifications(struct db *db)
{
	return db->ops->notifications(db);
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	return db->ops->prepare(db, sql, 0);
}

/* The cache is the connection's own, as the connection is its thread's. */
struct db_stmt *
db_stmt(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int free_slot = -1;

	for (int i = 0; i < DB_STMT_CACHE; i++) {
		if (db->cache[i].st == NULL) {
			if (free_slot == -1)
				free_slot = i;
		} else if (strcmp(db->cache[i].sql, sql) == 0)
			return db->cache[i].st;
	}
	if ((st = db->ops->prepare(db, sql, 1)) == NULL)
		return NULL;
	if (free_slot != -1) {
		db->cache[free_slot].sql = xstrdup(sql);
		db->cache[free_slot].st = st;
		st->cached = 1;
	}
	return st;	/* uncached when full: db_stmt_done finalizes it */
}

void
db_stmt_done(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (!st->cached) {
		st->db->ops->finalize(st);
		return;
	}
	st->db->ops->reset(st);
	st->db->ops->clear_bindings(st);
}

void
db_finalize(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->cached) {	/* the cache's: give it back */
		db_stmt_done(st);
		return;
	}
	st->db->ops->finalize(st);
}

void
db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st);
}

void
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->db->ops->bind_int64(st, i, v);
}

void
db_bind_int(struct db_stmt *st, int i, int v)
{
	st->db->ops->bind_int64(st, i, v);
}

void
db_bind_double(struct db_stmt *st, int i, double v)
{
	st->db->ops->bind_double(st, i, v);
}

void
db_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (s == NULL)
		st->db->ops->bind_null(st, i);
	else
		st->db->ops->bind_text(st, i, s, strlen(s));
}

void
db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n)
{
	st->db->ops->bind_text(st, i, s, n);
}

void
db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	st->db->ops->bind_blob(st, i, p, n);
}

void
db_bind_null(struct db_stmt *st, int i)
{
	st->db->ops->bind_null(st, i);
}

int
db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

int
db_column_type(struct db_stmt *st, int i)
{
	return st->db->ops->column_type(st, i);
}

int64_t
db_column_int64(struct db_stmt *st, int i)
{
	return st->db->ops->column_int64(st, i);
}

int
db_column_int(struct db_stmt *st, int i)
{
	return (int)st->db->ops->column_int64(st, i);
}

double
db_column_double(struct db_stmt *st, int i)
{
	return st->db->ops->column_double(st, i);
}

const char *
db_column_text(struct db_stmt *st, int i)
{
	return st->db->ops->column_text(st, i);
}

const void *
db_column_blob(struct db_stmt *st, int i)
{
	return st->db->ops->column_blob(st, i);
}

int
db_column_bytes(struct db_stmt *st, int i)
{
	return st->db->ops->column_bytes(st, i);
}

int
db_column_count(struct db_stmt *st)
{
	return st->db->ops->column_count(st);
}

const char *
db_column_name(struct db_stmt *st, int i)
{
	return st->db->ops->column_name(st, i);
}

int
db_ids_follow(struct db *db, const char *table)
{
	if (!channel_ok(table))		/* a bare name, as a channel's */
		return error("database: bad table name '%s'", table);
	return db->ops->ids_follow(db, table);
}

int
db_step_done(struct db_stmt *st)
{
	int rc;

	while ((rc = db_step(st)) == DB_ROW)
		;
	if (rc != DB_DONE)
		return error("database: %s", db_errmsg(st->db));
	return 0;
}

int
db_query_int(struct db *db, const char *sql, int64_t *out)
{
	struct db_stmt *st = db_stmt(db, sql);
	int ret = -1;

	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW) {
		*out = db_column_int64(st, 0);
		ret = 0;
	} else
		error("database: %s", db_errmsg(db));
	db_stmt_done(st);
	return ret;
}

int
db_schema_version(struct db *db)
{
	int64_t v;
	int have = db->ops->table_exists(db, "schema_version");

	if (have <= 0)
		return have;
	if (db_query_int(db, "SELECT version FROM schema_version", &v) == -1)
		return -1;
	return (int)v;
}

static int
set_version(struct db *db, int v)
{
	struct db_stmt *st = db_prepare(db, "UPDATE schema_version SET version=?");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_int(st, 1, v);
	ret = db_step_done(st);
	db_finalize(st);
	if (ret == 0)
		log_info("database schema upgraded to version %d", v);
	return ret;
}

/*
 * SQLite takes every version in turn (installs of each release exist);
 * PostgreSQL was first supported at version 8, and its list says which
 * version each step reaches.
 */
int
db_migrate(struct db *db)
{
	int v;

	if (db_begin(db) == -1)
		return -1;
	if ((v = db_schema_version(db)) == -1)
		goto fail;
	if (v > DB_SCHEMA_VERSION) {
		error("database schema version %d is newer than this program knows (%d)",
		    v, DB_SCHEMA_VERSION);
		goto fail;
	}
	if (db->engine == DB_SQLITE) {
		for (; v < DB_SCHEMA_VERSION; v++)
			if (db_exec(db, schema_migrations[v]) == -1 ||
			    set_version(db, v + 1) == -1)
				goto fail;
	} else {
		for (size_t i = 0; i < nitems(pg_migrations); i++) {
			if (pg_migrations[i].to <= v)
				continue;
			if (db_exec(db, pg_migrations[i].sql) == -1 ||
			    set_version(db, pg_migrations[i].to) == -1)
				goto fail;
			v = pg_migrations[i].to;
		}
		if (v != DB_SCHEMA_VERSION) {
			error("no PostgreSQL migration reaches schema version %d",
			    DB_SCHEMA_VERSION);
			goto fail;
		}
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return -1;
}

int
db_check_schema(struct db *db)
{
	int v = db_schema_version(db);

	if (v == -1)
		return -1;
	if (v > DB_SCHEMA_VERSION)
		return error("database schema version %d is newer than this program"
		    " knows (%d); upgrade archived", v, DB_SCHEMA_VERSION);
	if (v < DB_SCHEMA_VERSION)
		return error("database schema version %d is older than %d;"
		    " run 'archivectl init' to upgrade it", v, DB_SCHEMA_VERSION);
	return 0;
}

struct db *
db_open_checked(const struct conf *c)
{
	struct db *db = db_open(c->database, 0);

	if (db == NULL)
		return NULL;
	if (db_check_schema(db) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

char *
db_setting_get(struct db *db, const char *name)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE name=?");
	char *v = NULL;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, name);
	if (db_step(st) == DB_ROW)
		v = xstrdup(db_column_text(st, 0));
	db_finalize(st);
	return v;
}

int
db_setting_set(struct db *db, const char *name, const char *value)
{
	struct db_stmt *st = db_prepare(db,
	    "INSERT INTO settings(name, value) VALUES (?, ?)"
	    " ON CONFLICT(name) DO UPDATE SET value=excluded.value");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, value);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

int
db_init_secrets(struct db *db)
{
	static const struct { const char *name; size_t len; } secrets[] = {
		{ "url_key", 48 }, { "pusher_key", 20 }, { "pusher_secret", 40 },
	};

	for (size_t i = 0; i < nitems(secrets); i++) {
		char value[64], *old = db_setting_get(db, secrets[i].name);

		if (old != NULL) {
			free(old);
			continue;
		}
		if (random_alnum(value, secrets[i].len) == -1 ||
		    db_setting_set(db, secrets[i].name, value) == -1)
			return -1;
	}
	return 0;
}

static int
fill(struct db *db, char **field, const char *name)
{
	if (*field != NULL)
		return 0;
	if ((*field = db_setting_get(db, name)) == NULL)
		return error("setting '%s' is missing from the database;"
		    " run 'archivectl init'", name);
	return 0;
}

int
db_load_secrets(struct db *db, struct conf *c)
{
	if (fill(db, &c->url_key, "url_key") == -1 ||
	    fill(db, &c->pusher.key, "pusher_key") == -1 ||
	    fill(db, &c->pusher.secret, "pusher_secret") == -1)
		return -1;
	return 0;
}
