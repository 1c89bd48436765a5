/*
 * archivectl segments import --watch: after the first pass, every file a
 * recorder writes in DIR or below is indexed as soon as it holds a whole
 * GOP (or fragment), its end moved on as it grows (at most once a second),
 * and indexed whole once it is closed (or renamed into place, or left
 * unchanged for a minute: a recorder that died). Passes take what arrives
 * together. New directories are watched as they appear (Frigate makes one
 * an hour).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "import.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/util.h"
#include "recordings/layout.h"
#include "lib/banned.h"

#define CMD		IMPORT_CMD
#define WATCH_SETTLE_MS	200	/* gather a burst of closes into one pass */
#define BATCH_MAX_MS	1000	/* ...but wait no longer while files grow */
#define GROW_EVERY_MS	1000	/* a growing file someone waits for: probed this often */
#define GROW_LAZY_MS	10000	/* ...and while nobody does (a probe costs ~5 ms:
				   a thousand cameras' importers at once a
				   second would take five cores) */
#define GROW_IDLE_MS	60000	/* unchanged this long and not closed: final */

/* A file being written: seen created or modified, not yet closed. */
struct open_file {
	char		*path, *shown;
	int64_t		 changed, probed, next;	/* monotonic ms */
	int		 dirty, said;
	int		 indexed;	/* the index has a row for it */
};

struct watch {
	int		 fd;
	struct {
		char	*path;
		char	*shown;		/* as the user named it */
	}		*dirs;		/* by watch descriptor */
	size_t		 ndirs;
	struct open_file *open;
	size_t		 nopen, capopen;
	int64_t		 last_event, first_pending;	/* monotonic ms */
};

static int64_t
now_ms(void)
{
	return mono_us() / 1000;
}

static struct open_file *
open_find(struct watch *w, const char *path)
{
	for (size_t i = 0; i < w->nopen; i++)
		if (strcmp(w->open[i].path, path) == 0)
			return &w->open[i];
	return NULL;
}

/* Written to: the file is open (again). */
static void
open_touch(struct watch *w, const char *path, const char *shown, int64_t now)
{
	struct open_file *o = open_find(w, path);

	if (o == NULL) {
		if (!layout_is_media_name(path))
			return;
		xgrow(&w->open, &w->capopen, w->nopen + 1, sizeof(*w->open));
		o = &w->open[w->nopen++];
		*o = (struct open_file){ xstrdup(path), xstrdup(shown), now, 0, now, 1, 0, 0 };
		return;
	}
	o->changed = now;
	o->dirty = 1;
}

static void
open_remove(struct watch *w, struct open_file *o)
{
	free(o->path);
	free(o->shown);
	*o = w->open[--w->nopen];
}

/* A pending download of the stream wants footage past the index's end. */
static int
footage_wanted(struct import *im)
{
	struct db_stmt *st = db_stmt(im->db, "SELECT EXISTS(SELECT 1 FROM downloads"
	    " WHERE condition='pending' AND stream_id=?1 AND to_us > coalesce("
	    "(SELECT max(end_us) FROM segments WHERE stream_id=?1), 0))");
	int wanted = 1;	/* when in doubt, keep the index close */

	if (st == NULL)
		return 1;
	db_bind_int64(st, 1, im->stream);
	if (db_step(st) == DB_ROW)
		wanted = db_column_int(st, 0) != 0;
	db_stmt_done(st);
	return wanted;
}

/* The index has a row for the file. */
static int
is_indexed(struct import *im, const char *path)
{
	char real[PATH_MAX];
	struct seg_row row = { 0 };
	int rc;

	if (realpath(path, real) == NULL)
		return 0;
	rc = segindex_lookup(im->db, real, &row);
	segindex_row_release(&row);
	return rc == 1;
}

/* The open files due a probe: a growing one at most every GROW_EVERY_MS
 * until it is indexed and while a download waits for its footage, else
 * every GROW_LAZY_MS; whole once idle for GROW_IDLE_MS. */
