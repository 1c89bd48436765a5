#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "queue.h"
#include "util.h"
#include "banned.h"


/*
 * Step st, an UPDATE that failed jobs RETURNING their ids (finalized
 * here), then log each ("download=N: failed: " why) and give it its
 * archive_generated error event. Inside the caller's transaction. How
 * many, or -1.
 */
static int
fail_each(struct db *db, const struct conf *c, struct db_stmt *st, const char *why)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = -1;

	/* Every one gets its event: the ids are kept, however many. */
	while ((rc = db_step(st)) == DB_ROW) {
		xgrow(&ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		error("database: %s", db_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		log_warnx("download=%lld: failed: %s", (long long)ids[i], why);
		if (event_insert(db, c, ids[i], EV_GENERATED, 0) == -1)
			goto out;
	}
	ret = (int)n;
out:
	free(ids);
	return ret;
}

/*
 * Fail, with worker_lost and each its archive_generated error event, the
 * processing jobs that had max_attempts tries and whose worker is gone:
 * with prefix NULL those whose lease ran out before now, else those whose
 * lease names an owner starting with prefix (a previous run of this worker,
 * which died). Inside the caller's transaction. How many, or -1.
 */
static int
fail_lost(struct db *db, const struct conf *c, int64_t now, const char *prefix)
{
	struct db_stmt *st = db_prepare(db, prefix == NULL ?
	    "UPDATE downloads SET condition='failed',"
	    " error_code='worker_lost', error_message='the export was interrupted"
	    " ' || attempts || ' times (worker stopped or crashed); see the worker log',"
	    " lease_owner=NULL, lease_until=NULL, stopped_at=?1, updated_at=?1,"
	    " finished_at=?1 WHERE condition='processing' AND lease_until<?1"
	    " AND attempts>=?2"
	    " RETURNING id" :
	    "UPDATE downloads SET condition='failed',"
	    " error_code='worker_lost', error_message='the export was interrupted"
	    " ' || attempts || ' times (worker stopped or crashed); see the worker log',"
	    " lease_owner=NULL, lease_until=NULL, stopped_at=?1, updated_at=?1,"
	    " finished_at=?1 WHERE condition='processing'"
	    " AND substr(lease_owner, 1, CAST(?3 AS INTEGER))=?4 AND attempts>=?2"
	    " RETURNING id");
	char why[64];

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int(st, 2, c->max_attempts);
	if (prefix != NULL) {
		db_bind_int(st, 3, (int)strlen(prefix));
		db_bind_text(st, 4, prefix);
	}
	snprintf(why, sizeof(why), "its worker was lost %d times", c->max_attempts);
	return fail_each(db, c, st, why);
}

/*
 * Fail, with node_unavailable and each its error event, the jobs of other
 * nodes whose node has had no live worker for node_timeout and that have
 * waited that long (pending since created, or their lease run out since).
 * Inside the caller's transaction. How many, or -1.
 */
static int
fail_unavailable(struct db *db, const struct conf *c, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "UPDATE downloads SET condition='failed',"
	    " error_code='node_unavailable', error_message='the recording server"
	    " holding this camera''s footage (' || (SELECT node FROM streams s"
	    "  WHERE s.id=downloads.stream_id) || ') has not been reachable for "
	    "' || ?3 || ' s; try again when it is back',"
	    " lease_owner=NULL, lease_until=NULL, stopped_at=?1, updated_at=?1,"
	    " finished_at=?1, is_actual=0"
	    " WHERE ((condition='pending' AND created_at<?2)"
	    "   OR (condition='processing' AND lease_until<?2))"
	    " AND stream_id IN (SELECT s.id FROM streams s WHERE s.node<>?4"
	    "  AND NOT EXISTS (SELECT 1 FROM daemons d WHERE d.name='archived'"
	    "   AND d.node=s.node AND d.beat_at>=?2))"
	    " RETURNING id");
	char why[80];

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, now - c->node_timeout * USEC_PER_SEC);
	db_bind_int64(st, 3, c->node_timeout);
	db_bind_text(st, 4, c->node);
	snprintf(why, sizeof(why), "its node has been unreachable for %lld s",
	    (long long)c->node_timeout);
	return fail_each(db, c, st, why);
}

