/*
 * archivectl segments import --watch: after the first pass, every file a
 * recorder finishes in DIR or below (closed after writing, or renamed into
 * place) is indexed, in passes of what arrives together. New directories
 * are watched as they appear (Frigate makes one an hour).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "import.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define CMD		IMPORT_CMD
#define WATCH_SETTLE_MS	200	/* gather a burst of closes into one pass */

struct watch {
	int		 fd;
	struct {
		char	*path;
		char	*shown;		/* as the user named it */
	}		*dirs;		/* by watch descriptor */
	size_t		 ndirs;
};

static int
watch_add(struct watch *w, const char *dir, const char *shown, int depth)
{
	DIR *d;
	struct dirent *de;
	int wd;

	if (depth > IMPORT_MAX_DEPTH)
		return 0;
	wd = inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
	    IN_ONLYDIR | IN_DONT_FOLLOW);
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
	if (w->fd != -1)
		close(w->fd);
}

/* Read the pending events: closed or moved-in files become candidates; a
 * new directory is watched and what it already holds is taken too. */
static void
watch_read(struct import *im, struct watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

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
			} else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
				import_add(im, path, shown);
			free(path);
			free(shown);
		}
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
	if ((ret = import_check_cameras(im)) != 0 || (ret = import_batch(im)) != 0)
		goto out;
	import_clear(im);
	import_summary(im);
	fprintf(stderr, "archivectl: %s: watching '%s' for new segments\n", CMD, im->dir);
	im->verbose = 1;
	while (!stop) {
		int n = poll(pfd, 2, im->n > 0 ? WATCH_SETTLE_MS : -1);

		if (n == -1 && errno != EINTR) {
			ret = ctl_fail("%s: --watch: poll: %s", CMD, strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			stop = 1;
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			watch_read(im, &w);
			continue;	/* wait for the burst to settle */
		}
		if (im->n > 0) {
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

