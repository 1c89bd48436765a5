/*
 * archived: the queue worker. N threads claim pending downloads with a
 * lease, remux the recorded segments into one MP4 and publish it; the main
 * thread waits for kicks and signals, wakes the workers, and notices
 * cancelled jobs. The database is the only truth: a lost kick costs a poll.
 *
 * A thread's claim and the main thread's "stop" meet in one atomic word
 * (struct worker's claim): the claim's number, which the thread bumps for
 * every job it takes, and the claim's state. The watcher reads the word,
 * then the job id, asks the database, and stops the thread with a
 * compare-and-set on the word it read: a job that finished meanwhile can
 * never stop the claim that came after it. The thread moves its claim to
 * FINISHING (compare-and-set too) before it writes the job's outcome, so a
 * job that ends is never also told to stop.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/confslot.h"
#include "lib/db.h"
#include "lib/heartbeat.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/progopt.h"
#include "lib/queue.h"
#include "media/remux.h"
#include "recordings/segindex.h"
#include "lib/util.h"
#include "lib/banned.h"

#define TMP_PREFIX	".tmp-"

/* The state of one claim, in the low bits of struct worker's claim. */
enum claim_state {
	CLAIM_RUNNING,		/* working on it */
	CLAIM_LOST,		/* cancelled or taken over: stop, write nothing */
	CLAIM_FINISHING		/* the thread is writing the outcome: too late to stop */
};
#define CLAIM_WORD(seq, state)	((uint64_t)(seq) << 2 | (uint64_t)(state))
#define CLAIM_SEQ(word)		((word) >> 2)
#define CLAIM_STATE(word)	((enum claim_state)((word) & 3))

struct worker {
	pthread_t	 thread;
	int		 index;
	char		 owner[160];
	/* Stored by the thread only: first claim (a new number), then job_id;
	 * at the end, job_id 0. A reader that loads claim and then job_id sees
	 * 0 or the job of that claim or of a later one, never an earlier one. */
	_Atomic uint64_t claim;		/* CLAIM_WORD(number, enum claim_state) */
	_Atomic int64_t	 job_id;	/* 0 when idle */
};

/* What a running job needs from its callbacks. */
struct job_ctx {
	struct worker	*w;
	struct db		*db;
	const struct conf *conf;
	const struct job *job;
	uint64_t	 seq;		/* this claim's number */
	int64_t		 last_renew;	/* monotonic us */
	int		 last_pct;
};

static void	*worker_main(void *arg);
static void	 run_job(struct worker *w, struct db *db, const struct conf *c,
		    const struct job *job, uint64_t seq);
