/* The options every program takes, parsed in one place: --config FILE
 * (-c), -n (--check: check the configuration and exit), --debug (-d),
 * --syslog (-s), --help (-h), plus a program's own flags. Then the start
 * every program makes: log, configuration (a bad key: one line, exit 2),
 * the -n answer, log level and time zone. */
#ifndef ARCHIVED_PROGOPT_H
#define ARCHIVED_PROGOPT_H

struct conf;

/* A program's own on/off flag: --name (and -ch where ch is not 0). */
struct progopt_flag {
	const char	*name;
	int		 ch;
	int		*set;
};

struct progopt {
	/* Set by the program before parsing. */
	const char	*prog;		/* "archived": messages and the log */
	const char	*usage;		/* what follows "usage: prog " */
	int		 command;	/* options stop at the first word (archivectl) */
	const struct progopt_flag *flags; /* the program's own, NULL-name ended; or NULL */
	/* A further check of a loaded configuration (-n runs it too): 0, or
	 * -1 with one line naming the key in err. NULL: none. */
	int		(*validate)(const struct conf *c, char *err, size_t len);

	/* Results. */
	const char	*config;	/* --config, or NULL */
	int		 check;		/* -n */
	int		 debug;		/* --debug */
	int		 to_syslog;	/* --syslog */
};

/* Parse argv. --help prints the usage to stdout and exits 0; a bad option
 * prints it to stderr and exits 2; so does a word where the program takes
 * none. Returns the index of the first word (argc if none). */
int	 progopt_parse(struct progopt *o, int argc, char *argv[]);
/* Print the usage line to stderr and exit 2. */
void	 progopt_usage(const struct progopt *o) __attribute__((noreturn));

/* Start logging, then load the configuration the options name. A bad
 * configuration prints one line and exits 2; with -n prints
 * "configuration OK" and exits 0. Applies the log level (--debug or the
 * log_level key) and the time zone. Caller conf_free()s. */
struct conf *progopt_start(struct progopt *o);

#endif
