#include "config.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "schema.sql.h"
#include "banned.h"

static void	files_remember(sqlite3 *db);

_Static_assert(sizeof(schema_migrations) / sizeof(schema_migrations[0]) ==
    DB_SCHEMA_VERSION, "one migration per schema version");

/*
 * Wait for another writer in short steps. SQLite's own busy handler backs
 * off to 100 ms sleeps, which under two FastCGI processes writing at once
 * costs far more than the transaction it waits for.
 */
static int
busy_wait(void *arg, int count)
{
	struct timespec ts = { 0, (100 + (count % 8) * 50) * 1000L };

	(void)arg;
	if (count >= 20000)	/* about 5 s, the old busy_timeout */
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

sqlite3 *
db_open(const char *path, int create)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		error("cannot open database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_handler(db, busy_wait, NULL);
	sqlite3_extended_result_codes(db, 1);
	if (db_exec(db, "PRAGMA journal_mode=WAL") == -1 ||
	    db_exec(db, "PRAGMA synchronous=NORMAL") == -1 ||
	    db_exec(db, "PRAGMA foreign_keys=ON") == -1) {
		sqlite3_close(db);
		return NULL;
	}
	files_remember(db);
	return db;
}

/*
 * The files a connection was opened on. Deleting or replacing the -wal
 * file under a running connection loses every write it then makes (they
 * go to the unlinked file) and lets ids be used again: each connection
 * remembers the identity of the database file and of its WAL, and
 * db_files_ok() compares.
 */
#define FILE_IDS 64

/* Guards file_ids and the statement cache below. */
static pthread_mutex_t stmt_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	sqlite3		*db;
	dev_t		 dev;
	ino_t		 ino, wal_ino;
	int		 wal_seen, reported;
} file_ids[FILE_IDS];

static char *
wal_path(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	struct buf b;

	if (path == NULL || path[0] == '\0')
		return NULL;
	buf_init(&b);
	buf_printf(&b, "%s-wal", path);
	return buf_detach(&b);
}

static void
files_remember(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	struct stat st;

	if (path == NULL || stat(path, &st) == -1)
		return;
	pthread_mutex_lock(&stmt_lock);
	for (int i = 0; i < FILE_IDS; i++)
		if (file_ids[i].db == NULL) {
			file_ids[i].db = db;
			file_ids[i].dev = st.st_dev;
			file_ids[i].ino = st.st_ino;
			file_ids[i].wal_seen = 0;
			file_ids[i].reported = 0;
			break;
		}
	pthread_mutex_unlock(&stmt_lock);
}

int
db_files_ok(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	char *wal = wal_path(db);
	struct stat st, ws;
	int ret = 1, have_wal;

	if (path == NULL || wal == NULL) {
		free(wal);
		return 1;
	}
	have_wal = stat(wal, &ws) == 0;
	pthread_mutex_lock(&stmt_lock);
	for (int i = 0; i < FILE_IDS; i++) {
		if (file_ids[i].db != db)
			continue;
		if (stat(path, &st) == -1 || st.st_dev != file_ids[i].dev ||
		    st.st_ino != file_ids[i].ino)
			ret = 0;
		else if (file_ids[i].wal_seen && (!have_wal ||
		    ws.st_ino != file_ids[i].wal_ino))
			ret = 0;
		else if (!file_ids[i].wal_seen && have_wal) {
			file_ids[i].wal_seen = 1;
			file_ids[i].wal_ino = ws.st_ino;
		}
		if (ret == 0 && !file_ids[i].reported) {
			file_ids[i].reported = 1;
			log_warnx("the database '%s' or its WAL '%s' was deleted or"
			    " replaced while in use: whatever is written now would be"
			    " lost; refusing to go on with this connection (restart"
			    " once the files are restored)", path, wal);
		}
		break;
	}
	pthread_mutex_unlock(&stmt_lock);
	free(wal);
	return ret;
}

/* The statement cache: a few entries per connection, shared by the
 * threads of one process (each with its own connection). */
#define STMT_CACHE 96

static struct {
	sqlite3		*db;
	char		*sql;
	sqlite3_stmt	*st;
} stmt_cache[STMT_CACHE];