static void	 watch_cancellations(struct db *db);
static void	 beat(struct db *db);
static void	 remove_stale_temps(const char *dir);
static void	 take_back_jobs(struct db *db);
static int	 lock_data_dir(const struct conf *c);

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	unsigned	 wake_gen;	/* bumped by every kick and tick */
	int		 stopping;
	atomic_int	 hurry;		/* the shutdown grace is over: stop the jobs */
	struct confslot	 slot;		/* the configuration; jobs hold a reference */
	struct conf	*conf;		/* the main thread's, between reloads */
	struct worker	*workers;
	int		 nworkers;
	atomic_int	 leases_lost;	/* since start, for the heartbeat */
	int64_t		 started_us;
	char		 host[64 + 64];	/* host, or host@node */
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* A reload cannot change the number of threads; say so. */
static int
accept_reload(const struct conf *old, const struct conf *fresh, char *err, size_t len)
{
	(void)err;
	(void)len;
	if (fresh->workers != old->workers)
		log_warnx("workers stays %d until the next start", old->workers);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct progopt o = { .prog = "archived",
	    .usage = "[-n] [--config FILE] [--syslog] [--debug]" };
	struct pollfd pfd[2];
	sigset_t sigs;
	struct db *db;
	int64_t last_wake;

	progopt_parse(&o, argc, argv);
	g.conf = progopt_start(&o);

	/* Signals arrive on a descriptor in the main loop, never in a thread. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((pfd[0].fd = signalfd(-1, &sigs, SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	pfd[0].events = POLLIN;

	if (mkdir_p(g.conf->run_dir, 02770) == -1 || mkdir_p(g.conf->downloads_dir, 02770) == -1)
		fatal("cannot create '%s' or '%s'", g.conf->run_dir, g.conf->downloads_dir);
	if (lock_data_dir(g.conf) == -1)
		return 1;
	if ((db = db_open_checked(g.conf)) == NULL || db_load_secrets(db, g.conf) == -1)
		fatalx("cannot use the database; see above");
	/* Published filled; from here on, threads take it from the slot. */
	confslot_init(&g.slot, conf_ref(g.conf));
	g.slot.accept = accept_reload;
	if ((pfd[1].fd = kick_listen(g.conf->run_dir, KICK_WORKER)) == -1)
		fatalx("cannot listen for kicks in '%s'", g.conf->run_dir);
	pfd[1].events = POLLIN;
	/* Other hosts' wake-ups (PostgreSQL's NOTIFY) arrive as kicks. */
	(void)kick_relay_start(g.conf, KICK_WORKER);

	/* A previous run on this host died: its temp files and leases are
	 * ours. "host@node" where several nodes share a machine. */
	if (gethostname(g.host, sizeof(g.host)) == -1)
		snprintf(g.host, sizeof(g.host), "localhost");
	g.host[sizeof(g.host) - 1] = '\0';
	if (g.conf->node[0] != '\0') {
		size_t n = strlen(g.host);

		snprintf(g.host + n, sizeof(g.host) - n, "@%s", g.conf->node);
	}
	remove_stale_temps(g.conf->downloads_dir);
	take_back_jobs(db);

	g.nworkers = g.conf->workers;
	g.workers = xcalloc((size_t)g.nworkers, sizeof(*g.workers));
	for (int i = 0; i < g.nworkers; i++) {
		struct worker *w = &g.workers[i];

		w->index = i;
		snprintf(w->owner, sizeof(w->owner), "%s/%ld/%d", g.host, (long)getpid(), i);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			fatalx("cannot start worker thread %d", i);
	}
	log_info("started with %d worker(s), polling every %d ms", g.nworkers,
	    g.conf->poll_interval_ms);

	g.started_us = now_us();
	beat(db);
	last_wake = mono_us();
	while (!g.stopping) {
		/* The heartbeat keeps its pace whatever the polling interval. */
		int timeout = g.conf->poll_interval_ms < HEARTBEAT_INTERVAL_US / 1000 ?
		    g.conf->poll_interval_ms : (int)(HEARTBEAT_INTERVAL_US / 1000);
		int n = poll(pfd, 2, timeout), kicked = 0;

		if (n == -1 && errno != EINTR)
			fatal("poll");
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(pfd[0].fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					if (confslot_reload(&g.slot, o.config, db, 1) == 1) {
						conf_free(g.conf);
						g.conf = confslot_get(&g.slot);
					}
				} else {
					log_info("stopping on signal %d", (int)si.ssi_signo);
					pthread_mutex_lock(&g.lock);
					g.stopping = 1;
					pthread_mutex_unlock(&g.lock);
				}
			}
		}
		if (n > 0 && (pfd[1].revents & POLLIN))
			kicked = kick_drain(pfd[1].fd) > 0;
		watch_cancellations(db);
		beat(db);
		if (!kicked && mono_us() - last_wake < g.conf->poll_interval_ms * 1000LL)
			continue;
		last_wake = mono_us();
		pthread_mutex_lock(&g.lock);
		g.wake_gen++;
		pthread_cond_broadcast(&g.wake);
		pthread_mutex_unlock(&g.lock);
	}

	/* SIGTERM: claim nothing more; finish the jobs in hand within the grace
	 * period, then cancel and hand back what is left. */
	{
		int64_t deadline = mono_us() + (int64_t)g.conf->shutdown_grace * USEC_PER_SEC;
		int busy;

		pthread_mutex_lock(&g.lock);
		pthread_cond_broadcast(&g.wake);
		pthread_mutex_unlock(&g.lock);
		do {
			busy = 0;
			for (int i = 0; i < g.nworkers; i++)
				busy += atomic_load(&g.workers[i].job_id) != 0;
			if (busy == 0 || mono_us() >= deadline)
				break;
			watch_cancellations(db);
			usleep(50000);
		} while (1);
		/* Read by every job's cancel check: also one claimed just now. */
		atomic_store(&g.hurry, 1);
		for (int i = 0; i < g.nworkers; i++)
			pthread_join(g.workers[i].thread, NULL);
	}
	db_close(db);
	close(pfd[1].fd);
	free(g.workers);
	conf_free(g.conf);
	confslot_release(&g.slot);
	log_info("stopped");
	return 0;
}

