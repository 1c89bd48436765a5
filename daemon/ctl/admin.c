/* archivectl init, user, token, camera and stream commands. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "lib/auth.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/model.h"
#include "lib/timefmt.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "lib/banned.h"

int
ctl_next_opt(const struct ctl_cmd *cmd, int argc, char **argv,
    const struct option *opts, int *help)
{
	int ch;

	opterr = 0;	/* one line of our own instead of getopt's */
	ch = getopt_long(argc, argv, cmd->shortopts ? cmd->shortopts : "", opts, NULL);
	if (ch == 'h') {
		printf("usage: archivectl %s %s\n  %s\n", cmd->name, cmd->usage, cmd->help);
		*help = 1;
		return -1;
	}
	if (ch == '?' || ch == ':') {
		ctl_usage_error("%s: %s '%s'; usage: archivectl %s %s", cmd->name,
		    ch == ':' ? "missing value for" : "unknown option",
		    argv[optind - 1], cmd->name, cmd->usage);
		*help = 2;
		return -1;
	}
	return ch;
}

int
ctl_opts_done(const struct ctl_cmd *cmd, int help, int argc, char **argv)
{
	if (help == 1)
		return 0 + 256;
	if (help == 2)
		return 2;
	if (optind != argc)
		return ctl_usage_error("%s: unexpected argument '%s'", cmd->name,
		    argv[optind]);
	return 0;
}


static int
init_run(struct ctl *ctl, sqlite3 *unused, int argc, char **argv)
{
	static const struct option opts[] = { OPT_HELP, OPT_END };
	const struct conf *c = ctl->conf;
	const char *dirs[] = { c->data_dir, c->downloads_dir, c->run_dir };
	sqlite3 *db;
	int help = 0, ch, ret = 1;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_init, argc, argv, opts, &help)) != -1)
		;
	PARSE_END(ctl_cmd_init);
	/* Group members (the web server's user) may write the database. */
	umask(007);
	for (size_t i = 0; i < nitems(dirs); i++)
		if (mkdir_p(dirs[i], 02770) == -1)
			return ctl_fail("cannot create directory '%s': %s", dirs[i],
			    strerror(errno));
	if ((db = db_open(c->database, 1)) == NULL)
		return 1;
	if (db_migrate(db) == 0 && db_begin(db) == 0) {
		if (db_init_secrets(db) == 0 && db_commit(db) == 0)
			ret = 0;
		else
			db_rollback(db);
	}
	if (ret == 0)
		fprintf(stderr, "archivectl: database '%s' at schema version %d\n",
		    c->database, DB_SCHEMA_VERSION);
	db_close(db);
	return ret;
}

const struct ctl_cmd ctl_cmd_init = {
	.name = "init",
	.usage = "",
	.help = "create or upgrade the data directory and the database",
	.needs_db = 0,
	.run = init_run,
};

/* Read one line (the password) from stdin, without its newline. */
static char *
read_password(void)
{
	char line[1025];
	size_t n;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return n == 0 ? NULL : xstrdup(line);
}

static int
user_add_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "login", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'N' },
		{ "admin", no_argument, NULL, 'a' },
		{ "password-stdin", no_argument, NULL, 'p' },
		OPT_HELP, OPT_END,
	};
	const char *login = NULL, *name = NULL;
	char *password = NULL;
	int help = 0, ch, admin = 0, pw = 0, rc;
	int64_t id;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_user_add, argc, argv, opts, &help)) != -1) {
		if (ch == 'l')
			login = optarg;
		else if (ch == 'N')
			name = optarg;
		else if (ch == 'a')
			admin = 1;
		else if (ch == 'p')
			pw = 1;
	}
	PARSE_END(ctl_cmd_user_add);
	if (login == NULL || login[0] == '\0' || strlen(login) > 255)
		return ctl_usage_error("user add: --login is required (1 to 255 characters)");
	if (pw && (password = read_password()) == NULL)
		return ctl_usage_error("user add: --password-stdin: no password on stdin");
	rc = user_create(db, login, name, password, admin, &id);
	free(password);
	if (rc == 1)
		return ctl_fail("user add: --login: user '%s' already exists (id %lld)",
		    login, (long long)id);
	if (rc == -1)
		return ctl_fail("user add: cannot create user '%s'", login);
	printf("%lld\n", (long long)id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_user_add = {
	.name = "user add",
	.usage = "--login LOGIN [--name NAME] [--admin] [--password-stdin]",
	.help = "create a user; prints its id",
	.needs_db = 1,
	.run = user_add_run,
};

static int
user_list_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = { OPT_HELP, OPT_END };
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int help = 0;

	optind = 0;
	while (ctl_next_opt(&ctl_cmd_user_list, argc, argv, opts, &help) != -1)
		;
	PARSE_END(ctl_cmd_user_list);
	if ((st = db_prepare(db, "SELECT id, login, name, is_admin,"
	    " password_hash IS NOT NULL FROM users ORDER BY id")) == NULL)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (ctl->json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:b, s:b}",
			    "id", (json_int_t)sqlite3_column_int64(st, 0),
			    "login", sqlite3_column_text(st, 1),
			    "name", sqlite3_column_text(st, 2),
			    "is_admin", sqlite3_column_int(st, 3),
			    "has_password", sqlite3_column_int(st, 4)));
		else
			printf("%lld\t%s\t%s%s\n", (long long)sqlite3_column_int64(st, 0),
			    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			    sqlite3_column_int(st, 3) ? "\tadmin" : "");
	}
	sqlite3_finalize(st);
	if (ctl->json)
		json_dumpf(arr, stdout, JSON_INDENT(2)), printf("\n");
	json_decref(arr);
	return 0;
}