sqlite3_stmt *
db_stmt(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int free_slot = -1;

	pthread_mutex_lock(&stmt_lock);
	for (int i = 0; i < STMT_CACHE; i++) {
		if (stmt_cache[i].db == NULL) {
			if (free_slot == -1)
				free_slot = i;
		} else if (stmt_cache[i].db == db && strcmp(stmt_cache[i].sql, sql) == 0) {
			st = stmt_cache[i].st;
			break;
		}
	}
	pthread_mutex_unlock(&stmt_lock);
	if (st != NULL)
		return st;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		error("database: cannot prepare statement: %s", sqlite3_errmsg(db));
		return NULL;
	}
	pthread_mutex_lock(&stmt_lock);
	if (free_slot != -1 && stmt_cache[free_slot].db == NULL) {
		stmt_cache[free_slot].db = db;
		stmt_cache[free_slot].sql = xstrdup(sql);
		stmt_cache[free_slot].st = st;
	}
	pthread_mutex_unlock(&stmt_lock);
	return st;	/* uncached when full: db_stmt_done finalizes it */
}

void
db_stmt_done(sqlite3_stmt *st)
{
	int cached = 0;

	if (st == NULL)
		return;
	pthread_mutex_lock(&stmt_lock);
	for (int i = 0; i < STMT_CACHE && !cached; i++)
		cached = stmt_cache[i].st == st;
	pthread_mutex_unlock(&stmt_lock);
	if (!cached) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

void
db_close(sqlite3 *db)
{
	if (db == NULL)
		return;
	pthread_mutex_lock(&stmt_lock);
	for (int i = 0; i < FILE_IDS; i++)
		if (file_ids[i].db == db)
			file_ids[i].db = NULL;
	for (int i = 0; i < STMT_CACHE; i++)
		if (stmt_cache[i].db == db) {
			sqlite3_finalize(stmt_cache[i].st);
			free(stmt_cache[i].sql);
			stmt_cache[i].db = NULL;
			stmt_cache[i].sql = NULL;
			stmt_cache[i].st = NULL;
		}
	pthread_mutex_unlock(&stmt_lock);
	sqlite3_close_v2(db);
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("database: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_begin(sqlite3 *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(sqlite3 *db)
{
	if (db_exec(db, "COMMIT") == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		error("database: cannot prepare statement: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

int
db_step_done(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return error("database: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
	return 0;
}

int
db_query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int ret = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		ret = 0;
	} else
		error("database: %s", sqlite3_errmsg(db));
	db_stmt_done(st);
	return ret;
}

int
db_schema_version(sqlite3 *db)
{
	int64_t n, v;

	if (db_query_int(db, "SELECT count(*) FROM sqlite_master"
	    " WHERE type='table' AND name='schema_version'", &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	if (db_query_int(db, "SELECT version FROM schema_version", &v) == -1)
		return -1;
	return (int)v;
}

int
db_migrate(sqlite3 *db)
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
	for (; v < DB_SCHEMA_VERSION; v++) {
		sqlite3_stmt *st;

		if (db_exec(db, schema_migrations[v]) == -1)
			goto fail;
		if ((st = db_prepare(db, "UPDATE schema_version SET version=?")) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, v + 1);
		if (db_step_done(st) == -1) {
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		log_info("database schema upgraded to version %d", v + 1);
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return -1;
}

int
db_check_schema(sqlite3 *db)
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

sqlite3 *
db_open_checked(const struct conf *c)
{
	sqlite3 *db = db_open(c->database, 0);

	if (db == NULL)
		return NULL;
	if (db_check_schema(db) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

char *
db_setting_get(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT value FROM settings WHERE name=?");
	char *v = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

int
db_setting_set(sqlite3 *db, const char *name, const char *value)
{
	sqlite3_stmt *st = db_prepare(db,
	    "INSERT INTO settings(name, value) VALUES (?, ?)"
	    " ON CONFLICT(name) DO UPDATE SET value=excluded.value");
	int ret;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	ret = db_step_done(st);
	sqlite3_finalize(st);
	return ret;
}

int
db_init_secrets(sqlite3 *db)
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
fill(sqlite3 *db, char **field, const char *name)
{
	if (*field != NULL)
		return 0;
	if ((*field = db_setting_get(db, name)) == NULL)
		return error("setting '%s' is missing from the database;"
		    " run 'archivectl init'", name);
	return 0;
}

int
db_load_secrets(sqlite3 *db, struct conf *c)
{
	if (fill(db, &c->url_key, "url_key") == -1 ||
	    fill(db, &c->pusher.key, "pusher_key") == -1 ||
	    fill(db, &c->pusher.secret, "pusher_secret") == -1)
		return -1;
	return 0;
}
