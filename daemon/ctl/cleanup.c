/* archivectl cleanup: one expiry sweep, for hosts that run it from cron. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "ctl.h"
#include "lib/conf.h"
#include "lib/expiry.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static int
cleanup_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		OPT_HELP, OPT_END,
	};
	struct expiry_stats st = { 0 };
	int help = 0, ch, verbose = 0, ret;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_cleanup, argc, argv, opts, &help)) != -1)
		if (ch == 'v')
			verbose = 1;
	PARSE_END(ctl_cmd_cleanup);
	/* Quiet for cron, which mails any output: only failures unless -v. */
	if (!verbose && log_get_level() > LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);
	ret = expiry_sweep(db, ctl->conf, now_us(), &st);
	/* A running pushd delivers the archive_expired events now rather
	 * than at its next poll. */
	if (st.expired > 0)
		(void)kick_send(ctl->conf->run_dir, KICK_PUSHD);
	if (ctl->json) {
		json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:i}", "expired",
		    st.expired, "repaired", st.repaired, "orphans", st.orphans,
		    "events", st.events, "errors", st.errors);

		json_dumpf(o, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(o);
	} else if (verbose)
		fprintf(stderr, "archivectl: cleanup: %d expired, %d repaired,"
		    " %d orphan files, %d old events, %d errors\n", st.expired,
		    st.repaired, st.orphans, st.events, st.errors);
	if (ret == -1 || st.errors > 0)
		return ctl_fail("cleanup: some steps failed (see above); the next"
		    " run retries them");
	return 0;
}

const struct ctl_cmd ctl_cmd_cleanup = {
	.name = "cleanup",
	.usage = "[--verbose]",
	.help = "expire archives past their time, finish interrupted removals,"
	    " delete orphan files and old events",
	.needs_db = 1,
	.run = cleanup_run,
};