/* One worker per data directory and host: the lock makes the temp files
 * and leases of this host ours at start. */
static int
lock_data_dir(const struct conf *c)
{
	char *path = path_join(c->run_dir, "archived.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);

	/* Only a held lock means another worker; anything else is named. */
	if (fd == -1) {
		error("cannot open the lock file '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			error("another archived is running on '%s' (lock '%s' is held)",
			    c->data_dir, path);
		else
			error("cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return 0;	/* the descriptor stays open for the life of the process */
}

static void
remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* Our archives in the making, and the remux engine's index spill
		 * files (unlinked as soon as made, unless a crash came between). */
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 &&
		    strncmp(de->d_name, ".remux-index.", 13) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("removed stale temp file '%s/%s'", dir, de->d_name);
	}
	closedir(d);
}

/*
 * The files of the jobs a previous run on this host held when it died: a
 * crash between the rename and the commit left an archive under its final
 * name that no row owns. A job held by us owns no file (its row becomes
 * active and gets its path in one transaction), so every "<id>-*.mp4" of
 * such a job is removed, before the job is released: a crash in between
 * only repeats this at the next start.
 */
static void
remove_job_files(const char *dir, const int64_t *ids, size_t n)
{
	DIR *d;
	struct dirent *de;

	if (n == 0 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char want[32];
		const char *dot = strrchr(de->d_name, '.');

		if (dot == NULL || strcmp(dot, ".mp4") != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			snprintf(want, sizeof(want), "%lld-", (long long)ids[i]);
			if (strncmp(de->d_name, want, strlen(want)) != 0)
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) == 0)
				log_info("download=%lld: removed '%s/%s', left by a"
				    " previous run", (long long)ids[i], dir, de->d_name);
			break;
		}
	}
	if (fsync(dirfd(d)) == -1)
		log_warn("cannot fsync '%s'", dir);
	closedir(d);
}

/*
 * At start, with the lock held: the jobs a previous run on this host held
 * are ours. Their worker died, and that attempt counts (it was counted at
 * the claim): a job that has had max_attempts ends failed (worker_lost,
 * with its event), the others go back to pending at once instead of
 * waiting for their lease to run out. A job that kills its worker every
 * time therefore ends after max_attempts restarts, not never.
 */
static void
take_back_jobs(struct db *db)
{
	char prefix[80];
	int64_t *ids;
	size_t n;
	int released, failed;

	/* On a database error the jobs stay as they are: their leases run
	 * out, and queue_claim() takes or fails them then. */
	snprintf(prefix, sizeof(prefix), "%s/", g.host);
	if (queue_held_prefix(db, prefix, &ids, &n) == -1) {
		log_warnx("cannot read the jobs of a previous run; they are taken"
		    " back when their lease runs out");
		return;
	}
	remove_job_files(g.conf->downloads_dir, ids, n);
	free(ids);
	if ((released = queue_release_prefix(db, g.conf, prefix, &failed)) == -1) {
		log_warnx("cannot take back the jobs of a previous run; they are"
		    " taken back when their lease runs out");
		return;
	}
	if (released > 0)
		log_info("gave back %d job(s) held by a previous run", released);
	if (failed > 0) {
		log_warnx("failed %d job(s) held by a previous run: their worker"
		    " was lost %d times", failed, g.conf->max_attempts);
		kick_wake(db, g.conf->run_dir, KICK_PUSHD);
	}
}

