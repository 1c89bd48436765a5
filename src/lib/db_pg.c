/*
 * The SQL layer on PostgreSQL (libpq). Statements keep SQLite's `?` and
 * `?NNN` parameters; they are numbered `$N` at prepare. A statement runs
 * when first stepped and its rows are then read from the result.
 *
 * Parameters go as text, typed: integers int8, reals float8, blobs bytea
 * (binary); text is left for the server to infer from where it is used,
 * as SQLite would take it.
 */
#include "config.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_impl.h"
#include "log.h"
#include "util.h"
#include "banned.h"

/* Type oids of pg_type.h, stable across releases. */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_TEXT	25
#define OID_OID		26
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700

/*
 * The key of the advisory lock every write transaction takes: writers
 * exclude each other as on SQLite (BEGIN IMMEDIATE), so the counts and
 * checks made inside one (a user's pending downloads, login attempts, a
 * claim) stay true until it commits.
 */
#define WRITE_LOCK	"7306920311316542825"	/* "archived" */

/* PostgreSQL's SQLSTATE for a full disk. */
#define SQLSTATE_DISK_FULL	"53100"

struct pg_db {
	struct db	 base;
	PGconn		*conn;
	char		*err;
	int		 disk_full;
	int64_t		 changes;
	unsigned	 generation;	/* bumped when the connection is opened again */
	unsigned	 next_name;	/* server-side statement names */
};

struct pg_stmt {
	struct db_stmt	 base;
	char		*sql;
	int		 nparams;
	unsigned char	*used;		/* [i]: $i appears in sql */
	char		**values;
	int		*lengths;
	int		*formats;
	Oid		*types;
	PGresult	*res;
	int		 row, nrows, executed;
	/* A kept statement (db_stmt) is prepared on the server once per
	 * connection: parsing and planning were most of a read's cost. */
	int		 persistent;
	char		 name[24];	/* "" until prepared */
	unsigned	 generation;
	unsigned char	*blob;		/* column blobcol of this row, decoded */
	size_t		 bloblen;
	int		 blobcol;
};

#define PG(db)	((struct pg_db *)(db))
#define PGS(st)	((struct pg_stmt *)(st))

static const struct db_ops pg_ops;

static void
set_error(struct pg_db *db, const char *msg, const char *sqlstate)
{
	size_t n;

	free(db->err);
	db->err = xstrdup(msg != NULL && msg[0] != '\0' ? msg :
	    PQerrorMessage(db->conn));
	n = strlen(db->err);
	while (n > 0 && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
		db->err[--n] = '\0';
	db->disk_full = sqlstate != NULL &&
	    strcmp(sqlstate, SQLSTATE_DISK_FULL) == 0;
}

static void
ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;	/* "already exists, skipping" and the like */
}

struct db *
db_pg_open(const char *url)
{
	struct pg_db *db = xcalloc(1, sizeof(*db));

	/*
	 * Defaults the URL may override (it comes last): a server that does
	 * not answer fails a request in 10 s, not a TCP timeout's minutes; a
	 * connection that died silently (a host gone, a firewall's idle
	 * timeout) is noticed in about a minute, not two hours, which matters
	 * most to the wake-up relay's idle LISTEN; the operator sees which
	 * connections are ours in pg_stat_activity.
	 */
	static const char *const keys[] = { "connect_timeout", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "application_name",
	    "dbname", NULL };
	const char *values[] = { "10", "30", "10", "3", "archived", url, NULL };

	db->base.ops = &pg_ops;
	db->base.engine = DB_POSTGRESQL;
	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		char *shown = db_shown(url);

		set_error(db, db->conn ? PQerrorMessage(db->conn) :
		    "out of memory", NULL);
		error("cannot open database '%s': %s", shown, db->err);
		free(shown);
		PQfinish(db->conn);
		free(db->err);
		free(db);
		return NULL;
	}
	PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
	return &db->base;
}

static void
pg_close(struct db *db)
{
	PQfinish(PG(db)->conn);
	free(PG(db)->err);
	free(db);
}

static const char *
pg_errmsg(struct db *db)
{
	return PG(db)->err != NULL ? PG(db)->err : "no error";
}

static int
pg_disk_full(struct db *db)
{
	return PG(db)->disk_full;
}

static int
pg_files_ok(struct db *db)
{
	(void)db;
	return 1;
}

static int
pg_in_transaction(struct db *db)
{
	PGTransactionStatusType ts = PQtransactionStatus(PG(db)->conn);

	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR ||
	    ts == PQTRANS_ACTIVE;
}

