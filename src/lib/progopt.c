#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "progopt.h"
#include "util.h"
#include "banned.h"

#define MAX_FLAGS	8	/* a program's own flags */

void
progopt_usage(const struct progopt *o)
{
	fprintf(stderr, "usage: %s %s\n", o->prog, o->usage);
	exit(2);
}

int
progopt_parse(struct progopt *o, int argc, char *argv[])
{
	struct option longopts[5 + MAX_FLAGS + 1] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
	};
	char shorts[32] = "+c:ndsh";
	size_t nlong = 5, nflags = 0;
	int ch, idx;

	if (!o->command)
		memmove(shorts, shorts + 1, strlen(shorts));
	for (; o->flags != NULL && o->flags[nflags].name != NULL; nflags++) {
		const struct progopt_flag *f = &o->flags[nflags];

		if (nflags == MAX_FLAGS)
			abort();
		/* Long-only flags get a value past any character. */
		longopts[nlong++] = (struct option){ f->name, no_argument, NULL,
		    f->ch != 0 ? f->ch : 256 + (int)nflags };
		if (f->ch != 0) {
			size_t n = strlen(shorts);

			shorts[n] = (char)f->ch;
			shorts[n + 1] = '\0';
		}
	}
	longopts[nlong] = (struct option){ NULL, 0, NULL, 0 };

	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, longopts, &idx)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			continue;
		case 'n':
			o->check = 1;
			continue;
		case 'd':
			o->debug = 1;
			continue;
		case 's':
			o->to_syslog = 1;
			continue;
		case 'h':
			printf("usage: %s %s\n", o->prog, o->usage);
			exit(0);
		case '?':
		case ':':
			progopt_usage(o);
		}
		for (size_t i = 0; i < nflags; i++)
			if (ch == (o->flags[i].ch != 0 ? o->flags[i].ch : 256 + (int)i))
				*o->flags[i].set = 1;
	}
	if (!o->command && optind != argc)
		progopt_usage(o);
	return optind;
}

struct conf *
progopt_start(struct progopt *o)
{
	struct conf *c;
	char err[512];

	log_init(o->prog, o->to_syslog);
	if ((c = conf_load_start(o->config, err, sizeof(err))) == NULL ||
	    (o->validate != NULL && o->validate(c, err, sizeof(err)) == -1)) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		conf_free(c);
		exit(2);
	}
	if (o->check) {
		printf("configuration OK%s%s\n", c->path ? ": " : " (defaults)",
		    c->path ? c->path : "");
		conf_free(c);
		exit(0);
	}
	/* Where the log goes (conf_apply follows it on reload): log_file,
	 * else syslog where stderr goes nowhere (a FastCGI program under
	 * lighttpd or spawn-fcgi), else stderr (the journal under systemd,
	 * Apache's error log under mod_fcgid). */
	if (!o->to_syslog && log_route(c->log_file) == -1) {
		fprintf(stderr, "%s: log_file: cannot open '%s': %s\n", o->prog,
		    c->log_file, strerror(errno));
		conf_free(c);
		exit(2);
	}
	conf_apply(c);
	if (o->debug)
		log_set_level(LOG_LVL_DEBUG);
	return c;
}
