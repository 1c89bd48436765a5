/*
 * Fault points for tests, preloaded into the worker (as slowio.c is): it
 * names the moments of a job that matter when the process dies, and can
 * kill the process (SIGKILL, as kill -9 or the OOM killer would), slow it
 * down or record where each thread is, at any of them. Nothing in the
 * daemons knows about it: it wraps libc, SQLite and libpq calls (the
 * points are the same on either engine).
 *
 * The points, in the order a job passes them:
 *   claim      the claim's UPDATE has run, its transaction is not committed
 *   claimed    the claim is committed
 *   write      a write into an archive's temp file (.tmp-*): mid-remux
 *   fsync      before the temp file's fsync
 *   rename     before the temp file is renamed to its final name
 *   renamed    after the rename, before the row is updated
 *   complete   the row's UPDATE to active has run, not committed
 *   completed  that transaction is committed
 * and, for the main thread's cancellation watcher:
 *   watch      before the query that asks whether a job is still ours
 *
 * Environment:
 *   FAULT_KILL=POINT[:N]     SIGKILL at the N-th (default 1st) time the
 *                            process reaches POINT
 *   FAULT_DELAY=POINT:MS,... sleep MS milliseconds at each POINT
 *   FAULT_TRACE=FILE         each thread writes the last point it reached
 *                            into its own 16-byte slot of FILE (NUL padded),
 *                            so that after a kill FILE says where every
 *                            thread was
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SLOT	16
#define NSLOTS	32

static atomic_int	next_slot;
static atomic_int	hits;		/* times the kill point was reached */
static __thread int	slot = -1;
static __thread int	after_commit;	/* 1: claim, 2: complete pending */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* The number after "name:" in a comma-separated list, or -1. */
static long
lookup(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ':' || p[n] == ',' || p[n] == '\0'))
			return p[n] == ':' ? atol(p + n + 1) : 0;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return -1;
}

static void
trace(const char *point)
{
	static int fd = -2;
	char rec[SLOT] = { 0 };

	if (fd == -2) {
		const char *f = getenv("FAULT_TRACE");

		fd = f ? open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
	}
	if (fd < 0)
		return;
	if (slot == -1)
		slot = atomic_fetch_add(&next_slot, 1) % NSLOTS;
	strncpy(rec, point, SLOT - 1);
	(void)pwrite(fd, rec, SLOT, (off_t)slot * SLOT);
}

static void
point(const char *name)
{
	const char *k = getenv("FAULT_KILL"), *d = getenv("FAULT_DELAY");
	long ms;

	trace(name);
	if (d != NULL && (ms = lookup(d, name)) > 0)
		sleep_ms(ms);
	if (k != NULL) {
		long nth = lookup(k, name);

		if (nth >= 0 && atomic_fetch_add(&hits, 1) + 1 >= (nth > 0 ? nth : 1))
			raise(SIGKILL);
	}
}

/* Whether fd is an archive in the making (a name with "/.tmp-"). */
static int
is_temp(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	return strstr(path, "/.tmp-") != NULL;
}

/* Only look at writes when someone asked about them (a readlink each). */
static int
want(const char *name)
{
	const char *k = getenv("FAULT_KILL"), *d = getenv("FAULT_DELAY");

	return getenv("FAULT_TRACE") != NULL || (k && lookup(k, name) >= 0) ||
	    (d && lookup(d, name) >= 0);
}

#define REAL(ret, name, args) \
	static ret (*real) args; \
	if (real == NULL) \
		real = (ret (*) args)dlsym(RTLD_NEXT, name)

int
sqlite3_step(sqlite3_stmt *st)
{
	REAL(int, "sqlite3_step", (sqlite3_stmt *));
	const char *sql = sqlite3_sql(st);
	int rc;

	if (sql != NULL && strncmp(sql, "SELECT 1 FROM downloads WHERE id=", 33) == 0)
		point("watch");
	rc = real(st);
	if (sql == NULL)
		return rc;
	if (strncmp(sql, "UPDATE downloads SET condition='processing'", 43) == 0 &&
	    rc == SQLITE_ROW) {
		after_commit = 1;
		point("claim");
	} else if (strncmp(sql, "UPDATE downloads SET condition='active'", 39) == 0 &&
	    rc == SQLITE_DONE && sqlite3_changes(sqlite3_db_handle(st)) > 0) {
		after_commit = 2;
		point("complete");
	}
	return rc;
}

int
sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
    void *arg, char **err)
{
	REAL(int, "sqlite3_exec", (sqlite3 *, const char *,
	    int (*)(void *, int, char **, char **), void *, char **));
	int rc = real(db, sql, cb, arg, err);

	if (after_commit != 0 && strcmp(sql, "COMMIT") == 0) {
		const char *p = after_commit == 1 ? "claimed" : "completed";

		after_commit = 0;
		if (rc == SQLITE_OK)
			point(p);
	} else if (after_commit != 0 && strcmp(sql, "ROLLBACK") == 0)
		after_commit = 0;
	return rc;
}

/* The same points where the worker runs on PostgreSQL: its statements
 * are numbered $N there, and run when first stepped. */
PGresult *
PQexecParams(PGconn *conn, const char *sql, int n, const Oid *types,
    const char *const *values, const int *lengths, const int *formats,
    int result_format)
{
	REAL(PGresult *, "PQexecParams", (PGconn *, const char *, int,
	    const Oid *, const char *const *, const int *, const int *, int));
	PGresult *res;

	if (strncmp(sql, "SELECT 1 FROM downloads WHERE id=", 33) == 0)
		point("watch");
	res = real(conn, sql, n, types, values, lengths, formats, result_format);
	if (strncmp(sql, "UPDATE downloads SET condition='processing'", 43) == 0 &&
	    PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
		after_commit = 1;
		point("claim");
	} else if (strncmp(sql, "UPDATE downloads SET condition='active'", 39) == 0 &&
	    PQresultStatus(res) == PGRES_COMMAND_OK && atoi(PQcmdTuples(res)) > 0) {
		after_commit = 2;
		point("complete");
	}
	return res;
}

PGresult *
PQexec(PGconn *conn, const char *sql)
{
	REAL(PGresult *, "PQexec", (PGconn *, const char *));
	PGresult *res = real(conn, sql);

	if (after_commit != 0 && strcmp(sql, "COMMIT") == 0) {
		const char *p = after_commit == 1 ? "claimed" : "completed";

		after_commit = 0;
		if (PQresultStatus(res) == PGRES_COMMAND_OK &&
		    strcmp(PQcmdStatus(res), "COMMIT") == 0)
			point(p);
	} else if (after_commit != 0 && strcmp(sql, "ROLLBACK") == 0)
		after_commit = 0;
	return res;
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t off)
{
	REAL(ssize_t, "pwrite", (int, const void *, size_t, off_t));

	if (want("write") && is_temp(fd))
		point("write");
	return real(fd, buf, count, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	REAL(ssize_t, "pwrite64", (int, const void *, size_t, off_t));

	if (want("write") && is_temp(fd))
		point("write");
	return real(fd, buf, count, off);
}

int
fsync(int fd)
{
	REAL(int, "fsync", (int));

	if (want("fsync") && is_temp(fd))
		point("fsync");
	return real(fd);
}

int
rename(const char *from, const char *to)
{
	REAL(int, "rename", (const char *, const char *));
	int rc, temp = strstr(from, "/.tmp-") != NULL;

	if (temp)
		point("rename");
	rc = real(from, to);
	if (temp && rc == 0)
		point("renamed");
	return rc;
}
