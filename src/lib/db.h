/*
 * The SQL layer every program goes through: one connection per thread, to
 * a SQLite file (WAL) or a PostgreSQL server (libpq), chosen by the
 * `database` setting. No program outside this layer knows which engine it
 * talks to.
 *
 * Statements are written once for both engines: `?` and `?NNN` parameters,
 * SQL both understand (RETURNING, ON CONFLICT, CASE rather than
 * two-argument max()), integers for flags compared as such (`?<>0`, never
 * a bare `?` as a condition), and a CAST where a parameter's only use
 * says nothing of its type (`CAST(?3 AS BIGINT) IS NULL`). A comment
 * that opens with a plus (slash, star, plus) is PostgreSQL's alone: its
 * text is used there and SQLite skips it, as for FOR UPDATE SKIP LOCKED. A write transaction
 * (db_begin) excludes every other writer on both engines, so what held on
 * SQLite holds on PostgreSQL.
 */
#ifndef ARCHIVED_DB_H
#define ARCHIVED_DB_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct db_stmt;

#define DB_SCHEMA_VERSION 9

enum db_engine { DB_SQLITE, DB_POSTGRESQL };

/* What db_step() answers; anything else is an error (logged by the caller
 * with db_errmsg()). */
#define DB_ROW	100
#define DB_DONE	101

/* A column's type in the current row. */
enum db_type { DB_INTEGER = 1, DB_FLOAT, DB_TEXT, DB_BLOB, DB_NULL };

/* Is this `database` setting a PostgreSQL connection URL
 * (postgresql:// or postgres://)? Otherwise it names a SQLite file. */
int	 db_is_url(const char *database);

/* The setting as a log line may show it: a URL without its user and
 * password. The caller frees. */
char	*db_shown(const char *database);
/* Open (create: make a SQLite file if missing). NULL on failure, logged
 * (never with the URL's password). */
struct db *db_open(const char *database, int create);
void	 db_close(struct db *db);
enum db_engine db_engine(const struct db *db);
/* The engine's last error text, for a log line. */
const char *db_errmsg(struct db *db);
/* Did the last failure come from a full disk? */
int	 db_disk_full(struct db *db);
/* Are the database file and its WAL still the ones db was opened on (not
 * deleted or replaced under it)? 1 yes, 0 no (logged once: stop writing
 * through db). Always 1 on PostgreSQL, whose files are the server's. */
int	 db_files_ok(struct db *db);

/* 0 when there is no schema yet. -1 on error. */
int	 db_schema_version(struct db *db);
/* Create or upgrade to DB_SCHEMA_VERSION; refuses a newer schema. */
int	 db_migrate(struct db *db);
/* For programs other than init: 0 if the schema is exactly ours, else
 * -1 with the reason logged. */
int	 db_check_schema(struct db *db);
/* Open and check in one step, as every daemon starts. The secrets are
 * not loaded: see db_load_secrets() and confslot_fill(). */
struct db *db_open_checked(const struct conf *c);

/* Run SQL without parameters (several statements allowed). */
int	 db_exec(struct db *db, const char *sql);
/* Begin a write transaction that excludes every other writer until
 * db_commit() or db_rollback(): BEGIN IMMEDIATE on SQLite, a
 * transaction-wide advisory lock on PostgreSQL. */
int	 db_begin(struct db *db);
/* A write transaction whose statements guard themselves with row locks
 * (conditional UPDATEs, FOR UPDATE SKIP LOCKED): on PostgreSQL it takes
 * no write lock, so such transactions and their commits run side by side;
 * on SQLite, whose writers are one at a time anyway, it is db_begin().
 * It must not write events (their ids take the write lock: waiting for it
 * while holding rows could deadlock with a db_begin() transaction). */
int	 db_begin_rows(struct db *db);
int	 db_commit(struct db *db);
void	 db_rollback(struct db *db);
int	 db_in_transaction(struct db *db);

/*
 * Wake-ups between hosts: PostgreSQL's NOTIFY and LISTEN. On SQLite, whose
 * programs share one host, there is nothing to send or listen to (the
 * kick sockets do it). channel: lower-case letters and '_'.
 */
int	 db_notify(struct db *db, const char *channel);
/* Listen on channel: a descriptor that polls readable when notifications
 * arrive, or -1 (SQLite, or an error, logged). */
int	 db_listen(struct db *db, const char *channel);
/* After that descriptor polled readable: how many notifications arrived
 * (read and discarded), or -1 if the connection is lost. */
int	 db_notifications(struct db *db);

/* Prepare, logging the engine's text on failure. */
struct db_stmt *db_prepare(struct db *db, const char *sql);
/*
 * A prepared statement kept for the connection's life, for the queries
 * every request makes (token, licence, the download object): preparing
 * them again each time was most of a read request's cost. Always give it
 * back with db_stmt_done(), which resets it: a statement left stepping
 * would hold its read snapshot open.
 */
struct db_stmt *db_stmt(struct db *db, const char *sql);
void	 db_stmt_done(struct db_stmt *st);
void	 db_finalize(struct db_stmt *st);
/* Ready to run again, with the same parameters. */
void	 db_reset(struct db_stmt *st);

/* Parameters count from 1. Text and blobs are copied. */
void	 db_bind_int64(struct db_stmt *st, int i, int64_t v);
void	 db_bind_int(struct db_stmt *st, int i, int v);
void	 db_bind_double(struct db_stmt *st, int i, double v);
void	 db_bind_text(struct db_stmt *st, int i, const char *s);
void	 db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n);
void	 db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
void	 db_bind_null(struct db_stmt *st, int i);

/* DB_ROW, DB_DONE or -1. */
int	 db_step(struct db_stmt *st);

/* The result's columns, known once stepped; names valid as long as st. */
int	 db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int i);
/* After rows were copied in with their ids: new rows of table get ids
 * past them (PostgreSQL's sequence moved on; SQLite does it itself). */
int	 db_ids_follow(struct db *db, const char *table);

/* Columns of the current row count from 0; valid until the next step. */
int	 db_column_type(struct db_stmt *st, int i);
int64_t	 db_column_int64(struct db_stmt *st, int i);
int	 db_column_int(struct db_stmt *st, int i);
double	 db_column_double(struct db_stmt *st, int i);
/* NULL for SQL NULL. */
const char *db_column_text(struct db_stmt *st, int i);
const void *db_column_blob(struct db_stmt *st, int i);
int	 db_column_bytes(struct db_stmt *st, int i);

/* Rows changed by the connection's last INSERT, UPDATE or DELETE. */
int64_t	 db_changes(struct db *db);

/* Step a statement that returns no row (or whose rows are ignored). */
int	 db_step_done(struct db_stmt *st);
/* Run a one-column integer query (no parameters) into *out. */
int	 db_query_int(struct db *db, const char *sql, int64_t *out);

/* The settings table; caller frees the result. NULL when unset. */
char	*db_setting_get(struct db *db, const char *name);
int	 db_setting_set(struct db *db, const char *name, const char *value);
/* Generate the URL key and Pusher key/secret into settings if missing. */
int	 db_init_secrets(struct db *db);
/* Fill conf's url_key and pusher key/secret from settings where unset. */
int	 db_load_secrets(struct db *db, struct conf *c);

#endif
