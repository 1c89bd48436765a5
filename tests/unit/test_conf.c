/* conf_load: defaults, every key, and errors that name the key and line. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "unit.h"
#include "lib/banned.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static char dir[PATH_MAX];

static void
setup(void)
{
	unit_tmpdir(dir, sizeof(dir));
	unsetenv("ARCHIVED_CONFIG");
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

/* Load text as a config file; NULL with the message in err on failure. */
static struct conf *
load_text(const char *text, char *path, size_t pathlen, char *err, size_t errlen)
{
	unit_write(dir, "archived.conf", text, path, pathlen);
	err[0] = '\0';
	return conf_load(path, 1, err, errlen);
}

START_TEST(test_defaults)
{
	char err[512] = "";
	struct conf *c = conf_load(NULL, 0, err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->path);
	ck_assert_str_eq(c->data_dir, LOCALSTATEDIR "/lib/archived");
	ck_assert_str_eq(c->database, LOCALSTATEDIR "/lib/archived/archived.db");
	ck_assert_str_eq(c->downloads_dir, LOCALSTATEDIR "/lib/archived/downloads");
	ck_assert_str_eq(c->run_dir, LOCALSTATEDIR "/lib/archived/run");
	ck_assert_str_eq(c->timezone, "UTC");
	ck_assert_str_eq(c->public_url, "http://localhost");
	ck_assert_ptr_null(c->licence_file);
	ck_assert_ptr_null(c->url_key);
	ck_assert_str_eq(c->sendfile, "x-sendfile");
	ck_assert_str_eq(c->sendfile_prefix, "/internal-downloads/");
	ck_assert_str_eq(c->log_level, "info");
	ck_assert_int_eq(c->download_ttl, 10800);
	ck_assert_int_eq(c->max_range, 86400);
	ck_assert_int_eq(c->token_ttl, 86400);
	ck_assert_int_eq(c->max_pending, 10);
	ck_assert_int_eq(c->workers, 2);
	ck_assert_int_eq(c->max_attempts, 3);
	ck_assert_int_eq(c->poll_interval_ms, 1000);
	ck_assert_int_eq(c->lease_seconds, 30);
	ck_assert_int_eq(c->shutdown_grace, 10);
	ck_assert_int_eq(c->login_failures, 5);
	ck_assert_int_eq(c->wsurl_limit, 20);
	ck_assert_str_eq(c->pusher.app_id, "archived");
	ck_assert_ptr_null(c->pusher.key);
	ck_assert_ptr_null(c->pusher.secret);
	ck_assert_str_eq(c->pusher.listen, "127.0.0.1:6001");
	ck_assert_str_eq(c->pusher.path, "/ws");
	ck_assert_uint_eq(c->pusher.n_origins, 1);
	ck_assert_str_eq(c->pusher.allowed_origins[0], "*");
	ck_assert_int_eq(c->pusher.event_retention, 86400);
	ck_assert_int_eq(c->pusher.activity_timeout, 120);
	ck_assert_int_eq(c->pusher.max_connections_per_user, 100);
	ck_assert_int_eq(c->pusher.max_frame, 65536);
	ck_assert(conf_origin_allowed(c, "https://anything.example"));
	conf_free(c);
}
END_TEST