/*
 * Has the server closed this idle connection? A server shutting down (a
 * restart, a failover) says goodbye to its clients (57P01) and closes, so
 * the socket has something to read while we had asked nothing: read it
 * now, and libpq marks the connection bad. A poll() without waiting, and
 * nothing more on a connection with nothing to read.
 */
static int
pg_dropped(PGconn *conn)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };

	if (PQstatus(conn) == CONNECTION_BAD || pfd.fd < 0)
		return 1;
	/* The goodbye is read first, the end of the stream by a second read. */
	for (int i = 0; i < 4 && poll(&pfd, 1, 0) > 0; i++)
		if (PQconsumeInput(conn) == 0)
			return 1;
	return PQstatus(conn) == CONNECTION_BAD;
}

/*
 * A connection the server dropped is opened again before the next
 * statement that is not inside a transaction, so that a restarted server
 * costs no failed request. A connection that died silently (a host gone)
 * is only found by the statement that fails on it; the next one reconnects.
 */
static void
pg_revive(struct pg_db *db)
{
	if (pg_dropped(db->conn)) {
		PQreset(db->conn);
		db->generation++;	/* its prepared statements are gone */
	}
}

/* Keep a result that succeeded; else note the error and answer NULL. */
static PGresult *
pg_check(struct pg_db *db, PGresult *res)
{
	ExecStatusType rs = PQresultStatus(res);
	const char *cmd;

	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
		cmd = PQcmdStatus(res);
		if (strncmp(cmd, "INSERT", 6) == 0 ||
		    strncmp(cmd, "UPDATE", 6) == 0 ||
		    strncmp(cmd, "DELETE", 6) == 0)
			db->changes = strtoll(PQcmdTuples(res), NULL, 10);
		return res;
	}
	set_error(db, res ? PQresultErrorMessage(res) : NULL,
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
	PQclear(res);
	return NULL;
}

static int
pg_exec(struct db *db, const char *sql)
{
	PGresult *res;

	if (!pg_in_transaction(db))
		pg_revive(PG(db));
	if ((res = pg_check(PG(db), PQexec(PG(db)->conn, sql))) == NULL)
		return error("database: %s", PG(db)->err);
	PQclear(res);
	return 0;
}

static int
pg_begin(struct db *db)
{
	return pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")");
}

static int
pg_begin_rows(struct db *db)
{
	return pg_exec(db, "BEGIN");
}

/* COMMIT of a transaction that failed answers ROLLBACK, not an error. */
static int
pg_commit(struct db *db)
{
	PGresult *res = pg_check(PG(db), PQexec(PG(db)->conn, "COMMIT"));
	int ok;

	if (res == NULL)
		return error("database: %s", PG(db)->err);
	ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!ok) {
		set_error(PG(db), "the transaction failed and was rolled back",
		    NULL);
		return error("database: %s", PG(db)->err);
	}
	return 0;
}

static int
pg_table_exists(struct db *db, const char *name)
{
	const char *values[1] = { name };
	PGresult *res;
	int n;

	if (!pg_in_transaction(db))
		pg_revive(PG(db));
	res = pg_check(PG(db), PQexecParams(PG(db)->conn,
	    "SELECT 1 FROM information_schema.tables WHERE table_name=$1"
	    " AND table_schema=current_schema()", 1, NULL, values, NULL, NULL, 0));
	if (res == NULL)
		return error("database: %s", PG(db)->err);
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

static int64_t
pg_changes(struct db *db)
{
	return PG(db)->changes;
}

/* channel is checked by db.c: letters and '_' only. */
static int
pg_notify(struct db *db, const char *channel)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "NOTIFY %s", channel);
	return pg_exec(db, sql);
}

static int
pg_listen(struct db *db, const char *channel)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	if (pg_exec(db, sql) == -1)
		return -1;
	return PQsocket(PG(db)->conn);
}

