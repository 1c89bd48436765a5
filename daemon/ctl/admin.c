/* archivectl init, user and token commands. */
#include "config.h"

#include <errno.h>
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

static int
init_run(struct ctl *ctl, struct db *unused, struct ctl_args *args)
{
	const struct conf *c = ctl->conf;
	const char *dirs[] = { c->data_dir, c->downloads_dir, c->run_dir };
	struct db *db;
	int ret = 1;

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
	if (ret == 0) {
		char *shown = db_shown(c->database);

		fprintf(stderr, "archivectl: database '%s' at schema version %d\n",
		    shown, DB_SCHEMA_VERSION);
		free(shown);
	}
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
user_add_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *login = ctl_str(args, "login"), *name = ctl_str(args, "name");
	char *password = NULL;
	int rc;
	int64_t id;

	if (login == NULL || login[0] == '\0' || strlen(login) > 255)
		return ctl_usage_error("user add: --login is required (1 to 255 characters)");
	if (ctl_has(args, "password-stdin") && (password = read_password()) == NULL)
		return ctl_usage_error("user add: --password-stdin: no password on stdin");
	rc = user_create(db, login, name, password, ctl_has(args, "admin"), &id);
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
	.opts = (const struct ctl_opt[]){
		{ .name = "login", .type = CTL_STRING },
		{ .name = "name", .type = CTL_STRING },
		{ .name = "admin" },
		{ .name = "password-stdin" },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = user_add_run,
};

static json_t *
user_row(struct db *db, struct db_stmt *st)
{
	return json_pack("{s:I, s:s, s:s, s:b, s:b}",
	    "id", (json_int_t)db_column_int64(st, 0),
	    "login", db_column_text(st, 1),
	    "name", db_column_text(st, 2),
	    "is_admin", db_column_int(st, 3),
	    "has_password", db_column_int(st, 4));
}

static void
user_line(json_t *o)
{
	const char *login, *name;
	json_int_t id;
	int admin;

	if (json_unpack(o, "{s:I, s:s, s:s, s:b}", "id", &id, "login", &login,
	    "name", &name, "is_admin", &admin) == 0)
		printf("%lld\t%s\t%s%s\n", (long long)id, login, name,
		    admin ? "\tadmin" : "");
}

static int
user_list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct db_stmt *st;

	if ((st = db_prepare(db, "SELECT id, login, name, is_admin,"
	    " password_hash IS NOT NULL FROM users ORDER BY id")) == NULL)
		return 1;
	return ctl_list(ctl, db, st, user_row, user_line);
}

const struct ctl_cmd ctl_cmd_user_list = {
	.name = "user list",
	.usage = "",
	.help = "list users",
	.needs_db = 1,
	.run = user_list_run,
};

static int
token_create_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *login = ctl_str(args, "user"), *name = ctl_str(args, "name");
	char token[TOKEN_MAX];
	int64_t expires_in = ctl_num(args, "expires-in"), uid, tid;
	int admin = ctl_has(args, "admin"), rc;

	if (name == NULL)
		name = "archivectl";
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
	.opts = (const struct ctl_opt[]){
		{ .name = "user", .type = CTL_STRING },
		{ .name = "admin" },
		{ .name = "name", .type = CTL_STRING },
		{ .name = "expires-in", .type = CTL_ID },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = token_create_run,
};

static json_t *
token_row(struct db *db, struct db_stmt *st)
{
	char created[TIME_LOCAL_LEN], expires[TIME_LOCAL_LEN] = "never";
	const char *state = "active";

	time_format_local(db_column_int64(st, 3), created);
	if (db_column_type(st, 4) != DB_NULL) {
		time_format_local(db_column_int64(st, 4), expires);
		if (db_column_int64(st, 4) <= now_us())
			state = "expired";
	}
	if (db_column_type(st, 5) != DB_NULL)
		state = "revoked";
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
	    "id", (json_int_t)db_column_int64(st, 0),
	    "user", db_column_text(st, 1), "name", db_column_text(st, 2),
	    "created", created, "expires", expires, "state", state);
}

static void
token_line(json_t *o)
{
	const char *user, *name, *created, *expires, *state;
	json_int_t id;

	if (json_unpack(o, "{s:I, s:s, s:s, s:s, s:s, s:s}", "id", &id,
	    "user", &user, "name", &name, "created", &created,
	    "expires", &expires, "state", &state) == 0)
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)id, user, name,
		    created, expires, state);
}

static int
token_list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *login = ctl_str(args, "user");
	struct db_stmt *st;

	st = db_prepare(db, "SELECT t.id, u.login, t.name, t.created_at, t.expires_at,"
	    " t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE CAST(?1 AS TEXT) IS NULL OR u.login=?1 ORDER BY t.id");
	if (st == NULL)
		return 1;
	if (login != NULL)
		db_bind_text(st, 1, login);
	return ctl_list(ctl, db, st, token_row, token_line);
}

const struct ctl_cmd ctl_cmd_token_list = {
	.name = "token list",
	.usage = "[--user LOGIN]",
	.help = "list tokens (never their secrets)",
	.opts = (const struct ctl_opt[]){
		{ .name = "user", .type = CTL_STRING },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = token_list_run,
};

static int
token_revoke_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	long long id;

	if (ctl_parse_id("token revoke: ID", args->argv[0], &id) == -1)
		return 2;
	if (token_revoke(db, id) == -1)
		return 1;
	if (db_changes(db) == 0)
		return ctl_fail("token revoke: ID: no active token %lld", id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_token_revoke = {
	.name = "token revoke",
	.usage = "ID",
	.help = "revoke a token at once",
	.args = { "ID", 1, 1 },
	.needs_db = 1,
	.run = token_revoke_run,
};
