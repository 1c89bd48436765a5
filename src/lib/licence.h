/* The licence: a libconfig file naming its holder, expiry date, features
 * and camera limit, for deployments sold under one. With none configured
 * there is no licence check: a self-hosted install is never limited by
 * surprise. */
#ifndef ARCHIVED_LICENCE_H
#define ARCHIVED_LICENCE_H

#include <stddef.h>
#include <stdint.h>

struct db;

#define LICENCE_FEATURE "archive_export"

struct licence {
	char	 holder[128];
	int64_t	 expires_us;		/* first instant it is no longer valid; 0 never */
	int	 has_export;		/* features holds "archive_export" */
	int64_t	 max_cameras;
};

/* Read a licence file; -1 with the reason (for the 402 message) in why. */
int	 licence_load(const char *path, struct licence *l, char *why, size_t len);
/* 1 if the licence allows exports at time now with ncameras cameras; else
 * 0 and the reason in why. */
int	 licence_evaluate(const struct licence *l, int64_t now, int64_t ncameras,
	    char *why, size_t len);
/* Everything together: load, count cameras, evaluate. Returns 1 allowed
 * (always, when path is NULL), 0 refused (reason in why), -1 on a
 * database error. */
int	 licence_allows(const char *path, struct db *db, char *why, size_t len);

#endif
