/*
 * archivectl export: the worker's remux of one range, in the terminal.
 * The same segments (segindex_load_range is the worker's query) go to the
 * same engine, so the file is the one a download of that range gets. It
 * is written under a temporary name beside FILE, fsynced and renamed: FILE
 * is never half-written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "lib/conf.h"
#include "segments.h"
#include "media/remux.h"
#include "recordings/segindex.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/banned.h"

#define CMD		"export"
#define BAR_WIDTH	30

static volatile sig_atomic_t interrupted;

struct progress {
	int	 tty;
	int	 quiet;
	int	 last;		/* percent last shown */
	int	 drawn;		/* a bar is on the line */
};

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
export_cancelled(void *arg)
{
	(void)arg;
	return interrupted;
}

/* A bar redrawn in place on a terminal; a line every 10% otherwise. */
static int
export_progress(void *arg, int64_t done, int64_t total)
{
	struct progress *p = arg;
	int pct = total > 0 ? (int)(done * 100 / total) : 0;

	if (pct > 100)
		pct = 100;
	if (p->quiet || pct == p->last)
		return interrupted;
	if (p->tty) {
		int fill = pct * BAR_WIDTH / 100;

		fprintf(stderr, "\r[%.*s%*s] %3d%%  %.1f/%.1f MB", fill,
		    "##############################", BAR_WIDTH - fill, "", pct,
		    done / 1e6, total / 1e6);
		p->drawn = 1;
	} else if (pct / 10 > p->last / 10 || p->last < 0)
		fprintf(stderr, "archivectl: %s: %d%% (%.1f of %.1f MB)\n", CMD, pct,
		    done / 1e6, total / 1e6);
	else
		return interrupted;
	p->last = pct;
	return interrupted;
}

static void
progress_end(struct progress *p)
{
	if (p->drawn)
		fprintf(stderr, "\n");
	p->drawn = 0;
}

/* "<dir>/.<name>.XXXXXX" beside out, created empty with the mode a new
 * file would get. Caller frees; NULL with errno set. */
static char *
make_temp(const char *out)
{
	const char *slash = strrchr(out, '/');
	struct buf b;
	mode_t um;
	int fd;

	buf_init(&b);
	if (slash != NULL)
		buf_printf(&b, "%.*s/.%s.XXXXXX", (int)(slash - out), out, slash + 1);
	else
		buf_printf(&b, ".%s.XXXXXX", out);
	if ((fd = mkstemp(b.data)) == -1) {
		buf_release(&b);
		return NULL;
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	close(fd);
	return buf_detach(&b);
}

/* fsync tmp, rename it to out, fsync the directory. */
static int
publish(const char *tmp, const char *out)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, out) == -1)
		return -1;
	return fsync_parent(out);
}

static void
print_result(struct ctl *ctl, const char *out, int64_t stream,
    const struct remux_result *res)
{
	char f[24], t[24];

	if (ctl->json) {
		json_t *cov = json_array();

		for (size_t i = 0; i < res->ncoverage; i++) {
			ctl_format_time(res->coverage[i][0], f);
			ctl_format_time(res->coverage[i][1], t);
			json_array_append_new(cov, json_pack("{s:s, s:s, s:I, s:I}",
			    "from", f, "to", t, "from_us", (json_int_t)res->coverage[i][0],
			    "to_us", (json_int_t)res->coverage[i][1]));
		}
		ctl_json_print(json_pack("{s:s, s:I, s:I, s:f, s:o, s:s?, s:s?}",
		    "file", out, "stream_id", (json_int_t)stream,
		    "size", (json_int_t)res->size, "duration", res->duration_us / 1e6,
		    "coverage", cov, "warning", res->code[0] ? res->code : NULL,
		    "message", res->code[0] ? res->message : NULL), JSON_COMPACT);
	}
	fprintf(stderr, "archivectl: %s: wrote '%s': %.3f s of video, %lld bytes,"
	    " %zu recorded piece%s\n", CMD, out, res->duration_us / 1e6,
	    (long long)res->size, res->ncoverage, res->ncoverage == 1 ? "" : "s");
	if (res->code[0] != '\0')
		fprintf(stderr, "archivectl: %s: warning: %s: %s\n", CMD, res->code,
		    res->message);
}

