/* archivectl: one table of subcommands (main.c), each in a file of its
 * family. A command declares its options and positional arguments in its
 * table entry; main.c parses them in one place and hands the command the
 * result. */
#ifndef ARCHIVED_CTL_H
#define ARCHIVED_CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

struct conf;

struct ctl {
	struct conf	*conf;
	int		 json;		/* --json: machine-readable output */
};

/* What an option takes. A bad value is a usage error naming the option. */
enum ctl_opt_type {
	CTL_FLAG,		/* nothing: on or off */
	CTL_STRING,		/* any text, empty included */
	CTL_ID,			/* a positive integer */
	CTL_TIME,		/* the API's time forms (timefmt.h) */
};

struct ctl_opt {
	const char		*name;		/* "stream": --stream */
	int			 ch;		/* also -ch; 0: long only */
	enum ctl_opt_type	 type;
	int			 required;	/* "<cmd>: --<name> is required" */
	const char		*hint;		/* added to that, in parentheses */
};

/* At most this many options a command. */
#define CTL_MAX_OPTS	8

/* A command's arguments, parsed. Options are read by name. */
struct ctl_args {
	const struct ctl_cmd *cmd;
	struct {
		int		 set;
		const char	*value;		/* as given; NULL for a flag */
		int64_t		 num;		/* CTL_ID, CTL_TIME */
	} opt[CTL_MAX_OPTS];
	int		 argc;			/* the positional arguments */
	char		**argv;
};

struct ctl_cmd {
	const char	*name;		/* "token create" */
	const char	*usage;		/* arguments, for --help */
	const char	*help;		/* one line */
	const struct ctl_opt *opts;	/* NULL-name ended; NULL: none */
	struct {
		const char	*name;	/* "ID": in the messages about them */
		int		 lower, upper;	/* upper: 0 or 1 */
	} args;				/* how many positional arguments */
	int		 needs_db;	/* open and check the database first */
	int		 (*run)(struct ctl *ctl, struct db *db, struct ctl_args *args);
};

/* Print "archivectl: <msg>" and return 2 (bad usage) or 1 (failure). */
int	 ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a positive id for the named argument; -1 after printing why. */
int	 ctl_parse_id(const char *arg, const char *value, long long *out);

/* The parsed option called name (which the command must declare): given
 * or not; its text (NULL if not given); its number (0 if not given). */
int	 ctl_has(const struct ctl_args *args, const char *name);
const char *ctl_str(const struct ctl_args *args, const char *name);
int64_t	 ctl_num(const struct ctl_args *args, const char *name);

/* Print o on stdout (json_dumpf flags) and a newline, then free it. */
void	 ctl_json_print(json_t *o, size_t flags);
/* A list command: each row of st becomes a JSON object (row; NULL skips
 * it), printed as one array with --json, else as text (line). Finalizes
 * st. 0, or 1 after a database error. */
int	 ctl_list(struct ctl *ctl, struct db *db, struct db_stmt *st,
	    json_t *(*row)(struct db *db, struct db_stmt *st),
	    void (*line)(json_t *o));

extern const struct ctl_cmd ctl_cmd_init, ctl_cmd_user_add, ctl_cmd_user_list,
    ctl_cmd_token_create, ctl_cmd_token_list, ctl_cmd_token_revoke,
    ctl_cmd_camera_add, ctl_cmd_camera_list, ctl_cmd_stream_add,
    ctl_cmd_stream_list;
extern const struct ctl_cmd ctl_cmd_cleanup;
extern const struct ctl_cmd ctl_cmd_camera_update, ctl_cmd_segments_import,
    ctl_cmd_segments_list, ctl_cmd_segments_prune, ctl_cmd_export, ctl_cmd_check;
extern const struct ctl_cmd ctl_cmd_stream_update, ctl_cmd_node_add,
    ctl_cmd_node_list, ctl_cmd_node_remove, ctl_cmd_migrate;

/* 1 if node is "" (the one-box default) or a known node, 0 if not, -1 on
 * error. */
int	 ctl_node_known(struct db *db, const char *node);

#endif