static int
pg_notifications(struct db *db)
{
	PGnotify *n;
	int count = 0;

	if (PQconsumeInput(PG(db)->conn) == 0) {
		set_error(PG(db), PQerrorMessage(PG(db)->conn), NULL);
		return -1;
	}
	while ((n = PQnotifies(PG(db)->conn)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return count;
}

/* db_impl.h */
char *
db_pg_number_params(const char *sql, int *nparams, unsigned char *used)
{
	struct buf b;
	int max = 0;

	buf_init(&b);
	for (const char *p = sql; *p != '\0'; p++) {
		if (*p == '\'' || *p == '"') {
			const char *end = strchr(p + 1, *p);

			if (end == NULL)
				end = p + strlen(p) - 1;
			buf_add(&b, p, (size_t)(end - p + 1));
			p = end;
		} else if (p[0] == '/' && p[1] == '*' && p[2] == '+') {
			/* PostgreSQL's own: the text, without the comment marks. */
			const char *end = strstr(p + 3, "*/");

			if (end == NULL)
				end = p + strlen(p);
			buf_add(&b, p + 3, (size_t)(end - p - 3));
			p = *end != '\0' ? end + 1 : end - 1;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t n = strcspn(p, "\n");

			buf_add(&b, p, n);
			p += n - 1;
		} else if (*p == '?') {
			int n = 0;

			while (p[1] >= '0' && p[1] <= '9' && n < DB_MAX_PARAMS)
				n = n * 10 + (*++p - '0');
			if (n == 0)
				n = max + 1;
			if (n >= DB_MAX_PARAMS)
				n = DB_MAX_PARAMS - 1;	/* the server refuses it */
			if (n > max)
				max = n;
			used[n] = 1;
			buf_printf(&b, "$%d", n);
		} else
			buf_add(&b, p, 1);
	}
	*nparams = max;
	return buf_detach(&b);
}

static void	pg_clear_bindings(struct db_stmt *);

static struct db_stmt *
pg_prepare(struct db *db, const char *sql, int persistent)
{
	struct pg_stmt *st = xcalloc(1, sizeof(*st));

	unsigned char used[DB_MAX_PARAMS] = { 0 };

	st->persistent = persistent;
	st->base.db = db;
	st->sql = db_pg_number_params(sql, &st->nparams, used);
	st->used = xmalloc((size_t)st->nparams + 1);
	memcpy(st->used, used, (size_t)st->nparams + 1);
	if (st->nparams > 0) {
		st->values = xcalloc((size_t)st->nparams, sizeof(*st->values));
		st->lengths = xcalloc((size_t)st->nparams, sizeof(*st->lengths));
		st->formats = xcalloc((size_t)st->nparams, sizeof(*st->formats));
		st->types = xcalloc((size_t)st->nparams, sizeof(*st->types));
		pg_clear_bindings(&st->base);
	}
	return &st->base;
}

static void
drop_result(struct pg_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	PQfreemem(st->blob);
	st->blob = NULL;
	st->executed = 0;
	st->row = -1;
	st->nrows = 0;
}

static void
pg_clear_bindings(struct db_stmt *base)
{
	struct pg_stmt *st = PGS(base);

	for (int i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
		st->lengths[i] = 0;
		st->formats[i] = 0;
		/* A number the statement skips must still have a type. */
		st->types[i] = st->used[i + 1] ? 0 : OID_TEXT;
	}
}

static void
pg_finalize(struct db_stmt *base)
{
	struct pg_stmt *st = PGS(base);
	struct pg_db *db = PG(base->db);

	/* One the cache had no room for; the cache's live as long as the
	 * connection. */
	if (st->name[0] != '\0' && !base->cached && st->generation == db->generation) {
		char sql[64];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(db->conn, sql));
	}
	drop_result(st);
	pg_clear_bindings(base);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->used);
	free(st->sql);
	free(st);
}

static void
pg_reset(struct db_stmt *base)
{
	drop_result(PGS(base));
}

static void
bind(struct pg_stmt *st, int i, char *value, size_t len, int format, Oid type)
{
	if (i < 1 || i > st->nparams) {
		free(value);
		return;
	}
	if (type == 0 && !st->used[i])
		type = OID_TEXT;
	free(st->values[i - 1]);
	st->values[i - 1] = value;
	st->lengths[i - 1] = (int)len;
	st->formats[i - 1] = format;
	st->types[i - 1] = type;
}

static void
pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	bind(PGS(st), i, xstrdup(s), strlen(s), 0, OID_INT8);
}

static void
pg_bind_double(struct db_stmt *st, int i, double v)
{
	char s[40];

	snprintf(s, sizeof(s), "%.17g", v);
	bind(PGS(st), i, xstrdup(s), strlen(s), 0, OID_FLOAT8);
}

static void
pg_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
	char *copy = xmalloc(n + 1);

	memcpy(copy, s, n);
	copy[n] = '\0';
	bind(PGS(st), i, copy, n, 0, 0);
}

static void
pg_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	char *copy = xmalloc(n + 1);

	memcpy(copy, p, n);
	bind(PGS(st), i, copy, n, 1, OID_BYTEA);
}

static void
pg_bind_null(struct db_stmt *st, int i)
{
	bind(PGS(st), i, NULL, 0, 0, 0);
}