/* Tell workers whose job was cancelled, deleted or taken over to stop. */
static void
watch_cancellations(struct db *db)
{
	for (int i = 0; i < g.nworkers; i++) {
		struct worker *w = &g.workers[i];
		/* The claim first, then its job (see struct worker). */
		uint64_t word = atomic_load(&w->claim);
		int64_t id = atomic_load(&w->job_id);

		if (id == 0 || CLAIM_STATE(word) != CLAIM_RUNNING ||
		    queue_still_ours(db, id, w->owner) != 0)
			continue;
		/* Lands only if the thread still holds the claim we read, and
		 * that claim is of this job: a later claim has another number,
		 * and one that is finishing has another state. */
		if (atomic_compare_exchange_strong(&w->claim, &word,
		    CLAIM_WORD(CLAIM_SEQ(word), CLAIM_LOST)))
			log_info("download=%lld: no longer ours (cancelled or taken"
			    " over); stopping it", (long long)id);
	}
}

/* The heartbeat /api/health and /metrics read: every few seconds, with
 * what only the worker knows. */
static void
beat(struct db *db)
{
	static int64_t last;
	int64_t now = mono_us();
	char stats[128];
	int busy = 0;

	if (last != 0 && now - last < HEARTBEAT_INTERVAL_US)
		return;
	last = now;
	for (int i = 0; i < g.nworkers; i++)
		busy += atomic_load(&g.workers[i].job_id) != 0;
	snprintf(stats, sizeof(stats), "{\"threads\":%d,\"busy\":%d,\"leases_lost\":%d}",
	    g.nworkers, busy, atomic_load(&g.leases_lost));
	(void)heartbeat_beat(db, "archived", g.conf->node, g.started_us, stats);
	/* Another node's jobs, when that node has been silent too long: as
	 * seen by a worker up that long itself (after a site-wide outage,
	 * the nodes that come back first must not fail the others' jobs). */
	if (now_us() - g.started_us >= g.conf->node_timeout * USEC_PER_SEC &&
	    queue_fail_unavailable(db, g.conf) > 0)
		kick_wake(db, g.conf->run_dir, KICK_PUSHD);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct db *db = NULL;
	uint64_t seq = 0;	/* the number of this thread's last claim */

	while (1) {
		struct conf *c = confslot_get(&g.slot);	/* for one claim and its job */
		struct job job;
		unsigned gen;
		int rc;

		pthread_mutex_lock(&g.lock);
		gen = g.wake_gen;
		if (g.stopping) {
			pthread_mutex_unlock(&g.lock);
			conf_free(c);
			break;
		}
		pthread_mutex_unlock(&g.lock);
		if (db == NULL && (db = db_open_checked(c)) == NULL)
			rc = -1;
		else
			rc = queue_claim(db, c, w->owner, &job);
		if (rc == 1) {
			/* A new claim, then its job (see struct worker). */
			atomic_store(&w->claim, CLAIM_WORD(++seq, CLAIM_RUNNING));
			atomic_store(&w->job_id, job.id);
			run_job(w, db, c, &job, seq);
			atomic_store(&w->job_id, 0);
			conf_free(c);
			continue;
		}
		conf_free(c);
		/* Nothing to do (or the database is unwell): wait for a kick or tick. */
		pthread_mutex_lock(&g.lock);
		while (g.wake_gen == gen && !g.stopping)
			pthread_cond_wait(&g.wake, &g.lock);
		pthread_mutex_unlock(&g.lock);
	}
	db_close(db);
	return NULL;
}

/* Only the thread holding claim seq calls these: its claim is the word's. */
static enum claim_state
claim_state(const struct worker *w)
{
	return CLAIM_STATE(atomic_load(&w->claim));
}

/* Claim seq is lost (cancelled or taken over), unless it is finishing. */
static void
claim_lost(struct worker *w, uint64_t seq)
{
	uint64_t word = CLAIM_WORD(seq, CLAIM_RUNNING);

	atomic_compare_exchange_strong(&w->claim, &word, CLAIM_WORD(seq, CLAIM_LOST));
}

/* Before writing a job's outcome: 1 from now on nobody stops claim seq,
 * 0 it was already lost (write nothing; the row is not ours). */
static int
claim_finishing(struct worker *w, uint64_t seq)
{
	uint64_t word = CLAIM_WORD(seq, CLAIM_RUNNING);

	return atomic_compare_exchange_strong(&w->claim, &word,
	    CLAIM_WORD(seq, CLAIM_FINISHING));
}

