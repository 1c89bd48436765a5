/* Logging: stderr in the foreground, syslog otherwise. Never log a token,
 * a password or a URL with credentials. */
#ifndef ARCHIVED_LOG_H
#define ARCHIVED_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Start logging as `ident`; to_syslog 0 writes to stderr. */
void log_init(const char *ident, int to_syslog);
/* From now on write to path (appending, one line a message, with the time
 * and pid); or, path NULL, to stderr, or syslog where stderr goes nowhere.
 * -1 if path cannot be opened (the log stays where it was). */
int log_route(const char *path);
/* From now on write to syslog (the journal, under systemd). */
void log_to_syslog(void);
/* Is stderr /dev/null or closed (lighttpd and spawn-fcgi give FastCGI
 * programs that): then a log there goes nowhere. 1 yes, 0 no. */
int log_stderr_is_null(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and return -1, so a failure reads `return error("...")`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and exit(1). Only main() and its direct helpers may call it. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
