/* Inside the SQL layer: what an engine provides. Only db*.c include this. */
#ifndef ARCHIVED_DB_IMPL_H
#define ARCHIVED_DB_IMPL_H

#include "db.h"

/* How many statements a connection keeps prepared (db_stmt). */
#define DB_STMT_CACHE 96

struct db_ops {
	void		 (*close)(struct db *);
	const char	*(*errmsg)(struct db *);
	int		 (*disk_full)(struct db *);
	int		 (*files_ok)(struct db *);
	int		 (*exec)(struct db *, const char *);
	int		 (*begin)(struct db *);
	int		 (*begin_rows)(struct db *);
	int		 (*commit)(struct db *);
	int		 (*in_transaction)(struct db *);
	/* 1 if the table exists, 0 if not, -1 on error. */
	int		 (*table_exists)(struct db *, const char *);
	int64_t		 (*changes)(struct db *);
	int		 (*notify)(struct db *, const char *);
	int		 (*listen)(struct db *, const char *);
	int		 (*notifications)(struct db *);

	/* persistent: kept for the connection's life (db_stmt). */
	struct db_stmt	*(*prepare)(struct db *, const char *, int persistent);
	void		 (*finalize)(struct db_stmt *);
	void		 (*reset)(struct db_stmt *);
	void		 (*clear_bindings)(struct db_stmt *);
	void		 (*bind_int64)(struct db_stmt *, int, int64_t);
	void		 (*bind_double)(struct db_stmt *, int, double);
	void		 (*bind_text)(struct db_stmt *, int, const char *, size_t);
	void		 (*bind_blob)(struct db_stmt *, int, const void *, size_t);
	void		 (*bind_null)(struct db_stmt *, int);
	int		 (*step)(struct db_stmt *);
	int		 (*column_type)(struct db_stmt *, int);
	int64_t		 (*column_int64)(struct db_stmt *, int);
	double		 (*column_double)(struct db_stmt *, int);
	const char	*(*column_text)(struct db_stmt *, int);
	const void	*(*column_blob)(struct db_stmt *, int);
	int		 (*column_bytes)(struct db_stmt *, int);
	int		 (*column_count)(struct db_stmt *);
	const char	*(*column_name)(struct db_stmt *, int);
	int		 (*ids_follow)(struct db *, const char *);
};

/* Each engine's connection and statement start with these. */
struct db {
	const struct db_ops	*ops;
	enum db_engine		 engine;
	struct {
		char		*sql;
		struct db_stmt	*st;
	} cache[DB_STMT_CACHE];
};

struct db_stmt {
	struct db	*db;
	int		 cached;
};

struct db *db_sqlite_open(const char *path, int create);
struct db *db_pg_open(const char *url);

/* SQLite's limit on a parameter's number, kept on both. */
#define DB_MAX_PARAMS	1000

/* The statement as PostgreSQL takes it: `?NNN` and `?` numbered `$N`
 * outside quotes and comments, and a comment opening with a plus turned
 * into its text. *nparams: the highest number; used[n] (DB_MAX_PARAMS of
 * them, zeroed by the caller): whether $n appears. Caller frees. */
char	*db_pg_number_params(const char *sql, int *nparams, unsigned char *used);

#endif
