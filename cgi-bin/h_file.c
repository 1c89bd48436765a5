/* GET .../downloads/{id}/file: the web server sends the bytes (X-Sendfile
 * or X-Accel-Redirect), so Range requests and large files cost us nothing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/download.h"
#include "handlers.h"
#include "lib/log.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "lib/banned.h"

/* Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266). */
static void
disposition(struct request *r, const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		buf_printf(&b, "%c", *p < 0x20 || *p >= 0x7f || *p == '"' ||
		    *p == '\\' ? '_' : *p);
	buf_adds(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		buf_printf(&b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
	respond_header(r, "Content-Disposition", b.data);
	buf_release(&b);
}

/* Without a token, the signature must hold, and the link's key must be
 * this archive's. 0 if access is allowed. */
static int
check_access(struct request *r)
{
	char key[URL_KEY_LEN + 1];

	if (r->authed)
		return own_download(r, 0);
	switch (url_verify(r->conf, r->path, r->query, time(NULL), key)) {
	case URL_VALID:
		switch (download_key_matches(r->db, r->ids[0], key)) {
		case 1:
			return 0;
		case 0:
			/* Signed by us, but for another archive under this id. */
			respond_not_found(r);
			return -1;
		default:
			respond_db_error(r);
			return -1;
		}
	case URL_EXPIRED:
		respond_message(r, 410, "The link has expired.");
		return -1;
	case URL_NOT_SIGNED:
		respond_message(r, 401, "Unauthenticated.");
		return -1;
	case URL_BAD_SIGNATURE:
		break;
	}
	respond_message(r, 403, "Invalid signature.");
	return -1;
}

void
h_download_file(struct request *r)
{
	struct db_stmt *st;
	const char *cond, *name, *path;
	char *full = NULL;
	struct stat sb;
	int exists, fd = -1;

	if (check_access(r) != 0)
		return;
	st = db_prepare(r->db, "SELECT condition, is_file_exists, name, path"
	    " FROM downloads WHERE id=?");
	if (st == NULL) {
		respond_db_error(r);
		return;
	}
	db_bind_int64(st, 1, r->ids[0]);
	if (db_step(st) != DB_ROW) {
		respond_not_found(r);
		goto out;
	}
	cond = db_column_text(st, 0);
	exists = db_column_int(st, 1);
	name = db_column_text(st, 2);
	path = db_column_text(st, 3);
	if (strcmp(cond, "expired") == 0 || strcmp(cond, "cancelled") == 0) {
		respond_message(r, 410, "The archive has expired or was deleted.");
		goto out;
	}
	if (strcmp(cond, "active") != 0 || !exists || path == NULL) {
		respond_message(r, 404, "The archive is not ready.");
		goto out;
	}
	full = path_join(r->conf->downloads_dir, path);
	/* Only a regular file the worker wrote: never a symbolic link placed
	 * in the downloads directory (it could point at the database and its
	 * signing keys), a directory or a device. The web server is told not
	 * to follow links there either (conf/). */
	if (strchr(path, '/') != NULL ||
	    (fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd == -1 && errno == ENOENT)
			log_warnx("download=%lld: the archive is missing: '%s'",
			    (long long)r->ids[0], full);
		else
			log_warnx("download=%lld: '%s' is not a regular file of the"
			    " downloads directory; refused", (long long)r->ids[0], full);
		respond_message(r, 410, "The archive is no longer on disk.");
		goto out;
	}
	respond_empty(r, 200);
	respond_header(r, "Content-Type", "video/mp4");
	disposition(r, name);
	if (strcmp(r->conf->sendfile, "x-accel-redirect") == 0) {
		char *loc = path_join(r->conf->sendfile_prefix, path);

		respond_header(r, "X-Accel-Redirect", loc);
		free(loc);
	} else
		respond_header(r, "X-Sendfile", full);
out:
	if (fd != -1)
		close(fd);
	free(full);
	db_finalize(st);
}
