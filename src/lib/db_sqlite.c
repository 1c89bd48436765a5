/* The SQL layer on SQLite: a file in WAL mode, one connection per thread. */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db_impl.h"
#include "db_sqlite.h"
#include "log.h"
#include "util.h"
#include "banned.h"

struct sq_db {
	struct db	 base;
	sqlite3		*h;
	/*
	 * The files the connection was opened on. Deleting or replacing the
	 * -wal file under a running connection loses every write it then
	 * makes (they go to the unlinked file) and lets ids be used again.
	 */
	dev_t		 dev;
	ino_t		 ino, wal_ino;
	int		 known, wal_seen, reported;
};

struct sq_stmt {
	struct db_stmt	 base;
	sqlite3_stmt	*h;
};

#define SQ(db)	((struct sq_db *)(db))
#define SQS(st)	(((struct sq_stmt *)(st))->h)

static const struct db_ops sq_ops;

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

static int
sq_exec(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(SQ(db)->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("database: %s", msg ? msg : sqlite3_errmsg(SQ(db)->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

struct db *
db_sqlite_open(const char *path, int create)
{
	struct sq_db *db = xcalloc(1, sizeof(*db));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct stat st;

	db->base.ops = &sq_ops;
	db->base.engine = DB_SQLITE;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		error("cannot open database '%s': %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	sqlite3_busy_handler(db->h, busy_wait, NULL);
	sqlite3_extended_result_codes(db->h, 1);
	if (sq_exec(&db->base, "PRAGMA journal_mode=WAL") == -1 ||
	    sq_exec(&db->base, "PRAGMA synchronous=NORMAL") == -1 ||
	    sq_exec(&db->base, "PRAGMA foreign_keys=ON") == -1) {
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	if (stat(path, &st) == 0) {
		db->known = 1;
		db->dev = st.st_dev;
		db->ino = st.st_ino;
	}
	return &db->base;
}

sqlite3 *
db_sqlite_handle(struct db *db)
{
	return db->engine == DB_SQLITE ? SQ(db)->h : NULL;
}

static void
sq_close(struct db *db)
{
	sqlite3_close_v2(SQ(db)->h);
	free(db);
}

static const char *
sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(SQ(db)->h);
}

static int
sq_disk_full(struct db *db)
{
	return (sqlite3_extended_errcode(SQ(db)->h) & 0xff) == SQLITE_FULL;
}

static int
sq_files_ok(struct db *db)
{
	struct sq_db *s = SQ(db);
	const char *path = sqlite3_db_filename(s->h, "main");
	struct stat st, ws;
	struct buf wal;
	int ok = 1, have_wal;

	if (!s->known || path == NULL || path[0] == '\0')
		return 1;
	buf_init(&wal);
	buf_printf(&wal, "%s-wal", path);
	have_wal = stat(wal.data, &ws) == 0;
	if (stat(path, &st) == -1 || st.st_dev != s->dev || st.st_ino != s->ino)
		ok = 0;
	else if (s->wal_seen && (!have_wal || ws.st_ino != s->wal_ino))
		ok = 0;
	else if (!s->wal_seen && have_wal) {
		s->wal_seen = 1;
		s->wal_ino = ws.st_ino;
	}
	if (!ok && !s->reported) {
		s->reported = 1;
		log_warnx("the database '%s' or its WAL '%s' was deleted or"
		    " replaced while in use: whatever is written now would be"
		    " lost; refusing to go on with this connection (restart"
		    " once the files are restored)", path, wal.data);
	}
	buf_release(&wal);
	return ok;
}

static int
sq_begin(struct db *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int
sq_commit(struct db *db)
{
	return sq_exec(db, "COMMIT");
}

static int
sq_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(SQ(db)->h);
}

static int
sq_table_exists(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(db)->h, "SELECT 1 FROM sqlite_master"
	    " WHERE type='table' AND name=?", -1, &st, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(SQ(db)->h));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return error("database: %s", sqlite3_errmsg(SQ(db)->h));
}

static int64_t
sq_changes(struct db *db)
{
	return sqlite3_changes(SQ(db)->h);
}

/* One host: the kick sockets wake its programs. */
static int
sq_notify(struct db *db, const char *channel)
{
	(void)db;
	(void)channel;
	return 0;
}

static int
sq_listen(struct db *db, const char *channel)
{
	(void)db;
	(void)channel;
	return -1;
}

static int
sq_notifications(struct db *db)
{
	(void)db;
	return 0;
}

static struct db_stmt *
sq_prepare(struct db *db, const char *sql, int persistent)
{
	struct sq_stmt *st = xcalloc(1, sizeof(*st));
	int rc;

	rc = sqlite3_prepare_v3(SQ(db)->h, sql, -1,
	    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st->h, NULL);
	if (rc != SQLITE_OK) {
		error("database: cannot prepare statement: %s",
		    sqlite3_errmsg(SQ(db)->h));
		free(st);
		return NULL;
	}
	st->base.db = db;
	return &st->base;
}

static void
sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(SQS(st));
	free(st);
}

static void
sq_reset(struct db_stmt *st)
{
	sqlite3_reset(SQS(st));
}

static void
sq_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(SQS(st));
}

static void
sq_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(SQS(st), i, v);
}

static void
sq_bind_double(struct db_stmt *st, int i, double v)
{
	sqlite3_bind_double(SQS(st), i, v);
}

static void
sq_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
	sqlite3_bind_text64(SQS(st), i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void
sq_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(SQS(st), i, p, n, SQLITE_TRANSIENT);
}

static void
sq_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(SQS(st), i);
}

