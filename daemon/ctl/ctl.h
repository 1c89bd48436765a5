/* archivectl: one table of subcommands, each in a ctl_*.c file. */
#ifndef ARCHIVED_ARCHIVECTL_H
#define ARCHIVED_ARCHIVECTL_H

#include <getopt.h>
#include <sqlite3.h>

struct conf;

struct ctl {
	struct conf	*conf;
	int		 json;		/* --json: machine-readable output */
};

struct ctl_cmd {
	const char	*name;		/* "token create" */
	const char	*usage;		/* arguments, for --help */
	const char	*help;		/* one line */
	const char	*shortopts;	/* getopt's short options, or NULL */
	int		 needs_db;	/* open and check the database first */
	int		 (*run)(struct ctl *ctl, sqlite3 *db, int argc, char **argv);
};

/* Print "archivectl: <msg>" and return 2 (bad usage) or 1 (failure). */
int	 ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a positive id for the named argument; -1 after printing why. */
int	 ctl_parse_id(const char *arg, const char *value, long long *out);

/* getopt_long over a command's own arguments (call with optind = 0 first);
 * --help sets *help to 1 after printing usage, a bad option sets it to 2. */
int	 ctl_next_opt(const struct ctl_cmd *cmd, int argc, char **argv,
	    const struct option *opts, int *help);
/* After the options: 0 to go on, 256 after --help, else the exit status. */
int	 ctl_opts_done(const struct ctl_cmd *cmd, int help, int argc, char **argv);

#define OPT_HELP { "help", no_argument, NULL, 'h' }
#define OPT_END { NULL, 0, NULL, 0 }

/* Ends option parsing in a command's run function. */
#define PARSE_END(cmd) do {						\
	int parse_end_r = ctl_opts_done(&(cmd), help, argc, argv);	\
	if (parse_end_r == 256)						\
		return 0;						\
	if (parse_end_r != 0)						\
		return parse_end_r;					\
} while (0)

extern const struct ctl_cmd ctl_cmd_init, ctl_cmd_user_add, ctl_cmd_user_list,
    ctl_cmd_token_create, ctl_cmd_token_list, ctl_cmd_token_revoke,
    ctl_cmd_camera_add, ctl_cmd_camera_list, ctl_cmd_stream_add,
    ctl_cmd_stream_list;
extern const struct ctl_cmd ctl_cmd_cleanup;
extern const struct ctl_cmd ctl_cmd_camera_update, ctl_cmd_segments_import,
    ctl_cmd_segments_list, ctl_cmd_segments_prune, ctl_cmd_export, ctl_cmd_check;

#endif