int
queue_fail_unavailable(struct db *db, const struct conf *c)
{
	int n;

	if (c->shared_storage)
		return 0;
	if (db_begin(db) == -1)
		return -1;
	if ((n = fail_unavailable(db, c, now_us())) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return n;
}

int
queue_claim(struct db *db, const struct conf *c, const char *owner, struct job *job)
{
	struct db_stmt *st = NULL;
	int64_t now = now_us();
	int ret = -1, rc;

	/* The jobs whose worker is gone for good first, with their events,
	 * under the write lock; it seldom finds any. */
	if (db_begin(db) == -1)
		return -1;
	if (fail_lost(db, c, now, NULL) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	/*
	 * The claim guards itself: on PostgreSQL the candidate row is locked
	 * and rows other claimers hold are skipped, so the claims of many
	 * workers and their commits run side by side instead of one at a
	 * time under the write lock. Only the jobs of this node's streams,
	 * unless every node sees every recording; the archive is written
	 * here, so the row says so.
	 */
	if (db_begin_rows(db) == -1)
		return -1;
	st = db_prepare(db, "UPDATE downloads SET condition='processing',"
	    " lease_owner=?1, lease_until=?2, attempts=attempts+1, progress=0,"
	    " claimed_at=?3, updated_at=?3, node=?6 WHERE id=(SELECT id FROM downloads"
	    "   WHERE ((condition='pending' AND (to_us+?4<=?3 OR to_us<=(SELECT"
	    "      max(end_us) FROM segments s WHERE s.stream_id=downloads.stream_id)))"
	    "      OR (condition='processing' AND lease_until<?3))"
	    "    AND (?5<>0 OR stream_id IN (SELECT id FROM streams WHERE node=?6))"
	    "   ORDER BY condition='processing' DESC, id LIMIT 1"
	    "   /*+ FOR UPDATE SKIP LOCKED */)"
	    " RETURNING id, user_id, stream_id, from_us, to_us, attempts");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, owner);
	db_bind_int64(st, 2, now + c->lease_seconds * USEC_PER_SEC);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, c->footage_wait * USEC_PER_SEC);
	db_bind_int(st, 5, c->shared_storage);
	db_bind_text(st, 6, c->node);
	rc = db_step(st);
	if (rc == DB_ROW) {
		job->id = db_column_int64(st, 0);
		job->user_id = db_column_int64(st, 1);
		job->stream_id = db_column_int64(st, 2);
		job->from_us = db_column_int64(st, 3);
		job->to_us = db_column_int64(st, 4);
		job->attempts = db_column_int(st, 5);
		ret = 1;
		rc = db_step(st);
	} else
		ret = 0;
	if (rc != DB_DONE) {
		error("database: %s", db_errmsg(db));
		ret = -1;
		goto out;
	}
	db_finalize(st);
	st = NULL;
	if (db_commit(db) == -1)
		ret = -1;
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(st);
	return ret;
}

int
queue_renew(struct db *db, const struct conf *c, const struct job *job,
    const char *owner, int progress, int with_event)
{
	struct db_stmt *st;
	int64_t now = now_us();
	int ret = -1, changed;

	if (db_begin(db) == -1)
		return -1;
	st = db_prepare(db, "UPDATE downloads SET lease_until=?1, progress=?2,"
	    " updated_at=CASE WHEN progress<>?2 THEN ?3 ELSE updated_at END"
	    " WHERE id=?4 AND lease_owner=?5 AND condition='processing'"
	    " RETURNING progress");
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, now + c->lease_seconds * USEC_PER_SEC);
	db_bind_int(st, 2, progress);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, job->id);
	db_bind_text(st, 5, owner);
	changed = db_step(st) == DB_ROW;
	if (db_step_done(st) == -1) {
		db_finalize(st);
		goto out;
	}
	db_finalize(st);
	if (changed && with_event && event_insert(db, c, job->id, EV_PROGRESS, 1) == -1)
		goto out;
	if (db_commit(db) == 0)
		ret = changed;
out:
	if (ret == -1)
		db_rollback(db);
	return ret;
}

int
queue_still_ours(struct db *db, int64_t id, const char *owner)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM downloads WHERE id=?"
	    " AND lease_owner=? AND condition='processing'");
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, owner);
	rc = db_step(st);
	db_finalize(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : -1;
}

/* Run a fenced UPDATE, then the event, in one transaction. */
static int
finish(struct db *db, const struct conf *c, struct db_stmt *st, int64_t id, int ok)
{
	int ret = -1, changed;

	if (st == NULL) {
		db_rollback(db);
		return -1;
	}
	if (db_step_done(st) == -1)
		goto out;
	changed = db_changes(db) > 0;
	if (changed && event_insert(db, c, id, EV_GENERATED, ok) == -1)
		goto out;
	if (db_commit(db) == 0)
		ret = changed;
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(st);
	return ret;
}

