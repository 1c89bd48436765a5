/* archivectl cleanup: one expiry sweep, for hosts that run it from cron. */
#include "config.h"

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
cleanup_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct expiry_stats st = { 0 };
	int verbose = ctl_has(args, "verbose"), ret;

	/* Quiet for cron, which mails any output: failures only, unless
	 * --verbose. */
	if (!verbose && log_get_level() > LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);
	ret = expiry_sweep(db, ctl->conf, now_us(), &st);
	/* A running pushd delivers the archive_expired events now rather
	 * than at its next poll. */
	if (st.expired > 0)
		kick_wake(db, ctl->conf->run_dir, KICK_PUSHD);
	if (ctl->json)
		ctl_json_print(json_pack("{s:i, s:i, s:i, s:i, s:i}", "expired",
		    st.expired, "repaired", st.repaired, "orphans", st.orphans,
		    "events", st.events, "errors", st.errors), JSON_COMPACT);
	else if (verbose)
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
	.opts = (const struct ctl_opt[]){
		{ .name = "verbose" },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = cleanup_run,
};