static int
pg_step(struct db_stmt *base)
{
	struct pg_stmt *st = PGS(base);
	struct pg_db *db = PG(base->db);

	if (!st->executed) {
		if (!pg_in_transaction(base->db))
			pg_revive(db);
		if (st->persistent && (st->name[0] == '\0' ||
		    st->generation != db->generation)) {
			PGresult *res;

			snprintf(st->name, sizeof(st->name), "a%u", db->next_name++);
			res = pg_check(db, PQprepare(db->conn, st->name, st->sql,
			    st->nparams, st->types));
			if (res == NULL) {
				st->name[0] = '\0';
				return -1;
			}
			PQclear(res);
			st->generation = db->generation;
		}
		if (st->name[0] != '\0')
			st->res = pg_check(db, PQexecPrepared(db->conn, st->name,
			    st->nparams, (const char *const *)st->values,
			    st->lengths, st->formats, 0));
		else
			st->res = pg_check(db, PQexecParams(db->conn, st->sql,
			    st->nparams, st->types, (const char *const *)st->values,
			    st->lengths, st->formats, 0));
		if (st->res == NULL)
			return -1;
		st->executed = 1;
		st->row = -1;
		st->nrows = PQntuples(st->res);
	}
	PQfreemem(st->blob);
	st->blob = NULL;
	if (st->row + 1 < st->nrows) {
		st->row++;
		return DB_ROW;
	}
	return DB_DONE;
}

/* The current row's value i, NULL for SQL NULL or no such column. */
static const char *
value(struct pg_stmt *st, int i)
{
	if (st->res == NULL || st->row < 0 || st->row >= st->nrows ||
	    i < 0 || i >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static int
pg_column_type(struct db_stmt *base, int i)
{
	struct pg_stmt *st = PGS(base);

	if (value(st, i) == NULL)
		return DB_NULL;
	switch (PQftype(st->res, i)) {
	case OID_BOOL: case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
		return DB_INTEGER;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
		return DB_FLOAT;
	case OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static int64_t
pg_column_int64(struct db_stmt *base, int i)
{
	const char *v = value(PGS(base), i);

	if (v == NULL)
		return 0;
	if (v[0] == 't' && v[1] == '\0')	/* a boolean */
		return 1;
	return strtoll(v, NULL, 10);
}

static double
pg_column_double(struct db_stmt *base, int i)
{
	const char *v = value(PGS(base), i);

	if (v == NULL)
		return 0;
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	return strtod(v, NULL);
}

static const char *
pg_column_text(struct db_stmt *base, int i)
{
	return value(PGS(base), i);
}

static const void *
pg_column_blob(struct db_stmt *base, int i)
{
	struct pg_stmt *st = PGS(base);
	const char *v = value(st, i);

	if (st->blob != NULL && st->blobcol == i)
		return st->blob;
	PQfreemem(st->blob);
	st->blob = NULL;
	st->bloblen = 0;
	if (v == NULL)
		return NULL;
	if (PQftype(st->res, i) != OID_BYTEA) {
		st->bloblen = strlen(v);
		return v;
	}
	st->blob = PQunescapeBytea((const unsigned char *)v, &st->bloblen);
	st->blobcol = i;
	return st->blob;
}

static int
pg_column_bytes(struct db_stmt *base, int i)
{
	struct pg_stmt *st = PGS(base);

	if (value(st, i) == NULL)
		return 0;
	if (PQftype(st->res, i) == OID_BYTEA) {
		(void)pg_column_blob(base, i);
		return (int)st->bloblen;
	}
	return PQgetlength(st->res, st->row, i);
}

static int
pg_column_count(struct db_stmt *base)
{
	struct pg_stmt *st = PGS(base);

	return st->res != NULL ? PQnfields(st->res) : 0;
}

static const char *
pg_column_name(struct db_stmt *base, int i)
{
	struct pg_stmt *st = PGS(base);

	return st->res != NULL ? PQfname(st->res, i) : NULL;
}

/* table is checked by db.c: letters and '_' only. */
static int
pg_ids_follow(struct db *db, const char *table)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s',"
	    " 'id'), coalesce(max(id), 0) + 1, false) FROM %s", table, table);
	return pg_exec(db, sql);
}

static const struct db_ops pg_ops = {
	.close = pg_close,
	.errmsg = pg_errmsg,
	.disk_full = pg_disk_full,
	.files_ok = pg_files_ok,
	.exec = pg_exec,
	.begin = pg_begin,
	.begin_rows = pg_begin_rows,
	.commit = pg_commit,
	.in_transaction = pg_in_transaction,
	.table_exists = pg_table_exists,
	.changes = pg_changes,
	.notify = pg_notify,
	.listen = pg_listen,
	.notifications = pg_notifications,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_type = pg_column_type,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_bytes = pg_column_bytes,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.ids_follow = pg_ids_follow,
};
