/* Shared by the archivectl commands about recordings: segments, export
 * and check. */
#ifndef ARCHIVED_CTL_SEGMENTS_H
#define ARCHIVED_CTL_SEGMENTS_H

#include <stdint.h>

struct db;

/* Exit status: done, but some files were skipped (reported on stderr). */
#define CTL_EXIT_PARTIAL	3

/* 0 if the stream exists; else prints "<cmd>: --stream: no stream N" and
 * returns 1 (or 1 after a database error). */
int	 ctl_stream_check(struct db *db, const char *cmd, int64_t stream_id);

/* "YYYY-MM-DD HH:MM:SS.mmm" in the configured zone; out holds 24 bytes. */
void	 ctl_format_time(int64_t us, char out[24]);

#endif