/* A missing file is the defaults unless it was asked for by name. */
START_TEST(test_must_exist)
{
	char path[PATH_MAX + 32], err[512] = "";
	struct conf *c;

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	c = conf_load(path, 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(c->path);
	ck_assert_int_eq(c->workers, 2);
	conf_free(c);

	c = conf_load(path, 1, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
	ck_assert_msg(strstr(err, "cannot read config file") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
}
END_TEST

START_TEST(test_default_path)
{
	ck_assert_str_eq(conf_default_path("/x/given.conf"), "/x/given.conf");
	ck_assert_str_eq(conf_default_path(NULL), SYSCONFDIR "/archived/archived.conf");
	setenv("ARCHIVED_CONFIG", "/x/env.conf", 1);
	ck_assert_str_eq(conf_default_path(NULL), "/x/env.conf");
	ck_assert_str_eq(conf_default_path("/x/given.conf"), "/x/given.conf");
	setenv("ARCHIVED_CONFIG", "", 1);
	ck_assert_str_eq(conf_default_path(NULL), SYSCONFDIR "/archived/archived.conf");
}
END_TEST

START_TEST(test_every_key)
{
	static const char text[] =
	    "data_dir = \"/srv/archive/\";\n"
	    "database = \"db/main.db\";\n"
	    "downloads_dir = \"/var/cache/dl\";\n"
	    "run_dir = \"sockets\";\n"
	    "timezone = \"Europe/Berlin\";\n"
	    "public_url = \"https://vms.example.test/base//\";\n"
	    "license_file = \"licence.conf\";\n"
	    "url_key = \"0123456789abcdefXYZ\";\n"
	    "sendfile = \"x-accel-redirect\";\n"
	    "sendfile_prefix = \"/protected/\";\n"
	    "log_level = \"debug\";\n"
	    "download_ttl = 3600;\n"
	    "max_range = 7200L;\n"
	    "token_ttl = 600;\n"
	    "max_pending = 3;\n"
	    "workers = 4;\n"
	    "max_attempts = 5;\n"
	    "poll_interval_ms = 250;\n"
	    "lease_seconds = 12;\n"
	    "shutdown_grace = 0;\n"
	    "login_failures = 7;\n"
	    "wsurl_limit = 40;\n"
	    "pusher = {\n"
	    "  app_id = \"app-1\";\n"
	    "  key = \"pk-123\";\n"
	    "  secret = \"0123456789abcdef-secret\";\n"
	    "  listen = \"0.0.0.0:7001\";\n"
	    "  path = \"/push\";\n"
	    "  allowed_origins = [ \"https://a.example\", \"https://B.example\" ];\n"
	    "  event_retention = 120;\n"
	    "  activity_timeout = 30;\n"
	    "  max_connections_per_user = 8;\n"
	    "  max_frame = 4096;\n"
	    "};\n";
	char path[PATH_MAX + 32], err[512];
	struct conf *c = load_text(text, path, sizeof(path), err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->path, path);
	ck_assert_str_eq(c->data_dir, "/srv/archive/");
	/* Relative paths live under data_dir; absolute ones stay. */
	ck_assert_str_eq(c->database, "/srv/archive/db/main.db");
	ck_assert_str_eq(c->downloads_dir, "/var/cache/dl");
	ck_assert_str_eq(c->run_dir, "/srv/archive/sockets");
	ck_assert_str_eq(c->licence_file, "/srv/archive/licence.conf");
	ck_assert_str_eq(c->timezone, "Europe/Berlin");
	ck_assert_str_eq(c->public_url, "https://vms.example.test/base");
	ck_assert_str_eq(c->url_key, "0123456789abcdefXYZ");
	ck_assert_str_eq(c->sendfile, "x-accel-redirect");
	ck_assert_str_eq(c->sendfile_prefix, "/protected/");
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_int_eq(c->download_ttl, 3600);
	ck_assert_int_eq(c->max_range, 7200);
	ck_assert_int_eq(c->token_ttl, 600);
	ck_assert_int_eq(c->max_pending, 3);
	ck_assert_int_eq(c->workers, 4);
	ck_assert_int_eq(c->max_attempts, 5);
	ck_assert_int_eq(c->poll_interval_ms, 250);
	ck_assert_int_eq(c->lease_seconds, 12);
	ck_assert_int_eq(c->shutdown_grace, 0);
	ck_assert_int_eq(c->login_failures, 7);
	ck_assert_int_eq(c->wsurl_limit, 40);
	ck_assert_str_eq(c->pusher.app_id, "app-1");
	ck_assert_str_eq(c->pusher.key, "pk-123");
	ck_assert_str_eq(c->pusher.secret, "0123456789abcdef-secret");
	ck_assert_str_eq(c->pusher.listen, "0.0.0.0:7001");
	ck_assert_str_eq(c->pusher.path, "/push");
	ck_assert_uint_eq(c->pusher.n_origins, 2);
	ck_assert_str_eq(c->pusher.allowed_origins[0], "https://a.example");
	ck_assert_str_eq(c->pusher.allowed_origins[1], "https://B.example");
	ck_assert_int_eq(c->pusher.event_retention, 120);
	ck_assert_int_eq(c->pusher.activity_timeout, 30);
	ck_assert_int_eq(c->pusher.max_connections_per_user, 8);
	ck_assert_int_eq(c->pusher.max_frame, 4096);
	/* Origins: exact, case-insensitive, no "*" in this list. */
	ck_assert(conf_origin_allowed(c, "https://a.example"));
	ck_assert(conf_origin_allowed(c, "https://b.example"));
	ck_assert(!conf_origin_allowed(c, "https://c.example"));
	ck_assert(!conf_origin_allowed(c, "https://a.example.evil"));
	ck_assert(!conf_origin_allowed(c, ""));
	conf_free(c);
}
END_TEST

/* The file shipped in conf/ loads and changes nothing. */
/* Nodes, and a PostgreSQL URL kept as given (not a path under data_dir),
 * shown in logs without its user, password and query. */
START_TEST(test_nodes_and_url)
{
	char path[PATH_MAX + 32], err[512];
	struct conf *c = load_text("data_dir = \"/srv/a\";\n"
	    "database = \"postgresql://archived:s3cret@db.example.test:5433/archived"
	    "?sslmode=require&password=s3cret\";\n"
	    "node = \"rec-2.site_b\";\nshared_storage = true;\nnode_timeout = 30;\n",
	    path, sizeof(path), err, sizeof(err));
	char *shown;

	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->database, "postgresql://archived:s3cret@db.example.test:5433/"
	    "archived?sslmode=require&password=s3cret");
	ck_assert_str_eq(c->node, "rec-2.site_b");
	ck_assert_int_eq(c->shared_storage, 1);
	ck_assert_int_eq(c->node_timeout, 30);
	ck_assert(conf_holds(c, "other"));	/* shared storage: every node's */
	c->shared_storage = 0;
	ck_assert(!conf_holds(c, "other"));
	ck_assert(conf_holds(c, "rec-2.site_b"));
	ck_assert(!conf_holds(c, NULL));
	shown = db_shown(c->database);
	ck_assert_str_eq(shown, "postgresql://db.example.test:5433/archived");
	free(shown);
	shown = db_shown("postgres:///archived?host=/run/pg&password=x");
	ck_assert_str_eq(shown, "postgres:///archived");
	free(shown);
	conf_free(c);
	c = load_text("data_dir = \"/srv/a\";\n", path, sizeof(path), err, sizeof(err));
	ck_assert_str_eq(c->node, "");
	ck_assert_int_eq(c->shared_storage, 0);
	ck_assert_int_eq(c->node_timeout, 600);
	ck_assert(conf_holds(c, NULL));		/* rows made before nodes */
	ck_assert(conf_holds(c, ""));
	conf_free(c);
}
END_TEST

START_TEST(test_shipped_file)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX], err[512] = "";
	struct conf *c;

	if (top == NULL)
		top = "..";
	snprintf(path, sizeof(path), "%s/conf/archived.conf", top);
	c = conf_load(path, 1, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->timezone, "UTC");
	ck_assert_int_eq(c->download_ttl, 10800);
	ck_assert_str_eq(c->pusher.listen, "127.0.0.1:6001");
	conf_free(c);
}
END_TEST

