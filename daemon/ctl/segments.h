/* Shared by the archivectl commands about recordings: segments, export
 * and check. */
#ifndef ARCHIVED_CTL_SEGMENTS_H
#define ARCHIVED_CTL_SEGMENTS_H

#include <sqlite3.h>
#include <stdint.h>

/* Exit status: done, but some files were skipped (reported on stderr). */
#define CTL_EXIT_PARTIAL	3

/* 0 if the stream exists; else prints "<cmd>: --stream: no stream N" and
 * returns 1 (or 1 after a database error). */
int	 ctl_stream_check(sqlite3 *db, const char *cmd, int64_t stream_id);

/* Parse a time option (the API's forms: "YYYY-MM-DD HH:MM:SS" in the
 * configured zone, ISO 8601 with an offset or Z, or a date); prints the
 * reason naming opt and returns 2 on bad input. */
int	 ctl_parse_time(const char *cmd, const char *opt, const char *value,
	    int64_t *us);

/* "YYYY-MM-DD HH:MM:SS.mmm" in the configured zone; out holds 24 bytes. */
void	 ctl_format_time(int64_t us, char out[24]);

#endif
