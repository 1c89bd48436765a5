#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db.h"
#include "licence.h"
#include "timefmt.h"
#include "util.h"
#include "banned.h"

int
licence_load(const char *path, struct licence *l, char *why, size_t len)
{
	config_t cfg;
	const char *holder = NULL, *expires = NULL;
	const config_setting_t *features;
	long long maxcam = 0;
	int ret = -1;

	memset(l, 0, sizeof(*l));
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(why, len, "licence file cannot be read");
		else
			snprintf(why, len, "licence file is malformed (line %d)",
			    config_error_line(&cfg));
		goto out;
	}
	if (config_lookup_string(&cfg, "holder", &holder) != CONFIG_TRUE) {
		snprintf(why, len, "licence file has no holder");
		goto out;
	}
	snprintf(l->holder, sizeof(l->holder), "%s", holder);
	if (config_lookup_string(&cfg, "expires", &expires) == CONFIG_TRUE) {
		int64_t day;
		time_t next;
		struct tm tm;

		if (time_parse(expires, 1, &day) != TIME_OK || strlen(expires) != 10) {
			snprintf(why, len, "licence expiry date is not YYYY-MM-DD");
			goto out;
		}
		/* Valid through the whole of that day, in the server's zone: until
		 * the next local midnight (a DST day lasts 23 or 25 hours). */
		next = (time_t)(day / USEC_PER_SEC) + 36 * 3600;
		if (localtime_r(&next, &tm) == NULL) {
			snprintf(why, len, "licence expiry date is not YYYY-MM-DD");
			goto out;
		}
		l->expires_us = time_local_to_utc(tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, 0, 0, 0) * USEC_PER_SEC;
	}
	if ((features = config_lookup(&cfg, "features")) != NULL) {
		for (int i = 0; i < config_setting_length(features); i++) {
			const char *f = config_setting_get_string_elem(features, i);

			if (f != NULL && strcmp(f, LICENCE_FEATURE) == 0)
				l->has_export = 1;
		}
	}
	if (config_lookup_int64(&cfg, "max_cameras", &maxcam) != CONFIG_TRUE) {
		int v;

		if (config_lookup_int(&cfg, "max_cameras", &v) != CONFIG_TRUE) {
			snprintf(why, len, "licence file has no max_cameras");
			goto out;
		}
		maxcam = v;
	}
	l->max_cameras = maxcam;
	ret = 0;
out:
	config_destroy(&cfg);
	return ret;
}

int
licence_evaluate(const struct licence *l, int64_t now, int64_t ncameras,
    char *why, size_t len)
{
	if (l->expires_us != 0 && now >= l->expires_us) {
		char day[TIME_LOCAL_LEN];

		time_format_local(l->expires_us - 1, day);
		day[10] = '\0';
		snprintf(why, len, "licence expired on %s", day);
		return 0;
	}
	if (!l->has_export) {
		snprintf(why, len, "licence lacks the %s feature", LICENCE_FEATURE);
		return 0;
	}
	if (ncameras > l->max_cameras) {
		snprintf(why, len, "%lld cameras exceed the licensed %lld",
		    (long long)ncameras, (long long)l->max_cameras);
		return 0;
	}
	return 1;
}

/*
 * The responder checks the licence on every request: read the file again
 * only when it changed (its inode, size or mtime), not once per request.
 * One process, one licence file: a single cached copy is enough.
 */
static struct {
	char		*path;
	struct stat	 st;
	int		 ok;		/* licence_load succeeded */
	struct licence	 l;
	char		 why[160];	/* its reason when not */
} cache;

static int
cache_fresh(const char *path, const struct stat *st)
{
	return cache.path != NULL && strcmp(cache.path, path) == 0 &&
	    cache.st.st_ino == st->st_ino && cache.st.st_size == st->st_size &&
	    cache.st.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	    cache.st.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static int
licence_get(const char *path, struct licence *l, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(why, len, "licence file cannot be read");
		return -1;
	}
	if (!cache_fresh(path, &st)) {
		free(cache.path);
		cache.path = xstrdup(path);
		cache.st = st;
		cache.ok = licence_load(path, &cache.l, cache.why, sizeof(cache.why)) == 0;
	}
	if (!cache.ok) {
		snprintf(why, len, "%s", cache.why);
		return -1;
	}
	*l = cache.l;
	return 0;
}

int
licence_allows(const char *path, struct db *db, char *why, size_t len)
{
	struct licence l;
	int64_t ncam;

	if (path == NULL)
		return 1;
	if (licence_get(path, &l, why, len) == -1)
		return 0;
	if (db_query_int(db, "SELECT count(*) FROM cameras WHERE deleted_at IS NULL",
	    &ncam) == -1)
		return -1;
	return licence_evaluate(&l, now_us(), ncam, why, len);
}
