/*
 * downloads.fcgi: the FastCGI responder of the archive API. Also runs as
 * plain CGI (one request from the environment), so tests and servers
 * without FastCGI can drive it.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "handlers.h"
#include "http.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static void	 usage(void) __attribute__((noreturn));
static void	 serve_fcgi(struct conf *c);
static void	 serve_cgi(const struct conf *c);
static sqlite3	*db_get(const struct conf *c);
static struct conf *conf_reload(struct conf *c);

static sqlite3	*db;		/* one connection for the life of the process */
static struct stat conf_stat;	/* of the file last loaded */

static void
usage(void)
{
	fprintf(stderr, "usage: downloads.fcgi [-n] [--config FILE]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	struct conf *c;
	char err[512];
	int ch, check = 0;

	log_init("downloads.fcgi", 0);
	while ((ch = getopt_long(argc, argv, "c:n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((c = conf_load_start(config, err, sizeof(err))) == NULL) {
		fprintf(stderr, "downloads.fcgi: %s\n", err);
		return 2;
	}
	if (c->path != NULL)
		(void)stat(c->path, &conf_stat);
	if (check) {
		printf("configuration OK\n");
		conf_free(c);
		return 0;
	}
	if (strcmp(c->log_level, "debug") == 0)
		log_set_level(LOG_LVL_DEBUG);
	conf_apply_timezone(c);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI())
		serve_cgi(c);
	else {
		serve_fcgi(c);	/* frees c: it may have been reloaded */
		c = NULL;
	}
	db_close(db);
	conf_free(c);
	return 0;
}

/* The database, opened on first use and again after a failure. */
static sqlite3 *
db_get(const struct conf *c)
{
	if (db == NULL)
		db = db_open_checked(c);
	return db;
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static long
fcgi_read(void *ctx, char *buf, size_t n)
{
	return FCGX_GetStr(buf, (int)n, ((FCGX_Request *)ctx)->in);
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	return FCGX_PutStr(buf, (int)n, ((FCGX_Request *)ctx)->out) == (int)n ? 0 : -1;
}

/*
 * A long-lived FastCGI process follows edits of its config file (checked
 * with one stat per request), so an operator never restarts the web server
 * for a licence path or a limit. A bad edit keeps the old configuration.
 */
static struct conf *
conf_reload(struct conf *c)
{
	struct stat st;
	struct conf *fresh;
	char err[512];

	if (c->path == NULL || stat(c->path, &st) == -1 ||
	    (st.st_mtim.tv_sec == conf_stat.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == conf_stat.st_mtim.tv_nsec &&
	    st.st_ino == conf_stat.st_ino && st.st_size == conf_stat.st_size))
		return c;
	conf_stat = st;
	if ((fresh = conf_load(c->path, 1, err, sizeof(err))) == NULL) {
		log_warnx("keeping the previous configuration: %s", err);
		return c;
	}
	log_info("configuration reloaded from '%s'", c->path);
	conf_apply_timezone(fresh);
	db_close(db);
	db = NULL;
	conf_free(c);
	return fresh;
}

static void
serve_fcgi(struct conf *c)
{
	FCGX_Request fr;

	if (FCGX_Init() != 0)
		fatalx("cannot initialise libfcgi");
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		fatalx("cannot initialise a FastCGI request");
	while (FCGX_Accept_r(&fr) >= 0) {
		struct http_io io = { fcgi_param, fcgi_read, fcgi_write, &fr };
		struct request r;

		c = conf_reload(c);
		request_init(&r, c, db_get(c), &io);
		route_dispatch(&r);
		if (request_send(&r) == -1)
			log_warnx("client went away before the response was sent");
		request_release(&r);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	conf_free(c);
}

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long
cgi_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	return (long)fread(buf, 1, n, stdin);
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	if (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)
		return -1;
	return 0;
}

static void
serve_cgi(const struct conf *c)
{
	struct http_io io = { cgi_param, cgi_read, cgi_write, NULL };
	struct request r;

	request_init(&r, c, db_get(c), &io);
	route_dispatch(&r);
	request_send(&r);
	request_release(&r);
}
