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
#include "lib/progopt.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/banned.h"

/* getopt_long's value for a command's option i, and for --help. */
#define OPT_VAL(i)	(256 + (int)(i))
#define OPT_HELP	OPT_VAL(CTL_MAX_OPTS)

static const struct ctl_cmd *const commands[] = {
	&ctl_cmd_init,
	&ctl_cmd_user_add, &ctl_cmd_user_list,
	&ctl_cmd_token_create, &ctl_cmd_token_list, &ctl_cmd_token_revoke,
	&ctl_cmd_camera_add, &ctl_cmd_camera_list, &ctl_cmd_camera_update,
	&ctl_cmd_stream_add, &ctl_cmd_stream_list, &ctl_cmd_stream_update,
	&ctl_cmd_node_add, &ctl_cmd_node_list, &ctl_cmd_node_remove,
	&ctl_cmd_migrate,
	&ctl_cmd_segments_import, &ctl_cmd_segments_list, &ctl_cmd_segments_prune,
	&ctl_cmd_export,
	&ctl_cmd_cleanup, &ctl_cmd_check,
};

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

void
ctl_json_print(json_t *o, size_t flags)
{
	json_dumpf(o, stdout, flags);
	printf("\n");
	fflush(stdout);		/* --watch prints as it goes */
	json_decref(o);
}

int
ctl_list(struct ctl *ctl, struct db *db, struct db_stmt *st,
    json_t *(*row)(struct db *db, struct db_stmt *st), void (*line)(json_t *o))
{
	json_t *arr = json_array(), *o;
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		if ((o = row(db, st)) == NULL)
			continue;
		if (ctl->json)
			json_array_append_new(arr, o);
		else {
			line(o);
			json_decref(o);
		}
	}
	if (rc != DB_DONE) {
		ctl_fail("database: cannot read the list: %s",
		    db_errmsg(db));
		db_finalize(st);
		json_decref(arr);
		return 1;
	}
	db_finalize(st);
	if (ctl->json)
		ctl_json_print(arr, JSON_INDENT(2));
	else
		json_decref(arr);
	return 0;
}

/* Where the command declares the option name; naming one it does not
 * declare is a bug in the command. */
static size_t
opt_index(const struct ctl_args *args, const char *name)
{
	const struct ctl_opt *o = args->cmd->opts;

	for (size_t i = 0; o != NULL && o[i].name != NULL; i++)
		if (strcmp(o[i].name, name) == 0)
			return i;
	abort();
}

int
ctl_has(const struct ctl_args *args, const char *name)
{
	return args->opt[opt_index(args, name)].set;
}

const char *
ctl_str(const struct ctl_args *args, const char *name)
{
	return args->opt[opt_index(args, name)].value;
}

int64_t
ctl_num(const struct ctl_args *args, const char *name)
{
	return args->opt[opt_index(args, name)].num;
}

/* One option's value into args->opt[i]; 2 after saying what is wrong. */
static int
parse_value(const struct ctl_cmd *cmd, size_t i, const char *value,
    struct ctl_args *args)
{
	const struct ctl_opt *o = &cmd->opts[i];
	char label[64];
	long long id;
	enum time_err e;

	args->opt[i].set = 1;
	args->opt[i].value = value;
	switch (o->type) {
	case CTL_FLAG:
	case CTL_STRING:
		break;
	case CTL_ID:
		snprintf(label, sizeof(label), "%s: --%s", cmd->name, o->name);
		if (ctl_parse_id(label, value, &id) == -1)
			return 2;
		args->opt[i].num = id;
		break;
	case CTL_TIME:
		if ((e = time_parse(value, 1, &args->opt[i].num)) != TIME_OK)
			return ctl_usage_error("%s: --%s: '%s' %s", cmd->name, o->name,
			    value, time_strerror(e));
		break;
	}
	return 0;
}

/* "<cmd>: <what>; usage: archivectl <cmd> <usage>", and 2. */
static int	 cmd_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
cmd_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ctl_usage_error("%s: %s; usage: archivectl %s %s", cmd->name, what,
	    cmd->name, cmd->usage);
}

/*
 * Parse a command's arguments (argv[0] is its name) as its table entry
 * says: options in any order, each checked as it comes, then how many
 * positional arguments, then the required options. 0 to run the command,
 * 1 after --help printed its usage, 2 after a one-line usage error.
 */