static int
job_cancelled(void *arg)
{
	struct job_ctx *ctx = arg;

	return claim_state(ctx->w) == CLAIM_LOST || atomic_load(&g.hurry);
}

/* Progress: renew the lease and publish at most once a second. */
static int
job_progress(void *arg, int64_t done, int64_t total)
{
	struct job_ctx *ctx = arg;
	int64_t now = mono_us();
	int pct = total > 0 ? (int)(done * 100 / total) : 0;

	if (pct > 99)
		pct = 99;	/* 100 is for the finished file */
	if (now - ctx->last_renew >= USEC_PER_SEC) {
		int rc = queue_renew(ctx->db, ctx->conf, ctx->job, ctx->w->owner, pct,
		    pct != ctx->last_pct);

		ctx->last_renew = now;
		if (rc == 0)
			claim_lost(ctx->w, ctx->seq);
		else if (rc == 1 && pct != ctx->last_pct) {
			ctx->last_pct = pct;
			kick_wake(ctx->db, ctx->conf->run_dir, KICK_PUSHD);
		}
	}
	return job_cancelled(arg);
}

static char *
coverage_json(const struct remux_result *res)
{
	json_t *arr = json_array();
	char *s;

	for (size_t i = 0; i < res->ncoverage; i++)
		json_array_append_new(arr, json_pack("[I, I]",
		    (json_int_t)res->coverage[i][0], (json_int_t)res->coverage[i][1]));
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

/* fsync the file, then give it its final, unguessable name. */
static char *
publish_file(const struct conf *c, const char *tmp, const struct job *job)
{
	unsigned char r[8];
	char hex[17], name[64], *final;
	int fd;

	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fsync(fd) == -1) {
		close(fd);
		return NULL;
	}
	close(fd);
	if (random_bytes(r, sizeof(r)) == -1)
		return NULL;
	hex_encode(r, sizeof(r), hex);
	snprintf(name, sizeof(name), "%lld-%s.mp4", (long long)job->id, hex);
	final = path_join(c->downloads_dir, name);
	if (rename(tmp, final) == -1 || fsync_parent(final) == -1) {
		log_warn("cannot publish '%s'", final);
		unlink(final);
		free(final);
		return NULL;
	}
	return final;
}

static int
retryable(const char *code)
{
	return strcmp(code, REMUX_OUTPUT_ERROR) == 0;
}

/* The attempt failed with code: retried or failed (retry says which may
 * be retried), unless the claim was lost meanwhile. */
static void
job_failed(struct worker *w, struct db *db, const struct conf *c,
    const struct job *job, uint64_t seq, const char *code, const char *message,
    int retry)
{
	if (!claim_finishing(w, seq)) {
		atomic_fetch_add(&g.leases_lost, 1);
		log_info("download=%lld stream=%lld: stopped", (long long)job->id,
		    (long long)job->stream_id);
		return;
	}
	queue_finish_failed(db, c, job, w->owner, code, message, retry);
}