int
queue_finish_active(struct db *db, const struct conf *c, const struct job *job,
    const char *owner, const struct job_output *out)
{
	struct db_stmt *st;
	int64_t now = now_us();

	if (db_begin(db) == -1)
		return -1;
	st = db_prepare(db, "UPDATE downloads SET condition='active', path=?1,"
	    " is_file_exists=1, is_actual=1, progress=100, size=?2, duration_us=?3,"
	    " coverage=?4, error_code=?5, error_message=?6, lease_owner=NULL,"
	    " lease_until=NULL, stopped_at=NULL, expires_at=?7, updated_at=?8,"
	    " finished_at=?8, export_us=?8 - coalesce(claimed_at, ?8)"
	    " WHERE id=?9 AND lease_owner=?10 AND condition='processing'");
	if (st != NULL) {
		db_bind_text(st, 1, out->file);
		db_bind_int64(st, 2, out->size);
		db_bind_int64(st, 3, out->duration_us);
		db_bind_text(st, 4, out->coverage);
		if (out->warn_code != NULL) {
			db_bind_text(st, 5, out->warn_code);
			db_bind_text(st, 6, out->warn_message);
		}
		db_bind_int64(st, 7, now + c->download_ttl * USEC_PER_SEC);
		db_bind_int64(st, 8, now);
		db_bind_int64(st, 9, job->id);
		db_bind_text(st, 10, owner);
	}
	return finish(db, c, st, job->id, 1);
}

int
queue_finish_failed(struct db *db, const struct conf *c, const struct job *job,
    const char *owner, const char *code, const char *message, int retry)
{
	struct db_stmt *st;
	int64_t now = now_us();
	int changed;

	if (db_begin(db) == -1)
		return -1;
	if (retry && job->attempts < c->max_attempts) {
		/* Another try later; nothing to tell the client yet. */
		st = db_prepare(db, "UPDATE downloads SET condition='pending',"
		    " lease_owner=NULL, lease_until=NULL, progress=0, error_code=?1,"
		    " error_message=?2, updated_at=?3 WHERE id=?4 AND lease_owner=?5"
		    " AND condition='processing'");
		if (st == NULL) {
			db_rollback(db);
			return -1;
		}
		db_bind_text(st, 1, code);
		db_bind_text(st, 2, message);
		db_bind_int64(st, 3, now);
		db_bind_int64(st, 4, job->id);
		db_bind_text(st, 5, owner);
		if (db_step_done(st) == -1) {
			db_finalize(st);
			db_rollback(db);
			return -1;
		}
		db_finalize(st);
		changed = db_changes(db) > 0;
		return db_commit(db) == 0 ? changed : -1;
	}
	st = db_prepare(db, "UPDATE downloads SET condition='failed', is_actual=1,"
	    " error_code=?1, error_message=?2, lease_owner=NULL, lease_until=NULL,"
	    " stopped_at=?3, updated_at=?3, finished_at=?3,"
	    " export_us=?3 - coalesce(claimed_at, ?3) WHERE id=?4 AND lease_owner=?5"
	    " AND condition='processing'");
	if (st != NULL) {
		db_bind_text(st, 1, code);
		db_bind_text(st, 2, message);
		db_bind_int64(st, 3, now);
		db_bind_int64(st, 4, job->id);
		db_bind_text(st, 5, owner);
	}
	return finish(db, c, st, job->id, 0);
}

int
queue_hand_back(struct db *db, const struct job *job, const char *owner)
{
	struct db_stmt *st = db_prepare(db, "UPDATE downloads SET condition='pending',"
	    " lease_owner=NULL, lease_until=NULL, progress=0,"
	    " attempts=CASE WHEN attempts>0 THEN attempts-1 ELSE 0 END, updated_at=?"
	    " WHERE id=? AND lease_owner=? AND condition='processing'");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_us());
	db_bind_int64(st, 2, job->id);
	db_bind_text(st, 3, owner);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

int
queue_held_prefix(struct db *db, const char *prefix, int64_t **ids, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM downloads"
	    " WHERE condition='processing' AND substr(lease_owner, 1, CAST(? AS INTEGER))=?");
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int(st, 1, (int)strlen(prefix));
	db_bind_text(st, 2, prefix);
	while ((rc = db_step(st)) == DB_ROW) {
		xgrow(ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return error("database: %s", db_errmsg(db));
	}
	return 0;
}

int
queue_release_prefix(struct db *db, const struct conf *c, const char *prefix,
    int *failed)
{
	struct db_stmt *st = NULL;
	int ret = -1, nfailed;

	*failed = 0;
	if (db_begin(db) == -1)
		return -1;
	/* The crash was an attempt (counted when it was claimed): a job that
	 * had its last one ends here, and its event with it. */
	if ((nfailed = fail_lost(db, c, now_us(), prefix)) == -1)
		goto out;
	st = db_prepare(db, "UPDATE downloads SET condition='pending',"
	    " lease_owner=NULL, lease_until=NULL, progress=0, updated_at=?"
	    " WHERE condition='processing' AND substr(lease_owner, 1, CAST(? AS INTEGER))=?");
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, now_us());
	db_bind_int(st, 2, (int)strlen(prefix));
	db_bind_text(st, 3, prefix);
	if (db_step_done(st) == -1)
		goto out;
	ret = db_changes(db);
	if (db_commit(db) == -1) {
		ret = -1;
		goto out;
	}
	*failed = nfailed;
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(st);
	return ret;
}