static void
open_tick(struct import *im, struct watch *w, int64_t now)
{
	int wanted = -1;	/* asked once, when a probe may be due */

	for (size_t i = 0; i < w->nopen;) {
		struct open_file *o = &w->open[i];
		struct import_file *f;

		if (now - o->changed >= GROW_IDLE_MS) {
			if ((f = import_add(im, o->path, o->shown)) != NULL)
				f->force = 1;
			open_remove(w, o);
			continue;
		}
		if (o->dirty && now >= o->next) {
			int often = o->probed == 0 || now - o->probed >= GROW_LAZY_MS;

			if (!often && !o->indexed)
				often = !(o->indexed = is_indexed(im, o->path));
			if (!often && wanted == -1)
				wanted = footage_wanted(im);
			o->next = now + GROW_EVERY_MS;
			if ((often || wanted) &&
			    (f = import_add(im, o->path, o->shown)) != NULL) {
				f->growing = f->force = 1;
				f->announce = !o->said;
				o->said = 1;
				o->probed = now;
				o->dirty = 0;
			}
		}
		i++;
	}
}

/* Poll's timeout: a pass to run, or growing files to probe again. */
static int
next_timeout(const struct import *im, const struct watch *w, int64_t now)
{
	int64_t t = -1;

	if (im->n > 0) {
		int64_t settle = w->last_event + WATCH_SETTLE_MS - now;
		int64_t max = w->first_pending + BATCH_MAX_MS - now;

		t = settle < max ? settle : max;
	}
	for (size_t i = 0; i < w->nopen; i++) {
		const struct open_file *o = &w->open[i];
		int64_t due = o->dirty ? o->next - now : o->changed + GROW_IDLE_MS - now;

		if (t < 0 || due < t)
			t = due;
	}
	if (t < 0 && (im->n > 0 || w->nopen > 0))
		t = 0;
	return t > INT_MAX ? INT_MAX : (int)t;
}

static int
watch_add(struct watch *w, const char *dir, const char *shown, int depth)
{
	DIR *d;
	struct dirent *de;
	int wd;

	if (depth > IMPORT_MAX_DEPTH)
		return 0;
	wd = inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
	    IN_MODIFY | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd == -1)
		return error("cannot watch '%s'", dir);
	if ((size_t)wd >= w->ndirs) {
		size_t old = w->ndirs;

		xgrow(&w->dirs, &w->ndirs, (size_t)wd + 1, sizeof(*w->dirs));
		memset(&w->dirs[old], 0, (w->ndirs - old) * sizeof(*w->dirs));
	}
	if (w->dirs[wd].path == NULL) {
		w->dirs[wd].path = xstrdup(dir);
		w->dirs[wd].shown = xstrdup(shown);
	}
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *p, *s;
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		p = path_join(dir, de->d_name);
		s = path_join(shown, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			watch_add(w, p, s, depth + 1);
		free(p);
		free(s);
	}
	closedir(d);
	return 0;
}

static void
watch_release(struct watch *w)
{
	for (size_t i = 0; i < w->ndirs; i++) {
		free(w->dirs[i].path);
		free(w->dirs[i].shown);
	}
	free(w->dirs);
	while (w->nopen > 0)
		open_remove(w, &w->open[0]);
	free(w->open);
	if (w->fd != -1)
		close(w->fd);
}

/* Read the pending events: closed or moved-in files become candidates,
 * files created or written to are open; a new directory is watched and
 * what it already holds is taken too. */
static void
watch_read(struct import *im, struct watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;
	int64_t now = now_ms();
	size_t before = im->n;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			char *path, *shown;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Events were lost: look at everything again; what
				 * the index knows is skipped. */
				import_walk(im, im->dir, im->dir, 0);
				continue;
			}
			if (ev->wd < 0 || (size_t)ev->wd >= w->ndirs ||
			    w->dirs[ev->wd].path == NULL || ev->len == 0 ||
			    ev->name[0] == '.')
				continue;
			path = path_join(w->dirs[ev->wd].path, ev->name);
			shown = path_join(w->dirs[ev->wd].shown, ev->name);
			if (ev->mask & IN_ISDIR) {
				if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
					watch_add(w, path, shown, 1);
					import_walk(im, path, shown, 1);
				}
			} else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
				struct open_file *o = open_find(w, path);
				struct import_file *f = import_add(im, path, shown);

				if (o != NULL) {
					/* indexed while growing: same size maybe,
					 * but whole now */
					if (f != NULL)
						f->force = 1;
					open_remove(w, o);
				}
			} else if (ev->mask & (IN_CREATE | IN_MODIFY))
				open_touch(w, path, shown, now);
			free(path);
			free(shown);
		}
	}
	w->last_event = now;
	if (before == 0 && im->n > 0)
		w->first_pending = now;
}