static int
parse_args(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_args *args)
{
	struct option longopts[CTL_MAX_OPTS + 2];
	/* The leading ':' tells a missing value from an unknown option. */
	char shortopts[1 + 2 * CTL_MAX_OPTS + 1] = ":";
	const struct ctl_opt *o;
	size_t n = 0, ns = 1;
	int ch;

	memset(args, 0, sizeof(*args));
	args->cmd = cmd;
	for (o = cmd->opts; o != NULL && o->name != NULL; o++, n++) {
		if (n == CTL_MAX_OPTS)
			abort();	/* raise CTL_MAX_OPTS */
		longopts[n] = (struct option){ o->name,
		    o->type == CTL_FLAG ? no_argument : required_argument, NULL,
		    OPT_VAL(n) };
		if (o->ch != 0) {
			shortopts[ns++] = (char)o->ch;
			if (o->type != CTL_FLAG)
				shortopts[ns++] = ':';
		}
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[ns] = '\0';

	optind = 0;
	opterr = 0;	/* one line of our own instead of getopt's */
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t i;

		if (ch == '?')
			return cmd_usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
		if (ch == ':')
			return cmd_usage_error(cmd, "missing value for '%s'",
			    argv[optind - 1]);
		if (ch == OPT_HELP) {
			printf("usage: archivectl %s %s\n  %s\n", cmd->name,
			    cmd->usage, cmd->help);
			return 1;
		}
		if (ch >= OPT_VAL(0))
			i = (size_t)(ch - OPT_VAL(0));
		else
			for (i = 0; cmd->opts[i].ch != ch; i++)
				;
		if (parse_value(cmd, i, optarg, args) != 0)
			return 2;
	}

	args->argc = argc - optind;
	args->argv = argv + optind;
	if (args->argc < cmd->args.lower)
		return cmd_usage_error(cmd, "%s is required", cmd->args.name);
	if (args->argc > cmd->args.upper && cmd->args.upper == 0)
		return ctl_usage_error("%s: unexpected argument '%s'", cmd->name,
		    args->argv[0]);
	if (args->argc > cmd->args.upper)
		return cmd_usage_error(cmd, "one %s only", cmd->args.name);

	for (size_t i = 0; i < n; i++) {
		o = &cmd->opts[i];
		if (!o->required || args->opt[i].set)
			continue;
		if (o->hint != NULL)
			return ctl_usage_error("%s: --%s is required (%s)",
			    cmd->name, o->name, o->hint);
		return ctl_usage_error("%s: --%s is required", cmd->name, o->name);
	}
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
	struct ctl ctl = { 0 };
	const struct progopt_flag flags[] = {
		{ .name = "json", .set = &ctl.json },
		{ .name = NULL },
	};
	struct progopt po = {
		.prog = "archivectl",
		.command = 1,
		.flags = flags,
	};
	const struct ctl_cmd *cmd;
	struct ctl_args args;
	struct buf usage;
	struct db *db = NULL;
	int first, used = 0, ret;

	/* The usage (--help, or a bad option) lists every command. */
	buf_init(&usage);
	buf_adds(&usage, "[--config FILE] [-n] [--json] COMMAND [ARGS]\n");
	for (size_t i = 0; i < nitems(commands); i++)
		buf_printf(&usage, "\n  %-16s %s\n    %s", commands[i]->name,
		    commands[i]->usage, commands[i]->help);
	po.usage = usage.data;

	/* Options stop at the command word; the command's are its own. */
	first = progopt_parse(&po, argc, argv);
	ctl.conf = progopt_start(&po);
	if (first >= argc) {
		conf_free(ctl.conf);
		progopt_usage(&po);
	}
	if ((cmd = find_command(argc - first, argv + first, &used)) == NULL) {
		ret = ctl_usage_error("unknown command '%s' (see archivectl --help)",
		    argv[first]);
		goto out;
	}
	/* The parser sees argv[0] = the command's name, then its arguments. */
	first += used - 1;
	argv[first] = (char *)cmd->name;
	/* Before the database: --help and bad arguments need none. */
	if ((ret = parse_args(cmd, argc - first, argv + first, &args)) != 0) {
		ret = ret == 1 ? 0 : ret;
		goto out;
	}
	if (cmd->needs_db && ((db = db_open_checked(ctl.conf)) == NULL ||
	    db_load_secrets(db, ctl.conf) == -1)) {
		ret = 1;
		goto out;
	}
	ret = cmd->run(&ctl, db, &args);
out:
	db_close(db);
	conf_free(ctl.conf);
	buf_release(&usage);
	return ret;
}
