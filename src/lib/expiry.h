/*
 * Archive expiry: taking a finished archive out of service when its time
 * is up, and the housekeeping around it. archive-pushd runs these from its
 * timers; "archivectl cleanup" runs expiry_sweep() once, for hosts that
 * run it from cron. Both at once is safe: every row change is conditional
 * and transactional, and unlinking a file twice is harmless.
 *
 * The order for one download, so that a crash anywhere leaves a row the
 * next sweep completes:
 *   1. one transaction: condition='expired', is_actual=0, updated_at, and
 *      the archive_expired event (the outbox);
 *   2. unlink the file;
 *   3. is_file_exists=0, path=NULL (download_remove_file()).
 */
#ifndef ARCHIVED_EXPIRY_H
#define ARCHIVED_EXPIRY_H

#include <stdint.h>

struct db;

struct conf;

struct expiry_stats {
	int	 expired;	/* archives taken out of service */
	int	 repaired;	/* expired/cancelled rows whose file was left */
	int	 orphans;	/* files in downloads_dir no row owns */
	int	 events;	/* events older than pusher.event_retention */
	int	 errors;	/* steps that failed (logged); retried next time */
};

/* Files younger than this many seconds are never orphans: a worker may
 * still be writing one, or have renamed it and not yet committed. At least
 * twice lease_seconds. */
#define EXPIRY_ORPHAN_GRACE_MIN	60

/* Expire every active download whose expires_at is at or before now (UTC
 * microseconds). Adds to st. 0, or -1 if the database failed. */
int	 expiry_run(struct db *db, const struct conf *c, int64_t now,
	    struct expiry_stats *st);
/* Finish the rows a crash left between steps 1 and 3 (condition expired
 * or cancelled, the file still recorded). */
int	 expiry_repair(struct db *db, const struct conf *c, struct expiry_stats *st);
/* Delete regular files in downloads_dir that no row owns and that are
 * older than the grace: the worker's names "*.mp4" and ".tmp*" only. */
int	 expiry_orphans(struct db *db, const struct conf *c, int64_t now,
	    struct expiry_stats *st);
/* Delete events older than pusher.event_retention. */
int	 expiry_prune_events(struct db *db, const struct conf *c, int64_t now,
	    struct expiry_stats *st);
/* All four, in that order; a failing step does not stop the others. */
int	 expiry_sweep(struct db *db, const struct conf *c, int64_t now,
	    struct expiry_stats *st);

/* The earliest expires_at among active downloads: 1 and *at set, 0 when
 * there is none, -1 on error. */
int	 expiry_next(struct db *db, int64_t *at);

#endif
