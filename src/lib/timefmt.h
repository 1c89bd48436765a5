/* Times: stored as UTC microseconds; parsed and formatted only at the edges.
 * Local time means the configured zone (conf_apply_timezone sets TZ). */
#ifndef ARCHIVED_TIMEFMT_H
#define ARCHIVED_TIMEFMT_H

#include <stdint.h>

enum time_err {
	TIME_OK = 0,
	TIME_BAD_FORMAT,	/* not one of the accepted forms */
	TIME_BAD_DATE,		/* well formed, but no such date or time */
	TIME_OUT_OF_RANGE,	/* before 1970 or after 9999 */
};

/*
 * Parse "YYYY-MM-DD HH:MM:SS" (local), "YYYY-MM-DDTHH:MM:SS[.ffffff]"
 * followed by "Z" or "+HH:MM"/"-HH:MM"/"+HHMM" (that offset) or nothing
 * (local), and, if allow_date, "YYYY-MM-DD" (local midnight).
 * Local times in a daylight-saving gap move forward by the gap's length;
 * times in a fold take the earlier instant (as java.time does).
 */
enum time_err time_parse(const char *s, int allow_date, int64_t *out_us);

/* A reason for a time_err, in the words of a validation message. */
const char *time_strerror(enum time_err e);

/* UTC seconds for a local wall-clock time; see time_parse for gaps/folds. */
int64_t	 time_local_to_utc(int year, int mon, int day, int hour, int min, int sec);

#define TIME_LOCAL_LEN	20	/* "YYYY-MM-DD HH:MM:SS" */
#define TIME_UTC_LEN	28	/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
#define TIME_NAME_LEN	16	/* "YYYYMMDD-HHMMSS" */

void	 time_format_local(int64_t us, char out[TIME_LOCAL_LEN]);
void	 time_format_utc(int64_t us, char out[TIME_UTC_LEN]);
/* "YYYYMMDD-HHMMSS" local, and "HHMMSS" local, for file names. */
void	 time_format_name(int64_t us, char out[TIME_NAME_LEN]);
void	 time_format_hms(int64_t us, char out[7]);

#endif
