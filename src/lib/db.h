/* SQLite access: one connection per thread, WAL, versioned schema. */
#ifndef ARCHIVED_DB_H
#define ARCHIVED_DB_H

#include <sqlite3.h>
#include <stdint.h>

struct conf;

#define DB_SCHEMA_VERSION 8

/* Open path (create: make it if missing) with WAL, busy_timeout and
 * foreign keys on. NULL on failure, logged. */
sqlite3	*db_open(const char *path, int create);
void	 db_close(sqlite3 *db);
/* Are the database file and its WAL still the ones db was opened on (not
 * deleted or replaced under it)? 1 yes, 0 no (logged once: stop writing
 * through db). */
int	 db_files_ok(sqlite3 *db);

/* 0 when there is no schema yet. -1 on error. */
int	 db_schema_version(sqlite3 *db);
/* Create or upgrade to DB_SCHEMA_VERSION; refuses a newer schema. */
int	 db_migrate(sqlite3 *db);
/* For programs other than init: 0 if the schema is exactly ours, else
 * -1 with the reason logged. */
int	 db_check_schema(sqlite3 *db);
/* Open and check in one step, as every daemon starts. The secrets are
 * not loaded: see db_load_secrets() and confslot_fill(). */
sqlite3	*db_open_checked(const struct conf *c);

int	 db_exec(sqlite3 *db, const char *sql);
/* BEGIN IMMEDIATE: every write transaction, so it never fails on upgrade. */
int	 db_begin(sqlite3 *db);
int	 db_commit(sqlite3 *db);
void	 db_rollback(sqlite3 *db);
/* Prepare, logging (never returning) SQLite's text on failure. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/*
 * A prepared statement kept for the connection's life, for the queries
 * every request makes (token, licence, the download object): preparing
 * them again each time was most of a read request's cost. Always give it
 * back with db_stmt_done(), which resets it: a statement left stepping
 * would hold its read snapshot open.
 */
sqlite3_stmt *db_stmt(sqlite3 *db, const char *sql);
void	 db_stmt_done(sqlite3_stmt *st);

/* Step a statement that returns no row (or whose rows are ignored). */
int	 db_step_done(sqlite3_stmt *st);
/* Run a one-column integer query (no parameters) into *out. */
int	 db_query_int(sqlite3 *db, const char *sql, int64_t *out);

/* The settings table; caller frees the result. NULL when unset. */
char	*db_setting_get(sqlite3 *db, const char *name);
int	 db_setting_set(sqlite3 *db, const char *name, const char *value);
/* Generate the URL key and Pusher key/secret into settings if missing. */
int	 db_init_secrets(sqlite3 *db);
/* Fill conf's url_key and pusher key/secret from settings where unset. */
int	 db_load_secrets(sqlite3 *db, struct conf *c);

#endif
