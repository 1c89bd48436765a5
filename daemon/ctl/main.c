/*
 * archivectl: the admin and cron tool. Each subcommand prints its result
 * (a new id, a token) alone on stdout so that $(...) captures it; every
 * message goes to stderr.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static const struct ctl_cmd *const commands[] = {
	&ctl_cmd_init,
	&ctl_cmd_user_add, &ctl_cmd_user_list,
	&ctl_cmd_token_create, &ctl_cmd_token_list, &ctl_cmd_token_revoke,
	&ctl_cmd_camera_add, &ctl_cmd_camera_list, &ctl_cmd_camera_update,
	&ctl_cmd_stream_add, &ctl_cmd_stream_list,
	&ctl_cmd_segments_import, &ctl_cmd_segments_list, &ctl_cmd_segments_prune,
	&ctl_cmd_export,
	&ctl_cmd_cleanup, &ctl_cmd_check,
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: archivectl [--config FILE] [-n] [--json] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-16s %s\n    %s\n", commands[i]->name,
		    commands[i]->usage, commands[i]->help);
}

static void
vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "archivectl: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return 2;
}

int
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return 1;
}

int
ctl_parse_id(const char *arg, const char *value, long long *out)
{
	int64_t v;

	if (parse_i64(value, &v) == -1 || v <= 0) {
		ctl_usage_error("%s: '%s' is not a positive integer", arg, value);
		return -1;
	}
	*out = v;
	return 0;
}

/* Find the command named by one or two words of argv. */
static const struct ctl_cmd *
find_command(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < nitems(commands); i++) {
		const char *name = commands[i]->name, *sp = strchr(name, ' ');

		if (sp == NULL) {
			if (strcmp(argv[0], name) == 0) {
				*used = 1;
				return commands[i];
			}
		} else if (argc >= 2 && strlen(argv[0]) == (size_t)(sp - name) &&
		    strncmp(argv[0], name, (size_t)(sp - name)) == 0 &&
		    strcmp(argv[1], sp + 1) == 0) {
			*used = 2;
			return commands[i];
		}
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { 0 };
	const struct ctl_cmd *cmd;
	const char *config = NULL;
	sqlite3 *db = NULL;
	char err[512];
	int ch, check = 0, used = 0, ret, wants_help = 0;

	log_init("archivectl", 0);
	/* Options stop at the command word; the command parses the rest. */
	while ((ch = getopt_long(argc, argv, "+c:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	ctl.conf = conf_load_start(config, err, sizeof(err));
	if (ctl.conf == NULL) {
		fprintf(stderr, "archivectl: %s\n", err);
		return 2;
	}
	if (check) {
		printf("configuration OK%s%s\n", ctl.conf->path ? ": " : " (defaults)",
		    ctl.conf->path ? ctl.conf->path : "");
		conf_free(ctl.conf);
		return 0;
	}
	if (optind >= argc) {
		usage(stderr);
		conf_free(ctl.conf);
		return 2;
	}
	if ((cmd = find_command(argc - optind, argv + optind, &used)) == NULL) {
		ret = ctl_usage_error("unknown command '%s' (see archivectl --help)",
		    argv[optind]);
		conf_free(ctl.conf);
		return ret;
	}
	conf_apply_timezone(ctl.conf);
	/* --help needs no database: the command prints its usage first. */
	for (int i = optind + used; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			wants_help = 1;
	if (cmd->needs_db && !wants_help && (db = db_open_checked(ctl.conf)) == NULL) {
		conf_free(ctl.conf);
		return 1;
	}
	/* The command sees argv[0] = its name, then its own arguments. */
	optind += used - 1;
	argv[optind] = (char *)cmd->name;
	ret = cmd->run(&ctl, db, argc - optind, argv + optind);
	db_close(db);
	conf_free(ctl.conf);
	return ret;
}