struct err_case {
	const char	*text;
	int		 line;
	const char	*key;
	const char	*what;		/* expected after "config key 'KEY': " */
};

static const struct err_case err_cases[] = {
	{ "workers = 2;\nbogus = 1;\n", 2, "bogus", "unknown key" },
	{ "\nnode = \"a/b\";\n", 2, "node", "must be 1 to 63 letters" },
	{ "node = \"0123456789012345678901234567890123456789012345678901234567890123\";\n",
	    1, "node", "must be 1 to 63 letters" },
	{ "node_timeout = 5;\n", 1, "node_timeout", "5 is out of range 10..604800" },
	{ "shared_storage = 1;\n", 1, "shared_storage", "expected true or false" },
	{ "pusher = {\n  app_id = \"a\";\n  nope = 1;\n};\n", 3, "pusher.nope", "unknown key" },
	{ "other = { workers = 2; };\n", 1, "other", "unknown key" },
	{ "pusher = 5;\n", 1, "pusher", "expected a group { ... }" },
	{ "\n\nworkers = \"two\";\n", 3, "workers", "expected an integer" },
	{ "workers = 2.0;\n", 1, "workers", "expected an integer" },
	{ "download_ttl = true;\n", 1, "download_ttl", "expected an integer" },
	{ "timezone = 5;\n", 1, "timezone", "expected a string" },
	{ "public_url = [ \"http://x\" ];\n", 1, "public_url", "expected a string" },
	{ "pusher = {\n  allowed_origins = \"*\";\n};\n", 2, "pusher.allowed_origins",
	    "expected a list of strings" },
	{ "pusher = {\n  allowed_origins = ( \"a\", 5 );\n};\n", 2,
	    "pusher.allowed_origins", "expected a list of strings" },
	{ "workers = 0;\n", 1, "workers", "0 is out of range 1..64" },
	{ "timezone = \"UTC\";\nworkers = 65;\n", 2, "workers", "65 is out of range 1..64" },
	{ "workers = 10000000000L;\n", 1, "workers", "10000000000 is out of range 1..64" },
	{ "download_ttl = 0;\n", 1, "download_ttl", "0 is out of range 1..31536000" },
	{ "max_range = -5;\n", 1, "max_range", "-5 is out of range 1..2678400" },
	{ "pusher = {\n\n  max_frame = 10;\n};\n", 3, "pusher.max_frame",
	    "10 is out of range 1024..16777216" },
	{ "sendfile = \"nginx\";\n", 1, "sendfile",
	    "'nginx' is not one of x-sendfile x-accel-redirect" },
	{ "\nlog_level = \"verbose\";\n", 2, "log_level",
	    "'verbose' is not one of error warn info debug" },
	{ "workers = 2;\ntimezone = \"Mars/Olympus_Mons\";\n", 2, "timezone",
	    "unknown time zone" },
	{ "timezone = \"../../etc/passwd\";\n", 1, "timezone", "unknown time zone" },
	{ "timezone = \"Europe\";\n", 1, "timezone", "unknown time zone" },
	{ "timezone = \"\";\n", 1, "timezone", "unknown time zone" },
	/* Files of the zone directory that are not zones. */
	{ "timezone = \"zone.tab\";\n", 1, "timezone", "unknown time zone" },
	{ "timezone = \"tzdata.zi\";\n", 1, "timezone", "unknown time zone" },
	{ "workers = 2;\n\npublic_url = \"ftp://example.test\";\n", 3, "public_url",
	    "must start with http:// or https://" },
	{ "public_url = \"example.test\";\n", 1, "public_url",
	    "must start with http:// or https://" },
	{ "data_dir = \"relative/dir\";\n", 1, "data_dir", "must be an absolute path" },
	{ "url_key = \"short\";\n", 1, "url_key", "must be at least 16 characters" },
	{ "pusher = {\n  secret = \"short\";\n};\n", 2, "pusher.secret",
	    "must be at least 16 characters" },
	{ "pusher = {\n  key = \"a/b\";\n};\n", 2, "pusher.key", "must be non-empty" },
	{ "pusher = {\n  key = \"\";\n};\n", 2, "pusher.key", "must be non-empty" },
	{ "pusher = {\n  path = \"ws\";\n};\n", 2, "pusher.path", "must start with '/'" },
	{ "pusher = {\n  listen = \"6001\";\n};\n", 2, "pusher.listen",
	    "expected \"address:port\"" },
	{ "sendfile_prefix = \"internal\";\n", 1, "sendfile_prefix",
	    "must start with '/'" },
};

