/*
 * pushbench: writes archive events as the worker does (the row's event in
 * a committed transaction, then a kick unless --no-kick) at a steady pace,
 * printing "<event id> <CLOCK_MONOTONIC ns at commit>" per event, so that
 * a client's receive times can be joined to them. Progress events, which
 * go to the user's channel; with --generated, archive_generated, which
 * goes to the token's.
 *
 *   pushbench --config FILE --download ID [--count N] [--interval-ms M]
 *       [--no-kick] [--generated]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/events.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static long long
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "download", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "no-kick", no_argument, NULL, 'k' },
		{ "generated", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int64_t id = 0, count = 1, interval = 20;
	struct conf *c;
	struct db *db;
	char err[512];
	const char *type = EV_PROGRESS;
	int ch, kick = 1;

	log_init("pushbench", 0);
	while ((ch = getopt_long(argc, argv, "c:d:n:i:kg", opts, NULL)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch == 'd' && parse_i64(optarg, &id) == 0)
			;
		else if (ch == 'n' && parse_i64(optarg, &count) == 0)
			;
		else if (ch == 'i' && parse_i64(optarg, &interval) == 0)
			;
		else if (ch == 'k')
			kick = 0;
		else if (ch == 'g')
			type = EV_GENERATED;
		else
			fatalx("usage: pushbench --config F --download ID [--count N]"
			    " [--interval-ms M] [--no-kick] [--generated]");
	}
	if ((c = conf_load(conf_default_path(config), 1, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	conf_apply_timezone(c);
	if ((db = db_open_checked(c)) == NULL || db_load_secrets(db, c) == -1)
		fatalx("cannot open the database");
	for (int64_t i = 0; i < count; i++) {
		struct timespec pause = { (time_t)(interval / 1000),
		    (long)(interval % 1000) * 1000000L };
		int64_t ev;
		long long t;

		if (db_begin(db) == -1)
			fatalx("cannot begin");
		if ((ev = event_insert(db, c, id, type, 1)) == -1 ||
		    db_commit(db) == -1)
			fatalx("cannot write event");
		t = mono_ns();
		if (kick)
			kick_wake(db, c->run_dir, KICK_PUSHD);
		printf("%lld %lld\n", (long long)ev, t);
		fflush(stdout);
		nanosleep(&pause, NULL);
	}
	db_close(db);
	conf_free(c);
	return 0;
}
