#include "config.h"

#include <unistd.h>

#include "db.h"
#include "heartbeat.h"
#include "log.h"
#include "util.h"
#include "banned.h"

int
heartbeat_beat(struct db *db, const char *name, const char *node,
    int64_t started_us, const char *stats)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO daemons(name, host, pid,"
	    " started_at, beat_at, stats, node) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(name, host, node) DO UPDATE SET pid=excluded.pid,"
	    " started_at=excluded.started_at, beat_at=excluded.beat_at,"
	    " stats=excluded.stats");
	char host[256];
	int ret;

	if (st == NULL)
		return -1;
	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, host);
	db_bind_int64(st, 3, (int64_t)getpid());
	db_bind_int64(st, 4, started_us);
	db_bind_int64(st, 5, now_us());
	db_bind_text(st, 6, stats != NULL ? stats : "{}");
	db_bind_text(st, 7, node);
	ret = db_step(st) == DB_DONE ? 0 :
	    error("cannot record the heartbeat of %s: %s", name, db_errmsg(db));
	db_finalize(st);
	return ret;
}