static void
run_job(struct worker *w, struct db *db, const struct conf *c, const struct job *job,
    uint64_t seq)
{
	struct job_ctx ctx = { w, db, c, job, seq, mono_us(), -1 };
	struct remux_result res;
	struct remux_job rj = { 0 };
	struct remux_segment *segs;
	char tmpname[96], *tmp, *final = NULL, *cov = NULL;
	size_t nsegs;
	int64_t t0 = mono_us();
	int fd, rc;
	enum claim_state state;

	snprintf(tmpname, sizeof(tmpname), "%s%lld-%ld-%d.mp4", TMP_PREFIX,
	    (long long)job->id, (long)getpid(), w->index);
	tmp = path_join(c->downloads_dir, tmpname);
	/* The segments overlapping the range, in time order (as export reads them). */
	if ((segs = segindex_load_range(db, job->stream_id, job->from_us, job->to_us,
	    &nsegs)) == NULL) {
		job_failed(w, db, c, job, seq, REMUX_INPUT_ERROR,
		    "cannot read the recording index; see the worker log", 1);
		goto out;
	}
	log_info("download=%lld stream=%lld: attempt %d, %zu segment(s)",
	    (long long)job->id, (long long)job->stream_id,
	    job->attempts, nsegs);
	/* The archive is group-readable only: the web server's group sends it. */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) == -1) {
		log_warn("download=%lld stream=%lld: cannot create '%s'",
		    (long long)job->id, (long long)job->stream_id, tmp);
		job_failed(w, db, c, job, seq, REMUX_OUTPUT_ERROR,
		    "cannot create the archive file in the downloads directory", 1);
		goto out;
	}
	close(fd);
	rj.segs = segs;
	rj.nsegs = nsegs;
	rj.from_us = job->from_us;
	/* No further than the index: a segment still being written is
	 * indexed up to its last whole GOP, and its file may end inside a
	 * picture. (Of a closed one, nothing lies past its end.) */
	rj.to_us = job->from_us;
	for (size_t i = 0; i < nsegs; i++)
		if (segs[i].end_us > rj.to_us)
			rj.to_us = segs[i].end_us;
	if (rj.to_us > job->to_us || nsegs == 0)
		rj.to_us = job->to_us;
	rj.out_path = tmp;
	rj.tmp_dir = c->downloads_dir;
	rj.progress = job_progress;
	rj.cancelled = job_cancelled;
	rj.arg = &ctx;
	rc = remux_run(&rj, &res);
	/* Made: from here the claim is finishing, cancelled only through the
	 * row (a DELETE now makes the fenced commit change nothing). */
	if (rc == 0 && claim_finishing(w, seq) &&
	    (final = publish_file(c, tmp, job)) != NULL) {
		struct job_output out = { 0 };
		const char *slash = strrchr(final, '/');

		cov = coverage_json(&res);
		out.file = slash ? slash + 1 : final;
		out.size = res.size;
		out.duration_us = res.duration_us;
		out.coverage = cov;
		if (res.code[0] != '\0') {
			out.warn_code = res.code;
			out.warn_message = res.message;
		}
		rc = queue_finish_active(db, c, job, w->owner, &out);
		if (rc == 1)
			log_info("download=%lld stream=%lld: active, %lld bytes, %.3f s of"
			    " video in %.2f s%s%s", (long long)job->id,
			    (long long)job->stream_id, (long long)res.size,
			    res.duration_us / 1e6, (mono_us() - t0) / 1e6,
			    res.code[0] ? "; " : "", res.message);
		else {
			atomic_fetch_add(&g.leases_lost, 1);
			log_info("download=%lld stream=%lld: finished but no longer ours;"
			    " file removed", (long long)job->id, (long long)job->stream_id);
			unlink(final);
		}
	} else {
		unlink(tmp);
		/* Stopped, failed, or made but not stored: the outcome is ours to
		 * write unless the claim was lost first. */
		(void)claim_finishing(w, seq);
		state = claim_state(w);
		if (state == CLAIM_LOST) {
			atomic_fetch_add(&g.leases_lost, 1);
			log_info("download=%lld stream=%lld: stopped", (long long)job->id,
			    (long long)job->stream_id);
		} else if (rc != 0 && atomic_load(&g.hurry)) {
			queue_hand_back(db, job, w->owner);
			log_info("download=%lld stream=%lld: handed back at shutdown",
			    (long long)job->id, (long long)job->stream_id);
		} else {
			if (rc == 0) {
				/* Written, but it could not be fsynced or renamed. */
				snprintf(res.code, sizeof(res.code), "%s", REMUX_OUTPUT_ERROR);
				snprintf(res.message, sizeof(res.message),
				    "cannot store the archive in the downloads directory");
			}
			log_warnx("download=%lld stream=%lld: attempt %d failed: %s: %s",
			    (long long)job->id, (long long)job->stream_id, job->attempts,
			    res.code, res.message);
			queue_finish_failed(db, c, job, w->owner, res.code, res.message,
			    retryable(res.code));
		}
	}
	remux_result_release(&res);
out:
	kick_wake(db, c->run_dir, KICK_PUSHD);
	free(cov);
	free(final);
	free(tmp);
	segindex_free_range(segs, nsegs);
}
