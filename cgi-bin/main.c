/*
 * downloads.fcgi: the FastCGI responder of the archive API. Also runs as
 * plain CGI (one request from the environment), so tests and servers
 * without FastCGI can drive it.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/confslot.h"
#include "lib/db.h"
#include "handlers.h"
#include "http.h"
#include "lib/log.h"
#include "lib/progopt.h"
#include "lib/util.h"
#include "lib/banned.h"

static void	 serve_fcgi(void);
static void	 serve_cgi(void);
static struct db	*db_get(void);

static struct confslot slot;	/* the configuration, replaced on edits */
static struct db	*db;		/* one connection for the life of the process */

int
main(int argc, char *argv[])
{
	struct progopt o = { .prog = "downloads.fcgi",
	    .usage = "[-n] [--config FILE] [--syslog] [--debug]" };
	struct conf *c;

	progopt_parse(&o, argc, argv);
	c = progopt_start(&o);
	/* Published only filled: without a database yet, db_get() fills a
	 * fresh copy once it can open one. */
	if ((db = db_open_checked(c)) != NULL && db_load_secrets(db, c) == -1) {
		db_close(db);
		db = NULL;
	}
	confslot_init(&slot, c);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI())
		serve_cgi();
	else
		serve_fcgi();
	db_close(db);
	confslot_release(&slot);
	return 0;
}

/*
 * The database, opened on first use and again after a failure. A
 * configuration published before the database could be opened lacks the
 * secrets it holds: reload it, filled from this connection.
 */
static struct db *
db_get(void)
{
	struct conf *c;

	/* Its files deleted or replaced under it: nothing more through it
	 * (every request a 503) until the service is restarted. */
	if (db != NULL)
		return db_files_ok(db) == 1 ? db : NULL;
	c = confslot_get(&slot);
	if ((db = db_open_checked(c)) != NULL && c->url_key == NULL &&
	    confslot_reload(&slot, NULL, db, 1) == -1) {
		db_close(db);
		db = NULL;
	}
	conf_free(c);
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

/* One request: the configuration in force when it arrived, to the end. */
static void
serve_one(struct http_io *io)
{
	struct request r;
	struct conf *c;
	struct db *h = db_get();

	c = confslot_get(&slot);
	request_init(&r, c, h, io);
	route_dispatch(&r);
	if (request_send(&r) == -1)
		log_warnx("client went away before the response was sent");
	request_release(&r);
	conf_free(c);
}

/*
 * A long-lived FastCGI process follows edits of its config file (checked
 * with one stat per request), so an operator never restarts the web server
 * for a licence path or a limit. A bad edit keeps the old configuration.
 */
static void
follow_edits(void)
{
	struct conf *before = confslot_get(&slot), *after;

	if (confslot_reload(&slot, NULL, db, 0) == 1) {
		after = confslot_get(&slot);
		if (strcmp(before->database, after->database) != 0) {
			db_close(db);
			db = NULL;
		}
		conf_free(after);
	}
	conf_free(before);
}

static void
serve_fcgi(void)
{
	FCGX_Request fr;

	if (FCGX_Init() != 0)
		fatalx("cannot initialise libfcgi");
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		fatalx("cannot initialise a FastCGI request");
	while (FCGX_Accept_r(&fr) >= 0) {
		struct http_io io = { fcgi_param, fcgi_read, fcgi_write, &fr };

		follow_edits();
		serve_one(&io);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
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
serve_cgi(void)
{
	struct http_io io = { cgi_param, cgi_read, cgi_write, NULL };

	serve_one(&io);
}