START_TEST(test_errors)
{
	const struct err_case *e = &err_cases[_i];
	char path[PATH_MAX + 32], err[512], want[PATH_MAX + 128];
	struct conf *c = load_text(e->text, path, sizeof(path), err, sizeof(err));

	ck_assert_msg(c == NULL, "accepted: %s", e->text);
	snprintf(want, sizeof(want), "%s:%d: config key '%s': %s", path, e->line,
	    e->key, e->what);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'",
	    err, want);
}
END_TEST

/* A syntax error names the file and the line libconfig stopped at. */
START_TEST(test_syntax_errors)
{
	static const struct { const char *text; int line; } cases[] = {
		{ "workers = 2;\n\nmax_pending = ;\n", 3 },
		{ "workers = 2;\nmax_pending == 3;\n", 2 },
		{ "pusher = {\n  key = \"x\";\n", 3 },
		{ "workers = 2;\nworkers = 3;\n", 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[PATH_MAX + 32], err[512], want[PATH_MAX + 64];
		struct conf *c = load_text(cases[i].text, path, sizeof(path), err,
		    sizeof(err));

		ck_assert_msg(c == NULL, "accepted: %s", cases[i].text);
		snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0 &&
		    strlen(err) > strlen(want), "got '%s', want '%s...'", err, want);
	}
}
END_TEST

START_TEST(test_good_zones_and_urls)
{
	static const struct { const char *text; const char *url; } cases[] = {
		{ "timezone = \"Asia/Kolkata\";\n", "http://localhost" },
		{ "timezone = \"America/New_York\";\npublic_url = \"http://h:8080/\";\n",
		    "http://h:8080" },
		{ "public_url = \"https://h\";\n", "https://h" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[PATH_MAX + 32], err[512];
		struct conf *c = load_text(cases[i].text, path, sizeof(path), err,
		    sizeof(err));

		ck_assert_msg(c != NULL, "%s: %s", cases[i].text, err);
		ck_assert_str_eq(c->public_url, cases[i].url);
		conf_free(c);
	}
}
END_TEST

/* conf_apply_timezone makes local-time calls use the configured zone. */
START_TEST(test_apply_timezone)
{
	char path[PATH_MAX + 32], err[512];
	struct conf *c;
	time_t t = 1568998800;	/* 2019-09-20 17:00:00 UTC */
	struct tm tm;

	unit_set_tz("Asia/Tokyo");
	c = load_text("timezone = \"America/New_York\";\n", path, sizeof(path), err,
	    sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(conf_apply_timezone(c), 0);
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_int_eq(tm.tm_hour, 13);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	conf_free(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_must_exist);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_shipped_file);
	tcase_add_test(tc, test_nodes_and_url);
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_good_zones_and_urls);
	tcase_add_test(tc, test_apply_timezone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(conf_suite());
}
