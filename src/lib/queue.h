/*
 * The queue: downloads are jobs, claimed with a lease. Every write a worker
 * makes about a job is fenced on its lease_owner, so a worker that lost its
 * lease (it stalled, or the job was cancelled) can never overwrite the one
 * that took over. Each state change and its event commit together.
 */
#ifndef ARCHIVED_QUEUE_H
#define ARCHIVED_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct db;

struct conf;

struct job {
	int64_t	 id;
	int64_t	 user_id;
	int64_t	 stream_id;
	int64_t	 from_us, to_us;
	int	 attempts;		/* including this one */
};

/* Take the oldest pending job whose footage is in (indexed up to its end,
 * or footage_wait past its end), or one whose lease expired; the attempt
 * is counted now, so that a crash in it counts. Jobs whose lease expired
 * after max_attempts tries are failed on the way (their worker died each
 * time). 1 claimed, 0 nothing to do, -1 error. */
/* Fail with node_unavailable the jobs of nodes that have had no live
 * worker for node_timeout (nothing on shared storage). How many, or -1. */
int	 queue_fail_unavailable(struct db *db, const struct conf *c);
int	 queue_claim(struct db *db, const struct conf *c, const char *owner,
	    struct job *job);

/* Extend the lease and record progress (0-100), with an archive_progress
 * event when the percentage changed. 1 still ours, 0 lost (cancelled or
 * taken over: stop), -1 error. */
int	 queue_renew(struct db *db, const struct conf *c, const struct job *job,
	    const char *owner, int progress, int with_event);

/* Is the job still ours and processing? 1 yes, 0 no, -1 error. */
int	 queue_still_ours(struct db *db, int64_t id, const char *owner);

struct job_output {
	const char	*file;		/* name in downloads_dir */
	int64_t		 size;
	int64_t		 duration_us;
	const char	*coverage;	/* JSON [[from_us, to_us], ...] */
	const char	*warn_code;	/* non-fatal, e.g. "stream_changed"; or NULL */
	const char	*warn_message;
};

/* The file is in place: the row becomes active with its expiry, and the
 * archive_generated event is written, in one transaction. 1 done, 0 the
 * lease was lost (the caller removes the file), -1 error. */
int	 queue_finish_active(struct db *db, const struct conf *c, const struct job *job,
	    const char *owner, const struct job_output *out);

/* The attempt failed. retry and attempts left: back to pending; otherwise
 * failed, with the error and an archive_generated "error" event. 1 done,
 * 0 lease lost, -1 error. */
int	 queue_finish_failed(struct db *db, const struct conf *c, const struct job *job,
	    const char *owner, const char *code, const char *message, int retry);

/* Give the job back untouched (shutdown): pending, the attempt not counted. */
int	 queue_hand_back(struct db *db, const struct job *job, const char *owner);

/* At start: the processing jobs whose lease names an owner starting with
 * prefix (a previous run of this worker on this host, which died), so
 * that their files can be removed before they are released. *ids is
 * malloc'd (the caller frees), *n of them. 0, or -1 on error. */
int	 queue_held_prefix(struct db *db, const char *prefix, int64_t **ids,
	    size_t *n);

/* At start: take back every job whose lease names an owner starting with
 * prefix. Its worker died, and that attempt counts (queue_claim counted
 * it): a job that had max_attempts tries ends failed, "worker_lost", with
 * its archive_generated error event; the others go back to pending. One
 * transaction. Returns how many went back to pending, *failed how many
 * failed; -1 on error (nothing changed). */
int	 queue_release_prefix(struct db *db, const struct conf *c, const char *prefix,
	    int *failed);

#endif