/* After the first pass: files written to lately may still be open. */
static void
open_recent(struct watch *w, const struct import *im, int64_t now)
{
	time_t wall = time(NULL);

	for (size_t i = 0; i < im->n; i++) {
		struct stat sb;

		if (stat(im->files[i].path, &sb) == 0 &&
		    wall - sb.st_mtime < GROW_IDLE_MS / 1000)
			open_touch(w, im->files[i].path, im->files[i].shown,
			    now - (int64_t)(wall - sb.st_mtime) * 1000);
	}
	for (size_t i = 0; i < w->nopen; i++) {
		w->open[i].dirty = 0;	/* probed by the first pass */
		w->open[i].said = 1;
		w->open[i].probed = now;
		w->open[i].next = now + GROW_EVERY_MS;
	}
}

int
import_watch(struct import *im)
{
	struct watch w = { .fd = -1 };
	struct pollfd pfd[2];
	sigset_t sigs;
	int ret = 0, stop = 0;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	pfd[0].fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	pfd[0].events = POLLIN;
	if ((w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 || pfd[0].fd == -1) {
		ret = ctl_fail("%s: --watch: cannot watch '%s': %s", CMD, im->dir,
		    strerror(errno));
		goto out;
	}
	pfd[1].fd = w.fd;
	pfd[1].events = POLLIN;
	/* Watch first, then scan: a file closed in between is seen twice,
	 * and the index knows it the second time. */
	if (watch_add(&w, im->dir, im->dir, 0) == -1) {
		ret = ctl_fail("%s: --watch: cannot watch '%s': %s", CMD, im->dir,
		    strerror(errno));
		goto out;
	}
	import_walk(im, im->dir, im->dir, 0);
	/* Files written to lately may be open: indexed up to their last
	 * whole GOP, and whole once closed (or idle). */
	open_recent(&w, im, now_ms());
	for (size_t i = 0; i < im->n; i++)
		if (open_find(&w, im->files[i].path) != NULL)
			im->files[i].growing = im->files[i].announce = 1;
	if ((ret = import_check_cameras(im)) != 0 || (ret = import_batch(im)) != 0)
		goto out;
	import_clear(im);
	import_summary(im);
	fprintf(stderr, "archivectl: %s: watching '%s' for new segments\n", CMD, im->dir);
	im->verbose = 1;
	while (!stop) {
		int64_t now = now_ms();
		int n = poll(pfd, 2, next_timeout(im, &w, now));

		if (n == -1 && errno != EINTR) {
			ret = ctl_fail("%s: --watch: poll: %s", CMD, strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			stop = 1;
		if (n > 0 && (pfd[1].revents & POLLIN))
			watch_read(im, &w);
		now = now_ms();
		if (im->n == 0)
			w.first_pending = now;
		open_tick(im, &w, now);
		/* A pass once the burst settles, or a second into one that
		 * does not (files being written never settle). */
		if (im->n > 0 && (now - w.last_event >= WATCH_SETTLE_MS ||
		    now - w.first_pending >= BATCH_MAX_MS)) {
			if ((ret = import_batch(im)) != 0)
				break;
			import_clear(im);
		}
	}
	if (stop)
		fprintf(stderr, "archivectl: %s: stopped watching '%s'\n", CMD, im->dir);
out:
	watch_release(&w);
	if (pfd[0].fd != -1)
		close(pfd[0].fd);
	return ret;
}

