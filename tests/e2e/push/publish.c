/*
 * publish: the worker's last step, for end-to-end tests of archive-pushd
 * before (and independently of) the real worker. One transaction changes
 * the download's row and writes its event with the real event_insert(),
 * then kick_wake() wakes pushd, as archived does.
 *
 *   publish [--config FILE] ID active FILE [--expires-in S] [--no-kick]
 *   publish [--config FILE] ID progress PERCENT [--no-kick]
 *   publish [--config FILE] ID failed [--no-kick]
 *
 * Prints the event id.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/events.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static int
bind_run(struct db *db, const char *sql, const int64_t *v, size_t n, const char *text)
{
	struct db_stmt *st = db_prepare(db, sql);
	int ret;

	if (st == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		db_bind_int64(st, (int)i + 1, v[i]);
	if (text != NULL)
		db_bind_text(st, (int)n + 1, text);
	ret = db_step_done(st);
	if (ret == 0 && db_changes(db) != 1)
		ret = error("no download with that id");
	db_finalize(st);
	return ret;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "expires-in", required_argument, NULL, 'e' },
		{ "no-kick", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *what;
	struct conf *c;
	struct db *db;
	int64_t id, now = now_us(), ttl = -1, ev = -1, arg = 0;
	char err[512];
	int ch, kick = 1, ok = 1, ret = 1;

	log_init("publish", 0);
	while ((ch = getopt_long(argc, argv, "c:e:k", opts, NULL)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch == 'e' && parse_i64(optarg, &ttl) == 0 && ttl >= 0)
			;
		else if (ch == 'k')
			kick = 0;
		else
			fatalx("usage: publish [--config F] ID active FILE|progress N|failed");
	}
	if (argc - optind < 2 || parse_i64(argv[optind], &id) == -1)
		fatalx("usage: publish [--config F] ID active FILE|progress N|failed");
	what = argv[optind + 1];
	if ((c = conf_load(conf_default_path(config), 1, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	conf_apply_timezone(c);
	if ((db = db_open_checked(c)) == NULL || db_load_secrets(db, c) == -1)
		fatalx("cannot open the database");
	if (db_begin(db) == -1)
		fatalx("cannot begin");

	if (strcmp(what, "active") == 0 && argc - optind == 3) {
		char *full = path_join(c->downloads_dir, argv[optind + 2]);
		struct stat sb;

		if (stat(full, &sb) == -1)
			fatal("%s", full);
		free(full);
		int64_t v[] = { sb.st_size, now, now + (ttl >= 0 ? ttl : c->download_ttl) * 1000000, id };
		if (bind_run(db, "UPDATE downloads SET condition='active', is_file_exists=1,"
		    " progress=100, size=?1, duration_us=10000000, updated_at=?2,"
		    " expires_at=?3, lease_owner=NULL, lease_until=NULL,"
		    " coverage='[[' || from_us || ',' || to_us || ']]', path=?5"
		    " WHERE id=?4", v, nitems(v), argv[optind + 2]) == 0)
			ev = event_insert(db, c, id, EV_GENERATED, 1);
	} else if (strcmp(what, "progress") == 0 && argc - optind == 3 &&
	    parse_i64(argv[optind + 2], &arg) == 0) {
		int64_t v[] = { arg, now, id };

		if (bind_run(db, "UPDATE downloads SET condition='processing',"
		    " progress=?1, updated_at=?2 WHERE id=?3", v, nitems(v), NULL) == 0)
			ev = event_insert(db, c, id, EV_PROGRESS, 1);
	} else if (strcmp(what, "failed") == 0 && argc - optind == 2) {
		int64_t v[] = { now, id };

		ok = 0;
		if (bind_run(db, "UPDATE downloads SET condition='failed', is_actual=0,"
		    " error_code='no_footage', error_message='No recording in the range.',"
		    " updated_at=?1, stopped_at=?1 WHERE id=?2", v, nitems(v), NULL) == 0)
			ev = event_insert(db, c, id, EV_GENERATED, ok);
	} else
		fatalx("usage: publish [--config F] ID active FILE|progress N|failed");

	if (ev > 0 && db_commit(db) == 0) {
		printf("%lld\n", (long long)ev);
		if (kick)
			kick_wake(db, c->run_dir, KICK_PUSHD);
		ret = 0;
	} else
		db_rollback(db);
	db_close(db);
	conf_free(c);
	return ret;
}
