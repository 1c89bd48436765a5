#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "banned.h"

static const char *log_ident = "archived";
static int log_syslog;
static FILE *log_fp;		/* log_file; NULL: stderr or syslog */
static enum log_level log_level = LOG_LVL_INFO;

void
log_init(const char *ident, int to_syslog)
{
	log_ident = ident;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_route(const char *path)
{
	FILE *fp = NULL;

	if (path != NULL && (fp = fopen(path, "ae")) == NULL)
		return -1;
	if (fp != NULL)
		setvbuf(fp, NULL, _IOLBF, 0);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	if (fp == NULL && log_stderr_is_null())
		log_to_syslog();
	return 0;
}

int
log_stderr_is_null(void)
{
	struct stat err, null;

	if (fstat(STDERR_FILENO, &err) == -1)
		return 1;
	return stat("/dev/null", &null) == 0 && S_ISCHR(err.st_mode) &&
	    err.st_rdev == null.st_rdev;
}

void
log_to_syslog(void)
{
	if (!log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (suffix != NULL)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": %s", suffix);
	/* One line per message: a newline in an argument would forge a line. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_fp != NULL) {
		char when[32];
		time_t t = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime_r(&t, &tm));
		fprintf(log_fp, "%s %s[%ld]: %s\n", when, log_ident, (long)getpid(), msg);
		return;
	}
	if (log_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	fprintf(stderr, "%s: %s\n", log_ident, msg);
}

#define LOG_BODY(level, suffix) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vwrite(level, fmt, ap, suffix);	\
	va_end(ap);				\
} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *s = strerror(errno);

	LOG_BODY(LOG_LVL_WARN, s);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, NULL);
}

int
error(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, NULL);
	return -1;
}

void
fatal(const char *fmt, ...)
{
	const char *s = strerror(errno);

	LOG_BODY(LOG_LVL_ERROR, s);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, NULL);
	exit(1);
}