static int
export_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct progress prog = { .last = -1, .quiet = ctl_has(args, "quiet") };
	struct remux_job job = { 0 };
	struct remux_result res;
	struct remux_segment *segs = NULL;
	struct sigaction sa, old_int, old_term;
	const char *out = ctl_str(args, "output");
	char *tmp = NULL, f[TIME_LOCAL_LEN], t[TIME_LOCAL_LEN];
	long long stream = ctl_num(args, "stream");
	int64_t from = ctl_num(args, "from"), to = ctl_num(args, "to");
	size_t nsegs = 0;
	int rc, ret = 1;
	struct stat sb;

	if (!ctl_has(args, "from") || !ctl_has(args, "to"))
		return ctl_usage_error("%s: --from and --to are required", CMD);
	if (to <= from)
		return ctl_usage_error("%s: --to must be after --from", CMD);
	if (out == NULL || out[0] == '\0')
		return ctl_usage_error("%s: -o FILE is required", CMD);
	if (out[strlen(out) - 1] == '/' || (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)))
		return ctl_usage_error("%s: -o: '%s' is not a file name", CMD, out);
	if (ctl_stream_check(db, CMD, stream) != 0)
		return 1;
	if ((segs = segindex_load_range(db, stream, from, to, &nsegs)) == NULL)
		return ctl_fail("%s: cannot read the segments of stream %lld", CMD, stream);
	if ((tmp = make_temp(out)) == NULL) {
		segindex_free_range(segs, nsegs);
		return ctl_fail("%s: -o: cannot create a file beside '%s': %s", CMD, out,
		    strerror(errno));
	}
	prog.tty = isatty(STDERR_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	job.segs = segs;
	job.nsegs = nsegs;
	job.from_us = from;
	job.to_us = to;
	job.out_path = tmp;
	job.tmp_dir = NULL;	/* spill beside the output */
	job.progress = export_progress;
	job.cancelled = export_cancelled;
	job.arg = &prog;
	rc = remux_run(&job, &res);
	progress_end(&prog);
	time_format_local(from, f);
	time_format_local(to, t);
	if (rc == 0 && interrupted)
		snprintf(res.code, sizeof(res.code), "%s", REMUX_CANCELLED);
	if (rc == 0 && !interrupted && publish(tmp, out) == 0) {
		print_result(ctl, out, stream, &res);
		ret = 0;
	} else if (rc == 0 && !interrupted)
		ret = ctl_fail("%s: -o: cannot write '%s': %s", CMD, out, strerror(errno));
	else if (strcmp(res.code, REMUX_NO_FOOTAGE) == 0)
		ret = ctl_fail("%s: no_footage: stream %lld has no readable recording"
		    " between %s and %s", CMD, stream, f, t);
	else if (strcmp(res.code, REMUX_CANCELLED) == 0)
		ret = ctl_fail("%s: interrupted; '%s' was not written", CMD, out);
	else
		ret = ctl_fail("%s: %s: %s", CMD, res.code, res.message);
	if (ret != 0)
		unlink(tmp);
	remux_result_release(&res);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(tmp);
	segindex_free_range(segs, nsegs);
	return ret;
}

const struct ctl_cmd ctl_cmd_export = {
	.name = "export",
	.usage = "--stream ID --from T --to T -o|--output FILE [--quiet]",
	.help = "remux a range into FILE as the worker would, with progress",
	.opts = (const struct ctl_opt[]){
		{ .name = "stream", .type = CTL_ID, .required = 1 },
		{ .name = "from", .type = CTL_TIME },
		{ .name = "to", .type = CTL_TIME },
		{ .name = "output", .ch = 'o', .type = CTL_STRING },
		{ .name = "quiet" },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = export_run,
};
