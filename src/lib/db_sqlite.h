/* For tests that look under the SQL layer (query plans, a template copied
 * with the backup API): the SQLite connection, NULL on PostgreSQL. */
#ifndef ARCHIVED_DB_SQLITE_H
#define ARCHIVED_DB_SQLITE_H

#include <sqlite3.h>

struct db;

sqlite3	*db_sqlite_handle(struct db *db);

#endif