static int
sq_step(struct db_stmt *st)
{
	int rc = sqlite3_step(SQS(st));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return -1;
}

static int
sq_column_type(struct db_stmt *st, int i)
{
	switch (sqlite3_column_type(SQS(st), i)) {
	case SQLITE_INTEGER:	return DB_INTEGER;
	case SQLITE_FLOAT:	return DB_FLOAT;
	case SQLITE_BLOB:	return DB_BLOB;
	case SQLITE_NULL:	return DB_NULL;
	default:		return DB_TEXT;
	}
}

static int64_t
sq_column_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(SQS(st), i);
}

static double
sq_column_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(SQS(st), i);
}

static const char *
sq_column_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(SQS(st), i);
}

static const void *
sq_column_blob(struct db_stmt *st, int i)
{
	return sqlite3_column_blob(SQS(st), i);
}

static int
sq_column_bytes(struct db_stmt *st, int i)
{
	return sqlite3_column_bytes(SQS(st), i);
}

static int
sq_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(SQS(st));
}

static const char *
sq_column_name(struct db_stmt *st, int i)
{
	return sqlite3_column_name(SQS(st), i);
}

/* INTEGER PRIMARY KEY takes the largest id plus one by itself. */
static int
sq_ids_follow(struct db *db, const char *table)
{
	(void)db;
	(void)table;
	return 0;
}

static const struct db_ops sq_ops = {
	.close = sq_close,
	.errmsg = sq_errmsg,
	.disk_full = sq_disk_full,
	.files_ok = sq_files_ok,
	.exec = sq_exec,
	.begin = sq_begin,
	.begin_rows = sq_begin,
	.commit = sq_commit,
	.in_transaction = sq_in_transaction,
	.table_exists = sq_table_exists,
	.changes = sq_changes,
	.notify = sq_notify,
	.listen = sq_listen,
	.notifications = sq_notifications,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.clear_bindings = sq_clear_bindings,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_type = sq_column_type,
	.column_int64 = sq_column_int64,
	.column_double = sq_column_double,
	.column_text = sq_column_text,
	.column_blob = sq_column_blob,
	.column_bytes = sq_column_bytes,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.ids_follow = sq_ids_follow,
};