const struct ctl_cmd ctl_cmd_user_list = {
	.name = "user list",
	.usage = "",
	.help = "list users",
	.needs_db = 1,
	.run = user_list_run,
};

static int
token_create_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "admin", no_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'N' },
		{ "expires-in", required_argument, NULL, 'e' },
		OPT_HELP, OPT_END,
	};
	const char *login = NULL, *name = "archivectl";
	char token[TOKEN_MAX];
	long long expires_in = 0;
	int64_t uid, tid;
	int help = 0, ch, admin = 0, rc;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_token_create, argc, argv, opts, &help)) != -1) {
		if (ch == 'u')
			login = optarg;
		else if (ch == 'a')
			admin = 1;
		else if (ch == 'N')
			name = optarg;
		else if (ch == 'e' && ctl_parse_id("token create: --expires-in", optarg, &expires_in) == -1)
			return 2;
	}
	PARSE_END(ctl_cmd_token_create);
	if (login == NULL || login[0] == '\0' || strlen(login) > 255)
		return ctl_usage_error("token create: --user is required (1 to 255 characters)");
	if (db_begin(db) == -1)
		return 1;
	rc = user_create(db, login, NULL, NULL, admin, &uid);
	if (rc == -1 || (rc == 1 && admin && user_set_admin(db, uid, 1) == -1) ||
	    token_create(db, uid, expires_in ? now_us() + expires_in * USEC_PER_SEC : 0,
	    name, token, &tid) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return ctl_fail("token create: cannot create a token for '%s'", login);
	}
	printf("%s\n", token);
	explicit_bzero(token, sizeof(token));
	return 0;
}

const struct ctl_cmd ctl_cmd_token_create = {
	.name = "token create",
	.usage = "--user LOGIN [--admin] [--name NAME] [--expires-in SECONDS]",
	.help = "make an API token (creating the user if new); prints \"<id>|<secret>\"",
	.needs_db = 1,
	.run = token_create_run,
};

static int
token_list_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' }, OPT_HELP, OPT_END,
	};
	const char *login = NULL;
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int help = 0, ch;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_token_list, argc, argv, opts, &help)) != -1)
		if (ch == 'u')
			login = optarg;
	PARSE_END(ctl_cmd_token_list);
	st = db_prepare(db, "SELECT t.id, u.login, t.name, t.created_at, t.expires_at,"
	    " t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE ?1 IS NULL OR u.login=?1 ORDER BY t.id");
	if (st == NULL)
		return 1;
	if (login != NULL)
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char created[TIME_LOCAL_LEN], expires[TIME_LOCAL_LEN] = "never";
		const char *state = "active";

		time_format_local(sqlite3_column_int64(st, 3), created);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			time_format_local(sqlite3_column_int64(st, 4), expires);
			if (sqlite3_column_int64(st, 4) <= now_us())
				state = "expired";
		}
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			state = "revoked";
		if (ctl->json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
			    "id", (json_int_t)sqlite3_column_int64(st, 0),
			    "user", sqlite3_column_text(st, 1), "name", sqlite3_column_text(st, 2),
			    "created", created, "expires", expires, "state", state));
		else
			printf("%lld\t%s\t%s\t%s\t%s\t%s\n",
			    (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
			    sqlite3_column_text(st, 2), created, expires, state);
	}
	sqlite3_finalize(st);
	if (ctl->json)
		json_dumpf(arr, stdout, JSON_INDENT(2)), printf("\n");
	json_decref(arr);
	return 0;
}

const struct ctl_cmd ctl_cmd_token_list = {
	.name = "token list",
	.usage = "[--user LOGIN]",
	.help = "list tokens (never their secrets)",
	.needs_db = 1,
	.run = token_list_run,
};

static int
token_revoke_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = { OPT_HELP, OPT_END };
	long long id;
	int help = 0;

	optind = 0;
	while (ctl_next_opt(&ctl_cmd_token_revoke, argc, argv, opts, &help) != -1)
		;
	if (help == 1)
		return 0;
	if (help == 2)
		return 2;
	if (optind + 1 != argc)
		return ctl_usage_error("token revoke: ID is required; usage: archivectl token revoke ID");
	if (ctl_parse_id("token revoke: ID", argv[optind], &id) == -1)
		return 2;
	if (token_revoke(db, id) == -1)
		return 1;
	if (sqlite3_changes(db) == 0)
		return ctl_fail("token revoke: ID: no active token %lld", id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_token_revoke = {
	.name = "token revoke",
	.usage = "ID",
	.help = "revoke a token at once",
	.needs_db = 1,
	.run = token_revoke_run,
};
