/* Each daemon's heartbeat in the database: when it last said it was alive,
 * and the numbers only it knows (push connections, leases lost, expiry
 * runs), which /metrics and /api/health read back. One row a daemon and
 * host. */
#ifndef ARCHIVED_HEARTBEAT_H
#define ARCHIVED_HEARTBEAT_H

#include <stdint.h>

struct db;

/* How often the daemons beat. */
#define HEARTBEAT_INTERVAL_US	(5 * 1000000LL)

/* Record name's beat on this host and node ("" when alone) now, with
 * stats (a JSON object text, or NULL for "{}"). started_us: when the
 * daemon started. 0, or -1 logged. */
int	 heartbeat_beat(struct db *db, const char *name, const char *node,
	    int64_t started_us, const char *stats);

#endif
